/**
 * server.drain_delay_ms: on shutdown /readyz answers 503 at once, while the gateway keeps
 * accepting and serving for the delay (a load balancer's time to stop sending), then
 * stops accepting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, raw, sleep, startE2E, HOOK, SUITE } from './helpers.js';

test('during the drain delay /readyz is 503 and requests are still served; then connections are refused', { ...SUITE, timeout: HOOK.timeout }, async () => {
  const e2e = await startE2E({
    server: { allow_unauthenticated: true, drain_delay_ms: 600 },
    providers: { m: { type: 'mock', models: ['*'] } },
  });
  assert.equal((await raw(e2e.url, '/readyz')).status, 200);
  const closed = e2e.close();
  await sleep(50);
  const ready = await raw(e2e.url, '/readyz');
  assert.equal(ready.status, 503, 'load balancers are told at once');
  const chat = await postJson(e2e.url, '/v1/chat/completions', { model: 'm/x', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(chat.status, 200, `a request that still arrives is served: ${chat.text}`);
  await closed;
  await assert.rejects(raw(e2e.url, '/readyz'), /ECONNREFUSED/, 'after the delay the gateway no longer accepts');
});
