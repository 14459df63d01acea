/**
 * Gateway-wide retry budget, after Envoy's: repeated calls to a provider within a request
 * (same-target retries, key rotations, a fallback to another of its models) may not
 * exceed `ratio` × the requests of the last second plus `min_per_second`, so an outage
 * cannot multiply the load on a struggling provider. The dispatcher decides which calls
 * spend it: a fallback's first call to another provider does not.
 */
import type { Clock } from './types.js';

const BUCKETS = 10;
const BUCKET_MS = 100;

export class RetryBudget {
  private readonly requests = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);
  private requestTotal = 0;
  private retryTotal = 0;
  /** Absolute index (now / BUCKET_MS) of the current bucket. */
  private current = 0;

  constructor(private readonly ratio: number, private readonly minPerSecond: number, private readonly clock: Clock) {
    this.current = Math.floor(clock.now() / BUCKET_MS);
  }

  /** Counts a request entering dispatch. */
  recordRequest(): void {
    const i = this.advance();
    this.requests[i]++;
    this.requestTotal++;
  }

  /** Takes one retry from the budget; false when the budget is spent. */
  tryAcquire(): boolean {
    const i = this.advance();
    if (this.retryTotal + 1 > this.ratio * this.requestTotal + this.minPerSecond) return false;
    this.retries[i]++;
    this.retryTotal++;
    return true;
  }

  /** Retries still allowed in the current window. */
  remaining(): number {
    this.advance();
    return Math.max(0, Math.floor(this.ratio * this.requestTotal + this.minPerSecond - this.retryTotal));
  }

  /** Drops the buckets that slid out of the one-second window; returns the current bucket's slot. */
  private advance(): number {
    const b = Math.floor(this.clock.now() / BUCKET_MS);
    if (b > this.current) {
      const steps = Math.min(b - this.current, BUCKETS);
      for (let s = 1; s <= steps; s++) {
        const i = (this.current + s) % BUCKETS;
        this.requestTotal -= this.requests[i];
        this.retryTotal -= this.retries[i];
        this.requests[i] = 0;
        this.retries[i] = 0;
      }
      this.current = b;
    }
    return this.current % BUCKETS;
  }
}
