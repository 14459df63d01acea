/** SIGTERM mid-load: every request answered before shutdown has its event in the store. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';

describe('shutdown', () => {
  it('drains every answered request\'s event on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-shutdown-'));
    try {
      const db = join(dir, 'audit.db');
      const child = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'fixtures/shutdown-server.ts'), db], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      while (!out.includes('\n')) await once(child.stdout, 'data');
      const port = Number(out.split('\n')[0]);
      const answered: string[] = [];
      let stop = false;
      const worker = async () => {
        while (!stop) {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: 'POST', body: '{}' });
            answered.push(await res.text());
          } catch {
            return; // refused or reset once the server stopped accepting: not answered
          }
        }
      };
      const workers = Array.from({ length: 32 }, worker);
      while (answered.length < 600) await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      stop = true;
      await Promise.all(workers);
      assert.equal(code, 0);
      const sqlite = new Database(db, { readonly: true });
      const stored = new Set((sqlite.prepare('SELECT decision_id FROM audit_events').all() as { decision_id: string }[]).map((r) => r.decision_id));
      sqlite.close();
      const missing = answered.filter((id) => !stored.has(id));
      assert.deepEqual(missing, []);
      assert.match(out, /closed \{"sink":"sqlite","type":"sqlite","written":\d+,"dropped":0,"rejected":0,"failures":0,"queued":0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
