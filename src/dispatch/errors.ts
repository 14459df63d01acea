/** The error dispatch throws when no target served the request. */
import { SwitchyardError, type ErrorCode } from '../errors.js';
import type { Attempt } from './types.js';

/**
 * A SwitchyardError that also carries every attempt made (and every target skipped), for
 * the audit event. `clientAborted` marks a request whose client went away: nothing is
 * sent back, but the attempts are still recorded.
 */
export class DispatchError extends SwitchyardError {
  readonly attempts: Attempt[];
  readonly clientAborted: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    attempts: Attempt[],
    opts: { status?: number; retryAfter?: number; details?: Record<string, unknown>; cause?: unknown; clientAborted?: boolean } = {},
  ) {
    super(code, message, opts);
    this.name = 'DispatchError';
    this.attempts = attempts;
    this.clientAborted = opts.clientAborted ?? false;
  }
}
