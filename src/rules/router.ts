/**
 * The router: `decide(context) → Decision`, pure and synchronous. Per request shape
 * (scope chain, endpoint, provider, model) it caches the candidate rules and the
 * fall-through plan. The results of candidates that read only request data are memoized
 * on the values they read; rules reading budget_used, tokens_used, requests_used or now
 * are evaluated fresh every time, and so is the random draw.
 */
import { LRUCache } from 'lru-cache';
import type { Decision, DecideOptions, DecisionInputs, RoutingContext } from '../decision.js';
import type { TargetRecord } from '../types/audit-event.js';
import type { FallbackReason } from '../errors.js';
import { createChooser, type Chooser } from '../balance/chooser.js';
import { providerOption } from '../balance/candidates.js';
import type { CompiledRule, RuleBundle } from './bundle.js';
import { combine, evaluateRules, evaluateStable, outcomeOfHits, type RuleOutcome, type StableHit } from './evaluation.js';
import { isoString } from './timestamp.js';
import { planFallthrough, type FallthroughPlan } from './fallthrough.js';
import { refusingScope } from '../config/model-match.js';
import { projectionFor, type Reader } from './projection.js';
import { TupleMap } from './trie.js';
import { buildIndex, naiveIndex, type RuleIndex } from './rule-index.js';

export interface RouterOptions {
  /** Uniform [0, 1) source for weighted choices when `decide` gets no draw. Default Math.random. */
  rng?: () => number;
  /**
   * Evaluate every rule in order on every request: no index, no shape cache, no memo.
   * The reference the optimized router is tested and benchmarked against.
   */
  naive?: boolean;
}

export interface Router {
  readonly bundle: RuleBundle;
  /**
   * Decides where a request goes. Pure data in and out; no I/O. The decision's lists
   * (targets, fallbacks, fallback_on, shadow_matches, errors) are frozen and may be
   * shared between decisions: copy one before changing it.
   *
   * @example
   * const d = router.decide(ctx, { draw: 0.42, unavailable: new Map([['groq', 'cooldown']]) });
   * d.via; d.rule_id; d.selected; d.fallbacks; d.inputs.draw
   */
  decide(ctx: RoutingContext, opts?: DecideOptions): Decision;
}

interface Shape {
  /** [virtual_key, team, customer, endpoint, provider, model]; shared: [team, customer, endpoint, provider, model] */
  key: readonly string[];
  /** Keyed without the virtual key, in the map of shapes callers share (see shapeOf). */
  shared: boolean;
  candidates: readonly CompiledRule[];
  /** Index after which no shadow rule remains (evaluation may stop at the winner past it). */
  lastShadow: number;
  /** Candidate indices of rules reading only request data, and of the others. */
  stable: readonly number[];
  volatile: readonly number[];
  /** Readers of the memo key (the values the stable candidates read); null: no memo. */
  projection: readonly Reader[] | null;
  /** Memoized results of the stable candidates, by projected values. */
  memo: TupleMap<MemoEntry>;
  fallthrough: FallthroughPlan;
}

/** A memo entry: the stable candidates' hits, and their outcome (the whole outcome when no volatile rule joins in). */
interface MemoEntry {
  hits: readonly StableHit[];
  outcome: RuleOutcome;
  shape: Shape;
  key: readonly unknown[];
}

const SHAPE_FIELDS = ['virtual_key', 'team', 'customer', 'endpoint', 'provider', 'model'] as const;
const SHAPE_READERS: readonly ((ctx: RoutingContext) => string)[] = SHAPE_FIELDS.map((f) => (ctx: RoutingContext) => ctx[f]);

const NO_TARGETS: readonly TargetRecord[] = Object.freeze([]);
const PLAN_CACHE_MIN = 1024;

/**
 * Most characters of request values (header values, the tier) a memo entry keeps. The
 * memo is bounded in entries; a header may be 16 KB, so entries of long values held up to
 * 160 MB at the default size. A request whose values are longer is evaluated fresh.
 */
export const MEMO_KEY_MAX_CHARS = 1024;

/** Characters of the strings in a memo key. */
function keyChars(key: readonly unknown[]): number {
  let n = 0;
  for (const v of key) if (typeof v === 'string') n += v.length;
  return n;
}

/**
 * The inputs record shares the context's `headers` and `params` objects instead of
 * copying them (a copy per decision was measurable at 1,000 rules): a RoutingContext
 * is built per request and must not be mutated once decided (see decision.ts).
 */
function snapshot(ctx: RoutingContext, draw: number, skipped: readonly string[]): DecisionInputs {
  const inputs: DecisionInputs = {
    headers: ctx.headers,
    tier: ctx.tier,
    team: ctx.team,
    customer: ctx.customer,
    virtual_key: ctx.virtual_key,
    model: ctx.model,
    provider: ctx.provider,
    endpoint: ctx.endpoint,
    stream: ctx.stream,
    params: ctx.params,
    budget_used: ctx.budget_used,
    tokens_used: ctx.tokens_used,
    requests_used: ctx.requests_used,
    now: isoString(ctx.now),
    draw,
  };
  if (skipped.length) inputs.unavailable = [...skipped];
  return inputs;
}

interface RulePlan {
  chooser: Chooser;
  fallbackChoosers: readonly Chooser[];
}

/** `unavailable` without its cooldowns, or null when it has none. */
function withoutCooldowns(unavailable: ReadonlyMap<string, FallbackReason>): ReadonlyMap<string, FallbackReason> | null {
  let rest: Map<string, FallbackReason> | null = null;
  for (const [id, reason] of unavailable) {
    if (reason !== 'cooldown') continue;
    rest ??= new Map(unavailable);
    rest.delete(id);
  }
  return rest;
}

/**
 * Builds a router over a compiled bundle. Creating one is cheap (caches start empty);
 * build a new one when the bundle changes.
 */
export function createRouter(bundle: RuleBundle, opts: RouterOptions = {}): Router {
  const rng = opts.rng ?? Math.random;
  const naive = opts.naive === true;
  const index: RuleIndex = naive ? naiveIndex(bundle.rules) : buildIndex(bundle.rules);
  const { shapeCacheSize, decisionCacheSize, defaultFallbackOn, panic } = bundle.settings;
  // The LRUs own the bounds and the recency; lookups go through the tuple maps, keyed by
  // the request's own strings, and evictions remove entries from them.
  const shapeMap = new TupleMap<Shape>();
  const sharedMap = new TupleMap<Shape>();
  const shapes = naive ? null : new LRUCache<Shape, true>({ max: Math.max(1, shapeCacheSize), dispose: (_v, shape) => (shape.shared ? sharedMap : shapeMap).delete(shape.key) });
  const memo = naive || decisionCacheSize <= 0 ? null
    : new LRUCache<MemoEntry, true>({ max: decisionCacheSize, dispose: (_v, e) => e.shape.memo.delete(e.key) });
  // Fall-through plans depend on the requested provider/model and the principal's
  // allowlists only, so they get their own cache: a new principal's first request reuses
  // the plan of its model and allowlists.
  const plans = naive ? null : new LRUCache<string, FallthroughPlan>({ max: Math.max(PLAN_CACHE_MIN, shapeCacheSize) });
  const planOf = (ctx: RoutingContext): FallthroughPlan => {
    const allow = bundle.principals.allowScopes(ctx);
    if (!plans) return planFallthrough(bundle, ctx.model, ctx.provider, allow);
    // Callers with the same allowlists (most often none) share a plan.
    const key = `${ctx.provider}\u001f${ctx.model}\u001f${allow.map((s) => `${s.level}:${s.id}`).join(',')}`;
    let plan = plans.get(key);
    if (plan === undefined) {
      plan = planFallthrough(bundle, ctx.model, ctx.provider, allow);
      plans.set(key, plan);
    }
    return plan;
  };

  const rulePlans = new Map<CompiledRule, RulePlan>();
  for (const r of bundle.rules) {
    rulePlans.set(r, {
      chooser: createChooser(r.targets),
      fallbackChoosers: r.fallbacks.map((f) => {
        const p = bundle.providers.get(f.provider);
        const option = p ? providerOption(p, f.model, 1, f.key ?? undefined) : null;
        return createChooser(option ? [option] : []);
      }),
    });
  }

  // A shape depends on the caller's ids only through the rules scoped to them and, for
  // the fall-through plan, the allowlists of its chain. Keyed by every virtual key, 20,000
  // keys in turn would miss a 10,000-shape cache on every request (and crowd it when they
  // fit). A key that no rule names and whose chain has no allowlist is left out of the
  // key, and so are the team and customer when no rule names them: such callers share
  // their shape, kept in a map of its own. The memo key leaves these ids out (they are in
  // the shape), so a `when` that reads one keeps it in the shared key, and one that reads
  // `virtual_key` keeps every key's shape its own.
  const scopedIds: Record<Exclude<CompiledRule['scope']['kind'], 'global'>, Set<string>> = { virtual_key: new Set(), team: new Set(), customer: new Set() };
  for (const r of bundle.rules) if (r.scope.kind !== 'global') scopedIds[r.scope.kind].add(r.scope.id!);
  const whenReads = (v: string): boolean => bundle.rules.some((r) => r.facts.variables.has(v));
  const keysRead = whenReads('virtual_key');
  const teamsRead = whenReads('team');
  const customersRead = whenReads('customer');
  /** Configured virtual keys, by whether their callers share shapes (filled on first use). */
  const plainKeys = new Map<string, boolean>();
  const sharesShape = (vk: string): boolean => {
    let plain = plainKeys.get(vk);
    if (plain === undefined) {
      if (keysRead || !bundle.principals.virtualKeys.has(vk)) return false;
      plain = !scopedIds.virtual_key.has(vk) && bundle.principals.allowScopes({ virtual_key: vk }).length === 0;
      plainKeys.set(vk, plain);
    }
    return plain;
  };
  const sharedReaders: readonly ((ctx: RoutingContext) => string)[] = [
    (ctx) => (teamsRead || scopedIds.team.has(ctx.team) ? ctx.team : ''),
    (ctx) => (customersRead || scopedIds.customer.has(ctx.customer) ? ctx.customer : ''),
    (ctx) => ctx.endpoint,
    (ctx) => ctx.provider,
    (ctx) => ctx.model,
  ];

  const anyShadow = bundle.rules.some((r) => r.enabled && r.mode === 'shadow');
  const buildShape = (key: readonly string[], ctx: RoutingContext, shared = false): Shape => {
    const candidates = index.candidates(ctx);
    let lastShadow = -1;
    if (anyShadow) for (let i = candidates.length - 1; i >= 0 && lastShadow < 0; i--) if (candidates[i].mode === 'shadow') lastShadow = i;
    const stable: number[] = [];
    const volatile: number[] = [];
    if (memo) for (let i = 0; i < candidates.length; i++) (candidates[i].facts.volatile ? volatile : stable).push(i);
    return {
      key,
      shared,
      candidates,
      lastShadow,
      stable,
      volatile,
      projection: memo ? projectionFor(stable.map((i) => candidates[i])) : null,
      memo: new TupleMap(),
      fallthrough: planOf(ctx),
    };
  };

  const shapeOf = (ctx: RoutingContext): Shape => {
    if (!shapes) return buildShape(SHAPE_FIELDS.map((f) => ctx[f]), ctx);
    const shared = ctx.virtual_key !== '' && sharesShape(ctx.virtual_key);
    const map = shared ? sharedMap : shapeMap;
    const readers = shared ? sharedReaders : SHAPE_READERS;
    let shape = map.getBy(ctx, readers);
    if (shape === undefined) {
      const key = readers.map((read) => read(ctx));
      shape = buildShape(key, ctx, shared);
      map.set(key, shape);
      shapes.set(shape, true);
    } else shapes.get(shape);
    return shape;
  };

  const outcomeOf = (shape: Shape, ctx: RoutingContext): { outcome: RuleOutcome; cached: boolean } => {
    if (!memo || !shape.projection) return { outcome: evaluateRules(shape.candidates, ctx, shape.lastShadow, !naive), cached: false };
    let entry = shape.memo.getBy(ctx, shape.projection);
    const cached = entry !== undefined;
    if (entry === undefined) {
      const key = shape.projection.map((read) => read(ctx));
      const hits = Object.freeze(evaluateStable(shape.candidates, shape.stable, ctx));
      entry = { hits, outcome: outcomeOfHits(shape.candidates, hits), shape, key };
      if (keyChars(key) <= MEMO_KEY_MAX_CHARS) {
        shape.memo.set(key, entry);
        memo.set(entry, true);
      }
    } else memo.get(entry);
    // Volatile rules whose guard fails add nothing (no match, no error): when all fail,
    // the stable outcome is the outcome.
    let live: number[] | null = null;
    for (const i of shape.volatile) {
      const guard = shape.candidates[i].guard;
      if (guard === null || guard(ctx)) (live ??= []).push(i);
    }
    return { outcome: live === null ? entry.outcome : combine(shape.candidates, entry.hits, live, ctx), cached };
  };

  const ruleDecision = (rule: CompiledRule, outcome: RuleOutcome, ctx: RoutingContext, draw: number, unavailable: DecideOptions['unavailable'], cached: boolean): Decision => {
    const plan = rulePlans.get(rule)!;
    const choice = plan.chooser.choose(draw, unavailable);
    let selected = choice.selected;
    let fallbacks: readonly TargetRecord[] = rule.fallbacks;
    let skipped: readonly string[] = choice.skipped;
    if (!selected) {
      // Every primary target is unavailable: the first available fallback the caller may
      // use is promoted (one it may not use would only be refused, 403).
      const allow = bundle.principals.allowScopes(ctx);
      for (let i = 0; i < plan.fallbackChoosers.length; i++) {
        const f = rule.fallbacks[i];
        if (allow.length > 0 && refusingScope(allow, f.provider, f.model) !== null) continue;
        const c = plan.fallbackChoosers[i].choose(draw, unavailable);
        skipped = [...skipped, ...c.skipped];
        if (c.selected) {
          selected = c.selected;
          fallbacks = rule.fallbacks.slice(i + 1);
          break;
        }
      }
    }
    return {
      via: 'rule',
      rule_id: rule.id,
      priority: rule.priority,
      scope: rule.scope.label,
      targets: choice.targets as TargetRecord[],
      selected,
      fallbacks: fallbacks as TargetRecord[],
      fallback_on: rule.fallbackOn as FallbackReason[],
      shadow_matches: outcome.shadow as string[],
      errors: outcome.errors as Decision['errors'],
      reason: selected ? null : 'no_route',
      cached,
      inputs: snapshot(ctx, draw, skipped.length ? [...new Set(skipped)] : skipped),
      revision: bundle.revision,
    };
  };

  const fallthroughDecision = (plan: FallthroughPlan, outcome: RuleOutcome, ctx: RoutingContext, draw: number, unavailable: DecideOptions['unavailable'], cached: boolean): Decision => {
    const choice = plan.chooser.choose(draw, unavailable);
    const reason = plan.reason ?? (choice.selected ? null : 'no_route');
    return {
      via: reason ? 'none' : plan.via,
      rule_id: null,
      priority: null,
      scope: null,
      targets: choice.targets as TargetRecord[],
      selected: choice.selected,
      fallbacks: (choice.option >= 0 ? plan.fallbacksAfter[choice.option] : NO_TARGETS) as TargetRecord[],
      fallback_on: defaultFallbackOn as FallbackReason[],
      shadow_matches: outcome.shadow as string[],
      errors: outcome.errors as Decision['errors'],
      reason,
      cached,
      inputs: snapshot(ctx, draw, choice.skipped),
      revision: bundle.revision,
    };
  };

  return {
    bundle,
    decide(ctx, o = {}) {
      const draw = o.draw ?? rng();
      const shape = shapeOf(ctx);
      const { outcome, cached } = outcomeOf(shape, ctx);
      const winner = outcome.winner;
      const d = winner
        ? ruleDecision(winner, outcome, ctx, draw, o.unavailable, cached)
        : fallthroughDecision(shape.fallthrough, outcome, ctx, draw, o.unavailable, cached);
      if (d.selected !== null || !panic || o.unavailable === undefined) return d;
      // Panic: every target is out, some only cooling down. The breaker steers traffic to
      // healthy targets; it never refuses a request on its own. Budgets and limits still do.
      const rest = withoutCooldowns(o.unavailable);
      if (rest === null) return d;
      const p = winner
        ? ruleDecision(winner, outcome, ctx, draw, rest, cached)
        : fallthroughDecision(shape.fallthrough, outcome, ctx, draw, rest, cached);
      if (p.selected === null) return d;
      p.panic = true;
      // What both passes skipped: the cooldowns passed over, and what still ruled targets out.
      p.inputs.unavailable = [...new Set([...(d.inputs.unavailable ?? []), ...(p.inputs.unavailable ?? [])])];
      return p;
    },
  };
}
