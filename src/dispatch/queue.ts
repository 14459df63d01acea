/**
 * Provider-isolated concurrency: an in-flight limit with a bounded FIFO queue per
 * provider, so one slow provider never holds the requests of another. What happens when
 * the queue is full is the provider's policy: `error` (the caller moves to its next
 * target, reason `overloaded`), `block` (wait anyway, up to the request's deadline) or
 * `drop` (the caller answers 429 with Retry-After).
 */

import type { AbortLike } from './types.js';

export type QueuePolicy = 'error' | 'block' | 'drop';

export type WaitResult = 'ok' | 'timeout' | 'aborted';

interface Waiter {
  resolve: (r: WaitResult) => void;
  timer: NodeJS.Timeout | undefined;
  signal: AbortLike;
  onAbort: () => void;
  settled: boolean;
}

export class ConcurrencyLimit {
  private inFlight = 0;
  private readonly waiters: Waiter[] = [];
  private head = 0;
  private queued = 0;

  constructor(readonly maxInFlight: number, readonly queueSize: number, readonly policy: QueuePolicy) {}

  /** Takes a slot if one is free. */
  tryAcquire(): boolean {
    if (this.inFlight < this.maxInFlight) {
      this.inFlight++;
      return true;
    }
    return false;
  }

  /** Whether a caller that found no free slot may wait for one. */
  mayWait(): boolean {
    return this.policy === 'block' || this.queued < this.queueSize;
  }

  /** Waits for a slot, in arrival order; `ok` means the slot is the caller's (release it later). */
  wait(signal: AbortLike, timeoutMs: number): Promise<WaitResult> {
    if (signal.aborted) return Promise.resolve('aborted');
    return new Promise<WaitResult>((resolve) => {
      const w: Waiter = { resolve, timer: undefined, signal, onAbort: () => this.settle(w, 'aborted'), settled: false };
      w.timer = setTimeout(() => this.settle(w, 'timeout'), Math.max(0, timeoutMs));
      signal.addEventListener('abort', w.onAbort, { once: true });
      this.waiters.push(w);
      this.queued++;
    });
  }

  /** Returns a slot: handed straight to the oldest waiter, if any. */
  release(): void {
    while (this.head < this.waiters.length) {
      const w = this.waiters[this.head];
      this.waiters[this.head++] = undefined as unknown as Waiter;
      if (w.settled) continue;
      this.compact();
      this.settle(w, 'ok');
      return;
    }
    this.compact();
    this.inFlight--;
  }

  get active(): number {
    return this.inFlight;
  }

  get waiting(): number {
    return this.queued;
  }

  private settle(w: Waiter, r: WaitResult): void {
    if (w.settled) return;
    w.settled = true;
    this.queued--;
    clearTimeout(w.timer);
    w.signal.removeEventListener('abort', w.onAbort);
    w.resolve(r);
  }

  private compact(): void {
    if (this.head === this.waiters.length) {
      this.waiters.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
  }
}
