/**
 * One upstream attempt's abort handle and its single timeout. The timeout is re-armed as
 * the attempt moves on (first byte → between chunks) and refreshed per chunk instead of
 * creating a timer per chunk. Aborting destroys the upstream body, which closes the socket:
 * a timed-out connection is never returned to the pool.
 *
 * A long timeout (SWEPT_MS or more: the defaults are all 30 s or longer) has no timer of
 * its own: it is a deadline that one shared sweep, every SWEEP_MS, compares with the
 * clock. Arming, moving and clearing it are then a few field writes, where a Node timer
 * costs about 1 µs to create (more when its duration's timer list must be made) and
 * again to replace; every attempt arms one before its request is written and moves it
 * when the body begins. A swept timeout never fires early and at most SWEEP_MS late
 * (5 % of the shortest one), plus whatever delays the event loop, as it would a timer.
 * Shorter timeouts (the tests', a deadline nearly spent) keep a precise timer.
 *
 * The handle is itself the abort signal handed to the transport: undici accepts any
 * object with `aborted` and add/removeEventListener, and a plain object with a listener
 * list costs a fraction of an AbortController (or an EventEmitter), which matters once
 * per attempt on the hot path.
 */
import { performance } from 'node:perf_hooks';
import type { AbortLike } from './types.js';

/** Why dispatch aborted an attempt. */
export type AbortCause = 'attempt_timeout' | 'response_timeout' | 'idle_timeout' | 'deadline' | 'client';

/** What a transport needs of an abort signal: an AbortSignal, or these lighter handles. */
export interface AbortSignalLike extends AbortLike {
  readonly reason: unknown;
}

/**
 * A one-shot abort signal with a short listener list: what the server hands dispatch per
 * request. `abort()` runs each listener once, in the order added.
 */
export class ClientSignal implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | null = null;

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const l = this.listeners;
    if (l === null) return;
    const i = l.indexOf(listener);
    if (i >= 0) l.splice(i, 1);
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new Error('aborted');
    const l = this.listeners;
    this.listeners = null;
    if (l !== null) for (const fn of l) fn();
  }
}

/** Timeouts this long (ms) or longer are kept by the sweep. */
const SWEPT_MS = 10_000;
/** How often the sweep runs: the most a swept timeout fires late. */
const SWEEP_MS = 500;

/** The controls with a swept timeout running. */
const swept = new Set<AttemptControl>();
/** Runs while any control is in `swept` (and so keeps the process alive, as a timer would). */
let sweeper: NodeJS.Timeout | undefined;

/**
 * Aborts each control whose swept timeout is due at `now`. The sweep calls it with the
 * clock; tests pass a time of their choosing.
 * @example sweepTimeouts(performance.now() + 600_000) // as if ten minutes had passed
 */
export function sweepTimeouts(now = performance.now()): void {
  if (swept.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
    return;
  }
  for (const c of swept) c.expireBy(now);
}

export class AttemptControl extends ClientSignal {
  /** Set when dispatch aborted the attempt (as opposed to the upstream failing). */
  abortedBy: AbortCause | null = null;
  /** The timer of a short timeout. */
  private timer: NodeJS.Timeout | undefined = undefined;
  /** When (performance.now()) a swept timeout is due; 0 when none runs. */
  private due = 0;
  /** The running timeout's duration. */
  private ms = -1;
  private cause: AbortCause = 'attempt_timeout';
  private readonly onTimer = (): void => this.abort(this.cause);

  /**
   * Starts (or restarts) the timeout: `ms` from now, the attempt aborts with `cause`. A
   * running timer of the same length is restarted rather than replaced (the attempt and
   * idle timeouts are often equal): cheaper than a clearTimeout and a new Timeout.
   */
  arm(ms: number, cause: AbortCause): void {
    if (this.aborted) return;
    this.cause = cause;
    const d = Math.max(0, ms);
    if (d >= SWEPT_MS) {
      if (this.timer !== undefined) this.clearTimer();
      if (this.due === 0) {
        swept.add(this);
        sweeper ??= setInterval(sweepTimeouts, SWEEP_MS);
      }
      this.ms = d;
      this.due = performance.now() + d;
      return;
    }
    if (this.due !== 0) this.unsweep();
    if (this.timer !== undefined) {
      if (d === this.ms) {
        this.timer.refresh();
        return;
      }
      clearTimeout(this.timer);
    }
    this.ms = d;
    this.timer = setTimeout(this.onTimer, d);
  }

  /** Restarts the timeout with its last duration (a chunk arrived). */
  refresh(): void {
    if (this.due !== 0) this.due = performance.now() + this.ms;
    else this.timer?.refresh();
  }

  /** The cause the timeout will abort with. */
  get armedFor(): AbortCause {
    return this.cause;
  }

  clear(): void {
    if (this.timer !== undefined) this.clearTimer();
    if (this.due !== 0) this.unsweep();
  }

  override abort(cause: AbortCause): void {
    if (this.aborted) return;
    this.abortedBy = cause;
    this.clear();
    super.abort(new AttemptAbortedError(cause));
  }

  /** The sweep's check: aborts when the swept timeout is due by `now`. */
  expireBy(now: number): void {
    if (this.due !== 0 && this.due <= now) this.abort(this.cause);
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private unsweep(): void {
    swept.delete(this);
    this.due = 0;
  }
}

export class AttemptAbortedError extends Error {
  constructor(readonly why: AbortCause) {
    super(`attempt aborted: ${why}`);
    this.name = 'AttemptAbortedError';
  }
}

/** The message recorded for an attempt dispatch cut short. */
export function abortMessage(cause: AbortCause, ms: number): string {
  switch (cause) {
    case 'attempt_timeout': return `no response from upstream within ${ms} ms (dispatch.timeouts.attempt_ms)`;
    case 'response_timeout': return `no answer from upstream within ${ms} ms (dispatch.timeouts.response_ms; a non-streamed answer comes whole)`;
    case 'idle_timeout': return `upstream sent nothing for ${ms} ms (dispatch.timeouts.idle_ms)`;
    case 'deadline': return `the request's total deadline passed (dispatch.timeouts.total_ms = ${ms} ms)`;
    case 'client': return 'the client went away';
  }
}
