/**
 * The decision memo's key: the values a shape's stable candidate rules can read beyond
 * the shape itself. Two requests of one shape with equal projections get equal results
 * from those rules, because CEL evaluation is deterministic over its inputs.
 */
import type { RoutingContext } from '../decision.js';
import type { KeyReads } from './analysis.js';
import type { CompiledRule } from './bundle.js';

/** Reads one projected value; values are compared as Map keys (SameValueZero). */
export type Reader = (ctx: RoutingContext) => unknown;

/** Variables already part of the shape key. */
const IN_SHAPE = new Set(['virtual_key', 'team', 'customer', 'endpoint', 'model', 'provider']);

/** An absent key: distinct from every value, null included. */
export const MISSING = Symbol('missing');

function addTo(into: Set<string> | 'all', keys: KeyReads): Set<string> | 'all' {
  if (into === 'all' || keys === 'all') return 'all';
  for (const k of keys) into.add(k);
  return into;
}

/** -0 and 0 are one Map key but `string(-0.0)` is not `string(0.0)`. */
function mapKey(v: unknown): unknown {
  return v === 0 && Object.is(v, -0) ? '\u0000-0' : v;
}

function keyReader(name: 'headers' | 'params', key: string): Reader {
  return (ctx) => {
    const m = ctx[name] as Record<string, unknown>;
    return Object.hasOwn(m, key) ? mapKey(m[key]) : MISSING;
  };
}

/** The whole map as one string: keys sorted, values JSON-encoded (control characters cannot collide). */
function wholeReader(name: 'headers' | 'params'): Reader {
  return (ctx) => {
    const m = ctx[name] as Record<string, unknown>;
    return Object.keys(m).sort().map((k) => `${JSON.stringify(k)}\u0001${JSON.stringify(m[k]) ?? ''}${Object.is(m[k], -0) ? '-' : ''}`).join('\u0002');
  };
}

function mapReaders(name: 'headers' | 'params', keys: Set<string> | 'all'): Reader[] {
  return keys === 'all' ? [wholeReader(name)] : [...keys].sort().map((k) => keyReader(name, k));
}

const CONSTANT: Reader[] = [() => true];

/**
 * Readers for the values the rules read, in a fixed order (the memo key is the tuple of
 * their results). Throws if a rule reads a volatile variable: those are never memoized.
 */
export function projectionFor(rules: readonly CompiledRule[]): Reader[] {
  const vars = new Set<string>();
  let headers: Set<string> | 'all' = new Set();
  let params: Set<string> | 'all' = new Set();
  for (const r of rules) {
    if (r.facts.volatile) throw new Error(`rule ${r.id} reads volatile inputs and cannot be memoized`);
    for (const v of r.facts.variables) if (!IN_SHAPE.has(v)) vars.add(v);
    headers = addTo(headers, r.facts.headerKeys);
    params = addTo(params, r.facts.paramKeys);
  }
  // Names not declared here (macro variables such as `x` in `list.exists(x, ...)`) are not inputs.
  const readers: Reader[] = [];
  if (vars.has('tier')) readers.push((ctx) => ctx.tier);
  if (vars.has('stream')) readers.push((ctx) => ctx.stream);
  if (vars.has('headers')) readers.push(...mapReaders('headers', headers));
  if (vars.has('params')) readers.push(...mapReaders('params', params));
  return readers.length ? readers : CONSTANT;
}
