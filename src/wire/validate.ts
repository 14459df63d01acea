/**
 * Field checks for client intake. Every failure is a SwitchyardError with code
 * SY_ERR_BAD_REQUEST whose message names the field and whose `details.param` is its
 * path (`messages[2].content`), so a malformed body never surfaces as a TypeError.
 * `null` counts as absent for optional fields: SDKs send it for unset parameters.
 */
import type { CacheControl, Dialect, DialectExtras } from '../canonical.js';
import { SwitchyardError } from '../errors.js';

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string': return v === '' ? 'an empty string' : 'a string';
    case 'number': return Number.isFinite(v) ? 'a number' : String(v);
    case 'boolean': return 'a boolean';
    case 'object': return 'an object';
    default: return typeof v;
  }
}

export function badRequest(param: string, message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_BAD_REQUEST', message, { details: { param } });
}

/** "`param` must be <expected>, got <what it is>" (or "is required" when absent). */
export function wrongType(param: string, expected: string, got: unknown): SwitchyardError {
  if (got === undefined) return badRequest(param, `\`${param}\` is required and must be ${expected}`);
  return badRequest(param, `\`${param}\` must be ${expected}, got ${kindOf(got)}`);
}

export function requireRecord(v: unknown, param: string): Record<string, unknown> {
  if (!isRecord(v)) throw wrongType(param, 'an object', v);
  return v;
}

export function requireArray(v: unknown, param: string): unknown[] {
  if (!Array.isArray(v)) throw wrongType(param, 'an array', v);
  return v;
}

export function requireString(v: unknown, param: string): string {
  if (typeof v !== 'string') throw wrongType(param, 'a string', v);
  return v;
}

export function requireNonEmptyString(v: unknown, param: string): string {
  if (typeof v !== 'string' || v.length === 0) throw wrongType(param, 'a non-empty string', v);
  return v;
}

/**
 * Longest model name a request may ask for: twice what Anthropic's API takes, room for a
 * `provider/` prefix and the longest real names (a Hugging Face GGUF file, a Bedrock ARN).
 * Names are kept by the router's caches, the price and option memos and a metric label,
 * each bounded in names: a name must be bounded too.
 */
export const MAX_MODEL_NAME_CHARS = 512;

/** `model`: a non-empty string of at most MAX_MODEL_NAME_CHARS characters. */
export function requireModelName(v: unknown, param = 'model'): string {
  const model = requireNonEmptyString(v, param);
  if (model.length > MAX_MODEL_NAME_CHARS) throw badRequest(param, `\`${param}\` must be at most ${MAX_MODEL_NAME_CHARS} characters, got ${model.length}`);
  return model;
}

export function optionalString(v: unknown, param: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  return requireString(v, param);
}

export function optionalBoolean(v: unknown, param: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw wrongType(param, 'a boolean', v);
  return v;
}

export function optionalNumber(v: unknown, param: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(param, 'a number', v);
  if (v < min || v > max) throw badRequest(param, `\`${param}\` must be between ${min} and ${max}, got ${v}`);
  return v;
}

export function requirePositiveInt(v: unknown, param: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw wrongType(param, 'a positive integer', v);
  return v;
}

export function optionalPositiveInt(v: unknown, param: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  return requirePositiveInt(v, param);
}

/** A string or an array of strings (OpenAI `stop`, Anthropic `stop_sequences`). */
export function optionalStringList(v: unknown, param: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) throw wrongType(param, 'a string or an array of strings', v);
  for (let i = 0; i < v.length; i++) requireString(v[i], `${param}[${i}]`);
  return v.length ? (v as string[]) : undefined;
}

/**
 * The fields of `body` named in `names` that were sent (null counts as absent), as they
 * are, in the order of `names`: a provider of the client's dialect takes them
 * (ChatRequest.extras). Undefined when none was sent.
 *
 * Most bodies send none, and have fewer fields than there are names: the body's own keys
 * are looked up among the names first, and the body is read by name only when one is
 * there (a name a parsed body lacks is a slow lookup on it, missing every cache).
 * @example pickExtras({ model: 'm', seed: 7 }, 'openai', new Set(['seed', 'store'])) // { dialect: 'openai', fields: { seed: 7 } }
 */
export function pickExtras(body: Record<string, unknown>, dialect: Dialect, names: ReadonlySet<string>): DialectExtras | undefined {
  for (const key in body) if (names.has(key)) return picked(body, dialect, names);
  return undefined;
}

function picked(body: Record<string, unknown>, dialect: Dialect, names: ReadonlySet<string>): DialectExtras | undefined {
  let fields: Record<string, unknown> | undefined;
  for (const name of names) {
    const v = body[name];
    if (v !== undefined && v !== null) (fields ??= {})[name] = v;
  }
  return fields === undefined ? undefined : { dialect, fields };
}

/**
 * `part` with the wire block's `cache_control` ({"type": "ephemeral"[, "ttl": "1h"]}),
 * when the block has one; a malformed one is the client's error.
 */
export function withCacheControl<T extends { cacheControl?: CacheControl }>(part: T, block: Record<string, unknown>, param: string): T {
  const v = block.cache_control;
  if (v === undefined || v === null) return part;
  const p = `${param}.cache_control`;
  const c = requireRecord(v, p);
  if (c.type !== 'ephemeral') throw badRequest(`${p}.type`, `\`${p}.type\` must be "ephemeral"`);
  const ttl = optionalString(c.ttl, `${p}.ttl`);
  part.cacheControl = ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl };
  return part;
}
