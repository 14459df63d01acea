/**
 * Redis counter store: the same semantics as MemoryStore, made atomic across
 * gateway processes by running each operation as one Lua script. Connects on first
 * use; while disconnected every call fails at once (no offline queue), so the
 * fail-open/closed policy in stores/failover.ts decides quickly.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import {
  type AdmitRequest, type AdmitResult, type BudgetState, type CounterStore,
  type PeekRequest, type PeekResult, type RenewRequest, type SettleRequest, type SettleResult,
} from '../store.js';
import { ADMIT, PEEK, RENEW, SETTLE } from './redis-scripts.js';

/**
 * A client as the gateway uses Redis: connected on first use, failing at once while
 * disconnected (no offline queue), every wait bounded. ioredis is loaded on first use: a
 * gateway that never uses Redis never pays for it (about 6 MB of heap, and its start-up
 * time).
 */
export function newRedis(url: string | undefined, timeouts: { commandTimeoutMs?: number; connectTimeoutMs?: number } = {}): Redis {
  const { Redis: Client } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeouts.commandTimeoutMs ?? 1000,
    connectTimeout: timeouts.connectTimeoutMs ?? 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
  return url ? new Client(url, options) : new Client(options);
}

/** Connects `redis` on the first call; calls made meanwhile wait for the same attempt. */
export function connectOnce(redis: Redis): () => Promise<void> | void {
  let connecting: Promise<void> | null = null;
  return () => {
    if (connecting) return connecting;
    if (redis.status !== 'wait') return;
    connecting = redis.connect().finally(() => {
      connecting = null;
    });
    return connecting;
  };
}

export interface RedisStoreOptions {
  /** `redis://[:password@]host:port/db`; ignored when `client` is given. */
  url?: string;
  /** An existing client (its lifecycle stays with the caller). */
  client?: Redis;
  /** Prepended to every key. Use `{name}:` to keep all keys in one Redis Cluster slot. */
  prefix?: string;
  /** Per-command timeout. Default 1000 ms. */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

interface Script {
  lua: string;
  sha: string;
}

const script = (lua: string): Script => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });
const ADMIT_SCRIPT = script(ADMIT);
const SETTLE_SCRIPT = script(SETTLE);
const PEEK_SCRIPT = script(PEEK);
const RENEW_SCRIPT = script(RENEW);

/** Leases renewed per script call: each call holds Redis for its length, as every script does. */
const RENEW_BATCH = 1000;

type Reply = (string | number)[];

/**
 * How long a settled id is remembered, so that sending its settlement again (after a
 * timeout, when the first may have run) charges nothing more. Counted from when Redis
 * took it (the latest `now` any call brought), not from the settlement's own `now`:
 * one kept through an outage of any length (FailoverStore's owed list, Governance's
 * retries) is as old as the outage when it is sent. After a lost reply, Governance sends
 * a settlement again within 30 s at first (1, 2, 4, 8, 16 s) and FailoverStore within
 * 1 s; only a store that took it, then failed for longer than this, could see it twice.
 */
export const SETTLED_MEMORY_MS = 2 * 60_000;

export class RedisStore implements CounterStore {
  readonly redis: Redis;
  private readonly prefix: string;
  private readonly owned: boolean;
  /** The first call connects; calls made meanwhile wait for the same attempt. */
  private readonly ready: () => Promise<void> | void;
  /** The last connection error, for diagnostics (errors also surface on each call). */
  lastError: Error | null = null;
  /** Whether the connection's socket is corked until the event loop's I/O callbacks of this turn have run (see coalesce). */
  private corked = false;

  constructor(opts: RedisStoreOptions = {}) {
    this.prefix = opts.prefix ?? 'sy:';
    this.owned = !opts.client;
    this.redis = opts.client ?? newRedis(opts.url, opts);
    this.ready = connectOnce(this.redis);
    // ioredis reports connection errors as events too; without a listener they are printed.
    this.redis.on('error', (err: Error) => {
      this.lastError = err;
    });
  }

  async admit(req: AdmitRequest): Promise<AdmitResult> {
    const keys = [
      ...req.budgets.map((b) => b.key),
      ...req.windows.map((w) => w.key),
      ...req.slots.map((s) => s.key),
    ];
    const args: (string | number)[] = [int(req.now), req.id, int(req.leaseMs), req.budgets.length, req.windows.length, req.slots.length];
    for (const b of req.budgets) args.push(int(b.start), int(b.end), int(b.limit), int(b.amount), b.block ? '1' : '0');
    for (const w of req.windows) args.push(w.emission, w.burst, w.cost);
    for (const s of req.slots) args.push(s.limit);

    const r = await this.run(ADMIT_SCRIPT, keys, args);
    const nw = req.windows.length;
    // The windows' TATs close every reply.
    const windows = (): number[] => r.slice(r.length - nw).map(Number);
    switch (r[0]) {
      case 'ok':
        return { ok: true, budgets: states(r, 1, req.budgets.length), windows: windows() };
      case 'budget':
        return { ok: false, kind: 'budget', index: Number(r[1]), state: states(r, 2, 1)[0], windows: windows() };
      case 'window':
        return { ok: false, kind: 'window', index: Number(r[1]), retryAfterMs: Number(r[2]), windows: windows() };
      case 'slot':
        return { ok: false, kind: 'slot', index: Number(r[1]), windows: windows() };
      default:
        throw new Error(`unexpected reply from the admit script: ${JSON.stringify(r)}`);
    }
  }

  async settle(req: SettleRequest): Promise<SettleResult> {
    const keys = [...req.charges.map((c) => c.key), ...req.adjusts.map((a) => a.key)];
    const args: (string | number)[] = [int(req.now), req.id, req.charges.length, req.adjusts.length];
    for (const c of req.charges) args.push(int(c.start), int(c.end), int(c.amount));
    for (const a of req.adjusts) args.push(a.emission, a.delta);
    args.push(SETTLED_MEMORY_MS);
    const r = await this.run(SETTLE_SCRIPT, keys, args);
    return { budgets: states(r, 0, req.charges.length) };
  }

  async peek(req: PeekRequest): Promise<PeekResult> {
    const { now, budgets: nb, windows: nw, slots: ns } = req;
    const keys = [...nb, ...nw, ...ns];
    const r = (await this.run(PEEK_SCRIPT, keys, [int(now), nb.length, nw.length, ns.length], false)) as (string | number | null)[];
    let i = 0;
    const budgets = nb.map((): BudgetState => {
      const state = { spent: Number(r[i]), reserved: Number(r[i + 1]), end: Number(r[i + 2]) };
      i += 3;
      return state;
    });
    const windows = nw.map(() => Math.max(Number(r[i++] ?? now), now));
    const slots = ns.map(() => Number(r[i++]));
    return { budgets, windows, slots };
  }

  async renew(req: RenewRequest): Promise<void> {
    for (let i = 0; i < req.ids.length; i += RENEW_BATCH) {
      await this.run(RENEW_SCRIPT, [], [int(req.now), int(req.leaseMs), ...req.ids.slice(i, i + RENEW_BATCH)]);
    }
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  /**
   * Holds the socket's writes until the I/O callbacks of this turn of the event loop have
   * run, so that the calls of every request served in it leave in one write, where each
   * was a system call of its own.
   */
  private coalesce(): void {
    const socket = this.redis.stream;
    if (this.corked || !socket) return;
    this.corked = true;
    socket.cork();
    setImmediate(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  /** Runs `s` on `keys` (prefixed here), after the lease keys unless `leases` is false (a script that only reads). */
  private async run(s: Script, keys: string[], args: (string | number)[], leases = true): Promise<Reply> {
    await this.ready();
    const fullKeys = keys.map((k) => this.prefix + k);
    // The lease keys first and the store's clock last, for the scripts that write.
    if (leases) {
      fullKeys.unshift(this.prefix + 'leases', this.prefix + 'lease');
      fullKeys.push(this.prefix + 'clock');
    }
    this.coalesce();
    try {
      return (await this.redis.evalsha(s.sha, fullKeys.length, ...fullKeys, ...args)) as Reply;
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return (await this.redis.eval(s.lua, fullKeys.length, ...fullKeys, ...args)) as Reply;
    }
  }
}

/** Integers as plain digit strings (Redis parses them as int64; never `1e+21`). */
function int(n: number): string {
  return Math.round(n).toString();
}

function states(r: Reply, from: number, count: number): BudgetState[] {
  const out: BudgetState[] = [];
  for (let i = 0; i < count; i++) {
    const j = from + i * 3;
    out.push({ spent: Number(r[j]), reserved: Number(r[j + 1]), end: Number(r[j + 2]) });
  }
  return out;
}
