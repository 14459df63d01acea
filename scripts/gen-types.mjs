#!/usr/bin/env node
// Generates src/types/*.ts from schema/*.schema.json (the schemas are the source of truth).
// `--check` regenerates in memory and exits 1 when the checked-in files differ.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from 'json-schema-to-typescript';

const root = new URL('..', import.meta.url).pathname;
const targets = [
  ['gateway.schema.json', 'gateway-config.ts'],
  ['rules.schema.json', 'rule-file.ts'],
  ['rule-tests.schema.json', 'rule-test-file.ts'],
  ['audit-event.schema.json', 'audit-event.ts'],
];
const check = process.argv.includes('--check');
let drift = 0;
for (const [schemaFile, outFile] of targets) {
  const schema = JSON.parse(readFileSync(join(root, 'schema', schemaFile), 'utf8'));
  const ts = await compile(schema, schema.title, {
    bannerComment: `/* Generated from schema/${schemaFile} by scripts/gen-types.mjs. Do not edit: edit the schema and run \`npm run gen:types\`. */`,
    additionalProperties: false,
    unreachableDefinitions: true,
    style: { singleQuote: true, printWidth: 120 },
    cwd: join(root, 'schema'),
  });
  const out = join(root, 'src', 'types', outFile);
  if (check) {
    const current = existsSync(out) ? readFileSync(out, 'utf8') : '';
    if (current !== ts) { console.error(`drift: src/types/${outFile} differs from schema/${schemaFile}; run npm run gen:types`); drift++; }
  } else {
    writeFileSync(out, ts);
    console.log(`wrote src/types/${outFile}`);
  }
}
if (drift) process.exit(1);
