#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (TypeScript through tsx).
// Probes Redis and PostgreSQL first: suites that need them read SY_TEST_REDIS_URL /
// SY_TEST_POSTGRES_URL and skip themselves, by name, when the variable is empty.
// Usage: npm test [-- file-or-substring ...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import net from 'node:net';

const root = new URL('..', import.meta.url).pathname;

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

function probe(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(500, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const filters = process.argv.slice(2);
let files = walk(join(root, 'test')).sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));

const env = { ...process.env };
const skipped = [];
if (env.SY_TEST_REDIS_URL === undefined) {
  env.SY_TEST_REDIS_URL = (await probe(6379)) ? 'redis://127.0.0.1:6379/15' : '';
}
if (env.SY_TEST_POSTGRES_URL === undefined) {
  env.SY_TEST_POSTGRES_URL = (await probe(5432)) ? 'postgres://postgres@127.0.0.1:5432/test' : '';
}
if (!env.SY_TEST_REDIS_URL) skipped.push('Redis (127.0.0.1:6379 not answering): Redis counter store, 3-process budget test');
if (!env.SY_TEST_POSTGRES_URL) skipped.push('PostgreSQL (127.0.0.1:5432 not answering): Postgres audit sink');
for (const s of skipped) console.log(`# SKIPPING suites that need ${s}`);

const child = spawn(process.execPath, [
  '--import', 'tsx',
  '--test', '--test-concurrency=2',
  // A test that hangs fails with its name after two minutes instead of stalling CI.
  '--test-timeout=120000',
  '--test-reporter=spec',
  ...files,
], { cwd: root, env, stdio: 'inherit' });
child.on('exit', (code, signal) => {
  for (const s of skipped) console.log(`# SKIPPED suites that need ${s}`);
  process.exit(code ?? (signal ? 1 : 0));
});
