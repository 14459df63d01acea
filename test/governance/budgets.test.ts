import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../src/errors.js';
import { createGovernance, MemoryStore, type Governance, type Principal } from '../../src/governance/index.js';
import type { Budget, GovernanceConfig } from '../../src/types/gateway-config.js';
import { CENT, CENT_USAGE, gatewayConfig, keyEntry, MOCK } from './fixtures.js';
import { deletePrefix, FakeClock, REDIS_SKIP, REDIS_URL, uniquePrefix } from './helpers.js';
import { FailoverStore } from '../../src/governance/stores/failover.js';
import { RedisStore } from '../../src/governance/stores/redis.js';

function setup(governance: (keys: { app: ReturnType<typeof keyEntry> }) => GovernanceConfig, opts: { clock?: FakeClock; providers?: Parameters<typeof gatewayConfig>[1] } = {}) {
  const app = keyEntry('vk-app', { team: 'ml' });
  const clock = opts.clock ?? new FakeClock(Date.parse('2025-01-15T12:00:00Z'));
  const store = new MemoryStore();
  const gov = createGovernance(gatewayConfig(governance({ app }), opts.providers), { store, clock: clock.fn, refreshMs: 0 });
  const principal = gov.authenticate({ 'x-api-key': app.key });
  return { gov, principal, clock, store };
}

const usd = (limit: number, extra: Partial<Budget> = {}): Budget => ({ limit_usd: limit, period: '1d', ...extra });

async function budgetError(p: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SwitchyardError);
    assert.equal(err.code, 'SY_ERR_BUDGET_EXCEEDED');
    return err;
  }
  assert.fail('expected SY_ERR_BUDGET_EXCEEDED');
}

async function spend(gov: Governance, p: Principal, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await (await gov.admit(p, MOCK, CENT)).settle(CENT_USAGE, MOCK);
}

describe('a settlement the store does not take', () => {
  it('is kept and sent again until the store takes it: the spend of a served request is never dropped', async () => {
    const app = keyEntry('vk-app', { team: 'ml' });
    const inner = new MemoryStore();
    let down = 3;
    const flaky = Object.assign(Object.create(inner) as MemoryStore, {
      settle: (r: Parameters<MemoryStore['settle']>[0]) => (down-- > 0
        ? Promise.reject(new SwitchyardError('SY_ERR_UNAVAILABLE', 'The budget and rate-limit store is unavailable'))
        : inner.settle(r)),
    });
    const warnings: string[] = [];
    const gov = createGovernance(gatewayConfig({ teams: [{ id: 'ml' }], virtual_keys: [{ ...app.entry, budgets: [usd(1)] }] }), {
      store: flaky, clock: new FakeClock(Date.parse('2025-01-15T12:00:00Z')).fn, refreshMs: 0, settleRetryMs: 5, logger: { warn: (_o, m) => warnings.push(m) },
    });
    const principal = gov.authenticate({ 'x-api-key': app.key });
    const { costUsd } = await (await gov.admit(principal, MOCK, CENT)).settle({ inputTokens: 2000, outputTokens: 1000 }, MOCK);
    assert.equal(costUsd, 0.004, 'the request is told its cost at once');
    assert.equal(gov.pendingSettlements, 1);
    assert.equal((await gov.budgets(principal))[0].spent_usd, 0);
    for (let i = 0; i < 100 && gov.pendingSettlements > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(gov.pendingSettlements, 0);
    const [b] = await gov.budgets(principal);
    assert.deepEqual([b.spent_usd, b.reserved_usd], [0.004, 0], 'charged once, the reservation returned');
    assert.deepEqual([gov.metrics.settle_deferred_total, gov.metrics.settle_lost_total], [1, 0]);
    assert.equal(warnings.length, 2, warnings.join('; '));
    await gov.close();
  });

  it('one send at a time: settlements failing while others are sent, and a close meanwhile, settle each once', async () => {
    const app = keyEntry('vk-app', { team: 'ml' });
    const inner = new MemoryStore();
    const sent = new Map<string, number>();
    let failures = 2;
    const slow = Object.assign(Object.create(inner) as MemoryStore, {
      settle: async (r: Parameters<MemoryStore['settle']>[0]) => {
        await new Promise((done) => setTimeout(done, 5));
        if (failures-- > 0) throw new SwitchyardError('SY_ERR_UNAVAILABLE', 'The budget and rate-limit store is unavailable');
        sent.set(r.id, (sent.get(r.id) ?? 0) + 1);
        return inner.settle(r);
      },
    });
    const gov = createGovernance(gatewayConfig({ teams: [{ id: 'ml' }], virtual_keys: [{ ...app.entry, budgets: [usd(1)] }] }), {
      store: slow, refreshMs: 0, settleRetryMs: 1, logger: { warn: () => undefined },
    });
    const principal = gov.authenticate({ 'x-api-key': app.key });
    const admissions = await Promise.all([1, 2, 3].map(() => gov.admit(principal, MOCK, CENT)));
    // The first two fail and wait; the third is settled while the retry is under way.
    await Promise.all(admissions.slice(0, 2).map((a) => a.settle(CENT_USAGE, MOCK)));
    await new Promise((done) => setTimeout(done, 3));
    await admissions[2].settle(CENT_USAGE, MOCK);
    await gov.close();
    assert.equal(gov.pendingSettlements, 0);
    assert.deepEqual([...sent.values()], [1, 1, 1], JSON.stringify([...sent]));
    assert.equal(gov.metrics.settle_lost_total, 0);
  });

  it('still waiting at close: sent once more, and what is lost is said', async () => {
    const app = keyEntry('vk-app', { team: 'ml' });
    const inner = new MemoryStore();
    const dead = Object.assign(Object.create(inner) as MemoryStore, { settle: () => Promise.reject(new Error('ECONNREFUSED')) });
    const errors: string[] = [];
    const gov = createGovernance(gatewayConfig({ teams: [{ id: 'ml' }], virtual_keys: [{ ...app.entry, budgets: [usd(1)] }] }), {
      store: dead, refreshMs: 0, settleRetryMs: 60_000, logger: { warn: () => undefined, error: (_o, m) => errors.push(m) },
    });
    await (await gov.admit(gov.authenticate({ 'x-api-key': app.key }), MOCK, CENT)).settle(CENT_USAGE, MOCK);
    await gov.close();
    assert.equal(gov.metrics.settle_lost_total, 1);
    assert.match(errors.join(), /never took/);
  });
});

describe('budgets', () => {
  it('reserve on every applicable budget (customer, team, key, provider), then settle to the real cost on each', async () => {
    const { gov, principal } = setup(({ app }) => ({
      customers: [{ id: 'acme', budgets: [usd(10)] }],
      teams: [{ id: 'ml', customer: 'acme', budgets: [usd(5)] }],
      virtual_keys: [{ ...app.entry, budgets: [usd(1)] }],
    }), { providers: { local: { type: 'mock', budgets: [usd(2)] } } });

    const a = await gov.admit(principal, MOCK, CENT);
    assert.equal(a.reservedUsd, 0.01);
    assert.equal(a.budgetRemaining(), 0.99);
    const reserved = await gov.budgets(principal);
    assert.deepEqual(reserved.map((b) => [b.level, b.id, b.reserved_usd, b.spent_usd]), [
      ['virtual_key', 'vk-app', 0.01, 0], ['team', 'ml', 0.01, 0], ['customer', 'acme', 0.01, 0],
    ]);
    assert.equal((await gov.budgets({ provider: 'local' }))[0].reserved_usd, 0.01);

    const { costUsd } = await a.settle({ inputTokens: 2000, outputTokens: 1000 }, MOCK);
    assert.equal(costUsd, 0.004);
    assert.equal(a.budgetRemaining(), 0.996);
    const settled = await gov.budgets(principal);
    assert.deepEqual(settled.map((b) => [b.spent_usd, b.reserved_usd]), [[0.004, 0], [0.004, 0], [0.004, 0]]);
    assert.equal((await gov.budgets({ provider: 'local' }))[0].spent_usd, 0.004);
    assert.equal(settled[0].resets_at, '2025-01-16T00:00:00.000Z');
  });

  it('refuses with SY_ERR_BUDGET_EXCEEDED naming the level and id of the budget without room', async () => {
    const levels: [string, string, (g: GovernanceConfig) => void, Record<string, unknown>?][] = [
      ['virtual_key', 'vk-app', (g) => { g.virtual_keys![0].budgets = [usd(0.03)]; }],
      ['team', 'ml', (g) => { g.teams![0].budgets = [usd(0.03)]; }],
      ['customer', 'acme', (g) => { g.customers![0].budgets = [usd(0.03)]; }],
      ['provider', 'local', () => undefined, { local: { type: 'mock', budgets: [usd(0.03)] } }],
    ];
    for (const [level, id, tighten, providers] of levels) {
      const { gov, principal } = setup(({ app }) => {
        const g: GovernanceConfig = { customers: [{ id: 'acme', budgets: [usd(100)] }], teams: [{ id: 'ml', customer: 'acme' }], virtual_keys: [app.entry] };
        tighten(g);
        return g;
      }, { providers: providers as never });
      await spend(gov, principal, 3);
      const err = await budgetError(gov.admit(principal, MOCK, CENT));
      assert.equal(err.status, 429);
      assert.deepEqual({ level: err.details?.level, id: err.details?.id, limit: err.details?.limit_usd }, { level, id, limit: 0.03 }, level);
      assert.equal(err.details?.resets_at, '2025-01-16T00:00:00.000Z');
      assert.match(err.message, new RegExp(`${level} "${id}"`));
    }
  });

  it('says whether the budget is spent, or only too small for this request', async () => {
    const { gov, principal } = setup(({ app }) => ({ teams: [{ id: 'ml' }], virtual_keys: [{ ...app.entry, budgets: [usd(0.005)] }] }));
    const small = await budgetError(gov.admit(principal, MOCK, CENT));
    assert.match(small.message, /^Budget for virtual_key "vk-app" \(limit \$0\.005 per 1d\) cannot cover this request: \$0 spent or reserved, \$0\.005 left, and this request may cost up to \$0\.01 \(a lower max_tokens reserves less\)/);
    const { gov: g2, principal: p2 } = setup(({ app }) => ({ teams: [{ id: 'ml' }], virtual_keys: [{ ...app.entry, budgets: [usd(0.03)] }] }));
    await spend(g2, p2, 3);
    assert.match((await budgetError(g2.admit(p2, MOCK, CENT))).message, /^Budget exhausted for virtual_key "vk-app"/);
  });

  it('all or nothing: a refused request leaves no reservation on the budgets that had room', async () => {
    const { gov, principal } = setup(({ app }) => ({
      teams: [{ id: 'ml', budgets: [usd(0.015)] }],
      virtual_keys: [{ ...app.entry, budgets: [usd(1)] }],
    }));
    await spend(gov, principal, 1);
    await budgetError(gov.admit(principal, MOCK, CENT));
    assert.deepEqual((await gov.budgets(principal)).map((b) => [b.spent_usd, b.reserved_usd]), [[0.01, 0], [0.01, 0]]);
  });

  it('release returns the reservation', async () => {
    const { gov, principal } = setup(({ app }) => ({ virtual_keys: [{ ...app.entry, budgets: [usd(0.01)] }], teams: [{ id: 'ml' }] }));
    const a = await gov.admit(principal, MOCK, CENT);
    await budgetError(gov.admit(principal, MOCK, CENT));
    await a.release();
    await a.release();
    assert.equal(a.budgetRemaining(), 0.01);
    const b = await gov.admit(principal, MOCK, CENT);
    await b.settle(CENT_USAGE, MOCK);
    await b.release(); // after settle: no effect
    assert.equal((await gov.budgets(principal))[0].spent_usd, 0.01);
  });

  it('on_exhausted: allow counts spend past the limit and never refuses; budget_used tops out at 100', async () => {
    const { gov, principal } = setup(({ app }) => ({ virtual_keys: [{ ...app.entry, budgets: [usd(0.02, { on_exhausted: 'allow' })] }], teams: [{ id: 'ml' }] }));
    assert.equal((await gov.capacity(principal)).budget_used, 0);
    await spend(gov, principal, 1);
    assert.equal((await gov.capacity(principal)).budget_used, 50);
    await spend(gov, principal, 3);
    assert.equal((await gov.budgets(principal))[0].spent_usd, 0.04);
    assert.equal((await gov.capacity(principal)).budget_used, 100);
  });

  it('budget_used is the most-used budget, counting open reservations', async () => {
    const { gov, principal } = setup(({ app }) => ({
      teams: [{ id: 'ml', budgets: [usd(0.04)] }],
      virtual_keys: [{ ...app.entry, budgets: [usd(1)] }],
    }));
    const a = await gov.admit(principal, MOCK, CENT);
    assert.equal((await gov.capacity(principal)).budget_used, 25);
    await a.settle({ inputTokens: 2000, outputTokens: 0 }, MOCK);
    assert.equal((await gov.capacity(principal)).budget_used, 5);
  });

  it('reserves max_reservation_tokens of output when the request sets no max_tokens', async () => {
    const { gov, principal } = setup(({ app }) => ({ virtual_keys: [app.entry], teams: [{ id: 'ml' }], max_reservation_tokens: 1000 }));
    const a = await gov.admit(principal, MOCK, { inputTokens: 500 });
    assert.equal(a.reservedUsd, 0.0025);
    assert.equal(a.budgetRemaining(), null, 'no budget applies');
  });

  it('reserves at the rates of the service tier the client asked for, where the price lists it', async () => {
    const { gov, principal } = setup(({ app }) => ({
      virtual_keys: [app.entry], teams: [{ id: 'ml' }],
      pricing: { 'mock-model': { input: 1, output: 4, service_tiers: { priority: { input: 2, output: 8 } } } },
    }));
    const standard = await gov.admit(principal, MOCK, { inputTokens: 1000, maxTokens: 1000 });
    assert.equal(standard.reservedUsd, 0.005);
    const priority = await gov.admit(principal, MOCK, { inputTokens: 1000, maxTokens: 1000, serviceTier: 'priority' });
    assert.equal(priority.reservedUsd, 0.01, 'a priority request costs twice as much, so it reserves twice as much');
    const unlisted = await gov.admit(principal, MOCK, { inputTokens: 1000, maxTokens: 1000, serviceTier: 'auto' });
    assert.equal(unlisted.reservedUsd, 0.005);
  });

  for (const [name, store] of [['memory', () => ({ store: new MemoryStore(), done: async () => undefined })], ['Redis', () => {
    const prefix = uniquePrefix('huge-max-tokens');
    const redis = new RedisStore({ url: REDIS_URL, prefix });
    return { store: new FailoverStore(redis, 'fail_closed'), done: async () => { await redis.close(); await deletePrefix(prefix); } };
  }]] as const) {
    it(`a max_tokens of 1e308 reserves a finite amount, and the budget counts on (${name} store)`, { skip: name === 'Redis' && REDIS_SKIP }, async () => {
      const app = keyEntry('vk-app', { team: 'ml' });
      const { store: s, done } = store();
      const gov = createGovernance(gatewayConfig({ teams: [{ id: 'ml' }], virtual_keys: [{ ...app.entry, budgets: [usd(1, { on_exhausted: 'allow' })] }] }), {
        store: s, clock: new FakeClock(Date.parse('2025-01-15T12:00:00Z')).fn, refreshMs: 0,
      });
      try {
        const principal = gov.authenticate({ 'x-api-key': app.key });
        const huge = await gov.admit(principal, MOCK, { inputTokens: 10, maxTokens: 1e308 });
        assert.ok(Number.isSafeInteger(huge.reservedUsd * 1e9), `reserved ${huge.reservedUsd}`);
        await huge.release();
        await (await gov.admit(principal, MOCK, CENT)).settle(CENT_USAGE, MOCK);
        const [b] = await gov.budgets(principal);
        assert.deepEqual([b.spent_usd, b.reserved_usd, b.remaining_usd], [0.01, 0, 0.99]);
        assert.equal((await gov.capacity(principal)).budget_used, 1);
      } finally {
        await gov.close();
        await done();
      }
    });
  }

  it('after a fallback, the served model\'s price is charged and the served provider\'s budget, not the admitted one', async () => {
    const { gov, principal } = setup(({ app }) => ({ virtual_keys: [{ ...app.entry, budgets: [usd(1)] }], teams: [{ id: 'ml' }] }), {
      providers: { local: { type: 'mock', budgets: [usd(1)] }, other: { type: 'mock', budgets: [usd(1)] } },
    });
    const a = await gov.admit(principal, MOCK, CENT);
    const { costUsd } = await a.settle({ inputTokens: 1000, outputTokens: 1000 }, { provider: 'other', model: 'gpt-4o' });
    assert.equal(costUsd, 0.0125);
    assert.deepEqual((await gov.budgets({ provider: 'local' })).map((b) => [b.spent_usd, b.reserved_usd]), [[0, 0]]);
    assert.deepEqual((await gov.budgets({ provider: 'other' })).map((b) => [b.spent_usd, b.reserved_usd]), [[0.0125, 0]]);
    assert.equal((await gov.budgets(principal))[0].spent_usd, 0.0125);
  });

  describe('unknown prices', () => {
    it('zero (default): admitted, charged $0, counted, warned once per model', async () => {
      const warnings: string[] = [];
      const app = keyEntry('vk');
      const gov = createGovernance(gatewayConfig({ teams: [{ id: 'ml' }], virtual_keys: [{ ...app.entry, budgets: [usd(1)] }] }), {
        store: new MemoryStore(), refreshMs: 0, logger: { warn: (_o, m) => warnings.push(m) },
      });
      const p = gov.authenticate({ 'x-api-key': app.key });
      for (let i = 0; i < 2; i++) {
        const a = await gov.admit(p, { provider: 'local', model: 'my-finetune' }, CENT);
        assert.equal(a.reservedUsd, 0);
        assert.deepEqual(await a.settle(CENT_USAGE, { provider: 'local', model: 'my-finetune' }), { costUsd: 0 });
      }
      assert.equal(gov.metrics.unknown_price_total, 2);
      assert.equal(warnings.length, 1);
      assert.equal(gov.cost('my-finetune', CENT_USAGE), null);
    });

    it('block: refused with SY_ERR_MODEL_NOT_ALLOWED, reason unknown_price', async () => {
      const open = createGovernance({ ...gatewayConfig({ unknown_price: 'block' }), server: { allow_unauthenticated: true } }, { store: new MemoryStore(), refreshMs: 0 });
      await assert.rejects(open.admit(open.authenticate({}), { provider: 'local', model: 'my-finetune' }, CENT), (err: unknown) => {
        assert.ok(err instanceof SwitchyardError);
        assert.equal(err.code, 'SY_ERR_MODEL_NOT_ALLOWED');
        assert.equal(err.details?.reason, 'unknown_price');
        return true;
      });
      await (await open.admit(open.authenticate({}), MOCK, CENT)).settle(CENT_USAGE, MOCK);
    });
  });
});

describe('budget periods roll over (injected clock)', () => {
  async function exhaustThenAdvance(budget: Budget, start: string, stillBlocked: string, reopened: string): Promise<void> {
    const clock = new FakeClock(Date.parse(start));
    const { gov, principal } = setup(({ app }) => ({ virtual_keys: [{ ...app.entry, budgets: [budget] }], teams: [{ id: 'ml' }] }), { clock });
    await spend(gov, principal, 2);
    await budgetError(gov.admit(principal, MOCK, CENT));
    clock.set(stillBlocked);
    await budgetError(gov.admit(principal, MOCK, CENT));
    clock.set(reopened);
    const a = await gov.admit(principal, MOCK, CENT);
    assert.equal(a.budgetRemaining(), 0.01, `fresh window at ${reopened}`);
    await a.settle(CENT_USAGE, MOCK);
    assert.equal((await gov.budgets(principal))[0].spent_usd, 0.01);
  }

  it('calendar day: resets at 00:00 UTC', () =>
    exhaustThenAdvance(usd(0.02), '2025-01-15T08:00:00Z', '2025-01-15T23:59:59.999Z', '2025-01-16T00:00:00Z'));

  it('calendar week: resets on Monday 00:00 UTC', () =>
    exhaustThenAdvance(usd(0.02, { period: '1w' }), '2025-01-08T08:00:00Z', '2025-01-12T23:59:59.999Z', '2025-01-13T00:00:00Z'));

  it('calendar month: resets on the 1st 00:00 UTC (February, leap year)', () =>
    exhaustThenAdvance(usd(0.02, { period: '1M' }), '2024-02-01T00:00:00Z', '2024-02-29T23:59:59.999Z', '2024-03-01T00:00:00Z'));

  it('calendar month: resets at the new year', () =>
    exhaustThenAdvance(usd(0.02, { period: '1M' }), '2024-12-31T20:00:00Z', '2024-12-31T23:59:59.999Z', '2025-01-01T00:00:00Z'));

  it('rolling day: one period from first use, whatever the calendar says', () =>
    exhaustThenAdvance(usd(0.02, { calendar_aligned: false }), '2025-01-15T10:30:00Z', '2025-01-16T10:29:59.999Z', '2025-01-16T10:30:00Z'));

  it('rolling periods restart at the next use, not back to back', async () => {
    const clock = new FakeClock(Date.parse('2025-01-15T10:00:00Z'));
    const { gov, principal } = setup(({ app }) => ({ virtual_keys: [{ ...app.entry, budgets: [usd(1, { period: '1h', calendar_aligned: false })] }], teams: [{ id: 'ml' }] }), { clock });
    await spend(gov, principal, 1);
    clock.set('2025-01-15T13:17:00Z');
    await spend(gov, principal, 1);
    assert.equal((await gov.budgets(principal))[0].resets_at, '2025-01-15T14:17:00.000Z');
  });

  it('a request admitted before midnight and settled after it charges the new day and frees the old reservation', async () => {
    const clock = new FakeClock(Date.parse('2025-01-15T23:59:59Z'));
    const { gov, principal } = setup(({ app }) => ({ virtual_keys: [{ ...app.entry, budgets: [usd(1)] }], teams: [{ id: 'ml' }] }), { clock });
    const a = await gov.admit(principal, MOCK, CENT);
    clock.set('2025-01-16T00:00:01Z');
    await a.settle(CENT_USAGE, MOCK);
    const [b] = await gov.budgets(principal);
    assert.deepEqual([b.spent_usd, b.reserved_usd, b.resets_at], [0.01, 0, '2025-01-17T00:00:00.000Z']);
  });
});

describe('provider budgets and unavailableProviders', () => {
  it('an exhausted provider budget marks the provider budget_exceeded until the period ends', async () => {
    const clock = new FakeClock(Date.parse('2025-01-15T12:00:00Z'));
    const { gov, principal } = setup(({ app }) => ({ virtual_keys: [app.entry], teams: [{ id: 'ml' }] }), {
      clock, providers: { local: { type: 'mock', budgets: [usd(0.02)] } },
    });
    assert.equal(gov.unavailableProviders().size, 0);
    await spend(gov, principal, 2);
    assert.deepEqual([...gov.unavailableProviders()], [['local', 'budget_exceeded']]);
    const err = await budgetError(gov.admit(principal, MOCK, CENT));
    assert.equal(err.details?.level, 'provider');
    // Other providers still serve.
    await (await gov.admit(principal, { provider: 'other', model: 'mock-model' }, CENT)).release();
    clock.set('2025-01-16T00:00:00Z');
    assert.equal(gov.unavailableProviders().size, 0, 'the mark lapses with the period');
  });

  it('another instance sharing the store learns it on refresh, and forgets it when the budget frees up', async () => {
    const store = new MemoryStore();
    const clock = new FakeClock(Date.parse('2025-01-15T12:00:00Z'));
    const app = keyEntry('vk');
    const cfg = gatewayConfig({ virtual_keys: [app.entry] }, { local: { type: 'mock', budgets: [usd(0.01)] } });
    const a = createGovernance(cfg, { store, clock: clock.fn, refreshMs: 0 });
    const b = createGovernance(cfg, { store, clock: clock.fn, refreshMs: 0 });
    const p = a.authenticate({ 'x-api-key': app.key });
    const held = await a.admit(p, MOCK, CENT);
    assert.equal(b.unavailableProviders().size, 0);
    await b.refresh();
    assert.deepEqual([...b.unavailableProviders()], [['local', 'budget_exceeded']]);
    await held.release();
    await b.refresh();
    assert.equal(b.unavailableProviders().size, 0);
  });

  it('the map is the same object while nothing changes (cheap to read per request)', async () => {
    const { gov } = setup(({ app }) => ({ virtual_keys: [app.entry], teams: [{ id: 'ml' }] }));
    assert.equal(gov.unavailableProviders(), gov.unavailableProviders());
  });
});
