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

// A `$ref` with sibling keywords (a description for editors, a default for ajv) makes
// json-schema-to-typescript emit a second copy of the referenced type (`RateLimit1`, ...).
// Types only need the reference, so siblings are dropped here, never in the schema itself.
function refsOnly(node) {
  if (Array.isArray(node)) return node.map(refsOnly);
  if (node === null || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string') return { $ref: node.$ref };
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, refsOnly(v)]));
}
let drift = 0;
for (const [schemaFile, outFile] of targets) {
  const schema = refsOnly(JSON.parse(readFileSync(join(root, 'schema', schemaFile), 'utf8')));
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
