/**
 * The one CEL environment every rule is compiled in: exactly the variables of the
 * routing context (DESIGN.md), optional types for `headers[?"x"]`, and the numeric
 * overloads that let integer literals meet the context's doubles.
 */
import { Environment } from '@marcbachmann/cel-js';
import { LRUCache } from 'lru-cache';
import { RE2JS } from 're2js';
import type { RoutingContext } from '../decision.js';

/** The declared variables and their CEL types. Anything else is a load-time error. */
export const VARIABLES = {
  headers: 'map<string, string>',
  tier: 'string',
  team: 'string',
  customer: 'string',
  virtual_key: 'string',
  model: 'string',
  provider: 'string',
  endpoint: 'string',
  stream: 'bool',
  params: 'map<string, dyn>',
  budget_used: 'double',
  tokens_used: 'double',
  requests_used: 'double',
  now: 'google.protobuf.Timestamp',
} as const;

export type VariableName = keyof typeof VARIABLES;

/** Variables whose value changes between identical requests: rules reading them are never memoized. */
export const VOLATILE_VARIABLES: ReadonlySet<string> = new Set(['budget_used', 'tokens_used', 'requests_used', 'now']);

const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

/**
 * Every number in the routing context is a double (`budget_used`, `params.max_tokens`),
 * while CEL reads `85` as an int (a BigInt in cel-js). cel-js already orders ints against
 * doubles (`budget_used > 85`), but has no `==`, `!=`, arithmetic or `in` across the two.
 * These overloads close that gap so users never have to write `85.0`.
 */
function registerNumericBridges(env: Environment): void {
  env.registerOperator('double == int', (a: number, b: bigint) => a === Number(b));
  for (const [op, f] of Object.entries(ARITHMETIC)) {
    env.registerOperator(`double ${op} int: double`, (a: number, b: bigint) => f(a, Number(b)));
    env.registerOperator(`int ${op} double: double`, (a: bigint, b: number) => f(Number(a), b));
  }
}

/**
 * `in` across the two, for the environment a rule gets only when it needs them
 * (`budget_used in [90, 95]`): with these registered, cel-js finds two overloads for a
 * dyn value met at run time (`params.max_tokens in [1000, 2000]`) and refuses to choose,
 * so a rule reading params that way never matched. Without them it compares the dyn
 * number with the ints itself.
 */
function registerInBridges(env: Environment): void {
  env.registerOperator('double in list<int>', (a: number, list: readonly bigint[]) => list.some((b) => a === Number(b)));
  env.registerOperator('int in list<double>', (a: bigint, list: readonly number[]) => list.some((b) => Number(a) === b));
}

/**
 * What a rule's `matches` runs as. cel-js implements `matches` with a JavaScript RegExp,
 * built on every call: backtracking, so a pattern such as `^(a+)+$` takes exponential
 * time on a short header a client chooses, and the event loop, every request with it,
 * waits. CEL specifies RE2: linear time, and RE2's syntax (`(?i)` works, lookarounds and
 * backreferences do not). The compiler renames each `matches` call to this function, of
 * the same length so positions in messages still line up, which runs RE2 (re2js).
 */
export const RE2_MATCHES = 'matchRe';

/** Compiled patterns: a rule's are fixed; one built from a request is let go in time. */
const patterns = new LRUCache<string, RE2JS>({ max: 1000 });

/** RE2 `pattern` compiled, or the error a bad pattern gives (its message, RE2's words). */
export function re2(pattern: string): RE2JS {
  let re = patterns.get(pattern);
  if (re === undefined) {
    re = RE2JS.compile(pattern);
    patterns.set(pattern, re);
  }
  return re;
}

/** CEL `matches`: true when the pattern matches anywhere in the string (RE2 partial match). */
function re2Matches(s: string, pattern: string): boolean {
  let re: RE2JS;
  try {
    re = re2(pattern);
  } catch (e) {
    throw new Error(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
  return re.matcher(s).find();
}

function createEnvironment(inBridges: boolean): Environment {
  const env = new Environment({ enableOptionalTypes: true, unlistedVariablesAreDyn: false });
  for (const [name, type] of Object.entries(VARIABLES)) env.registerVariable(name, type);
  registerNumericBridges(env);
  if (inBridges) registerInBridges(env);
  env.registerFunction(`string.${RE2_MATCHES}(string): bool`, re2Matches);
  return env;
}

const shared: [Environment | undefined, Environment | undefined] = [undefined, undefined];

/**
 * The shared rule environment (built once; building one is the expensive part); with
 * `inBridges`, the one whose `in` also takes a double against ints (registerInBridges).
 */
export function ruleEnvironment(inBridges = false): Environment {
  const i = inBridges ? 1 : 0;
  return (shared[i] ??= createEnvironment(inBridges));
}

/** A type error that the `in` bridges answer. */
export function needsInBridges(typeError: string): boolean {
  return /no such overload: (double in list<int>|int in list<double>)/.test(typeError);
}

/** What a compiled `when` is called with. */
export type CelActivation = Record<VariableName, unknown>;

function nullProto<V>(src: Readonly<Record<string, V>>): Record<string, V> {
  const out = Object.create(null) as Record<string, V>;
  for (const k of Object.keys(src)) out[k] = src[k];
  return out;
}

/**
 * The CEL activation for a routing context; numbers stay JS numbers, which CEL sees as
 * doubles. With `safeMaps`, headers and params are copied into null-prototype objects so
 * `headers["constructor"]` is a missing key, not Object's constructor — needed only by
 * rules that read such a key or read the maps as a whole (see `needsSafeMaps`).
 */
export function toActivation(ctx: RoutingContext, safeMaps = true): CelActivation {
  return {
    headers: safeMaps ? nullProto(ctx.headers) : ctx.headers,
    tier: ctx.tier,
    team: ctx.team,
    customer: ctx.customer,
    virtual_key: ctx.virtual_key,
    model: ctx.model,
    provider: ctx.provider,
    endpoint: ctx.endpoint,
    stream: ctx.stream,
    params: safeMaps ? nullProto(ctx.params) : ctx.params,
    budget_used: ctx.budget_used,
    tokens_used: ctx.tokens_used,
    requests_used: ctx.requests_used,
    now: ctx.now,
  };
}

/** Whether a rule reading these keys needs null-prototype maps (see toActivation). */
export function needsSafeMaps(keys: ReadonlySet<string> | 'all'): boolean {
  return keys === 'all' || [...keys].some((k) => k in Object.prototype);
}
