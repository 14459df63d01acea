/**
 * Requests still running when the shutdown grace period ends are cut, and still
 * settled and audited before the audit log and the counter store close: nothing is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sleep, startE2E, tempDir, HOOK, SUITE } from './helpers.js';

test('streams and whole answers cut at the end of the grace period each have their audit event', { ...SUITE, timeout: HOOK.timeout }, async () => {
  const file = join(tempDir(), 'audit.db');
  const e2e = await startE2E({
    server: { allow_unauthenticated: true, shutdown_grace_ms: 300 },
    providers: {
      slow: { type: 'mock', models: ['*'], options: { chunks: 8, chunk_delay_ms: 400 } },
      late: { type: 'mock', models: ['*'], options: { latency_ms: 5000 } },
    },
    audit: { sinks: [{ type: 'sqlite', path: file, flush_interval_ms: 1000 }] },
  });
  const post = (model: string, stream: boolean) => fetch(`${e2e.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'a long answer, please' }] }),
  });
  // Streams under way (their first chunk read), and whole answers still waiting upstream.
  const streams = await Promise.all([1, 2, 3].map(() => post('slow/m', true)));
  const ids = streams.map((r) => String(r.headers.get('x-switchyard-decision-id')));
  await Promise.all(streams.map((r) => r.body!.getReader().read()));
  const whole = [1, 2].map(() => post('late/m', false).catch((e: unknown) => e));
  // All five under way in the gateway (on a loaded machine the whole ones take a while to arrive).
  for (let i = 0; i < 100 && e2e.gw.runtime.work.count < 5; i++) await sleep(20);
  assert.equal(e2e.gw.runtime.work.count, 5);
  const t0 = performance.now();
  await e2e.close();
  const took = performance.now() - t0;
  await Promise.all(whole);
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT decision_id, status, event FROM audit_events').all() as { decision_id: string; status: number; event: string }[];
    assert.equal(rows.length, 5, `every cut request has its event: ${rows.map((r) => r.decision_id).join(', ')}`);
    for (const id of ids) {
      const row = rows.find((r) => r.decision_id === id);
      assert.ok(row, `the stream ${id} has its event`);
      const ev = JSON.parse(row.event) as { outcome: { client_aborted: boolean; output_tokens: number } };
      assert.equal(ev.outcome.client_aborted, true, 'its connection ended before the answer did');
      assert.ok(ev.outcome.output_tokens > 0, 'what it was sent is charged');
    }
  } finally {
    db.close();
  }
  assert.ok(took < 4000, `shutdown took ${Math.round(took)} ms: the cut requests settle at once, not at their upstream's pace`);
});
