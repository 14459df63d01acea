/**
 * One request's bookkeeping in the attempt loop: the attempts recorded, what failed last,
 * the deadline, the client's abort signal — and, when nothing served, the error to return.
 */
import type { ErrorCode, FallbackReason, SwitchyardError } from '../errors.js';
import type { Failure } from './attempt.js';
import type { AttemptControl } from './control.js';
import { DispatchError } from './errors.js';
import { isForbiddenUpstream } from './headers.js';
import type { UpstreamStream } from './stream.js';
import type { Attempt, DispatchOptions, PlanTarget } from './types.js';

export class Run {
  readonly attempts: Attempt[] = [];
  /** Upstream calls made (targets passed over are recorded but not counted). */
  calls = 0;
  /** The providers called so far, each once: a call to one of these spends the retry budget. */
  readonly called: string[] = [];
  last: Failure | null = null;
  /** `provider/model: ` of the last failure, for the final message. */
  where = '';
  /** Why the last target was passed over without a call, when that is the latest news. */
  lastSkip: FallbackReason | null = null;
  /** The provider the request's admission covers: the primary's, until it moves to a fallback's. */
  admitted = '';
  /** The provider refusal that passed the last target over (budget_exceeded, rate_limit_exceeded). */
  refusal: SwitchyardError | null = null;
  /** The first target's refusal of the request as it is (unsupported_request), and that target's `provider/model: `. */
  unsupportedBy: { err: SwitchyardError; where: string } | null = null;
  lastCall: Attempt | null = null;
  allRateLimited = true;
  allAuth = true;
  minRetryAfterMs = Infinity;
  budgetDenied = false;
  /** The attempt in flight (aborted if the client leaves). */
  current: AttemptControl | null = null;
  /** The calls in flight when a request goes to its target in parts (aborted if the client leaves). */
  parts: AttemptControl[] | null = null;
  /** Index of the first attempt of the last call, or of the last round of parts. */
  private roundStart = 0;
  /** The committed stream (abandoned if the client leaves). */
  stream: UpstreamStream | null = null;
  private listening = false;
  private readonly onAbort = (): void => {
    this.current?.abort('client');
    if (this.parts !== null) for (const c of this.parts) c.abort('client');
    this.stream?.abandon(true);
  };

  constructor(readonly started: number, readonly deadlineAt: number, readonly opts: DispatchOptions) {
    if (!opts.signal.aborted) {
      opts.signal.addEventListener('abort', this.onAbort, { once: true });
      this.listening = true;
    }
  }

  /** Records an upstream call. */
  call(target: PlanTarget, key: string | null, status: number, latency: number, error: string | null, retryOf: number): Attempt {
    this.roundStart = this.attempts.length;
    this.lastCall = this.record(target, key, status, latency, error, retryOf);
    return this.lastCall;
  }

  /** Starts a round of calls, one per part of a request too large for one call (see `call`). */
  beginRound(): void {
    this.roundStart = this.attempts.length;
  }

  /** Records one call of the round begun last: part `index` (of `of`), carrying `inputs` inputs. */
  callPart(target: PlanTarget, key: string | null, status: number, latency: number, error: string | null, retryOf: number, part: Attempt['part']): Attempt {
    this.lastCall = this.record(target, key, status, latency, error, retryOf);
    this.lastCall.part = part;
    return this.lastCall;
  }

  /** Records a target passed over without a call (cooldown, full queue). */
  skip(target: PlanTarget, key: string | null, reason: FallbackReason, message: string): void {
    this.record(target, key, 0, 0, message, -1).fallback_reason = reason;
    this.lastSkip = reason;
  }

  /** Records a target its provider's own budget or rate limit refused (FallbackAdmission#moveTo). */
  refused(target: PlanTarget, key: string | null, err: SwitchyardError): void {
    this.skip(target, key, err.code === 'SY_ERR_BUDGET_EXCEEDED' ? 'budget_exceeded' : 'rate_limit_exceeded', err.message);
    this.refusal = err;
  }

  /**
   * Records a target whose provider cannot take the request as it is: its adapter refused
   * to build it, and nothing was called. Unlike a skip it is no news about the targets that
   * could serve, so the final error still comes from them, if any was tried.
   */
  unsupported(target: PlanTarget, key: string | null, err: SwitchyardError): void {
    this.record(target, key, 0, 0, err.message, -1).fallback_reason = 'unsupported_request';
    this.unsupportedBy ??= { err, where: `${target.provider.id}/${target.model}: ` };
  }

  /** Records a refusal that ends the request without a call (queue policy `drop`). */
  refuse(target: PlanTarget, key: string | null, message: string): void {
    this.record(target, key, 0, 0, message, -1);
  }

  fail(f: Failure, where: string): void {
    this.last = f;
    this.where = where;
    this.lastSkip = null;
    if (f.kind !== 'rate_limited') this.allRateLimited = false;
    else if (f.retryAfterMs !== undefined && f.retryAfterMs < this.minRetryAfterMs) this.minRetryAfterMs = f.retryAfterMs;
    if (f.kind !== 'auth_error') this.allAuth = false;
  }

  abortError(): DispatchError {
    return new DispatchError('SY_ERR_UPSTREAM_ERROR', 'the client closed the connection', this.attempts, { status: 499, clientAborted: true, failure: 'client_abort' });
  }

  /**
   * The error for a request no target served, chosen from what the attempts saw.
   * @param cooldownLeftMs how long a `provider` or `provider#key` still cools down
   */
  finalError(cooldownLeftMs: (id: string) => number): DispatchError {
    // A call whose retry or fallback never happened (attempts, budget or deadline ran out) is
    // the final failure, and so is each failed part of its round.
    if (this.lastCall !== null && this.attempts.at(-1) === this.lastCall) {
      for (let i = this.roundStart; i < this.attempts.length; i++) this.attempts[i].fallback_reason = null;
    }
    const f = this.last;
    // No target could take the request as it is: the first one's refusal is the answer (its
    // 400, naming the client's field), as when the plan has that target alone.
    const u = this.unsupportedBy;
    if (u !== null && f === null && this.attempts.every((a) => a.fallback_reason === 'unsupported_request')) {
      return new DispatchError(u.err.code, u.err.message, this.attempts, { status: u.err.status, details: u.err.details, cause: u.err });
    }
    // The last target's provider could not take it (its budget or rate limit): that is
    // the client's answer, with its Retry-After, as when the router finds every target out.
    if (this.refusal !== null && (this.lastSkip === 'budget_exceeded' || this.lastSkip === 'rate_limit_exceeded')) {
      const r = this.refusal;
      const message = f === null ? r.message : `${r.message} (earlier: ${this.where}${f.message})`;
      return new DispatchError(r.code, message, this.attempts, { retryAfter: r.retryAfter, details: r.details });
    }
    if (f === null) {
      // Targets that could not take the request are left out of what the others were.
      const can = u === null ? '' : ' that can take the request';
      const refused = u === null ? '' : ` (${u.where}${u.err.message})`;
      if (this.lastSkip === 'overloaded') return new DispatchError('SY_ERR_OVERLOADED', `every target${can} is at its concurrency limit${refused}`, this.attempts, { retryAfter: 1 });
      return new DispatchError('SY_ERR_NO_ROUTE', `every target of the plan${can} is cooling down after repeated failures${refused}`, this.attempts, { retryAfter: this.cooldownRetryAfter(cooldownLeftMs) });
    }
    let code: ErrorCode = 'SY_ERR_UPSTREAM_ERROR';
    let retryAfter: number | undefined;
    if (this.allRateLimited) {
      code = 'SY_ERR_UPSTREAM_RATE_LIMITED';
      retryAfter = Number.isFinite(this.minRetryAfterMs) ? Math.max(1, Math.ceil(this.minRetryAfterMs / 1000)) : 1;
    } else if (f.kind === 'timeout') {
      code = 'SY_ERR_UPSTREAM_TIMEOUT';
    } else if (this.allAuth) {
      code = 'SY_ERR_UPSTREAM_AUTH';
    } else if (f.kind === 'overloaded' || this.lastSkip === 'overloaded') {
      code = 'SY_ERR_OVERLOADED';
      retryAfter = 1;
    }
    const message = `${this.where}${f.message}${this.budgetDenied ? ' (retry budget exhausted)' : ''}`;
    return new DispatchError(code, message, this.attempts, retryAfter === undefined ? { failure: f.kind } : { retryAfter, failure: f.kind });
  }

  dispose(): void {
    if (this.listening) {
      this.listening = false;
      this.opts.signal.removeEventListener('abort', this.onAbort);
    }
  }

  private record(target: PlanTarget, key: string | null, status: number, latency: number, error: string | null, retryOf: number): Attempt {
    const a: Attempt = { provider: target.provider.id, model: target.model, key, status, latency_ms: latency, fallback_reason: null, error, retry_of: retryOf < 0 ? null : retryOf };
    this.attempts.push(a);
    return a;
  }

  /** Seconds until the first skipped target leaves its cooldown. */
  private cooldownRetryAfter(left: (id: string) => number): number {
    let ms = Infinity;
    for (const a of this.attempts) {
      if (a.fallback_reason !== 'cooldown') continue;
      const wait = Math.max(left(a.provider), a.key === null ? 0 : left(`${a.provider}#${a.key}`));
      if (wait < ms) ms = wait;
    }
    return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : 1;
  }
}

/** Client headers under the adapter's (which win, but list headers such as anthropic-beta are merged); credentials and hop-by-hop headers never pass. */
export function withClientHeaders(client: Record<string, string>, own: Record<string, string>): Record<string, string> {
  let out: Record<string, string> | null = null;
  for (const name in client) {
    if (isForbiddenUpstream(name)) continue;
    if (own[name] !== undefined) {
      // A list header the provider's config also sets: both lists go, each entry once.
      if (!LIST_HEADERS.has(name)) continue;
      const merged = [...new Set([...own[name].split(','), ...client[name].split(',')].map((v) => v.trim()).filter(Boolean))].join(',');
      if (merged === own[name]) continue;
      out ??= { ...own };
      out[name] = merged;
      continue;
    }
    out ??= { ...own };
    out[name] = client[name];
  }
  return out ?? own;
}

/** Headers whose value is a comma-separated list of features: a client's and the config's are merged. */
const LIST_HEADERS: ReadonlySet<string> = new Set(['anthropic-beta']);
