import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../src/errors.js';
import { FailoverStore } from '../../src/governance/stores/failover.js';
import { MemoryStore } from '../../src/governance/stores/memory.js';
import { RedisStore, SETTLED_MEMORY_MS } from '../../src/governance/stores/redis.js';
import type { AdmitRequest, CounterStore } from '../../src/governance/store.js';
import { storeContract } from './store-contract.js';
import { deletePrefix, REDIS_SKIP, REDIS_URL, uniquePrefix } from './helpers.js';
import { startTcpProxy } from '../fakes/tcp-proxy.js';

/** `inner` behind a switch: while `down`, every call fails as a refused connection does. */
function switchable(inner: CounterStore, down: boolean): { down: boolean; store: CounterStore } {
  const link = { down, store: inner };
  const fails = <T>(f: () => Promise<T>) => (link.down ? Promise.reject(new Error('ECONNREFUSED')) : f());
  link.store = {
    admit: (r) => fails(() => inner.admit(r)),
    settle: (r) => fails(() => inner.settle(r)),
    peek: (r) => fails(() => inner.peek(r)),
    renew: (r) => fails(() => inner.renew(r)),
    close: () => inner.close(),
  };
  return link;
}

storeContract('RedisStore', async () => {
  const prefix = uniquePrefix('contract');
  const store = new RedisStore({ url: REDIS_URL, prefix });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await deletePrefix(prefix);
    },
  };
}, { skip: REDIS_SKIP });

const T0 = Date.UTC(2025, 0, 15);
const req = (id: string): AdmitRequest => ({
  id, now: T0, leaseMs: 1000,
  budgets: [{ key: 'b', start: T0, end: T0 + 1000, limit: 100, amount: 10, block: true }], windows: [], slots: [],
});

describe('RedisStore', { skip: REDIS_SKIP }, () => {
  it('connects lazily on first use', async () => {
    const prefix = uniquePrefix('lazy');
    const store = new RedisStore({ url: REDIS_URL, prefix });
    try {
      assert.equal(store.redis.status, 'wait');
      const results = await Promise.all([store.admit(req('a')), store.admit(req('b'))]);
      assert.deepEqual(results.map((r) => r.ok), [true, true]);
      assert.equal(store.redis.status, 'ready');
    } finally {
      await store.close();
      await deletePrefix(prefix);
    }
  });

  it('charges a settlement sent again once: a timeout may hide that the first ran', async () => {
    const prefix = uniquePrefix('settle-twice');
    const store = new RedisStore({ url: REDIS_URL, prefix });
    try {
      await store.admit(req('a'));
      const settle = { id: 'a', now: T0 + 10, charges: [{ key: 'b', start: T0, end: T0 + 1000, amount: 7 }], adjusts: [{ key: 'w', emission: 10, delta: 5 }] };
      const first = await store.settle(settle);
      const again = await store.settle(settle);
      assert.deepEqual(again, first);
      assert.deepEqual(first.budgets, [{ spent: 7, reserved: 0, end: T0 + 1000 }]);
      const p = await store.peek({ now: T0 + 10, budgets: ['b'], windows: ['w'], slots: [] });
      assert.deepEqual(p.budgets, [{ spent: 7, reserved: 0, end: T0 + 1000 }]);
      assert.equal(p.windows[0], T0 + 10 + 50, 'the window adjusted once');
      // An id settled without a lease (nothing reserved) is remembered too.
      await store.settle({ ...settle, id: 'no-lease' });
      await store.settle({ ...settle, id: 'no-lease' });
      assert.equal((await store.peek({ now: T0 + 10, budgets: ['b'], windows: [], slots: [] })).budgets[0].spent, 14);
      // Forgotten once remembered long enough: what is left behind does not grow.
      await store.admit({ ...req('later'), now: T0 + 10 + SETTLED_MEMORY_MS + 1 });
      assert.deepEqual(await store.redis.hkeys(`${prefix}lease`), ['later']);
    } finally {
      await store.close();
      await deletePrefix(prefix);
    }
  });

  it('charges a settlement kept through a long outage once, though its reply is lost and it is sent again', async () => {
    const prefix = uniquePrefix('settle-late-twice');
    const store = new RedisStore({ url: REDIS_URL, prefix });
    const DAY = 86_400_000;
    try {
      // Made at T0 while this gateway could not reach Redis; ten minutes on, others use it.
      const back = T0 + 10 * 60_000;
      await store.admit({ ...req('elsewhere'), now: back, budgets: [] });
      const settle = { id: 'kept', now: T0, charges: [{ key: 'b', start: T0, end: T0 + DAY, amount: 7 }], adjusts: [] };
      // Sent when Redis answers again: it runs, but the reply is lost (a timeout).
      await store.settle(settle);
      // Requests go on meanwhile; then the same settlement is sent again.
      await store.admit({ ...req('meanwhile'), now: back + 1000, budgets: [] });
      await store.settle(settle);
      const p = await store.peek({ now: back + 1000, budgets: ['b'], windows: [], slots: [] });
      assert.equal(p.budgets[0].spent, 7, 'charged once');
      // Remembered two minutes from when Redis took it, then forgotten.
      await store.admit({ ...req('much-later'), now: back + 1000 + SETTLED_MEMORY_MS + 1, budgets: [] });
      assert.equal(await store.redis.hget(`${prefix}lease`, 'kept'), null);
    } finally {
      await store.close();
      await deletePrefix(prefix);
    }
  });

  it('reads a peek in one command, whatever it reads', async () => {
    const prefix = uniquePrefix('peek-one');
    const store = new RedisStore({ url: REDIS_URL, prefix });
    try {
      await store.admit({ ...req('a'), windows: [{ key: 'w', emission: 10, burst: 100, cost: 3 }], slots: [{ key: 's', limit: 5 }] });
      const sent: string[] = [];
      const send = store.redis.sendCommand.bind(store.redis);
      store.redis.sendCommand = (command, stream) => {
        sent.push(command.name);
        return send(command, stream);
      };
      const p = await store.peek({ now: T0, budgets: ['b', 'never-used'], windows: ['w', 'w-never'], slots: ['s', 's-never'] });
      assert.deepEqual(p, {
        budgets: [{ spent: 0, reserved: 10, end: T0 + 1000 }, { spent: 0, reserved: 0, end: 0 }],
        windows: [T0 + 30, T0],
        slots: [1, 0],
      });
      assert.equal(sent.length, 1, `one command, not ${sent.join(', ')}`);
    } finally {
      await store.close();
      await deletePrefix(prefix);
    }
  });

  it('sends the calls made in one turn of the event loop in one write', async () => {
    const prefix = uniquePrefix('one-write');
    const store = new RedisStore({ url: REDIS_URL, prefix });
    try {
      await store.admit(req('warm'));
      // Each write to the socket is a system call: count them.
      const socket = store.redis.stream as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
      let writes = 0;
      for (const name of ['_write', '_writev'] as const) {
        const inner = socket[name].bind(socket);
        socket[name] = (...a: unknown[]) => {
          writes++;
          inner(...a);
        };
      }
      const results = await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => store.admit(req(`r${i}`))),
        store.peek({ now: T0, budgets: ['b'], windows: [], slots: [] }),
        store.settle({ id: 'warm', now: T0, charges: [{ key: 'b', start: T0, end: T0 + 1000, amount: 3 }], adjusts: [] }),
      ]);
      assert.equal(writes, 1);
      assert.deepEqual(results.slice(0, 5).map((r) => (r as { ok: boolean }).ok), [true, true, true, true, true]);
      const p = await store.peek({ now: T0, budgets: ['b'], windows: [], slots: [] });
      assert.deepEqual(p.budgets[0], { spent: 3, reserved: 50, end: T0 + 1000 });
    } finally {
      await store.close();
      await deletePrefix(prefix);
    }
  });

  it('reloads its scripts after SCRIPT FLUSH', async () => {
    const prefix = uniquePrefix('noscript');
    const store = new RedisStore({ url: REDIS_URL, prefix });
    try {
      assert.equal((await store.admit(req('a'))).ok, true);
      await store.redis.script('FLUSH');
      assert.equal((await store.admit(req('b'))).ok, true);
      const p = await store.peek({ now: T0, budgets: ['b'], windows: [], slots: [] });
      assert.equal(p.budgets[0].reserved, 20);
    } finally {
      await store.close();
      await deletePrefix(prefix);
    }
  });
});

describe('FailoverStore over an unreachable Redis', () => {
  const dead = () => new RedisStore({ url: 'redis://127.0.0.1:1/0', prefix: 'x:', connectTimeoutMs: 200 });

  it('fail_closed: refuses with SY_ERR_UNAVAILABLE (503) and warns once', async () => {
    const warnings: string[] = [];
    const store = new FailoverStore(dead(), 'fail_closed', { warn: (_o, msg) => warnings.push(msg) });
    try {
      for (let i = 0; i < 3; i++) {
        await assert.rejects(store.admit(req(`c${i}`)), (err: unknown) => {
          assert.ok(err instanceof SwitchyardError);
          assert.equal(err.code, 'SY_ERR_UNAVAILABLE');
          assert.equal(err.status, 503);
          return true;
        });
      }
      assert.equal(warnings.length, 1);
      assert.equal(store.counters.store_errors_total, 3);
      assert.equal(store.counters.store_fail_open_total, 0);
    } finally {
      await store.close();
    }
  });

  it('fail_open: serves from local counters, still enforcing limits, warns once and counts', async () => {
    const warnings: string[] = [];
    const store = new FailoverStore(dead(), 'fail_open', { warn: (_o, msg) => warnings.push(msg) }, new MemoryStore());
    try {
      const results = [];
      for (let i = 0; i < 12; i++) results.push((await store.admit(req(`o${i}`))).ok);
      assert.deepEqual(results, [...Array(10).fill(true), false, false]);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /local counters/);
      assert.equal(store.counters.store_fail_open_total, 12);
      assert.equal(store.counters.store_outages_total, 1);
    } finally {
      await store.close();
    }
  });
});

describe('FailoverStore recovery', () => {
  it('goes back to the shared store when it answers again, and says so once', async () => {
    let down = true;
    const shared = new MemoryStore();
    const flaky = {
      admit: (r: AdmitRequest) => (down ? Promise.reject(new Error('ECONNREFUSED')) : shared.admit(r)),
      settle: shared.settle.bind(shared),
      peek: shared.peek.bind(shared),
      renew: shared.renew.bind(shared),
      close: () => Promise.resolve(),
    };
    const warnings: string[] = [];
    const store = new FailoverStore(flaky, 'fail_open', { warn: (_o, m) => warnings.push(m) });
    assert.equal((await store.admit(req('x1'))).ok, true);
    down = false;
    assert.equal((await store.admit(req('x2'))).ok, true);
    assert.equal((await store.admit(req('x3'))).ok, true);
    assert.deepEqual(warnings.map((w) => w.split(':')[0]), ['counter store unavailable', 'counter store available again']);
    const p = await shared.peek({ now: T0, budgets: ['b'], windows: [], slots: [] });
    assert.equal(p.budgets[0].reserved, 20, 'the shared store holds what was admitted after recovery');
  });

  it('fail_open: spend settled locally during the outage is sent to the shared store once it answers', async () => {
    const shared = new MemoryStore();
    const link = switchable(shared, false);
    const flaky = link.store;
    const store = new FailoverStore(flaky, 'fail_open', { warn: () => {} });
    const charge = (id: string, amount: number) => ({ id, now: T0, charges: [{ key: 'b', start: T0, end: T0 + 1000, amount }], adjusts: [] });
    const spent = async () => (await shared.peek({ now: T0, budgets: ['b'], windows: [], slots: [] })).budgets[0];
    // Admitted by the shared store, then it goes down before the settlement; and one admitted and settled while down.
    assert.equal((await store.admit(req('before'))).ok, true);
    link.down = true;
    await store.settle(charge('before', 7));
    assert.equal((await store.admit(req('during'))).ok, true);
    await store.settle(charge('during', 5));
    assert.equal(store.owedCount, 2);
    assert.deepEqual(await spent(), { spent: 0, reserved: 10, end: T0 + 1000 }, 'the shared store has seen neither settlement yet');
    link.down = false;
    await store.peek({ now: T0, budgets: ['b'], windows: [], slots: [] });
    for (let i = 0; i < 20 && store.owedCount > 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(store.owedCount, 0);
    assert.deepEqual(await spent(), { spent: 12, reserved: 0, end: T0 + 1000 }, 'both charged, and the reservation taken before the outage closed');
    assert.equal(store.counters.store_settlements_replayed_total, 2);

    // Still down at close: counted as lost, and said.
    link.down = true;
    await store.settle(charge('late', 3));
    await store.close();
    assert.equal(store.counters.store_settlements_lost_total, 1);
  });
});

describe('FailoverStore replay across midnight', { skip: REDIS_SKIP }, () => {
  it('fail_open: spend settled before midnight during an outage is charged to that day, not the next', async () => {
    const prefix = uniquePrefix('replay-midnight');
    const shared = new RedisStore({ url: REDIS_URL, prefix });
    const elsewhere = new RedisStore({ url: REDIS_URL, prefix });
    const link = switchable(shared, true);
    const flaky = link.store;
    const store = new FailoverStore(flaky, 'fail_open', { warn: () => {} }, new MemoryStore(), 60_000);
    const DAY = 86_400_000;
    const midnight = T0 + DAY;
    const day = (start: number) => ({ key: 'daily', start, end: start + DAY });
    try {
      // 23:59:30, this gateway cut off from Redis: served and settled locally, owed.
      await store.settle({ id: 'before-midnight', now: midnight - 30_000, charges: [{ ...day(T0), amount: 7 }], adjusts: [] });
      assert.equal(store.owedCount, 1);
      // 00:00:30, another gateway opens the new day in Redis.
      await elsewhere.settle({ id: 'after-midnight', now: midnight + 30_000, charges: [{ ...day(midnight), amount: 5 }], adjusts: [] });
      // 00:01, Redis answers this gateway again: what it owes is sent.
      link.down = false;
      const p = await store.peek({ now: midnight + 60_000, budgets: ['daily'], windows: [], slots: [] });
      for (let i = 0; i < 40 && store.owedCount > 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(store.owedCount, 0);
      assert.equal(p.budgets[0].spent, 5);
      const after = await elsewhere.peek({ now: midnight + 60_000, budgets: ['daily'], windows: [], slots: [] });
      assert.deepEqual(after.budgets[0], { spent: 5, reserved: 0, end: midnight + DAY }, 'the new day holds its own spend only');
    } finally {
      await store.close();
      await elsewhere.close();
      await deletePrefix(prefix);
    }
  });
});

describe('FailoverStore rate-limit windows after an outage', () => {
  it('fail_open: a request admitted locally and released frees nothing in the shared windows', async () => {
    const shared = new MemoryStore();
    const link = switchable(shared, false);
    const flaky = link.store;
    const store = new FailoverStore(flaky, 'fail_open', { warn: () => {} }, new MemoryStore(), 60_000);
    const tokens = (id: string, cost: number): AdmitRequest => ({ id, now: T0, leaseMs: 60_000, budgets: [], windows: [{ key: 'tw', emission: 100, burst: 1000, cost }], slots: [] });
    const tat = async () => (await shared.peek({ now: T0, budgets: [], windows: ['tw'], slots: [] })).windows[0];
    try {
      // Other gateways took 5 units of the shared token window.
      assert.equal((await shared.admit(tokens('elsewhere', 5))).ok, true);
      // Redis down: 4 units admitted locally, then released (the provider failed).
      link.down = true;
      assert.equal((await store.admit(tokens('local', 4))).ok, true);
      await store.settle({ id: 'local', now: T0, charges: [], adjusts: [{ key: 'tw', emission: 100, delta: -4 }] });
      // Redis back: the owed settlement is sent, and the shared window keeps what others took.
      link.down = false;
      await store.peek({ now: T0, budgets: [], windows: [], slots: [] });
      for (let i = 0; i < 20 && store.owedCount > 0; i++) await new Promise((r) => setImmediate(r));
      assert.equal(store.owedCount, 0);
      assert.equal(await tat(), T0 + 500);
      // Admitted locally, settled once Redis is back: no correction of units Redis never took.
      link.down = true;
      assert.equal((await store.admit(tokens('local-2', 4))).ok, true);
      link.down = false;
      await store.settle({ id: 'local-2', now: T0, charges: [], adjusts: [{ key: 'tw', emission: 100, delta: -4 }] });
      assert.equal(await tat(), T0 + 500);
      // Admitted by Redis: its correction applies there as before.
      assert.equal((await store.admit(tokens('shared', 4))).ok, true);
      await store.settle({ id: 'shared', now: T0, charges: [], adjusts: [{ key: 'tw', emission: 100, delta: -4 }] });
      assert.equal(await tat(), T0 + 500);
    } finally {
      await store.close();
    }
  });
});

describe('FailoverStore over a slow Redis', { skip: REDIS_SKIP }, () => {
  it('fail_closed: an admission refused because Redis answered late holds nothing there', async () => {
    const prefix = uniquePrefix('late-admit');
    const proxy = await startTcpProxy(Number(new URL(REDIS_URL).port || 6379), new URL(REDIS_URL).hostname);
    const url = new URL(REDIS_URL);
    url.host = proxy.address;
    const store = new FailoverStore(new RedisStore({ url: url.toString(), prefix, commandTimeoutMs: 100 }), 'fail_closed', { warn: () => {} });
    const direct = new RedisStore({ url: REDIS_URL, prefix });
    try {
      // As on a gateway that has served a while: Redis has both scripts.
      assert.equal((await store.admit(req('quick'))).ok, true);
      await store.settle({ id: 'other', now: T0, charges: [], adjusts: [] });
      // Redis runs the script; its answer comes after the gateway stopped waiting.
      proxy.delayMs = 250;
      await assert.rejects(store.admit(req('late')), (err: unknown) => err instanceof SwitchyardError && err.code === 'SY_ERR_UNAVAILABLE');
      await new Promise((r) => setTimeout(r, 700));
      const p = await direct.peek({ now: T0, budgets: ['b'], windows: [], slots: [] });
      assert.equal(p.budgets[0].reserved, 10, 'only the admitted request holds a reservation');
      assert.equal(await direct.redis.hget(`${prefix}lease`, 'late'), 'settled', 'the refused one was closed, not left for its lease to expire');
    } finally {
      await store.close();
      await direct.close();
      await proxy.close();
      await deletePrefix(prefix);
    }
  });
});

describe('FailoverStore replay without traffic', () => {
  it('fail_open: spend settled during the outage reaches the shared store even when no later request uses it', async () => {
    const shared = new MemoryStore();
    const link = switchable(shared, false);
    const flaky = link.store;
    const store = new FailoverStore(flaky, 'fail_open', { warn: () => {} }, new MemoryStore(), 50);
    try {
      // Admitted by the shared store; the outage comes while the request is served.
      assert.equal((await store.admit(req('in-flight'))).ok, true);
      link.down = true;
      await store.settle({ id: 'in-flight', now: T0, charges: [{ key: 'b', start: T0, end: T0 + 1000, amount: 7 }], adjusts: [] });
      await new Promise((r) => setTimeout(r, 120));
      assert.equal(store.owedCount, 1, 'still owed while the store is down');
      link.down = false;
      // No call to the store from here on: the gateway serves nothing that uses it.
      for (let i = 0; i < 40 && store.owedCount > 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(store.owedCount, 0);
      const p = await shared.peek({ now: T0, budgets: ['b'], windows: [], slots: [] });
      assert.deepEqual(p.budgets[0], { spent: 7, reserved: 0, end: T0 + 1000 }, 'charged, and the reservation of the request closed');
    } finally {
      await store.close();
    }
  });
});
