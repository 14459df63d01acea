/**
 * What happens when the shared store (Redis) fails: `fail_closed` refuses the
 * request with SY_ERR_UNAVAILABLE (503); `fail_open` serves it and counts in a local
 * MemoryStore until the store answers again. Either way a warning is logged once per
 * outage and the events are counted.
 *
 * Under `fail_open` the spend of requests settled locally is owed to the shared store:
 * their settlements are kept and sent to it once it answers again (it charges a
 * settlement id once, and closes a reservation it took before the outage), so a shared
 * budget counts what every gateway spent while it was down. Rate-limit windows are not
 * corrected there for requests admitted locally: a settlement's window adjustments are
 * relative to what its admission took, which the shared store never took for them.
 */
import { SwitchyardError } from '../../errors.js';
import type { CounterStore, AdmitRequest, AdmitResult, PeekRequest, PeekResult, RenewRequest, SettleRequest, SettleResult } from '../store.js';
import { MemoryStore } from './memory.js';
import type { GovernanceLogger } from '../logger.js';

export type OnUnavailable = 'fail_open' | 'fail_closed';

// A type, not an interface, so it fits CounterStore's Record<string, number>.
export type StoreCounters = {
  /** Store calls that failed. */
  store_errors_total: number;
  /** Of those, calls served from the local fallback (fail_open). */
  store_fail_open_total: number;
  /** Outages: transitions from healthy to failing. */
  store_outages_total: number;
  /** Settlements made locally under fail_open, sent to the shared store once it answered again. */
  store_settlements_replayed_total: number;
  /** Of those, given up: more owed than MAX_OWED, or still owed at close. */
  store_settlements_lost_total: number;
};

/** Settlements owed to the shared store at most; past this the oldest are given up (and counted). */
export const MAX_OWED = 100_000;

/** How often settlements still owed are sent again when no request has found the store back. */
export const REPLAY_RETRY_MS = 1000;

export class FailoverStore implements CounterStore {
  readonly counters: StoreCounters = { store_errors_total: 0, store_fail_open_total: 0, store_outages_total: 0, store_settlements_replayed_total: 0, store_settlements_lost_total: 0 };
  private failing = false;
  /** Settlements made locally while the shared store was down (fail_open), oldest first. */
  private owed: SettleRequest[] = [];
  /** Leases admitted by the local fallback and not settled yet, oldest first (at most MAX_OWED). */
  private readonly local = new Set<string>();
  private replaying: Promise<void> | null = null;
  private replayTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly primary: CounterStore,
    private readonly mode: OnUnavailable,
    private readonly logger?: GovernanceLogger,
    private readonly fallback: CounterStore = new MemoryStore(),
    private readonly replayRetryMs = REPLAY_RETRY_MS,
  ) {}

  admit(req: AdmitRequest): Promise<AdmitResult> {
    return this.guard(() => this.primary.admit(req).catch((err: unknown) => {
      // The admission may have run with its answer lost (Redis answered after the
      // timeout). Refused (fail_closed), the request never settles: its lease is closed
      // now rather than holding its reservations and slots until it expires. Sent after
      // the admission on the same connection, the release runs after it. (Under
      // fail_open the request is served and its settlement, same id, closes the lease.)
      if (this.mode === 'fail_closed') this.primary.settle({ id: req.id, now: req.now, charges: [], adjusts: [] }).catch(() => undefined);
      throw err;
    }), async () => {
      const r = await this.fallback.admit(req);
      if (r.ok) this.admittedLocally(req.id);
      return r;
    });
  }

  settle(req: SettleRequest): Promise<SettleResult> {
    // Admitted locally: the shared store never took its window units, so it gets no
    // correction of them (returning a released request's units would free others').
    const shared = this.local.delete(req.id) && req.adjusts.length > 0 ? { ...req, adjusts: [] } : req;
    return this.guard(() => this.primary.settle(shared), () => {
      this.owe(shared);
      return this.fallback.settle(req);
    });
  }

  private admittedLocally(id: string): void {
    this.local.add(id);
    // A lease never settled (it expires locally) is forgotten with the oldest.
    if (this.local.size > MAX_OWED) this.local.delete(this.local.values().next().value as string);
  }

  /** Settlements still owed to the shared store. */
  get owedCount(): number {
    return this.owed.length;
  }

  peek(req: PeekRequest): Promise<PeekResult> {
    return this.guard(() => this.primary.peek(req), () => this.fallback.peek(req));
  }

  renew(req: RenewRequest): Promise<void> {
    // Each store renews the leases it holds and ignores the others: those admitted
    // locally while the shared store was down live in the fallback.
    void this.fallback.renew(req);
    return this.guard(() => this.primary.renew(req), () => Promise.resolve());
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.replayTimer) clearTimeout(this.replayTimer);
    this.replayTimer = null;
    // One more try for what is owed, then it is counted and logged as lost.
    if (this.owed.length > 0) await (this.replaying ?? this.replay());
    if (this.owed.length > 0) {
      this.counters.store_settlements_lost_total += this.owed.length;
      this.logger?.warn({ settlements: this.owed.length }, 'counter store still unavailable at shutdown: spend settled locally while it was down is lost to the shared budgets');
      this.owed = [];
    }
    await Promise.all([this.primary.close(), this.fallback.close()]);
  }

  private owe(req: SettleRequest): void {
    this.owed.push(req);
    if (this.owed.length > MAX_OWED) {
      this.owed.shift();
      this.counters.store_settlements_lost_total++;
    }
    this.replayLater();
  }

  /**
   * Tries the owed settlements again after a while: a request that finds the store back
   * sends them at once, but a gateway may get none that uses it (idle, or serving only
   * callers without budgets or limits), and reservations taken before the outage stay
   * held in the shared store until their settlements arrive.
   */
  private replayLater(): void {
    if (this.replayTimer !== null || this.closed) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = null;
      void (this.replaying ?? this.replay()).then(() => {
        if (this.owed.length > 0) this.replayLater();
      });
    }, this.replayRetryMs);
    this.replayTimer.unref();
  }

  /** Sends the owed settlements to the shared store in order, stopping at the first failure. */
  private replay(): Promise<void> {
    this.replaying ??= (async () => {
      try {
        while (this.owed.length > 0) {
          try {
            await this.primary.settle(this.owed[0]);
          } catch {
            return;
          }
          this.owed.shift();
          this.counters.store_settlements_replayed_total++;
        }
      } finally {
        this.replaying = null;
      }
    })();
    return this.replaying;
  }

  private async guard<T>(primary: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await primary();
    } catch (err) {
      this.counters.store_errors_total++;
      if (!this.failing) {
        this.failing = true;
        this.counters.store_outages_total++;
        this.logger?.warn(
          { err, on_unavailable: this.mode },
          this.mode === 'fail_open'
            ? 'counter store unavailable: serving with local counters (budgets and limits are per process until it returns)'
            : 'counter store unavailable: refusing requests (on_unavailable: fail_closed)',
        );
      }
      if (this.mode === 'fail_closed') {
        throw new SwitchyardError('SY_ERR_UNAVAILABLE', 'The budget and rate-limit store is unavailable', { retryAfter: 1, cause: err });
      }
      this.counters.store_fail_open_total++;
      return local();
    }
    if (this.failing) {
      this.failing = false;
      this.logger?.warn({ owed_settlements: this.owed.length }, 'counter store available again');
    }
    if (this.owed.length > 0 && this.replaying === null) void this.replay();
    return result;
  }
}
