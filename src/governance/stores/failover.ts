/**
 * What happens when the shared store (Redis) fails: `fail_closed` refuses the
 * request with SY_ERR_UNAVAILABLE (503); `fail_open` serves it and counts in a local
 * MemoryStore until the store answers again. Either way a warning is logged once per
 * outage and the events are counted.
 */
import { SwitchyardError } from '../../errors.js';
import type { CounterStore, AdmitRequest, AdmitResult, PeekRequest, PeekResult, SettleRequest, SettleResult } from '../store.js';
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
};

export class FailoverStore implements CounterStore {
  readonly counters: StoreCounters = { store_errors_total: 0, store_fail_open_total: 0, store_outages_total: 0 };
  private failing = false;

  constructor(
    private readonly primary: CounterStore,
    private readonly mode: OnUnavailable,
    private readonly logger?: GovernanceLogger,
    private readonly fallback: CounterStore = new MemoryStore(),
  ) {}

  admit(req: AdmitRequest): Promise<AdmitResult> {
    return this.guard(() => this.primary.admit(req), () => this.fallback.admit(req));
  }

  settle(req: SettleRequest): Promise<SettleResult> {
    return this.guard(() => this.primary.settle(req), () => this.fallback.settle(req));
  }

  peek(req: PeekRequest): Promise<PeekResult> {
    return this.guard(() => this.primary.peek(req), () => this.fallback.peek(req));
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.fallback.close()]);
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
      this.logger?.warn({}, 'counter store available again');
    }
    return result;
  }
}
