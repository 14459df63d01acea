/**
 * A provider's own rate limit or budget, once spent, sends the request that found it
 * spent to the decision's next target, as later requests are sent while the provider
 * sits out: the request is not refused while a fallback can serve it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let e2e: E2EGateway;

before(async () => {
  e2e = await startE2E({
    server: { allow_unauthenticated: true, expose_decision_headers: true },
    providers: {
      limited: { type: 'mock', models: ['*'], rate_limit: { requests: 2, per: '1h' } },
      capped: { type: 'mock', models: ['*'], budgets: [{ limit_usd: 0.0001, period: '1d' }] },
      spare: { type: 'mock', models: ['*'], weight: 0 },
      alone: { type: 'mock', models: ['*'], weight: 0, rate_limit: { requests: 1, per: '1h' } },
      narrow: { type: 'mock', models: ['*'], weight: 0, rate_limit: { concurrency: 1 }, options: { latency_ms: 400 } },
    },
  }, {
    rules: {
      'routing.yaml': {
        rules: [
          { id: 'to-limited', when: 'model == "mock-a"', route: 'limited/mock-a', fallbacks: ['spare/mock-a'] },
          { id: 'to-capped', when: 'model == "mock-b"', route: 'capped/mock-b', fallbacks: ['spare/mock-b'] },
          { id: 'to-alone', when: 'model == "mock-c"', route: 'alone/mock-c' },
          { id: 'to-narrow', when: 'model == "mock-d"', route: 'narrow/mock-d', fallbacks: ['spare/mock-d'] },
        ],
      },
    },
  });
}, HOOK);

after(async () => {
  await e2e?.close();
}, HOOK);

async function servedBy(model: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await postJson(e2e.url, '/v1/chat/completions', { model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    out.push(res.status === 200 ? String(res.headers['x-switchyard-served-by']) : `${res.status} ${res.json?.error?.code}`);
  }
  return out;
}

test("a provider's spent rate limit sends the request to the fallback, not back as a 429", SUITE, async () => {
  assert.deepEqual(await servedBy('mock-a', 5), ['limited/mock-a', 'limited/mock-a', 'spare/mock-a', 'spare/mock-a', 'spare/mock-a']);
});

test("a provider's spent budget does the same, every time the next reservation does not fit", SUITE, async () => {
  const served = await servedBy('mock-b', 10);
  assert.ok(served.every((s) => s === 'capped/mock-b' || s === 'spare/mock-b'), served.join(', '));
  assert.equal(served[0], 'capped/mock-b', served.join(', '));
  assert.equal(served.at(-1), 'spare/mock-b', served.join(', '));
});

test('with no target left, the provider limit is what the client hears, with its Retry-After', SUITE, async () => {
  const [first, second] = await servedBy('mock-c', 2);
  assert.equal(first, 'alone/mock-c');
  assert.equal(second, '429 SY_ERR_RATE_LIMITED');
  const pinned = await postJson(e2e.url, '/v1/chat/completions', { model: 'alone/mock-c', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(pinned.status, 429, pinned.text);
  assert.match(String(pinned.headers['retry-after']), /^\d+$/);
});

test("a provider's concurrency limit sends the requests over it to the fallback", SUITE, async () => {
  const served = await Promise.all([1, 2, 3].map(() => servedBy('mock-d', 1).then((r) => r[0])));
  assert.deepEqual(served.sort(), ['narrow/mock-d', 'spare/mock-d', 'spare/mock-d']);
});

test('the refusals are counted in /metrics', SUITE, async () => {
  const text = await e2e.gw.runtime.metrics.registry.metrics();
  const value = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  assert.ok(value('switchyard_rate_limit_refusals_total') >= 2, text);
  assert.ok(value('switchyard_budget_refusals_total') >= 1, text);
  assert.ok(value('switchyard_admissions_total') >= 15, text);
  assert.equal(value('switchyard_settlements_lost_total'), 0);
});
