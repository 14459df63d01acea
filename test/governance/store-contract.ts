/**
 * The contract every CounterStore passes (STYLE.md #6): run by memory-store.test.ts
 * and redis-store.test.ts. Time is always passed in, so no test sleeps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BudgetLine, CounterStore, SlotLine, WindowLine } from '../../src/governance/store.js';

export interface StoreHarness {
  store: CounterStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const LEASE = 60_000;

function budget(key: string, amount: number, limit = 100, extra: Partial<BudgetLine> = {}): BudgetLine {
  return { key, start: T0 - HOUR, end: T0 + HOUR, limit, amount, block: true, ...extra };
}

function window(key: string, cost = 1, emission = 100, burst = 1000): WindowLine {
  return { key, emission, burst, cost };
}

function slot(key: string, limit: number): SlotLine {
  return { key, limit };
}

let seq = 0;
const id = () => `lease-${process.pid}-${++seq}`;

export function storeContract(name: string, make: () => Promise<StoreHarness>, opts: { skip?: string | false } = {}): void {
  describe(`CounterStore contract: ${name}`, { skip: opts.skip }, () => {
    const withStore = (fn: (s: CounterStore) => Promise<void>) => async () => {
      const h = await make();
      try {
        await fn(h.store);
      } finally {
        await h.cleanup();
      }
    };

    it('reserves the amount on every budget and reports their state', withStore(async (s) => {
      const r = await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [budget('a', 10), budget('b', 10, 50)], windows: [], slots: [] });
      assert.deepEqual(r, { ok: true, budgets: [{ spent: 0, reserved: 10, end: T0 + HOUR }, { spent: 0, reserved: 10, end: T0 + HOUR }], windows: [] });
      const p = await s.peek({ now: T0, budgets: ['a', 'b', 'never-used'], windows: ['w-never'], slots: ['s-never'] });
      assert.deepEqual(p, {
        budgets: [{ spent: 0, reserved: 10, end: T0 + HOUR }, { spent: 0, reserved: 10, end: T0 + HOUR }, { spent: 0, reserved: 0, end: 0 }],
        windows: [T0],
        slots: [0],
      });
    }));

    it('is all or nothing: one budget without room refuses and nothing changes', withStore(async (s) => {
      await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [budget('full', 95)], windows: [], slots: [] });
      const r = await s.admit({
        id: id(), now: T0, leaseMs: LEASE,
        budgets: [budget('roomy', 10), budget('full', 10)], windows: [window('w')], slots: [slot('s', 5)],
      });
      assert.deepEqual(r, { ok: false, kind: 'budget', index: 1, state: { spent: 0, reserved: 95, end: T0 + HOUR }, windows: [T0] });
      const p = await s.peek({ now: T0, budgets: ['roomy', 'full'], windows: ['w'], slots: ['s'] });
      assert.deepEqual(p.budgets.map((b) => b.reserved), [0, 95]);
      assert.deepEqual(p.windows, [T0]);
      assert.deepEqual(p.slots, [0]);
    }));

    it('admits exactly up to the limit (limit inclusive)', withStore(async (s) => {
      const a = await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [budget('x', 60)], windows: [], slots: [] });
      const b = await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [budget('x', 40)], windows: [], slots: [] });
      const c = await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [budget('x', 1)], windows: [], slots: [] });
      assert.equal(a.ok, true);
      assert.equal(b.ok, true);
      assert.equal(c.ok, false);
    }));

    it('a non-blocking budget reserves past its limit and never refuses', withStore(async (s) => {
      for (let i = 0; i < 3; i++) {
        const r = await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [budget('soft', 60, 100, { block: false })], windows: [], slots: [] });
        assert.equal(r.ok, true);
      }
      const p = await s.peek({ now: T0, budgets: ['soft'], windows: [], slots: [] });
      assert.equal(p.budgets[0].reserved, 180);
    }));

    it('settle replaces the reservation with the charge', withStore(async (s) => {
      const lease = id();
      await s.admit({ id: lease, now: T0, leaseMs: LEASE, budgets: [budget('a', 10), budget('b', 10)], windows: [], slots: [] });
      const r = await s.settle({ id: lease, now: T0 + 5, charges: [{ key: 'a', start: T0 - HOUR, end: T0 + HOUR, amount: 7 }], adjusts: [] });
      assert.deepEqual(r, { budgets: [{ spent: 7, reserved: 0, end: T0 + HOUR }] });
      const p = await s.peek({ now: T0 + 5, budgets: ['a', 'b'], windows: [], slots: [] });
      assert.deepEqual(p.budgets, [{ spent: 7, reserved: 0, end: T0 + HOUR }, { spent: 0, reserved: 0, end: T0 + HOUR }]);
    }));

    it('settling an unknown or expired lease still charges, and returns no reservation twice', withStore(async (s) => {
      const lease = id();
      await s.admit({ id: lease, now: T0, leaseMs: 1000, budgets: [budget('a', 10)], windows: [], slots: [] });
      await s.settle({ id: lease, now: T0 + 2000, charges: [{ key: 'a', start: T0 - HOUR, end: T0 + HOUR, amount: 3 }], adjusts: [] });
      await s.settle({ id: 'never-admitted', now: T0, charges: [{ key: 'fresh', start: T0, end: T0 + 10, amount: 4 }], adjusts: [] });
      const p = await s.peek({ now: T0, budgets: ['a', 'fresh'], windows: [], slots: [] });
      assert.deepEqual(p.budgets, [{ spent: 3, reserved: 0, end: T0 + HOUR }, { spent: 4, reserved: 0, end: T0 + 10 }]);
    }));

    it('returns the reservation and slot of a lease not settled within leaseMs', withStore(async (s) => {
      await s.admit({ id: id(), now: T0, leaseMs: 1000, budgets: [budget('a', 10)], windows: [], slots: [slot('s', 1)] });
      const blocked = await s.admit({ id: id(), now: T0 + 999, leaseMs: 1000, budgets: [budget('a', 10)], windows: [], slots: [slot('s', 1)] });
      assert.deepEqual(blocked, { ok: false, kind: 'slot', index: 0, windows: [] });
      const r = await s.admit({ id: id(), now: T0 + 1000, leaseMs: 1000, budgets: [budget('a', 10)], windows: [], slots: [slot('s', 1)] });
      assert.equal(r.ok, true);
      const p = await s.peek({ now: T0 + 1000, budgets: ['a'], windows: [], slots: ['s'] });
      assert.equal(p.budgets[0].reserved, 10);
      assert.equal(p.slots[0], 1);
    }));

    it('renew keeps an open lease, its reservation and slot, for leaseMs more; a settled or expired one stays closed', withStore(async (s) => {
      const [live, settled, expired] = [id(), id(), id()];
      await s.admit({ id: live, now: T0, leaseMs: 1000, budgets: [budget('a', 10)], windows: [], slots: [slot('s', 1)] });
      await s.admit({ id: settled, now: T0, leaseMs: 1000, budgets: [budget('a', 20)], windows: [], slots: [slot('t', 1)] });
      await s.admit({ id: expired, now: T0, leaseMs: 500, budgets: [budget('a', 40)], windows: [], slots: [slot('u', 1)] });
      await s.settle({ id: settled, now: T0 + 100, charges: [], adjusts: [] });
      await s.renew({ ids: [live, settled, expired, 'never-admitted'], now: T0 + 800, leaseMs: 1000 });
      // Past the first expiry (T0 + 1000), before the renewed one (T0 + 1800).
      const blocked = await s.admit({ id: id(), now: T0 + 1700, leaseMs: 1000, budgets: [], windows: [], slots: [slot('s', 1)] });
      assert.deepEqual(blocked, { ok: false, kind: 'slot', index: 0, windows: [] });
      let p = await s.peek({ now: T0 + 1700, budgets: ['a'], windows: [], slots: ['s', 't', 'u'] });
      assert.equal(p.budgets[0].reserved, 10);
      assert.deepEqual(p.slots, [1, 0, 0]);
      assert.equal((await s.admit({ id: id(), now: T0 + 1800, leaseMs: 1000, budgets: [], windows: [], slots: [slot('s', 1)] })).ok, true);
      p = await s.peek({ now: T0 + 1800, budgets: ['a'], windows: [], slots: [] });
      assert.equal(p.budgets[0].reserved, 0);
    }));

    it('a budget window that ended reads as empty, reopens, and old leases never touch the new one', withStore(async (s) => {
      const old = id();
      const w1 = { start: T0, end: T0 + 1000 };
      const w2 = { start: T0 + 1000, end: T0 + 2000 };
      await s.admit({ id: old, now: T0, leaseMs: LEASE, budgets: [budget('p', 90, 100, w1)], windows: [], slots: [] });
      assert.deepEqual((await s.peek({ now: T0 + 1000, budgets: ['p'], windows: [], slots: [] })).budgets, [{ spent: 0, reserved: 0, end: 0 }]);
      const r = await s.admit({ id: id(), now: T0 + 1000, leaseMs: LEASE, budgets: [budget('p', 90, 100, w2)], windows: [], slots: [] });
      assert.deepEqual(r, { ok: true, budgets: [{ spent: 0, reserved: 90, end: T0 + 2000 }], windows: [] });
      await s.settle({ id: old, now: T0 + 1001, charges: [], adjusts: [] });
      const p = await s.peek({ now: T0 + 1001, budgets: ['p'], windows: [], slots: [] });
      assert.deepEqual(p.budgets, [{ spent: 0, reserved: 90, end: T0 + 2000 }]);
    }));

    it('a window charged after it ended opens the caller\'s new window', withStore(async (s) => {
      await s.settle({ id: id(), now: T0, charges: [{ key: 'r', start: T0, end: T0 + 100, amount: 5 }], adjusts: [] });
      await s.settle({ id: id(), now: T0 + 150, charges: [{ key: 'r', start: T0 + 150, end: T0 + 250, amount: 2 }], adjusts: [] });
      const p = await s.peek({ now: T0 + 200, budgets: ['r'], windows: [], slots: [] });
      assert.deepEqual(p.budgets, [{ spent: 2, reserved: 0, end: T0 + 250 }]);
    }));

    it('a charge made before the open window started belongs to the window that ended, not to this one', withStore(async (s) => {
      const day0 = { start: T0 - DAY, end: T0 };
      const day1 = { start: T0, end: T0 + DAY };
      // After midnight, the new day's window is open and charged.
      await s.settle({ id: id(), now: T0 + 60_000, charges: [{ key: 'd', ...day1, amount: 5 }], adjusts: [] });
      // A settlement made at 23:59 arrives now (kept through an outage): yesterday's spend.
      const late = await s.settle({ id: id(), now: T0 - 60_000, charges: [{ key: 'd', ...day0, amount: 7 }], adjusts: [] });
      assert.deepEqual(late.budgets, [{ spent: 5, reserved: 0, end: T0 + DAY }]);
      const p = await s.peek({ now: T0 + 60_000, budgets: ['d'], windows: [], slots: [] });
      assert.deepEqual(p.budgets, [{ spent: 5, reserved: 0, end: T0 + DAY }]);
      // Still the window it was made in: charged there.
      await s.settle({ id: id(), now: T0 + 120_000, charges: [{ key: 'd', ...day1, amount: 2 }], adjusts: [] });
      assert.equal((await s.peek({ now: T0 + 120_000, budgets: ['d'], windows: [], slots: [] })).budgets[0].spent, 7);
    }));

    it('GCRA window: a burst of the limit, then a refusal with the exact retry-after, then refill', withStore(async (s) => {
      for (let i = 0; i < 10; i++) {
        const r = await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [], windows: [window('rw')], slots: [] });
        assert.equal(r.ok, true, `request ${i}`);
      }
      const refused = await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [], windows: [window('rw')], slots: [] });
      assert.deepEqual(refused, { ok: false, kind: 'window', index: 0, retryAfterMs: 100, windows: [T0 + 1000] });
      assert.equal((await s.admit({ id: id(), now: T0 + 99, leaseMs: LEASE, budgets: [], windows: [window('rw')], slots: [] })).ok, false);
      assert.equal((await s.admit({ id: id(), now: T0 + 100, leaseMs: LEASE, budgets: [], windows: [window('rw')], slots: [] })).ok, true);
      assert.deepEqual((await s.peek({ now: T0 + 100, budgets: [], windows: ['rw'], slots: [] })).windows, [T0 + 1100]);
      // Idle for a whole window: full burst again.
      const later = T0 + 5000;
      for (let i = 0; i < 10; i++) assert.equal((await s.admit({ id: id(), now: later, leaseMs: LEASE, budgets: [], windows: [window('rw')], slots: [] })).ok, true);
    }));

    it('a window refusal names the first window without room and applies nothing', withStore(async (s) => {
      const r = await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [budget('b', 1)], windows: [window('w1', 5), window('w2', 11)], slots: [slot('s', 1)] });
      assert.deepEqual(r, { ok: false, kind: 'window', index: 1, retryAfterMs: 100, windows: [T0, T0] });
      const p = await s.peek({ now: T0, budgets: ['b'], windows: ['w1', 'w2'], slots: ['s'] });
      assert.deepEqual(p, { budgets: [{ spent: 0, reserved: 0, end: 0 }], windows: [T0, T0], slots: [0] });
    }));

    it('reports every window\'s TAT: after the units an admission took, or as it stands when refused', withStore(async (s) => {
      // A fraction of a ms survives (emission 100/3), as the store keeps it.
      const third = (key: string, cost = 1): WindowLine => window(key, cost, 100 / 3, 1000);
      const ok = await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [], windows: [third('t1'), window('t2', 4)], slots: [] });
      assert.equal(ok.ok, true);
      assert.deepEqual(ok.windows.map((t) => Math.round(t * 1000) / 1000), [T0 + 33.333, T0 + 400]);
      // The second window is full: nothing taken from either, both reported as they stand.
      const full = await s.admit({ id: id(), now: T0 + 10, leaseMs: LEASE, budgets: [], windows: [third('t1'), window('t2', 7)], slots: [] });
      assert.equal(full.ok || full.kind, 'window');
      assert.deepEqual(full.windows.map((t) => Math.round(t * 1000) / 1000), [T0 + 33.333, T0 + 400]);
      // Refused for a slot or a budget, the windows are reported too; past its TAT, one reads as now.
      await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [], windows: [], slots: [slot('one', 1)] });
      const slotted = await s.admit({ id: id(), now: T0 + 50, leaseMs: LEASE, budgets: [], windows: [third('t1'), window('t2')], slots: [slot('one', 1)] });
      assert.equal(slotted.ok || slotted.kind, 'slot');
      assert.deepEqual(slotted.windows, [T0 + 50, T0 + 400]);
      const broke = await s.admit({ id: id(), now: T0 + 50, leaseMs: LEASE, budgets: [budget('tiny', 10, 5)], windows: [window('t2')], slots: [] });
      assert.equal(broke.ok || broke.kind, 'budget');
      assert.deepEqual(broke.windows, [T0 + 400]);
      assert.deepEqual((await s.peek({ now: T0 + 50, budgets: [], windows: ['t1', 't2'], slots: [] })).windows, [T0 + 50, T0 + 400]);
    }));

    it('window adjustments take and return units, never below now', withStore(async (s) => {
      await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [], windows: [window('tw', 4)], slots: [] });
      await s.settle({ id: id(), now: T0, charges: [], adjusts: [{ key: 'tw', emission: 100, delta: 3 }] });
      assert.deepEqual((await s.peek({ now: T0, budgets: [], windows: ['tw'], slots: [] })).windows, [T0 + 700]);
      await s.settle({ id: id(), now: T0, charges: [], adjusts: [{ key: 'tw', emission: 100, delta: -5 }] });
      assert.deepEqual((await s.peek({ now: T0, budgets: [], windows: ['tw'], slots: [] })).windows, [T0 + 200]);
      await s.settle({ id: id(), now: T0, charges: [], adjusts: [{ key: 'tw', emission: 100, delta: -50 }] });
      assert.deepEqual((await s.peek({ now: T0, budgets: [], windows: ['tw'], slots: [] })).windows, [T0]);
    }));

    it('slots hold at most `limit` open leases; settling frees one', withStore(async (s) => {
      const leases = [id(), id()];
      for (const l of leases) assert.equal((await s.admit({ id: l, now: T0, leaseMs: LEASE, budgets: [], windows: [], slots: [slot('c', 2)] })).ok, true);
      assert.deepEqual(await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [], windows: [], slots: [slot('c', 2)] }), { ok: false, kind: 'slot', index: 0, windows: [] });
      await s.settle({ id: leases[0], now: T0, charges: [], adjusts: [] });
      assert.deepEqual((await s.peek({ now: T0, budgets: [], windows: [], slots: ['c'] })).slots, [1]);
      assert.equal((await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [], windows: [], slots: [slot('c', 2)] })).ok, true);
    }));

    it('keeps money exact at large values', withStore(async (s) => {
      const limit = 5_000_000 * 1e9; // $5M in nano-USD
      const lease = id();
      const r = await s.admit({ id: lease, now: T0, leaseMs: LEASE, budgets: [budget('big', limit - 1, limit)], windows: [], slots: [] });
      assert.deepEqual(r, { ok: true, budgets: [{ spent: 0, reserved: limit - 1, end: T0 + HOUR }], windows: [] });
      assert.equal((await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [budget('big', 2, limit)], windows: [], slots: [] })).ok, false);
      assert.equal((await s.admit({ id: id(), now: T0, leaseMs: LEASE, budgets: [budget('big', 1, limit)], windows: [], slots: [] })).ok, true);
      await s.settle({ id: lease, now: T0, charges: [{ key: 'big', start: T0 - HOUR, end: T0 + HOUR, amount: limit - 3 }], adjusts: [] });
      const p = await s.peek({ now: T0, budgets: ['big'], windows: [], slots: [] });
      assert.deepEqual(p.budgets, [{ spent: limit - 3, reserved: 1, end: T0 + HOUR }]);
    }));

    it('1,000 concurrent admissions on room for 100: exactly 100 pass, and settling keeps spend at the limit', withStore(async (s) => {
      const results = await Promise.all(Array.from({ length: 1000 }, async () => {
        const lease = id();
        const r = await s.admit({ id: lease, now: T0, leaseMs: LEASE, budgets: [budget('hot', 10_000_000, 1_000_000_000)], windows: [], slots: [] });
        if (r.ok) await s.settle({ id: lease, now: T0, charges: [{ key: 'hot', start: T0 - HOUR, end: T0 + HOUR, amount: 10_000_000 }], adjusts: [] });
        return r.ok;
      }));
      assert.equal(results.filter(Boolean).length, 100);
      const p = await s.peek({ now: T0, budgets: ['hot'], windows: [], slots: [] });
      assert.deepEqual(p.budgets, [{ spent: 1_000_000_000, reserved: 0, end: T0 + HOUR }]);
    }));
  });
}
