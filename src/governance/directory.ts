/**
 * Customers → teams → virtual keys, resolved once from config into chains: each
 * principal carries the scopes (key, team, customer) whose restrictions, budgets
 * and limits apply to it, so a request never walks the config.
 */
import type { Customer, GatewayConfig, Team, VirtualKey } from '../types/gateway-config.js';
import { BudgetRef, type Level } from './budgets.js';
import { checkGovernance, GovernanceConfigError } from './config-check.js';
import { KeyIndex } from './keys.js';
import { rateRefs, type SlotRef, type WindowRef } from './rate-limits.js';
import { allowScope, type AllowScope } from '../config/model-match.js';

/**
 * Who is calling. The same frozen object is returned for every request with a given key.
 * `allowedModels` / `allowedProviders` are those of the nearest scope that sets them;
 * `Governance.checkModelAllowed` enforces the lists of every scope.
 */
export interface Principal {
  readonly virtualKey: string | null;
  readonly team: string | null;
  readonly customer: string | null;
  /** The key's, else the team's, else the customer's tier; `''` if none. */
  readonly tier: string;
  readonly allowedModels: readonly string[] | null;
  readonly allowedProviders: readonly string[] | null;
}

/** One scope's allowlists (config/model-match.ts). */
export interface Scope extends AllowScope {
  level: Exclude<Level, 'provider'>;
}

export interface Chain {
  principal: Principal;
  enabled: boolean;
  /** Nearest first: virtual key, team, customer. */
  scopes: Scope[];
  budgets: BudgetRef[];
  windows: WindowRef[];
  slots: SlotRef[];
  /** Store keys of `budgets` and `windows`, for capacity reads. */
  budgetKeys: string[];
  windowKeys: string[];
}

export interface Directory {
  keys: KeyIndex<Chain>;
  byKey: ReadonlyMap<string, Chain>;
  byTeam: ReadonlyMap<string, Chain>;
  byCustomer: ReadonlyMap<string, Chain>;
  anonymous: Chain;
}

type Entity = Customer | Team | VirtualKey;

/** Throws GovernanceConfigError listing every problem checkGovernance finds. */
export function buildDirectory(cfg: Readonly<GatewayConfig>): Directory {
  const issues = checkGovernance(cfg);
  if (issues.length > 0) throw new GovernanceConfigError(issues);
  const gov = cfg.governance ?? {};
  const providerIds: ReadonlySet<string> = new Set(Object.keys(cfg.providers ?? {}));
  const customers = new Map((gov.customers ?? []).map((c) => [c.id, c]));
  const teams = new Map((gov.teams ?? []).map((t) => [t.id, t]));

  const byCustomer = new Map<string, Chain>();
  for (const c of gov.customers ?? []) byCustomer.set(c.id, chainOf([['customer', c]], null, null, c.id, providerIds));

  const byTeam = new Map<string, Chain>();
  for (const t of gov.teams ?? []) {
    const customer = t.customer === undefined ? undefined : customers.get(t.customer);
    byTeam.set(t.id, chainOf([['team', t], ...(customer ? [['customer', customer] as const] : [])], null, t.id, customer?.id ?? null, providerIds));
  }

  const keys = new KeyIndex<Chain>(gov.key_secret || undefined);
  const byKey = new Map<string, Chain>();
  for (const k of gov.virtual_keys ?? []) {
    const team = k.team === undefined ? undefined : teams.get(k.team);
    const customerId = k.customer ?? team?.customer;
    const customer = customerId === undefined ? undefined : customers.get(customerId);
    const parts: (readonly [Scope['level'], Entity])[] = [['virtual_key', k]];
    if (team) parts.push(['team', team]);
    if (customer) parts.push(['customer', customer]);
    const chain = chainOf(parts, k.id, team?.id ?? null, customer?.id ?? null, providerIds);
    byKey.set(k.id, chain);
    keys.add(k.key_hash, chain);
  }

  return { keys, byKey, byTeam, byCustomer, anonymous: chainOf([], null, null, null, providerIds) };
}

function chainOf(parts: readonly (readonly [Scope['level'], Entity])[], virtualKey: string | null, team: string | null, customer: string | null, providerIds: ReadonlySet<string>): Chain {
  const nearest = <T>(pick: (e: Entity) => T | undefined): T | undefined => {
    for (const [, e] of parts) {
      const v = pick(e);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const principal: Principal = Object.freeze({
    virtualKey,
    team,
    customer,
    tier: nearest((e) => e.tier) ?? '',
    allowedModels: freezeList(nearest((e) => e.allowed_models)),
    allowedProviders: freezeList(nearest((e) => e.allowed_providers)),
  });
  const chain: Chain = {
    principal, enabled: parts.every(([, e]) => e.enabled !== false),
    scopes: [], budgets: [], windows: [], slots: [], budgetKeys: [], windowKeys: [],
  };
  for (const [level, e] of parts) {
    chain.scopes.push({ ...allowScope(level, e.id, e, providerIds), level });
    for (const b of e.budgets ?? []) chain.budgets.push(new BudgetRef(level, e.id, b));
    const rates = rateRefs(level, e.id, e.rate_limit);
    chain.windows.push(...rates.windows);
    chain.slots.push(...rates.slots);
  }
  chain.budgetKeys = chain.budgets.map((b) => b.key);
  chain.windowKeys = chain.windows.map((w) => w.key);
  return chain;
}

function freezeList(list: readonly string[] | undefined): readonly string[] | null {
  return list ? Object.freeze([...list]) : null;
}
