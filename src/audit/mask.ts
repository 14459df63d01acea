/**
 * Masking: JSON pointers (RFC 6901, plus `*` for "every element / every key") checked
 * once against the audit event schema, then applied copy-on-write to each event; and
 * redaction of known secret values wherever they occur in a string.
 */
import type { Issue } from '../config/source.js';
import { auditEventSchema, type JsonSchema } from './schema.js';

type Action = 'remove' | 'null';

export interface CompiledPointer {
  pointer: string;
  segments: string[];
  /** What happens to the value the pointer names: removed, or set to null where the schema requires the field. */
  action: Action;
}

function decodePointer(pointer: string): string[] {
  return pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function deref(node: JsonSchema): JsonSchema {
  let n = node;
  while (n.$ref) {
    const name = n.$ref.replace('#/definitions/', '');
    n = auditEventSchema.definitions?.[name] ?? {};
  }
  if (n.oneOf) {
    const branches = n.oneOf.map(deref);
    const nonNull = branches.find((b) => b.type !== 'null');
    const withNull = branches.some((b) => b.type === 'null');
    if (nonNull) return withNull ? { ...nonNull, type: [...types(nonNull), 'null'] } : nonNull;
  }
  return n;
}

function types(n: JsonSchema): string[] {
  return n.type === undefined ? [] : Array.isArray(n.type) ? n.type : [n.type];
}

/** A schema node with no structure: anything below it is free-form (request.body). */
function isFree(n: JsonSchema): boolean {
  return n.type === undefined && !n.properties && !n.items && !n.enum && !('const' in n);
}

/** Resolves a pointer against the schema: its action, or why it cannot be masked. */
function resolve(pointer: string): { action: Action } | { problem: string } {
  if (!pointer.startsWith('/') || pointer === '/') return { problem: 'must be a JSON pointer naming a field, like /request/params/temperature' };
  const segs = decodePointer(pointer);
  let node = auditEventSchema;
  let required = true;
  let nullable = false;
  for (const [i, seg] of segs.entries()) {
    node = deref(node);
    if (isFree(node)) return { action: 'remove' };
    const at = '/' + segs.slice(0, i).join('/');
    if (types(node).includes('array')) {
      if (seg !== '*' && !/^(0|[1-9][0-9]*)$/.test(seg)) return { problem: `${at} is an array: use an index or *` };
      node = node.items ?? {};
      required = false;
    } else if (node.properties?.[seg]) {
      required = node.required?.includes(seg) ?? false;
      node = node.properties[seg];
    } else if (node.additionalProperties && !node.properties) {
      required = false;
      node = node.additionalProperties === true ? {} : node.additionalProperties;
    } else {
      return { problem: seg === '*' ? `${at} has fixed fields: name one` : `the audit event has no field ${pointer}` };
    }
    nullable = types(deref(node)).includes('null');
  }
  if (!required) return { action: 'remove' };
  if (nullable) return { action: 'null' };
  return { problem: `${pointer} is required by the audit event schema and cannot be masked` };
}

/** Problems with `audit.mask` entries, for the config loader; empty when every pointer is usable. */
export function maskIssues(pointers: readonly string[]): Issue[] {
  const issues: Issue[] = [];
  for (const p of pointers) {
    const r = resolve(p);
    if ('problem' in r) issues.push({ severity: 'error', code: 'audit_mask', message: `audit.mask ${JSON.stringify(p)}: ${r.problem}` });
  }
  return issues;
}

/** Where an event holds the request's headers: as the client sent them, and as the rules saw them. */
const HEADER_PLACES = ['request', 'inputs'] as const;

/**
 * `pointers` and, for each one naming a request header (or every header) in one place,
 * the same header in the other: a header masked in `request.headers` is not left in
 * `inputs.headers`, nor the other way round.
 */
function withHeaderTwins(pointers: readonly string[]): string[] {
  const out = [...pointers];
  for (const p of pointers) {
    const segs = decodePointer(p);
    const at = HEADER_PLACES.indexOf(segs[0] as (typeof HEADER_PLACES)[number]);
    if (at < 0 || segs[1] !== 'headers' || segs.length !== 3) continue;
    const twin = `/${HEADER_PLACES[1 - at]}/headers/${p.split('/')[3]}`;
    if (!out.includes(twin)) out.push(twin);
  }
  return out;
}

/** Compiles `audit.mask`; throws listing every unusable pointer. */
export function compileMask(pointers: readonly string[]): CompiledPointer[] {
  const issues = maskIssues(pointers);
  if (issues.length) throw new Error(issues.map((i) => i.message).join('\n'));
  return withHeaderTwins(pointers).map((pointer) => {
    const r = resolve(pointer) as { action: Action };
    return { pointer, segments: decodePointer(pointer), action: r.action };
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `value` with the pointer applied; the same reference when nothing matched. */
function applyAt(value: unknown, segs: readonly string[], i: number, action: Action): unknown {
  const seg = segs[i];
  const last = i === segs.length - 1;
  if (Array.isArray(value)) {
    if (seg === '*') {
      if (last) return action === 'remove' ? [] : value.map(() => null);
      let changed = false;
      const out = value.map((v) => {
        const nv = applyAt(v, segs, i + 1, action);
        if (nv !== v) changed = true;
        return nv;
      });
      return changed ? out : value;
    }
    const idx = Number(seg);
    if (!Number.isInteger(idx) || idx >= value.length) return value;
    const out = value.slice();
    if (last) {
      if (action === 'remove') out.splice(idx, 1);
      else out[idx] = null;
      return out;
    }
    const nv = applyAt(value[idx], segs, i + 1, action);
    if (nv === value[idx]) return value;
    out[idx] = nv;
    return out;
  }
  if (!isObject(value)) return value;
  const keys = seg === '*' ? Object.keys(value) : Object.hasOwn(value, seg) ? [seg] : [];
  if (keys.length === 0) return value;
  let out: Record<string, unknown> | undefined;
  for (const k of keys) {
    if (last) {
      out ??= { ...value };
      if (action === 'remove') delete out[k];
      else out[k] = null;
      continue;
    }
    const nv = applyAt(value[k], segs, i + 1, action);
    if (nv !== value[k]) {
      out ??= { ...value };
      out[k] = nv;
    }
  }
  return out ?? value;
}

export function applyMask<T>(value: T, pointers: readonly CompiledPointer[]): T {
  let v: unknown = value;
  for (const p of pointers) v = applyAt(v, p.segments, 0, p.action);
  return v as T;
}

/** Replaces every occurrence of a known secret value inside any string. */
export interface SecretRedactor {
  (value: unknown): unknown;
  /**
   * False when `json` (JSON.stringify of a value) cannot hold any secret, so redacting the
   * value would change nothing: one regex scan of a string the sink needs anyway, instead
   * of a walk over every field. True means "walk to be sure" (a key may have matched).
   */
  mayContain(json: string): boolean;
}

const REDACTED = '[redacted]';
/** Shorter values would redact ordinary words; real credentials are far longer. */
const MIN_SECRET_LENGTH = 8;

export function secretRedactor(secrets: Iterable<string>): SecretRedactor | undefined {
  const list = [...new Set([...secrets].filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH))]
    .sort((a, b) => b.length - a.length);
  if (list.length === 0) return undefined;
  const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(list.map(escape).join('|'), 'g');
  // JSON escapes character by character, so a string holding a secret serializes to text
  // holding the secret's escaped form. The exception is a lone surrogate, which may pair
  // with its neighbour: with such a secret every event is walked.
  const inJson = list.some((x) => /[\uD800-\uDFFF]/.test(x))
    ? undefined
    : new RegExp(list.map((x) => escape(JSON.stringify(x).slice(1, -1))).join('|'));
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (v.length < MIN_SECRET_LENGTH) return v;
      re.lastIndex = 0;
      return re.test(v) ? v.replace(re, REDACTED) : v;
    }
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      v.forEach((item, i) => {
        const n = walk(item);
        if (n !== item) (out ??= v.slice())[i] = n;
      });
      return out ?? v;
    }
    if (isObject(v)) {
      let out: Record<string, unknown> | undefined;
      for (const k of Object.keys(v)) {
        const n = walk(v[k]);
        if (n !== v[k]) (out ??= { ...v })[k] = n;
      }
      return out ?? v;
    }
    return v;
  };
  return Object.assign(walk, { mayContain: (json: string) => inJson === undefined || inJson.test(json) });
}
