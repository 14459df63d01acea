/**
 * The rule index: enabled rules bucketed by scope, and within a scope by the models
 * their `when` is restricted to. A request shape's candidates are a rank-ordered merge
 * of at most eight pre-sorted lists, so a shape miss costs the candidates, not the
 * bundle (OPA-style indexing).
 */
import type { Endpoint } from '../canonical.js';
import type { CompiledRule, ScopeKind } from './bundle.js';

export interface ShapeQuery {
  virtual_key: string;
  team: string;
  customer: string;
  endpoint: string;
  model: string;
}

const EMPTY: readonly CompiledRule[] = Object.freeze([]);

/** The endpoints a request can arrive on (the `endpoint` variable). */
export const ENDPOINTS = ['chat', 'embeddings', 'messages', 'count_tokens', 'responses'] as const satisfies readonly Endpoint[];

/** One scope's rules for one endpoint, by rank. */
interface Lists {
  /** Rules with no model restriction. */
  any: CompiledRule[];
  /** Rules restricted to some models, per model. */
  byModel: Map<string, CompiledRule[]>;
}

/** One scope's rules, split by endpoint so a lookup needs no per-rule filtering. */
type Bucket = Map<string, Lists>;

function emptyBucket(): Bucket {
  return new Map(ENDPOINTS.map((e) => [e, { any: [], byModel: new Map() }]));
}

function place(bucket: Bucket, r: CompiledRule): void {
  const { models, endpoints } = r.facts;
  for (const endpoint of ENDPOINTS) {
    if (endpoints !== null && !endpoints.has(endpoint)) continue;
    const lists = bucket.get(endpoint)!;
    if (models === null) lists.any.push(r);
    else {
      for (const model of models) {
        const list = lists.byModel.get(model);
        if (list) list.push(r);
        else lists.byModel.set(model, [r]);
      }
    }
  }
}

/** Whether a rule's scope applies to a request's principal. */
export function scopeApplies(rule: CompiledRule, q: Pick<ShapeQuery, 'virtual_key' | 'team' | 'customer'>): boolean {
  switch (rule.scope.kind) {
    case 'global':
      return true;
    case 'customer':
      return q.customer === rule.scope.id;
    case 'team':
      return q.team === rule.scope.id;
    case 'virtual_key':
      return q.virtual_key === rule.scope.id;
  }
}

export interface RuleIndex {
  /** Enabled rules that can match a request of this shape, in evaluation order (do not modify). */
  candidates(q: ShapeQuery): readonly CompiledRule[];
}

/** The indexed lookup used by routers. */
export function buildIndex(rules: readonly CompiledRule[]): RuleIndex {
  const global = emptyBucket();
  const scoped: Record<Exclude<ScopeKind, 'global'>, Map<string, Bucket>> = { customer: new Map(), team: new Map(), virtual_key: new Map() };
  for (const r of rules) {
    if (!r.enabled) continue;
    let bucket = global;
    if (r.scope.kind !== 'global') {
      const m = scoped[r.scope.kind];
      bucket = m.get(r.scope.id!) ?? emptyBucket();
      m.set(r.scope.id!, bucket);
    }
    place(bucket, r);
  }
  return {
    candidates(q) {
      const lists: CompiledRule[][] = [];
      const add = (b: Bucket | undefined) => {
        const l = b?.get(q.endpoint);
        if (!l) return;
        if (l.any.length) lists.push(l.any);
        const m = l.byModel.get(q.model);
        if (m) lists.push(m);
      };
      add(global);
      if (q.customer) add(scoped.customer.get(q.customer));
      if (q.team) add(scoped.team.get(q.team));
      if (q.virtual_key) add(scoped.virtual_key.get(q.virtual_key));
      return mergeByRank(lists);
    },
  };
}

/** Merges rank-sorted lists by a linear k-way merge (for the short lists). */
function mergeSmall(lists: readonly (readonly CompiledRule[])[]): CompiledRule[] {
  const out: CompiledRule[] = [];
  const pos = lists.map(() => 0);
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i < lists.length; i++) {
      const r = lists[i][pos[i]];
      if (r !== undefined && r.rank < bestRank) {
        best = i;
        bestRank = r.rank;
      }
    }
    if (best < 0) return out;
    out.push(lists[best][pos[best]++]);
  }
}

/** First index in `list` whose rank is above `rank`. */
function after(list: readonly CompiledRule[], rank: number, from: number): number {
  let lo = from;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid].rank < rank) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Merges rank-sorted lists (at most eight). The longest (typically the global rules) is
 * copied in slices between the others' insertion points, found by binary search, so the
 * cost follows the short lists, not the long one. A single list is shared, not copied.
 */
function mergeByRank(lists: CompiledRule[][]): readonly CompiledRule[] {
  if (lists.length === 0) return EMPTY;
  if (lists.length === 1) return lists[0];
  let longest = 0;
  for (let i = 1; i < lists.length; i++) if (lists[i].length > lists[longest].length) longest = i;
  const big = lists[longest];
  const small = mergeSmall(lists.filter((_, i) => i !== longest));
  const parts: (readonly CompiledRule[])[] = [];
  let from = 0;
  for (const r of small) {
    const to = after(big, r.rank, from);
    if (to > from) parts.push(big.slice(from, to));
    parts.push([r]);
    from = to;
  }
  if (from < big.length) parts.push(big.slice(from));
  return ([] as CompiledRule[]).concat(...parts);
}

/** The naive lookup (no index): every enabled rule in scope, in order. For baselines and tests. */
export function naiveIndex(rules: readonly CompiledRule[]): RuleIndex {
  return { candidates: (q) => rules.filter((r) => r.enabled && scopeApplies(r, q)) };
}
