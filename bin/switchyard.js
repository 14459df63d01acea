#!/usr/bin/env node
// Runs the compiled CLI (dist/cli/main.js). From a source checkout, build first: npm run build.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'switchyard: the compiled CLI (dist/cli/main.js) is missing.\n' +
    'Run `npm run build` first, or run from source with `npx tsx src/cli/main.ts <command>`.\n',
  );
  process.exit(2);
}
const { runCli } = await import(entry.href);
await runCli(process.argv.slice(2));
