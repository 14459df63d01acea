/**
 * Classification of a provider's non-2xx answer, shared by every wire format. The
 * per-format classifiers add what only their provider says (Anthropic's
 * `overloaded_error`, Gemini's `RetryInfo` and `API_KEY_INVALID`).
 */
import type { UpstreamErrorInfo } from '../providers/types.js';
import { SwitchyardError } from '../errors.js';
import { isRecord } from './validate.js';

export type Headers = Record<string, string | string[] | undefined>;

/** Header lookup; undici hands us lowercase names, others may not. */
export function headerValue(headers: Headers, name: string): string | undefined {
  let v = headers[name];
  if (v === undefined) {
    for (const k in headers) if (k.toLowerCase() === name) { v = headers[k]; break; }
  }
  return Array.isArray(v) ? v[0] : v;
}

/**
 * `retry-after-ms` (OpenAI, Azure) or `retry-after` in seconds. The HTTP-date form is
 * not read: adapters have no clock, and none of the supported providers send it.
 */
export function retryAfterMs(headers: Headers): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return Math.round(n);
  }
  const s = headerValue(headers, 'retry-after');
  if (s !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(s)) return Math.round(Number(s) * 1000);
  return undefined;
}

/** `1.5s`, `30s`, `2m`, `500ms` (Gemini `retryDelay`, OpenAI reset headers) → ms. */
export function durationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * unit);
}

export function kindForStatus(status: number): UpstreamErrorInfo['kind'] {
  if (status === 429) return 'rate_limited';
  if (status === 529) return 'overloaded';
  if (status === 401 || status === 403) return 'auth_error';
  if (status === 408) return 'timeout';
  if (status >= 400 && status < 500) return 'client_error';
  return 'server_error';
}

export interface ErrorBody {
  /** `error` object of the body (all three formats nest it there). */
  error?: Record<string, unknown>;
  message: string;
}

const MAX_MESSAGE = 500;

/**
 * The text of a validation error's details, as servers built on pydantic send them
 * (Mistral's `message: {detail: [...]}`, FastAPI's `detail`): each entry's `msg` after
 * where it applies (`stream_options.include_usage: Extra inputs are not permitted`).
 */
function detailText(v: unknown): string | undefined {
  if (typeof v === 'string') return v || undefined;
  if (isRecord(v)) return detailText(v.detail ?? v.msg ?? v.message);
  if (!Array.isArray(v)) return undefined;
  const parts: string[] = [];
  for (const d of v) {
    if (typeof d === 'string') parts.push(d);
    else if (isRecord(d) && typeof d.msg === 'string') {
      const loc = Array.isArray(d.loc) ? d.loc.filter((l, i) => !(i === 0 && l === 'body')).join('.') : '';
      parts.push(loc ? `${loc}: ${d.msg}` : d.msg);
    }
  }
  return parts.length ? parts.join('; ') : undefined;
}

/** The message of a parsed JSON error body, or undefined when it has none. */
function messageOf(parsed: Record<string, unknown>, error: Record<string, unknown> | undefined): string | undefined {
  const msg = error?.message ?? parsed.message ?? (typeof parsed.error === 'string' ? parsed.error : undefined);
  const text = typeof msg === 'string' ? msg || undefined : detailText(msg) ?? detailText(parsed.detail);
  // OpenRouter says only "Provider returned error"; what the provider said is in metadata.raw.
  const meta = isRecord(error?.metadata) ? error.metadata : undefined;
  if (text === undefined || typeof meta?.raw !== 'string' || meta.raw.trim() === '') return text;
  const raw = readErrorBody(0, meta.raw);
  const said = raw.message.startsWith('upstream returned HTTP') ? meta.raw.trim() : raw.message;
  return `${text} (${typeof meta.provider_name === 'string' && meta.provider_name ? `${meta.provider_name}: ` : ''}${said})`;
}

/**
 * Reads the message out of an error body: JSON `{error:{message}}`, plain JSON `{message}`
 * or `{detail}`, HTML `<title>`, or text.
 */
export function readErrorBody(status: number, body: string): ErrorBody {
  const trimmed = body.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      let parsed: unknown = JSON.parse(trimmed);
      // Gemini sometimes wraps the error in a one-element array.
      if (Array.isArray(parsed) && parsed.length === 1) parsed = parsed[0];
      if (isRecord(parsed)) {
        const error = isRecord(parsed.error) ? parsed.error : undefined;
        const msg = messageOf(parsed, error);
        return { error, message: msg !== undefined ? clip(msg) : `upstream returned HTTP ${status}` };
      }
    } catch {
      // fall through: not JSON after all
    }
  }
  if (trimmed.startsWith('<')) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed)?.[1]?.trim();
    return { message: `upstream returned HTTP ${status} with an HTML body${title ? `: ${clip(title)}` : ''}` };
  }
  return { message: trimmed ? `upstream returned HTTP ${status}: ${clip(trimmed)}` : `upstream returned HTTP ${status} with an empty body` };
}

function clip(s: string): string {
  return s.length > MAX_MESSAGE ? s.slice(0, MAX_MESSAGE) + '…' : s;
}

/** The generic classification: status class, Retry-After, message and provider code. */
export function classifyHttpError(status: number, headers: Headers, body: string): { info: UpstreamErrorInfo; body: ErrorBody } {
  const parsed = readErrorBody(status, body);
  const info: UpstreamErrorInfo = { kind: kindForStatus(status), status, message: parsed.message };
  const wait = retryAfterMs(headers);
  if (wait !== undefined) info.retryAfterMs = wait;
  const code = parsed.error?.code ?? parsed.error?.type ?? parsed.error?.status;
  if (typeof code === 'string' || typeof code === 'number') info.providerCode = String(code);
  return { info, body: parsed };
}

/** A 2xx body that is not the shape the provider documents. Dispatch treats it as a server error. */
export function malformedResponse(wire: string, what: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_UPSTREAM_ERROR', `malformed ${wire} response: ${what}`);
}
