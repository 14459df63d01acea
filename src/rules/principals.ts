/**
 * The principal directory rules and rule tests need: which customers, teams and virtual
 * keys exist, how a virtual key resolves to its team, customer and tier, and which
 * scopes contain which (for shadowing warnings).
 */
import { allowScope, type AllowScope } from '../config/model-match.js';
import type { GatewayConfig } from '../types/gateway-config.js';
import type { RuleScope } from './bundle.js';

export interface PrincipalIds {
  virtual_key: string;
  team: string;
  customer: string;
  /** From the virtual key, else its team, else its customer; "" if none. */
  tier: string;
}

export interface Directory {
  readonly customers: ReadonlySet<string>;
  readonly teams: ReadonlySet<string>;
  readonly virtualKeys: ReadonlySet<string>;
  /** Fills team, customer and tier from the most specific id given (unknown ids pass through). */
  resolve(ids: { virtual_key?: string; team?: string; customer?: string }): PrincipalIds;
  /** Whether every request `inner` applies to is also one `outer` applies to. */
  covers(outer: RuleScope, inner: RuleScope): boolean;
  /**
   * The allowlists that apply to the caller `ids` names (an empty id is none, as in a
   * routing context), nearest first, as the gateway applies them: a virtual key's, then
   * its team's and customer's from the config.
   */
  allowScopes(ids: { virtual_key?: string; team?: string; customer?: string }): readonly AllowScope[];
}

interface Node {
  team: string;
  customer: string;
  tier: string;
}

/** Builds the directory from `governance` (customers, teams, virtual_keys). */
export function buildDirectory(config: Readonly<GatewayConfig>): Directory {
  const gov = config.governance ?? {};
  const customerTier = new Map<string, string>();
  for (const c of gov.customers ?? []) customerTier.set(c.id, c.tier ?? '');
  const teams = new Map<string, Node>();
  for (const t of gov.teams ?? []) {
    const customer = t.customer ?? '';
    teams.set(t.id, { team: t.id, customer, tier: t.tier ?? customerTier.get(customer) ?? '' });
  }
  const vks = new Map<string, Node>();
  for (const v of gov.virtual_keys ?? []) {
    const team = v.team ?? '';
    const t = teams.get(team);
    const customer = v.customer ?? t?.customer ?? '';
    vks.set(v.id, { team, customer, tier: v.tier ?? t?.tier ?? customerTier.get(customer) ?? '' });
  }

  const resolve: Directory['resolve'] = (ids) => {
    if (ids.virtual_key) {
      const v = vks.get(ids.virtual_key);
      return { virtual_key: ids.virtual_key, team: ids.team ?? v?.team ?? '', customer: ids.customer ?? v?.customer ?? '', tier: v?.tier ?? '' };
    }
    if (ids.team) {
      const t = teams.get(ids.team);
      return { virtual_key: '', team: ids.team, customer: ids.customer ?? t?.customer ?? '', tier: t?.tier ?? '' };
    }
    const customer = ids.customer ?? '';
    return { virtual_key: '', team: '', customer, tier: customerTier.get(customer) ?? '' };
  };

  const chainOf = (s: Pick<RuleScope, 'kind' | 'id'>): { vk: string | null; team: string | null; customer: string | null } => {
    switch (s.kind) {
      case 'virtual_key': {
        const v = vks.get(s.id!);
        return { vk: s.id, team: v?.team || null, customer: v?.customer || null };
      }
      case 'team':
        return { vk: null, team: s.id, customer: teams.get(s.id!)?.customer || null };
      case 'customer':
        return { vk: null, team: null, customer: s.id };
      default:
        return { vk: null, team: null, customer: null };
    }
  };

  const covers: Directory['covers'] = (outer, inner) => {
    if (outer.kind === 'global') return true;
    const c = chainOf(inner);
    if (outer.kind === 'virtual_key') return c.vk === outer.id;
    if (outer.kind === 'team') return c.team === outer.id;
    return c.customer === outer.id;
  };

  const allow = new Map<string, AllowScope>();
  const providerIds: ReadonlySet<string> = new Set(Object.keys(config.providers ?? {}));
  const allowOf = (level: AllowScope['level'], e: { id: string; allowed_models?: string[]; allowed_providers?: string[] }): void => {
    if (e.allowed_models || e.allowed_providers) allow.set(`${level}:${e.id}`, allowScope(level, e.id, e, providerIds));
  };
  for (const c of gov.customers ?? []) allowOf('customer', c);
  for (const t of gov.teams ?? []) allowOf('team', t);
  for (const v of gov.virtual_keys ?? []) allowOf('virtual_key', v);
  const allowScopes: Directory['allowScopes'] = (ids) => {
    const c = ids.virtual_key ? chainOf({ kind: 'virtual_key', id: ids.virtual_key })
      : ids.team ? chainOf({ kind: 'team', id: ids.team })
      : { vk: null, team: null, customer: ids.customer || null };
    const chain = [c.vk && allow.get(`virtual_key:${c.vk}`), c.team && allow.get(`team:${c.team}`), c.customer && allow.get(`customer:${c.customer}`)];
    return chain.filter((s): s is AllowScope => typeof s === 'object' && s !== null);
  };

  return {
    allowScopes,
    customers: new Set(customerTier.keys()),
    teams: new Set(teams.keys()),
    virtualKeys: new Set(vks.keys()),
    resolve,
    covers,
  };
}
