/** Metric label values stay bounded where clients choose them. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_MODEL_LABELS, createMetrics } from '../../src/server/metrics.js';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { postJson, raw, startE2E, type E2EGateway, HOOK } from '../e2e/helpers.js';

describe('counters', () => {
  it('show a sum of fractions without binary rounding noise', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (const usd of [0.1, 0.2]) m.costUsd.inc({ provider: 'p', model: 'x' }, usd);
    assert.equal(0.1 + 0.2, 0.30000000000000004, 'the noise this is about');
    assert.match(await m.registry.metrics(), /^switchyard_cost_usd_total\{provider="p",model="x"\} 0\.3$/m);
  });
});

describe('the model label', () => {
  it('is the model for the first models served, then "other"; a model labelled once keeps its label', () => {
    const m = createMetrics({ defaultMetrics: false, maxModelLabels: 2 });
    assert.deepEqual(['a', 'b', 'c', 'a', 'd', 'b'].map((x) => m.modelLabel(x)), ['a', 'b', 'other', 'a', 'other', 'b']);
  });

  describe('through the gateway, for a provider that serves any model name', () => {
    let e2e: E2EGateway;
    before(async () => {
      e2e = await startE2E({ server: { allow_unauthenticated: true }, providers: { mk: { type: 'mock', models: ['*'], options: { latency_ms: 0 } } } });
    }, HOOK);
    after(() => e2e?.close(), HOOK);

    it(`gives at most ${MAX_MODEL_LABELS} models series of their own in switchyard_tokens_total`, { timeout: 60_000 }, async () => {
      const n = MAX_MODEL_LABELS + 20;
      for (let i = 0; i < n; i += 20) {
        await Promise.all(Array.from({ length: 20 }, (_, j) => postJson(e2e.url, '/v1/chat/completions', { model: `made-up-${i + j}`, messages: [{ role: 'user', content: 'hi' }] })
          .then((r) => assert.equal(r.status, 200, r.text))));
      }
      const text = (await raw(e2e.url, '/metrics')).text;
      const models = new Set([...text.matchAll(/^switchyard_tokens_total\{[^}]*model="([^"]*)"/gm)].map((x) => x[1]));
      assert.equal(models.size, MAX_MODEL_LABELS + 1);
      assert.ok(models.has('other'));
      assert.match(text, /switchyard_tokens_total\{provider="mk",model="other",kind="input"\} [1-9]/);
    });
  });
});

describe('switchyard_upstream_attempts_total', () => {
  let e2e: E2EGateway;
  before(async () => {
    e2e = await startE2E({
      server: { allow_unauthenticated: true },
      dispatch: { retries_per_target: 1, backoff: { base_ms: 1, cap_ms: 2 } },
      providers: { mk: { type: 'mock', models: ['*'], options: { latency_ms: 0 } } },
    });
  }, HOOK);
  after(() => e2e?.close(), HOOK);

  it('counts the last failed call of a request by what failed it, as the calls before it', async () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    // A call and its retry, both 500: two server errors, not one and an "error".
    assert.equal((await postJson(e2e.url, '/v1/chat/completions', body, { 'x-mock-fail': '500' })).status, 502);
    // A request the provider refuses as invalid: never retried.
    assert.equal((await postJson(e2e.url, '/v1/chat/completions', body, { 'x-mock-fail': '400' })).status, 400);
    const text = (await raw(e2e.url, '/metrics')).text;
    assert.match(text, /^switchyard_upstream_attempts_total\{provider="mk",outcome="server_error"\} 2$/m);
    assert.match(text, /^switchyard_upstream_attempts_total\{provider="mk",outcome="client_error"\} 1$/m);
    assert.doesNotMatch(text, /outcome="error"/);
  });
});

describe('switchyard_requests_total', () => {
  let e2e: E2EGateway;
  before(async () => {
    e2e = await startE2E({ server: { allow_unauthenticated: true, body_limit_bytes: 1024 }, providers: { mk: { type: 'mock', models: ['*'], options: { latency_ms: 0 } } } });
  }, HOOK);
  after(() => e2e?.close(), HOOK);

  it('counts the requests refused before their handler runs, by endpoint and status', async () => {
    assert.equal((await raw(e2e.url, '/v1/chat/completions', { body: '{"model": ', headers: { 'content-type': 'application/json' } })).status, 400);
    assert.equal((await raw(e2e.url, '/anthropic/v1/messages', { body: JSON.stringify({ model: 'm', pad: 'x'.repeat(2048) }), headers: { 'content-type': 'application/json' } })).status, 413);
    assert.equal((await raw(e2e.url, '/v1/embeddings', { body: 'hello', headers: { 'content-type': 'text/plain' } })).status, 415);
    // Not an inference route: no series.
    assert.equal((await raw(e2e.url, '/v1/nope', { body: 'x', headers: { 'content-type': 'text/plain' } })).status, 404);
    const text = (await raw(e2e.url, '/metrics')).text;
    assert.match(text, /^switchyard_requests_total\{endpoint="chat",status="400",via="none"\} 1$/m);
    assert.match(text, /^switchyard_requests_total\{endpoint="messages",status="413",via="none"\} 1$/m);
    assert.match(text, /^switchyard_requests_total\{endpoint="embeddings",status="415",via="none"\} 1$/m);
    assert.equal([...text.matchAll(/^switchyard_requests_total\{/gm)].length, 3);
  });
});

describe('switchyard_tokens_total', () => {
  let an: WireFake;
  let e2e: E2EGateway;
  before(async () => {
    an = await startWireFake({ format: 'anthropic', name: 'an' });
    e2e = await startE2E({ server: { allow_unauthenticated: true }, providers: { an: { type: 'anthropic', base_url: an.url, keys: [{ name: 'k', value: 'sk-up-an' }] } } });
  }, HOOK);
  after(async () => {
    await e2e?.close();
    await an?.close();
  }, HOOK);

  it('counts prompt-cache reads and writes (kind cached, cache_write) as the audit event does, inside input', async () => {
    // Anthropic counts 4 plain input tokens, 300 read from the cache and 200 written to it.
    an.enqueue({ usage: { input: 4, output: 10, cacheRead: 300, cacheWrite5m: 200 } });
    const r = await postJson(e2e.url, '/anthropic/v1/messages', { model: 'claude-sonnet-4', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
    assert.equal(r.status, 200, r.text);
    const text = (await raw(e2e.url, '/metrics')).text;
    const count = (kind: string) => Number(text.match(new RegExp(`^switchyard_tokens_total\\{provider="an",model="claude-sonnet-4",kind="${kind}"\\} (\\d+)$`, 'm'))?.[1]);
    assert.deepEqual(['input', 'cached', 'cache_write', 'output'].map(count), [504, 300, 200, 10]);
  });
});
