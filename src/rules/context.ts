/**
 * Routing contexts from the request/state descriptions rule tests and `explain` use:
 * the virtual key resolves to team, customer and tier through the config, and
 * `provider/model` names split like the server splits them.
 */
import { stripCredentialHeaders } from '../audit/headers.js';
import type { DecideOptions, RoutingContext } from '../decision.js';
import type { FallbackReason } from '../errors.js';
import type { TestRequest, TestState } from '../types/rule-test-file.js';
import type { RuleBundle } from './bundle.js';
import { didYouMean } from '../config/suggest.js';

export interface ContextDefaults {
  /** Used when the state gives no `now`. */
  now: Date;
  /** Used when the state gives no `draw`; undefined leaves the router's RNG in charge. */
  draw?: number;
}

function lowerKeys(h: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/** `provider#key` for the unavailable map; `provider/key` is accepted when `key` is one of its keys. */
function unavailableName(bundle: RuleBundle, name: string): string {
  const slash = name.indexOf('/');
  if (slash < 0 || name.includes('#')) return name;
  const provider = bundle.providers.get(name.slice(0, slash));
  const key = name.slice(slash + 1);
  return provider?.keys.some((k) => k.name === key) ? `${provider.id}#${key}` : name;
}

/**
 * @example
 * contextFromRequest(bundle, {model: 'gpt-4o', headers: {'X-Tier': 'premium'}, virtual_key: 'vk-app'}, {budget_used: 90}, {now: new Date()})
 */
export function contextFromRequest(bundle: RuleBundle, request: TestRequest, state: TestState = {}, defaults: ContextDefaults): { ctx: RoutingContext; opts: DecideOptions } {
  // As a live request's: lowercase names, credentials removed.
  const headers = stripCredentialHeaders(lowerKeys(request.headers));
  const principal = bundle.principals.resolve({ virtual_key: request.virtual_key, team: request.team, customer: request.customer });
  let model = request.model;
  let provider = '';
  const slash = model.indexOf('/');
  if (slash > 0 && bundle.providers.has(model.slice(0, slash))) {
    provider = model.slice(0, slash);
    model = model.slice(slash + 1);
  }
  const ctx: RoutingContext = {
    headers,
    tier: request.tier ?? headers['x-tier'] ?? principal.tier,
    team: principal.team,
    customer: principal.customer,
    virtual_key: principal.virtual_key,
    model,
    provider,
    endpoint: request.endpoint ?? 'chat',
    stream: request.stream ?? false,
    params: { ...((request.params ?? {}) as RoutingContext['params']) },
    budget_used: state.budget_used ?? 0,
    tokens_used: state.tokens_used ?? 0,
    requests_used: state.requests_used ?? 0,
    now: state.now ? new Date(state.now) : defaults.now,
  };
  const opts: DecideOptions = {};
  const draw = state.draw ?? defaults.draw;
  if (draw !== undefined) opts.draw = draw;
  if (state.cooldown?.length) {
    opts.unavailable = new Map(state.cooldown.map((n) => [unavailableName(bundle, n), 'cooldown' as FallbackReason]));
  }
  return { ctx, opts };
}

/**
 * The principals a test or explain request names that no live request could be: one the
 * config does not have (the gateway would refuse such a caller, 401), or a team or
 * customer other than the virtual key's own (a live request's come from its key). Each
 * with its field and a whole message.
 */
export function unknownPrincipals(bundle: RuleBundle, request: Pick<TestRequest, 'virtual_key' | 'team' | 'customer'>): { field: 'virtual_key' | 'team' | 'customer'; message: string }[] {
  const out: { field: 'virtual_key' | 'team' | 'customer'; message: string }[] = [];
  const { principals } = bundle;
  for (const [field, known, label] of [['virtual_key', principals.virtualKeys, 'virtual key'], ['team', principals.teams, 'team'], ['customer', principals.customers, 'customer']] as const) {
    const id = request[field];
    if (id !== undefined && !known.has(id)) out.push({ field, message: `unknown ${label} "${id}"${didYouMean(id, known)}: the gateway refuses such a caller (401)` });
  }
  if (out.length > 0) return out;
  // Known ids that do not belong together: the key's team and customer are fixed by the config.
  const own = request.virtual_key !== undefined ? principals.resolve({ virtual_key: request.virtual_key })
    : request.team !== undefined ? principals.resolve({ team: request.team }) : null;
  if (own === null) return out;
  const whose = request.virtual_key !== undefined ? `virtual key "${request.virtual_key}"` : `team "${request.team}"`;
  for (const field of ['team', 'customer'] as const) {
    const id = request[field];
    if (id === undefined || (field === 'team' && request.virtual_key === undefined) || id === own[field]) continue;
    const actual = own[field] === '' ? `no ${field}` : `${field} "${own[field]}"`;
    out.push({ field, message: `${whose} belongs to ${actual}, not "${id}": a live request's ${field} comes from its key; leave ${field} out or name a key of that ${field}` });
  }
  return out;
}
