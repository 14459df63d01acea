/**
 * A fallback to a provider is held to that provider's own budget, rate limit and
 * concurrency limit, as the primary is: once one is spent the fallback is passed over
 * (recorded in the audit event) for the next target, or the client gets that provider's
 * 429 with Retry-After; the provider's spend never passes its budget, and its
 * reservations and slots are given back however the request ends. On the memory store
 * and on Redis.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deletePrefix, REDIS_SKIP, REDIS_URL, uniquePrefix } from '../governance/helpers.js';
import { assertOpenAIError, postJson, raw, sleep, startE2E, timedFetch, type E2EGateway, HOOK, SUITE } from './helpers.js';

const ADMIN = 'admin-fallback-limits';
/** Every call to a mock model here costs 1 input + 10 output tokens at $1 / $2 per 1M: $0.000021. */
const CALL_USD = 0.000021;
const mock = (extra: Record<string, unknown> = {}) => ({ type: 'mock', models: ['*'], weight: 0, ...extra, options: { output_tokens: 10, ...(extra.options as object | undefined) } });

function rule(id: string, model: string, fallbacks: string[]) {
  return { id, when: `model == "${model}"`, route: `broken/${model}`, fallbacks };
}

function suite(name: string, store: () => Record<string, unknown> | undefined, cleanup: () => Promise<void>, skip: string | false): void {
  describe(`fallbacks held to their provider's limits (${name})`, { ...SUITE, skip }, () => {
    let e2e: E2EGateway;

    before(async () => {
      const s = store();
      e2e = await startE2E({
        server: { allow_unauthenticated: true, expose_decision_headers: true, admin_token: 'env.ADMIN' },
        // The primary fails every call; it must stay the primary (never cooled down) for
        // every request to reach its fallbacks.
        dispatch: { retries_per_target: 0, cooldown: { consecutive_failures: 1000 } },
        providers: {
          broken: mock({ options: { fail_rate: 1, fail_status: 500 } }),
          // Room for two calls, not three.
          capped: mock({ budgets: [{ limit_usd: 0.00005, period: '1d' }] }),
          capped2: mock({ budgets: [{ limit_usd: 0.00005, period: '1d' }] }),
          capped3: mock({ budgets: [{ limit_usd: 0.00005, period: '1d' }] }),
          limited: mock({ rate_limit: { requests: 2, per: '1h' } }),
          limited2: mock({ rate_limit: { requests: 1, per: '1h' } }),
          narrow: mock({ rate_limit: { concurrency: 1 }, options: { latency_ms: 300 } }),
          streamy: mock({ rate_limit: { concurrency: 1 }, options: { chunks: 6, chunk_delay_ms: 60 } }),
          spare: mock(),
        },
        ...(s === undefined ? {} : { governance: { store: s } }),
      }, {
        env: { ADMIN },
        rules: {
          'routing.yaml': {
            rules: [
              rule('to-capped', 'mock-b', ['capped/mock-b', 'spare/mock-b']),
              rule('to-capped-only', 'mock-b2', ['capped2/mock-b2']),
              rule('to-capped-at-once', 'mock-b3', ['capped3/mock-b3', 'spare/mock-b3']),
              rule('to-limited', 'mock-r', ['limited/mock-r', 'spare/mock-r']),
              rule('to-limited-only', 'mock-r2', ['limited2/mock-r2']),
              rule('to-narrow', 'mock-c', ['narrow/mock-c', 'spare/mock-c']),
              rule('to-streamy', 'mock-s', ['streamy/mock-s', 'spare/mock-s']),
            ],
          },
        },
      });
    }, HOOK);

    after(async () => {
      await e2e?.close();
      await cleanup();
    }, HOOK);

    const ask = (model: string) => postJson(e2e.url, '/v1/chat/completions', { model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const servedBy = async (model: string, n: number): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const res = await ask(model);
        out.push(res.status === 200 ? String(res.headers['x-switchyard-served-by']) : `${res.status} ${res.json?.error?.code}`);
      }
      return out;
    };
    const attemptsOf = async (decisionId: unknown) => {
      await e2e.gw.runtime.audit.flush();
      const res = await raw(e2e.url, `/admin/audit?decision_id=${String(decisionId)}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const [event] = res.json.events;
      return (event.attempts as { provider: string; status: number; fallback_reason: string | null }[]).map((a) => [a.provider, a.status, a.fallback_reason]);
    };
    const budget = async (provider: string) => (await e2e.gw.runtime.governance.budgets({ provider })).map((b) => [b.spent_usd, b.reserved_usd]);

    test("a fallback to a provider whose budget cannot take the request goes to the next target; the budget holds", async () => {
      assert.deepEqual(await servedBy('mock-b', 5), ['capped/mock-b', 'capped/mock-b', 'spare/mock-b', 'spare/mock-b', 'spare/mock-b']);
      const [[spent, reserved]] = await budget('capped');
      assert.ok(Math.abs(spent - 2 * CALL_USD) < 1e-12, `capped spent $${spent}`);
      assert.equal(reserved, 0, 'no reservation left behind');

      const res = await ask('mock-b');
      assert.equal(res.headers['x-switchyard-served-by'], 'spare/mock-b');
      assert.deepEqual(await attemptsOf(res.headers['x-switchyard-decision-id']), [['broken', 500, 'server_error'], ['capped', 0, 'budget_exceeded'], ['spare', 200, null]]);
    });

    test('requests falling back at once cannot overspend the budget between them', async () => {
      const served = await Promise.all(Array.from({ length: 8 }, () => servedBy('mock-b3', 1).then((r) => r[0])));
      assert.deepEqual(served.filter((s) => s !== 'spare/mock-b3'), ['capped3/mock-b3', 'capped3/mock-b3'], served.join(', '));
      assert.deepEqual(await budget('capped3'), [[2 * CALL_USD, 0]]);
    });

    test("with no target left, the fallback provider's spent budget is the answer: 429 with Retry-After", async () => {
      assert.deepEqual(await servedBy('mock-b2', 2), ['capped2/mock-b2', 'capped2/mock-b2']);
      const res = await ask('mock-b2');
      assertOpenAIError(res, 429, 'SY_ERR_BUDGET_EXCEEDED');
      assert.match(String(res.headers['retry-after']), /^[1-9]\d*$/);
      assert.equal(res.json.error.level, 'provider');
      assert.equal(res.json.error.id, 'capped2');
      assert.deepEqual(await attemptsOf(res.headers['x-switchyard-decision-id']), [['broken', 500, 'server_error'], ['capped2', 0, 'budget_exceeded']]);
      assert.deepEqual(await budget('capped2'), [[2 * CALL_USD, 0]]);
    });

    test("a fallback to a provider over its rate limit goes to the next target, or answers that limit's 429", async () => {
      assert.deepEqual(await servedBy('mock-r', 5), ['limited/mock-r', 'limited/mock-r', 'spare/mock-r', 'spare/mock-r', 'spare/mock-r']);
      assert.deepEqual(await servedBy('mock-r2', 1), ['limited2/mock-r2']);
      const res = await ask('mock-r2');
      assertOpenAIError(res, 429, 'SY_ERR_RATE_LIMITED');
      assert.match(String(res.headers['retry-after']), /^[1-9]\d*$/);
      assert.deepEqual(await attemptsOf(res.headers['x-switchyard-decision-id']), [['broken', 500, 'server_error'], ['limited2', 0, 'rate_limit_exceeded']]);
    });

    test("a fallback takes its provider's concurrency slot: requests over it go on, and the slot is given back", async () => {
      const served = await Promise.all([1, 2, 3].map(() => servedBy('mock-c', 1).then((r) => r[0])));
      assert.deepEqual(served.sort(), ['narrow/mock-c', 'spare/mock-c', 'spare/mock-c']);
      assert.deepEqual(await servedBy('mock-c', 1), ['narrow/mock-c']);
    });

    test("a stream served by a fallback holds its provider's slot until it ends, or until the client leaves", async () => {
      const clients: AbortController[] = [];
      const stream = async () => {
        const ac = new AbortController();
        clients.push(ac);
        const res = await timedFetch(`${e2e.url}/v1/chat/completions`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, signal: ac.signal,
          body: JSON.stringify({ model: 'mock-s', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
        });
        const reader = res.body!.getReader();
        await reader.read();
        assert.equal(res.headers.get('x-switchyard-served-by'), 'streamy/mock-s');
        return { reader, leave: () => ac.abort() };
      };

      try {
        const open = await stream();
        assert.deepEqual(await servedBy('mock-s', 1), ['spare/mock-s'], 'the slot is taken while the stream runs');
        while (!(await open.reader.read()).done);
        assert.deepEqual(await servedBy('mock-s', 1), ['streamy/mock-s'], 'and given back when it ends');

        (await stream()).leave();
        let next = '';
        for (let i = 0; i < 40 && next !== 'streamy/mock-s'; i++) {
          await sleep(25);
          [next] = await servedBy('mock-s', 1);
        }
        assert.equal(next, 'streamy/mock-s', 'given back when the client leaves');
      } finally {
        for (const c of clients) c.abort();
      }
    });

    test('the fallbacks refused are counted in /metrics, and nothing is left reserved', async () => {
      const text = await e2e.gw.runtime.metrics.registry.metrics();
      const value = (metric: string) => Number(new RegExp(`^${metric} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
      assert.ok(value('switchyard_budget_refusals_total') >= 4, text);
      assert.ok(value('switchyard_rate_limit_refusals_total') >= 5, text);
      for (const p of ['capped', 'capped2', 'capped3']) assert.equal((await budget(p))[0][1], 0, p);
    });
  });
}

suite('memory store', () => undefined, async () => undefined, false);
const prefix = uniquePrefix('e2e-fallback');
suite('Redis store', () => ({ type: 'redis', url: REDIS_URL, prefix }), () => (REDIS_SKIP ? Promise.resolve() : deletePrefix(prefix)), REDIS_SKIP);

describe("a fallback's hold cut at shutdown (Redis store)", { ...SUITE, skip: REDIS_SKIP }, () => {
  const prefix = uniquePrefix('e2e-fallback-shutdown');
  after(() => deletePrefix(prefix), HOOK);
  const start = () => startE2E({
    server: { allow_unauthenticated: true, expose_decision_headers: true, shutdown_grace_ms: 200 },
    dispatch: { retries_per_target: 0, cooldown: { consecutive_failures: 1000 } },
    governance: { store: { type: 'redis', url: REDIS_URL, prefix } },
    providers: {
      broken: mock({ options: { fail_rate: 1, fail_status: 500 } }),
      slow: mock({ budgets: [{ limit_usd: 1, period: '1d' }], rate_limit: { concurrency: 1 }, options: { chunks: 8, chunk_delay_ms: 300 } }),
      spare: mock(),
    },
  }, { rules: { 'routing.yaml': { rules: [rule('to-slow', 'mock-x', ['slow/mock-x', 'spare/mock-x'])] } } });

  test('is given back: the next gateway on the same store finds the slot free and nothing reserved', async () => {
    let client = new AbortController();
    const ask = (g: E2EGateway, stream: boolean) => timedFetch(`${g.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: client.signal,
      body: JSON.stringify({ model: 'mock-x', max_tokens: 10, stream, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const first = await start();
    try {
      const res = await ask(first, true);
      await res.body!.getReader().read();
      assert.equal(res.headers.get('x-switchyard-served-by'), 'slow/mock-x');
      const meanwhile = await ask(first, false);
      await meanwhile.text();
      assert.equal(meanwhile.headers.get('x-switchyard-served-by'), 'spare/mock-x', 'the stream holds the slot');
      // Closing with the stream still running: the grace period ends and it is cut.
      await first.close();
    } finally {
      await first.close();
      client.abort();
      client = new AbortController();
    }

    const second = await start();
    try {
      const [b] = await second.gw.runtime.governance.budgets({ provider: 'slow' });
      assert.equal(b.reserved_usd, 0);
      assert.ok(b.spent_usd > 0, 'what the cut stream was sent is charged');
      const later = await ask(second, false);
      assert.equal(later.headers.get('x-switchyard-served-by'), 'slow/mock-x', 'the slot was given back');
      await later.text();
    } finally {
      await second.close();
    }
  });
});
