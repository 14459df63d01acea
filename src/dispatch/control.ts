/**
 * One upstream attempt's abort handle and its single timer. The timer is re-armed as the
 * attempt moves on (first byte → between chunks) and refreshed per chunk instead of
 * creating a timer per chunk. Aborting destroys the upstream body, which closes the socket:
 * a timed-out connection is never returned to the pool.
 *
 * The handle is itself the abort signal handed to the transport: undici accepts any
 * object with `aborted` and add/removeEventListener, and a plain object with a listener
 * list costs a fraction of an AbortController (or an EventEmitter), which matters once
 * per attempt on the hot path.
 */
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

export class AttemptControl extends ClientSignal {
  /** Set when dispatch aborted the attempt (as opposed to the upstream failing). */
  abortedBy: AbortCause | null = null;
  private timer: NodeJS.Timeout | undefined = undefined;
  /** The running timer's duration. */
  private ms = -1;
  private cause: AbortCause = 'attempt_timeout';
  private readonly onTimer = (): void => this.abort(this.cause);

  /**
   * Starts (or restarts) the timer: `ms` from now, the attempt aborts with `cause`. A
   * running timer of the same length is restarted rather than replaced (the attempt and
   * idle timeouts are often equal): cheaper than a clearTimeout and a new Timeout.
   */
  arm(ms: number, cause: AbortCause): void {
    if (this.aborted) return;
    this.cause = cause;
    const d = Math.max(0, ms);
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

  /** Restarts the timer with its last duration (a chunk arrived). */
  refresh(): void {
    this.timer?.refresh();
  }

  /** The cause the timer will abort with. */
  get armedFor(): AbortCause {
    return this.cause;
  }

  clear(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  override abort(cause: AbortCause): void {
    if (this.aborted) return;
    this.abortedBy = cause;
    this.clear();
    super.abort(new AttemptAbortedError(cause));
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
