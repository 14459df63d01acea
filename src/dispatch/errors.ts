/** The error dispatch throws when no target served the request. */
import { SwitchyardError, type ErrorCode } from '../errors.js';
import type { FailureKind } from './attempt.js';
import type { Attempt } from './types.js';

/**
 * A SwitchyardError that also carries every attempt made (and every target skipped), for
 * the audit event. `clientAborted` marks a request whose client went away: nothing is
 * sent back, but the attempts are still recorded.
 */
export class DispatchError extends SwitchyardError {
  readonly attempts: Attempt[];
  readonly clientAborted: boolean;
  /**
   * Why the last upstream call failed. Its attempt has no fallback_reason (nothing came
   * after it), but metrics count it by this, as they count the calls before it.
   */
  readonly failure: FailureKind | null;

  constructor(
    code: ErrorCode,
    message: string,
    attempts: Attempt[],
    opts: { status?: number; retryAfter?: number; details?: Record<string, unknown>; cause?: unknown; clientAborted?: boolean; failure?: FailureKind } = {},
  ) {
    super(code, message, opts);
    this.name = 'DispatchError';
    this.attempts = attempts;
    this.clientAborted = opts.clientAborted ?? false;
    this.failure = opts.failure ?? null;
  }
}
