/**
 * Every error a client or operator can see, as data: a stable code, an HTTP status,
 * and its rendering in each client dialect. Match on `code`, never on message text.
 */
import type { Dialect } from './canonical.js';
import type { RateStanding } from './governance/rate-limits.js';

export interface ErrorSpec {
  status: number;
  /** OpenAI error `type`. */
  openaiType: string;
  /** Anthropic error `type`. */
  anthropicType: string;
  /** What the code means, for the README's error table (a test keeps them in sync). */
  doc: string;
  /**
   * The code OpenAI's own API gives the same error, which an OpenAI-dialect body carries in
   * place of the gateway's: clients recover from it by that code.
   */
  openaiCode?: string;
  /**
   * The status Anthropic's own API gives the same error, when it is not `status`: an
   * Anthropic-dialect answer has it, since the Anthropic SDK and Claude Code tell the
   * error apart by it.
   */
  anthropicStatus?: number;
}

export const ERRORS = {
  SY_ERR_BAD_REQUEST: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', doc: 'The body is not a valid request for this endpoint.' },
  SY_ERR_INVALID_JSON: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', doc: 'The body is not well-formed JSON.' },
  SY_ERR_JSON_TOO_DEEP: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', doc: 'The body nests deeper than server.max_json_depth.' },
  SY_ERR_FORBIDDEN_KEY: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', doc: 'The body contains a __proto__ key, or a constructor key holding a prototype key.' },
  SY_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', doc: 'The body is not application/json, or comes in a content coding the gateway does not decode.' },
  SY_ERR_REQUEST_TIMEOUT: { status: 408, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', doc: 'The request did not arrive in full within server.request_timeout_ms; the connection is closed.' },
  SY_ERR_HEADERS_TOO_LARGE: { status: 431, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', doc: 'The request headers exceed the server\'s limit (16 KB in all); the connection is closed.' },
  SY_ERR_BODY_TOO_LARGE: { status: 413, openaiType: 'invalid_request_error', anthropicType: 'request_too_large', doc: 'The body exceeds server.body_limit_bytes.' },
  SY_ERR_PREVIOUS_RESPONSE_NOT_FOUND: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', openaiCode: 'previous_response_not_found', doc: 'The answer previous_response_id names is not kept; resend the whole conversation (OpenAI-dialect bodies carry OpenAI\'s code for it, previous_response_not_found).' },
  SY_ERR_UNKNOWN_MODEL: { status: 404, openaiType: 'invalid_request_error', anthropicType: 'not_found_error', doc: 'No configured provider serves the requested model.' },
  SY_ERR_MODEL_NOT_ALLOWED: { status: 403, openaiType: 'invalid_request_error', anthropicType: 'permission_error', doc: 'The caller may not use the requested model or provider, or the model has no price and governance.unknown_price is block (details.reason: unknown_price).' },
  SY_ERR_NOT_FOUND: { status: 404, openaiType: 'invalid_request_error', anthropicType: 'not_found_error', doc: 'No such route.' },
  SY_ERR_METHOD_NOT_ALLOWED: { status: 405, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', doc: 'An inference route was called with another method than POST; the Allow header says POST.' },
  SY_ERR_UNAUTHORIZED: { status: 401, openaiType: 'invalid_request_error', anthropicType: 'authentication_error', doc: 'Missing, unknown or disabled virtual key.' },
  SY_ERR_ADMIN_UNAUTHORIZED: { status: 401, openaiType: 'invalid_request_error', anthropicType: 'authentication_error', doc: 'Missing or wrong admin credential.' },
  SY_ERR_BUDGET_EXCEEDED: { status: 429, openaiType: 'insufficient_quota', anthropicType: 'rate_limit_error', doc: 'A budget that applies to the caller is exhausted, or a provider\'s own budget left no target to serve the request (then with Retry-After until it resets).' },
  SY_ERR_RATE_LIMITED: { status: 429, openaiType: 'rate_limit_exceeded', anthropicType: 'rate_limit_error', doc: 'A rate limit that applies to the caller is exhausted, a provider\'s own limit left no target to serve the request, or a provider queue dropped the request; see Retry-After.' },
  SY_ERR_UPSTREAM_RATE_LIMITED: { status: 429, openaiType: 'rate_limit_exceeded', anthropicType: 'rate_limit_error', doc: 'Every target answered 429; see Retry-After.' },
  SY_ERR_OVERLOADED: { status: 503, openaiType: 'server_error', anthropicType: 'overloaded_error', anthropicStatus: 529, doc: 'Every target is overloaded or its queue is full, or the gateway is out of file descriptors for a connection to them (529 to an Anthropic-dialect client, as Anthropic answers its own overloads).' },
  SY_ERR_UPSTREAM_ERROR: { status: 502, openaiType: 'server_error', anthropicType: 'api_error', doc: 'Every target failed with a server or connection error.' },
  SY_ERR_UPSTREAM_TIMEOUT: { status: 504, openaiType: 'server_error', anthropicType: 'timeout_error', doc: 'A timeout (attempt_ms, response_ms, idle_ms, the upstream header or body timeout, or the total deadline) ended the last attempt before any target answered.' },
  SY_ERR_UPSTREAM_CLIENT_ERROR: { status: 400, openaiType: 'invalid_request_error', anthropicType: 'invalid_request_error', doc: 'The provider rejected the request as invalid (passed through, never retried); with the provider\'s own 4xx status when it gave another (404, 413, 422).' },
  SY_ERR_UPSTREAM_AUTH: { status: 502, openaiType: 'server_error', anthropicType: 'api_error', doc: 'Every key of every target was refused by its provider.' },
  SY_ERR_STREAM_INTERRUPTED: { status: 502, openaiType: 'server_error', anthropicType: 'api_error', doc: 'The upstream stream broke after the response had started.' },
  SY_ERR_NO_ROUTE: { status: 503, openaiType: 'server_error', anthropicType: 'api_error', doc: 'No healthy target can serve the request.' },
  SY_ERR_UNAVAILABLE: { status: 503, openaiType: 'server_error', anthropicType: 'api_error', doc: 'The gateway is starting or shutting down, or a required store is down.' },
  SY_ERR_INTERNAL: { status: 500, openaiType: 'server_error', anthropicType: 'api_error', doc: 'A bug in the gateway; the request id is in the logs.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error with a stable code, rendered in the client's dialect by the server. */
export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds, for 429/503 answers. */
  retryAfter?: number;
  /** Extra fields for the body (`param`, the budget level, ...). */
  readonly details?: Record<string, unknown>;
  /** A refused admission's view of the caller's rate limits, for the refusal's rate-limit headers. */
  limits?: { at(now: number): RateStanding | null };

  constructor(code: ErrorCode, message: string, opts: { status?: number; retryAfter?: number; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.status = opts.status ?? ERRORS[code].status;
    this.retryAfter = opts.retryAfter;
    this.details = opts.details;
  }
}

/**
 * The longest Retry-After, in seconds, a refusal leaves to the client's SDK to wait out.
 * The OpenAI and Anthropic SDKs sleep for whatever Retry-After says before their next
 * try (days, for a budget that resets next month), and their Python SDKs, like older
 * JavaScript ones, ignore a wait over a minute and retry at once instead.
 */
export const MAX_RETRY_WAIT_S = 60;

/**
 * `false` when retrying cannot fix the refusal soon: a budget of the caller's that is spent
 * (it resets with its period), or a wait longer than MAX_RETRY_WAIT_S. Sent as
 * `x-should-retry`, which the official SDKs and Claude Code obey before their own rules (a
 * 429 or a 5xx is otherwise retried); undefined leaves the SDK's rules to decide.
 */
export function shouldRetry(err: SwitchyardError): false | undefined {
  if (err.code === 'SY_ERR_BUDGET_EXCEEDED' && err.retryAfter === undefined) return false;
  if (err.retryAfter !== undefined && err.retryAfter > MAX_RETRY_WAIT_S) return false;
  return undefined;
}

/** Sets the headers that tell the client whether and when to retry: `retry-after` (whole seconds, at least 0) and `x-should-retry`. */
export function setRetryHeaders(err: SwitchyardError, reply: { header(name: string, value: string): unknown }): void {
  if (err.retryAfter !== undefined) reply.header('retry-after', String(Math.max(0, Math.ceil(err.retryAfter))));
  if (shouldRetry(err) === false) reply.header('x-should-retry', 'false');
}

/** Anthropic's error type for a 4xx status, as its own API names them. */
const ANTHROPIC_CLIENT_ERROR_TYPES: Readonly<Record<number, string>> = {
  401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 413: 'request_too_large',
};

/** The status an error is answered with in the client's dialect. */
export function statusIn(dialect: Dialect, err: SwitchyardError): number {
  if (dialect !== 'anthropic') return err.status;
  const spec: ErrorSpec = ERRORS[err.code];
  return spec.anthropicStatus !== undefined && err.status === spec.status ? spec.anthropicStatus : err.status;
}

/** The error body in the client's dialect. */
export function renderError(dialect: Dialect, err: SwitchyardError): Record<string, unknown> {
  const spec: ErrorSpec = ERRORS[err.code];
  if (dialect === 'anthropic') {
    // A provider's refusal passed through keeps its status: Anthropic's type for it.
    const type = err.code === 'SY_ERR_UPSTREAM_CLIENT_ERROR' ? ANTHROPIC_CLIENT_ERROR_TYPES[err.status] ?? spec.anthropicType : spec.anthropicType;
    return { type: 'error', error: { type, code: err.code, message: err.message, ...err.details } };
  }
  return { error: { message: err.message, type: spec.openaiType, code: spec.openaiCode ?? err.code, param: (err.details?.param as string | undefined) ?? null, ...err.details } };
}

/** Why an attempt ended and the dispatcher moved on (DESIGN.md, audit event `fallback_reason`). */
export const FALLBACK_REASONS = [
  'rate_limited', 'server_error', 'timeout', 'connection_error', 'stream_error', 'auth_error',
  'overloaded', 'cooldown', 'budget_exceeded', 'rate_limit_exceeded', 'model_not_allowed',
  'unsupported_request',
] as const;
export type FallbackReason = (typeof FALLBACK_REASONS)[number];
