/**
 * `switchyard serve` says at start where the audit log goes, as absolute paths: the
 * embedded default's `data/audit.db` is under the working directory, a config's relative
 * sink paths under the config's folder, and `switchyard audit` run from elsewhere would
 * otherwise look for a file that is not there.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serveStartLog } from './helpers.js';

/** Starts `serve` with `args` in `cwd` and returns its "listening" log line. */
async function listeningLine(cwd: string, args: string[]): Promise<{ config: string; audit?: string[] }> {
  const out = await serveStartLog(args, { cwd, env: { PATH: process.env.PATH ?? '', PORT: '0' } });
  const line = out.split('\n').find((l) => l.includes('switchyard listening'))!;
  return JSON.parse(line) as { config: string; audit?: string[] };
}

describe('switchyard serve names its audit sinks at start', { timeout: 60_000 }, () => {
  it('the embedded default: data/audit.db under the working directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sy-serve-audit-'));
    try {
      const line = await listeningLine(cwd, []);
      assert.equal(line.config, 'embedded default');
      assert.deepEqual(line.audit, [`sqlite ${join(cwd, 'data/audit.db')}`]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('a config\'s relative paths: under the config\'s folder; PostgreSQL by its table, not its URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-serve-audit-'));
    try {
      mkdirSync(join(dir, 'policy'));
      mkdirSync(join(dir, 'elsewhere'));
      writeFileSync(join(dir, 'policy/switchyard.yaml'), `
server: {port: 0, allow_unauthenticated: true}
providers:
  mock: {type: mock, models: ["*"]}
audit:
  sinks:
    - {type: sqlite, path: data/audit.db}
    - {type: ndjson, path: logs/audit.ndjson}
    - {type: ndjson}
    - {type: postgres, url: "postgres://writer:s3cret-pw@127.0.0.1:1/none", table: gw_audit}
`);
      const line = await listeningLine(join(dir, 'elsewhere'), ['--config', '../policy/switchyard.yaml']);
      assert.deepEqual(line.audit, [
        `sqlite ${join(dir, 'policy/data/audit.db')}`,
        `ndjson ${join(dir, 'policy/logs/audit.ndjson')}`,
        'ndjson stdout',
        'postgres table gw_audit',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
