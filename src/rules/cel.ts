/**
 * The one CEL environment every rule is compiled in: exactly the variables of the
 * routing context (DESIGN.md), optional types for `headers[?"x"]`, and the numeric
 * overloads that let integer literals meet the context's doubles.
 */
import { Environment } from '@marcbachmann/cel-js';
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
  env.registerOperator('double in list<int>', (a: number, list: readonly bigint[]) => list.some((b) => a === Number(b)));
  env.registerOperator('int in list<double>', (a: bigint, list: readonly number[]) => list.some((b) => Number(a) === b));
}

function createEnvironment(): Environment {
  const env = new Environment({ enableOptionalTypes: true, unlistedVariablesAreDyn: false });
  for (const [name, type] of Object.entries(VARIABLES)) env.registerVariable(name, type);
  registerNumericBridges(env);
  return env;
}

let shared: Environment | undefined;

/** The shared rule environment (built once; building one is the expensive part). */
export function ruleEnvironment(): Environment {
  shared ??= createEnvironment();
  return shared;
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
