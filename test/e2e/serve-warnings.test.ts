/**
 * `switchyard serve` logs what `validate` would warn about in the config, as it logs the
 * rule files' warnings: an operator who starts the gateway without running `validate`
 * still learns of a setting that does nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serveStartLog } from './helpers.js';

describe('switchyard serve', { timeout: 60_000 }, () => {
  it('logs the config\'s warnings at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-serve-warnings-'));
    const config = join(dir, 'switchyard.yaml');
    writeFileSync(config, `
server: {port: 0, allow_unauthenticated: true}
upstream: {forward_headers: [authorization]}
providers:
  mock: {type: mock, models: ["*"]}
audit: {enabled: false}
`);
    try {
      const out = await serveStartLog(['--config', config]);
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; issue?: string; msg: string });
      const warning = lines.find((l) => l.issue === 'forward_header');
      assert.ok(warning, `no forward_header warning in:\n${out}`);
      assert.equal(warning.level, 40);
      assert.match(warning.msg, /switchyard\.yaml:3:\d+: warning\[forward_header\]: upstream\.forward_headers "authorization" is never forwarded/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
