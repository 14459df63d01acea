/**
 * One upstream attempt: send, then either read and parse the whole body, or decode the
 * stream up to the commit point. Every way it can go wrong comes back as a Failure with
 * its class, never as a throw.
 */
import type { Readable } from 'node:stream';
import type { StreamEvent } from '../canonical.js';
import type { FallbackReason } from '../errors.js';
import type { ProviderAdapter, ProviderSettings, StreamDecoder } from '../providers/types.js';
import { UNTERMINATED } from '../wire/sse.js';
import { kindForStatus, readErrorBody } from '../wire/upstream-error.js';
import { readBody } from './body.js';
import { BAD_CODING, decodeBody } from './encoding.js';
import { abortMessage, type AbortCause, type AttemptControl } from './control.js';
import { UpstreamStream } from './stream.js';
import { classifyTransportError, type ResponseHeaders, type Transport, type WireRequest } from './transport.js';
import type { Clock, DispatchTiming } from './types.js';

/** Error bodies are read only for their message. */
const ERROR_BODY_LIMIT = 64 * 1024;

export type FailureKind = FallbackReason | 'client_error' | 'client_abort';

export interface Failure {
  ok: false;
  kind: FailureKind;
  /** Upstream status; 0 when none arrived. */
  status: number;
  message: string;
  retryAfterMs?: number;
  /** The gateway's own failure (out of file descriptors): the provider is not to blame. */
  local?: true;
}

export interface Parsed<T> {
  ok: true;
  status: number;
  value: T;
  /** The body as it arrived, which `value` was parsed from. */
  text: string;
}

export interface Committed {
  ok: true;
  status: number;
  stream: UpstreamStream;
  /** Events up to and including the first content-bearing one. */
  first: StreamEvent[];
}

export interface AttemptEnv {
  transport: Transport;
  clock: Clock;
  attemptMs: number;
  idleMs: number;
  totalMs: number;
  maxResponseBytes: number;
  /** Hides the config's secrets in a provider's text (error messages): DispatcherOptions.redact. */
  redact: (text: string) => string;
}

export interface AttemptSpec {
  spec: WireRequest;
  provider: ProviderSettings;
  adapter: ProviderAdapter;
  control: AttemptControl;
  /** Absolute (clock ms) end of the request's total deadline. */
  deadlineAt: number;
  /**
   * A non-streamed chat call: the whole answer comes before the first byte, so the call has
   * this long (dispatch.timeouts.response_ms) instead of env.attemptMs, and undici's headers
   * and body timeouts are raised to it. The total deadline bounds when such a call may
   * start (retries, fallbacks, waits), not the generation it is waiting for.
   */
  responseMs?: number;
  timing?: DispatchTiming;
  /** Set by the attempt once headers arrive: the provider's id for the call (upstreamRequestId). */
  upstreamId: string | undefined;
}

/** Where providers put their id for a request: Anthropic, OpenAI and most OpenAI-compatible servers, Azure. */
const REQUEST_ID_HEADERS = ['request-id', 'x-request-id', 'apim-request-id'] as const;
const SAFE_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

/** The provider's id for a call, from its response headers; undefined when it sent none fit to record. */
export function upstreamRequestId(headers: ResponseHeaders): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const v = headers[name];
    if (typeof v === 'string' && SAFE_ID.test(v)) return v;
  }
  return undefined;
}

function aborted(env: AttemptEnv, a: AttemptSpec, cause: AbortCause, status: number): Failure {
  if (cause === 'client') return { ok: false, kind: 'client_abort', status, message: abortMessage(cause, 0) };
  const ms = cause === 'attempt_timeout' ? env.attemptMs : cause === 'response_timeout' ? a.responseMs ?? env.attemptMs : cause === 'idle_timeout' ? env.idleMs : env.totalMs;
  return { ok: false, kind: 'timeout', status, message: abortMessage(cause, ms) };
}

function thrown(env: AttemptEnv, a: AttemptSpec, err: unknown, status: number): Failure {
  if (a.control.abortedBy !== null) return aborted(env, a, a.control.abortedBy, status);
  const c = classifyTransportError(err);
  return c.local ? { ok: false, kind: c.kind, status, message: c.message, local: true } : { ok: false, kind: c.kind, status, message: c.message };
}

/** The message of a body that did not decode as its content-encoding says; undefined for any other error. */
function codingFailure(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === BAD_CODING && typeof e.message === 'string' ? e.message : undefined;
}

/** Sends the request; on a non-2xx answer reads the error body and lets the adapter classify it. */
interface Opened {
  ok: true;
  status: number;
  headers: ResponseHeaders;
  body: Readable;
}

async function open(env: AttemptEnv, a: AttemptSpec): Promise<Opened | Failure> {
  const left = a.deadlineAt - env.clock.now();
  if (a.responseMs !== undefined) a.control.arm(a.responseMs, 'response_timeout');
  else if (left < env.attemptMs) a.control.arm(left, 'deadline');
  else a.control.arm(env.attemptMs, 'attempt_timeout');
  let res;
  try {
    // The transport writes the request before it first waits, so this is when it left.
    const sending = env.transport.send(a.spec, a.responseMs === undefined ? { signal: a.control, provider: a.provider } : { signal: a.control, provider: a.provider, waitMs: a.responseMs });
    if (a.timing !== undefined && a.timing.sentAt === 0) a.timing.sentAt = performance.now();
    res = await sending;
  } catch (err) {
    a.control.clear();
    return thrown(env, a, err, 0);
  }
  a.upstreamId = upstreamRequestId(res.headers);
  const decoded = decodeBody(res.headers, res.body);
  if ('unsupported' in decoded) {
    res.body.on('error', () => {});
    res.body.destroy();
    a.control.clear();
    const kind = res.status >= 200 && res.status < 300 ? 'server_error' : a.adapter.classifyError(res.status, res.headers, '').kind;
    return { ok: false, kind, status: res.status, message: `upstream answered HTTP ${res.status} in content-encoding ${decoded.unsupported}, which the gateway does not decode` };
  }
  const body = decoded.body;
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, headers: res.headers, body };
  let text = '';
  let undecoded: string | undefined;
  try {
    text = await readBody(body, ERROR_BODY_LIMIT, true);
  } catch (err) {
    if (a.control.abortedBy !== null) return aborted(env, a, a.control.abortedBy, res.status);
    undecoded = codingFailure(err);
  }
  a.control.clear();
  const info = a.adapter.classifyError(res.status, res.headers, text);
  const f: Failure = { ok: false, kind: info.kind, status: res.status, message: undecoded === undefined ? info.message : `upstream returned HTTP ${res.status}; ${undecoded}` };
  if (info.retryAfterMs !== undefined) f.retryAfterMs = info.retryAfterMs;
  return f;
}

/** Arms the idle timer, or the deadline when that comes first. */
function idle(env: AttemptEnv, a: AttemptSpec): void {
  const left = a.deadlineAt - env.clock.now();
  if (left < env.idleMs) a.control.arm(left, 'deadline');
  else a.control.arm(env.idleMs, 'idle_timeout');
}

/** A non-streaming attempt: the whole body, parsed by `parse` (which throws on a malformed one). */
export async function attemptJson<T>(env: AttemptEnv, a: AttemptSpec, parse: (body: unknown) => T): Promise<Parsed<T> | Failure> {
  const res = await open(env, a);
  if (!res.ok) return res;
  // A non-streamed chat answer keeps the response_ms timer armed in open until its body
  // begins (a server may send its headers first and the answer when it is done); from the
  // first chunk on, a gap longer than idle_ms is a stall, as for any body.
  if (a.responseMs === undefined) idle(env, a);
  let text: string;
  try {
    text = await readBody(res.body, env.maxResponseBytes, false, () => {
      if (a.control.armedFor === 'response_timeout') return void a.control.arm(env.idleMs, 'idle_timeout');
      // Refresh the idle timer per chunk, unless that would run past the deadline (which
      // a non-streamed chat call, already answering, does not heed).
      if (a.control.armedFor === 'deadline') return;
      if (a.responseMs !== undefined || env.clock.now() + env.idleMs <= a.deadlineAt) a.control.refresh();
      else idle(env, a);
    });
  } catch (err) {
    a.control.clear();
    if (a.control.abortedBy === null && (err as { code?: string }).code === 'SY_DISPATCH_RESPONSE_TOO_LARGE') {
      return { ok: false, kind: 'server_error', status: res.status, message: (err as Error).message };
    }
    return thrown(env, a, err, res.status);
  }
  if (a.timing !== undefined) a.timing.receivedAt = performance.now();
  a.control.clear();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const what = readErrorBody(res.status, text).message;
    return { ok: false, kind: 'server_error', status: res.status, message: `upstream answered ${res.status} with a body that is not JSON (${what})` };
  }
  try {
    return { ok: true, status: res.status, value: parse(json), text };
  } catch (err) {
    return { ok: false, kind: 'server_error', status: res.status, message: err instanceof Error ? err.message : String(err) };
  }
}

/** Classes for an error event that arrives before the commit point. */
function streamErrorKind(ev: { status?: number; errorType?: string }): FallbackReason {
  const t = ev.errorType ?? '';
  if (t.includes('overloaded')) return 'overloaded';
  if (t.includes('rate_limit')) return 'rate_limited';
  if (ev.status !== undefined) {
    const k = kindForStatus(ev.status);
    if (k !== 'client_error') return k;
  }
  return 'stream_error';
}

/**
 * A stream request answered with a whole body (a proxy's page, a JSON error): the message
 * in it, classed by the error's type or code as an error event would be.
 */
function notAStream(status: number, text: string, what: string): Failure {
  const body = readErrorBody(status, text);
  const e = body.error;
  let kind: FallbackReason = 'server_error';
  if (e !== undefined) {
    const type = e.type ?? e.status ?? e.code;
    const k = streamErrorKind({ errorType: typeof type === 'string' ? type : undefined, status: typeof e.code === 'number' ? e.code : undefined });
    if (k !== 'stream_error') kind = k;
  }
  return { ok: false, kind, status, message: `upstream answered a stream request with ${what}: ${body.message}` };
}

/**
 * A streaming attempt, run up to the commit point: the response headers and then the
 * first events up to the first content-bearing one must arrive intact. Until then
 * nothing has reached the client, so any failure — including an error sent as the
 * first SSE event — is an ordinary failed attempt that may fall back. The returned
 * stream has its remaining events buffered or on the way.
 */
export async function attemptStream(env: AttemptEnv, a: AttemptSpec, decoder: StreamDecoder): Promise<Committed | Failure> {
  const res = await open(env, a);
  if (!res.ok) return res;
  const ct = res.headers['content-type'];
  const type = (Array.isArray(ct) ? ct[0] : ct) ?? '';
  if (type.includes('json') || type.includes('html')) {
    let text = '';
    let undecoded: string | undefined;
    try {
      text = await readBody(res.body, ERROR_BODY_LIMIT, true);
    } catch (err) {
      undecoded = codingFailure(err);
    }
    a.control.clear();
    if (a.control.abortedBy !== null) return aborted(env, a, a.control.abortedBy, res.status);
    if (undecoded !== undefined) return { ok: false, kind: 'server_error', status: res.status, message: `upstream answered a stream request with ${type}: ${undecoded}` };
    return notAStream(res.status, text, type);
  }
  const stream = new UpstreamStream(res.body, decoder, a.control, { clock: env.clock, idleMs: env.idleMs, deadlineAt: a.deadlineAt, totalMs: env.totalMs }, env.maxResponseBytes, env.redact);
  const first: StreamEvent[] = [];
  for (;;) {
    const r = await stream.next();
    if (r.done) {
      if (a.control.abortedBy !== null) return aborted(env, a, a.control.abortedBy, res.status);
      return { ok: false, kind: 'stream_error', status: res.status, message: 'upstream stream ended before any content' };
    }
    const ev = r.value;
    if (ev.type === 'error') {
      stream.abandon(false);
      if (a.control.abortedBy === 'client') return aborted(env, a, 'client', res.status);
      const f = stream.failure;
      if (f !== null) return { ok: false, kind: f.kind, status: res.status, message: f.message };
      // Nothing decoded, and what came opens as JSON or HTML (which no SSE field can): an
      // error body under a stream's content-type, or none. Its words, not "cut short".
      if (first.length === 0 && ev.message === UNTERMINATED && /^\s*[[{<]/.test(stream.prelude)) return notAStream(res.status, stream.prelude, 'a body that is not SSE');
      return { ok: false, kind: streamErrorKind(ev), status: res.status, message: `upstream stream error before any content: ${ev.message}` };
    }
    first.push(ev);
    if (ev.type !== 'start') break;
  }
  stream.commit();
  if (a.timing !== undefined) a.timing.receivedAt = stream.lastChunkAt;
  return { ok: true, status: res.status, stream, first };
}
