/**
 * server.drain_delay_ms: on shutdown /readyz answers 503 at once, while the gateway keeps
 * accepting and serving for the delay (a load balancer's time to stop sending), then
 * stops accepting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { assertAnthropicError, assertOpenAIError, postJson, raw, sleep, startE2E, HOOK, SUITE } from './helpers.js';

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

test('a request that arrives on an open connection once the gateway stops accepting is refused in its dialect', { ...SUITE, timeout: HOOK.timeout }, async () => {
  const e2e = await startE2E({
    server: { allow_unauthenticated: true },
    providers: { m: { type: 'mock', models: ['*'], options: { latency_ms: 300 } } },
  });
  // One connection per client: the second request goes on the first one's connection,
  // which is busy (so not closed as idle) when the shutdown begins.
  const openai = new Agent({ keepAlive: true, maxSockets: 1 });
  const anthropic = new Agent({ keepAlive: true, maxSockets: 1 });
  const lister = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const chat = { model: 'm/x', messages: [{ role: 'user', content: 'hi' }] };
    const messages = { model: 'm/x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    const first = [raw(e2e.url, '/v1/chat/completions', { agent: openai, body: chat }), raw(e2e.url, '/anthropic/v1/messages', { agent: anthropic, body: messages }), raw(e2e.url, '/v1/chat/completions', { agent: lister, body: chat })];
    const second = [raw(e2e.url, '/v1/chat/completions', { agent: openai, body: chat }), raw(e2e.url, '/anthropic/v1/messages', { agent: anthropic, body: messages }), raw(e2e.url, '/anthropic/v1/models', { agent: lister })];
    await sleep(100);
    const closed = e2e.close();
    const [a, b] = await Promise.all(first);
    assert.equal(a.status, 200, 'in flight at SIGTERM: served');
    assert.equal(b.status, 200, 'in flight at SIGTERM: served');
    const [c, d, models] = await Promise.all(second);
    assertOpenAIError(c, 503, 'SY_ERR_UNAVAILABLE', 'OpenAI client');
    assertAnthropicError(d, 503, 'SY_ERR_UNAVAILABLE', undefined, 'Anthropic client');
    assertAnthropicError(models, 503, 'SY_ERR_UNAVAILABLE', undefined, 'a model list, or any other route');
    assert.equal(c.headers.connection, 'close', 'the client reconnects, through the load balancer, to another instance');
    assert.ok(c.headers['x-request-id'], 'with a request id to quote');
    await closed;
  } finally {
    openai.destroy();
    anthropic.destroy();
    lister.destroy();
  }
});
