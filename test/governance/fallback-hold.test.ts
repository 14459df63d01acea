/**
 * Admission#moveTo: a fallback to another provider takes that provider's own budgets,
 * rate limits and concurrency slot before dispatch calls it, as the admission did for the
 * primary's; a provider that cannot take the request refuses with its own error and
 * nothing changes; settlement charges the provider that served, and every hold is given
 * back whatever the path. Run on the memory store and on Redis.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SwitchyardError } from '../../src/errors.js';
import { createGovernance, MemoryStore, RedisStore, type Admission, type CounterStore } from '../../src/governance/index.js';
import type { ProviderConfig } from '../../src/types/gateway-config.js';
import { CENT, CENT_USAGE, gatewayConfig, keyEntry, MOCK } from './fixtures.js';
import { deletePrefix, FakeClock, REDIS_SKIP, REDIS_URL, uniquePrefix } from './helpers.js';

const NOON = Date.parse('2025-01-15T12:00:00Z');
const PROVIDERS: Record<string, ProviderConfig> = {
  local: { type: 'mock', budgets: [{ limit_usd: 1, period: '1d' }] },
  // Room for one CENT reservation, not two.
  capped: { type: 'mock', budgets: [{ limit_usd: 0.015, period: '1d' }] },
  limited: { type: 'mock', rate_limit: { requests: 1, per: '1m' } },
  narrow: { type: 'mock', rate_limit: { concurrency: 1 } },
  free: { type: 'mock' },
};
const at = (provider: string) => ({ provider, model: 'mock-model' });

/** A store that counts the admissions it is asked for. */
function counting(inner: CounterStore): CounterStore & { admits: number } {
  const store = {
    admits: 0,
    admit: (r: Parameters<CounterStore['admit']>[0]) => {
      store.admits++;
      return inner.admit(r);
    },
    settle: (r: Parameters<CounterStore['settle']>[0]) => inner.settle(r),
    peek: (r: Parameters<CounterStore['peek']>[0]) => inner.peek(r),
    renew: (r: Parameters<CounterStore['renew']>[0]) => inner.renew(r),
    close: () => inner.close(),
  };
  return store;
}

function refusal(err: unknown, code: string, id: string): SwitchyardError {
  assert.ok(err instanceof SwitchyardError, String(err));
  assert.equal(err.code, code, err.message);
  assert.equal(err.details?.level, 'provider');
  assert.equal(err.details?.id, id);
  assert.ok(typeof err.retryAfter === 'number' && err.retryAfter >= 1, `retryAfter ${err.retryAfter}`);
  return err;
}

async function moveRefused(a: Admission, provider: string): Promise<SwitchyardError> {
  try {
    await a.moveTo(at(provider));
  } catch (err) {
    return err as SwitchyardError;
  }
  assert.fail(`moveTo ${provider} was not refused`);
}

function suite(name: string, makeStore: () => { store: CounterStore; cleanup(): Promise<void> }, skip: string | false = false): void {
  describe(`Admission#moveTo (${name})`, { skip }, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanups) await c();
    });

    function setup() {
      const { store: inner, cleanup } = makeStore();
      const store = counting(inner);
      const app = keyEntry('vk-app', { team: 'ml' });
      const clock = new FakeClock(NOON);
      const gov = createGovernance(gatewayConfig({ teams: [{ id: 'ml', budgets: [{ limit_usd: 1, period: '1d' }] }], virtual_keys: [app.entry] }, PROVIDERS), {
        store, clock: clock.fn, refreshMs: 0,
      });
      cleanups.push(async () => {
        await gov.close();
        await cleanup();
      });
      const principal = gov.authenticate({ 'x-api-key': app.key });
      const spend = async (provider: string) => (await gov.budgets({ provider })).map((b) => [b.spent_usd, b.reserved_usd]);
      return { gov, principal, store, clock, spend, admit: () => gov.admit(principal, MOCK, CENT) };
    }

    it("reserves on the fallback's provider, charges it when it serves, and not the admitted one", async () => {
      const { gov, principal, admit, spend } = setup();
      const a = await admit();
      await a.moveTo(at('capped'));
      assert.deepEqual(await spend('capped'), [[0, 0.01]], 'reserved for the same estimate, at its model\'s price');
      assert.deepEqual(await spend('local'), [[0, 0.01]], 'the admitted provider keeps its reservation until the request ends');
      assert.deepEqual(await a.settle(CENT_USAGE, at('capped')), { costUsd: 0.01 });
      assert.deepEqual(await spend('capped'), [[0.01, 0]]);
      assert.deepEqual(await spend('local'), [[0, 0]]);
      assert.deepEqual((await gov.budgets(principal)).map((b) => [b.spent_usd, b.reserved_usd]), [[0.01, 0]], 'the principal is charged once');
    });

    it("refuses with the provider's own error when its budget cannot cover the request, and holds nothing", async () => {
      const { admit, spend, store, gov } = setup();
      const first = await admit();
      await first.moveTo(at('capped'));
      await first.settle(CENT_USAGE, at('capped'));

      const second = await admit();
      const err = refusal(await moveRefused(second, 'capped'), 'SY_ERR_BUDGET_EXCEEDED', 'capped');
      assert.equal(err.retryAfter, 12 * 3600, 'until the budget resets at midnight UTC');
      assert.deepEqual(await spend('capped'), [[0.01, 0]]);
      assert.deepEqual([...gov.unavailableProviders()], [['capped', 'budget_exceeded']]);

      // Known to sit out now: refused at once, without asking the store.
      const asked = store.admits;
      assert.throws(() => second.moveTo(at('capped')), (e: unknown) => refusal(e, 'SY_ERR_BUDGET_EXCEEDED', 'capped') !== null);
      assert.equal(store.admits, asked);

      // Refused, nothing changed: the request may still go elsewhere, and settles there.
      assert.equal(second.moveTo(at('free')), undefined, 'a provider with no limit of its own takes nothing, synchronously');
      assert.equal(store.admits, asked);
      await second.settle(CENT_USAGE, at('free'));
      assert.deepEqual(await spend('capped'), [[0.01, 0]]);
      assert.deepEqual(await spend('local'), [[0, 0]]);
    });

    it("takes the provider's request window, and refuses past it with its Retry-After", async () => {
      const { admit, gov } = setup();
      const first = await admit();
      await first.moveTo(at('limited'));
      await first.release();
      const err = refusal(await moveRefused(await admit(), 'limited'), 'SY_ERR_RATE_LIMITED', 'limited');
      assert.equal(err.retryAfter, 60);
      assert.deepEqual([...gov.unavailableProviders()], [['limited', 'rate_limit_exceeded']]);
    });

    it("holds the provider's concurrency slot while the request is there, and gives it back at settlement or release", async () => {
      const { admit } = setup();
      const first = await admit();
      await first.moveTo(at('narrow'));
      const second = await admit();
      const err = refusal(await moveRefused(second, 'narrow'), 'SY_ERR_RATE_LIMITED', 'narrow');
      assert.equal(err.details?.limit, 'concurrency');
      await first.settle(CENT_USAGE, at('narrow'));
      await second.moveTo(at('narrow'));
      await second.release();
      const third = await admit();
      await third.moveTo(at('narrow'));
      await third.release();
    });

    it('moving on releases the hold it replaces; moving back to the admitted provider releases it too', async () => {
      const { admit, spend } = setup();
      const a = await admit();
      await a.moveTo(at('narrow'));
      await a.moveTo(at('capped'));
      const other = await admit();
      await other.moveTo(at('narrow'));
      await other.release();
      assert.deepEqual(await spend('capped'), [[0, 0.01]]);
      await a.moveTo(at('local'));
      assert.deepEqual(await spend('capped'), [[0, 0]]);
      assert.equal(a.moveTo(at('local')), undefined, 'already there');
      await a.settle(CENT_USAGE, at('local'));
      assert.deepEqual(await spend('local'), [[0.01, 0]]);
      assert.deepEqual(await spend('capped'), [[0, 0]]);
    });

    it('a release while a move is under way waits for it: its hold is not left open', async () => {
      const { admit, spend } = setup();
      const a = await admit();
      const moving = a.moveTo(at('capped'));
      assert.ok(moving instanceof Promise);
      await a.release();
      await moving;
      assert.deepEqual(await spend('capped'), [[0, 0]]);
      assert.deepEqual(await spend('local'), [[0, 0]]);
      assert.throws(() => a.moveTo(at('narrow')), /after the admission was settled or released/);
    });
  });
}

suite('memory', () => ({ store: new MemoryStore(), cleanup: async () => undefined }));
suite('Redis', () => {
  const prefix = uniquePrefix('hold');
  return { store: new RedisStore({ url: REDIS_URL, prefix }), cleanup: () => deletePrefix(prefix) };
}, REDIS_SKIP);
