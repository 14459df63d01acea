/**
 * One upstream attempt's abort handle and its single timer. The timer is re-armed as the
 * attempt moves on (first byte → between chunks) and refreshed per chunk instead of
 * creating a timer per chunk. Aborting destroys the upstream body, which closes the socket:
 * a timed-out connection is never returned to the pool.
 *
 * The handle is itself the abort signal handed to the transport: undici accepts an
 * EventEmitter with `aborted`, and building one costs a fraction of an AbortController,
 * which matters once per attempt on the hot path.
 */
import { EventEmitter } from 'node:events';

/** Why dispatch aborted an attempt. */
export type AbortCause = 'attempt_timeout' | 'idle_timeout' | 'deadline' | 'client';

/** What a transport needs of an abort signal: an AbortSignal, or this lighter emitter. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
}

export class AttemptControl extends EventEmitter implements AbortSignalLike {
  /** Set when dispatch aborted the attempt (as opposed to the upstream failing). */
  abortedBy: AbortCause | null = null;
  aborted = false;
  reason: unknown = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  private cause: AbortCause = 'attempt_timeout';
  private readonly onTimer = (): void => this.abort(this.cause);

  /** Starts (or restarts) the timer: `ms` from now, the attempt aborts with `cause`. */
  arm(ms: number, cause: AbortCause): void {
    if (this.aborted) return;
    this.cause = cause;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(this.onTimer, Math.max(0, ms));
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

  abort(cause: AbortCause): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortedBy = cause;
    this.reason = new AttemptAbortedError(cause);
    this.clear();
    this.emit('abort');
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
    case 'idle_timeout': return `upstream sent nothing for ${ms} ms (dispatch.timeouts.idle_ms)`;
    case 'deadline': return `the request's total deadline passed (dispatch.timeouts.total_ms = ${ms} ms)`;
    case 'client': return 'the client went away';
  }
}
