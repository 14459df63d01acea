/**
 * Explain: for every rule of the bundle, in evaluation order, what it did with this
 * request — and the decision itself. Used by `switchyard explain` and POST /admin/explain.
 * Not on the hot path: every in-scope rule is evaluated, without index or cache.
 */
import type { Decision, DecideOptions, RoutingContext } from '../decision.js';
import type { Location } from '../config/source.js';
import { notAllowedMessage, refusingScope } from '../config/model-match.js';
import type { CompiledRule } from './bundle.js';
import type { Router } from './router.js';
import { evaluateRules } from './evaluation.js';
import { scopeApplies } from './rule-index.js';
import { formatTarget } from './targets.js';

export type RuleStatus = 'disabled' | 'out_of_scope' | 'false' | 'matched' | 'shadow_matched' | 'error' | 'not_reached';

export interface RuleTrace {
  rule_id: string;
  /** Where the rule is (its `id`). */
  location: Location;
  priority: number;
  scope: string;
  mode: 'enforce' | 'shadow';
  when: string;
  status: RuleStatus;
  /** The evaluation error, for status `error`. */
  message?: string;
  /** `provider/model[#key]` targets the rule names. */
  targets: string[];
}

/** What the caller's allowlists (`allowed_models`, `allowed_providers`) make of the decision. */
export interface Access {
  /** The gateway's answer when the caller may not use the selected target; null when it may, or nothing was selected. */
  refused: { status: 403; code: 'SY_ERR_MODEL_NOT_ALLOWED'; message: string } | null;
  /** Fallbacks left out of the plan (`provider/model[#key]`): the caller may not use them. */
  fallbacks_not_allowed: string[];
}

export interface Explanation {
  rules: RuleTrace[];
  decision: Decision;
  access: Access;
}

/**
 * The caller's allowlists applied to `d`, as the gateway applies them after deciding:
 * a selected target the caller may not use is a 403, and such fallbacks are dropped.
 */
export function accessOf(router: Router, ctx: RoutingContext, d: Decision): Access {
  const scopes = router.bundle.principals.allowScopes(ctx);
  if (scopes.length === 0) return { refused: null, fallbacks_not_allowed: [] };
  const sel = d.selected;
  const scope = sel ? refusingScope(scopes, sel.provider, sel.model) : null;
  return {
    refused: scope && sel ? { status: 403, code: 'SY_ERR_MODEL_NOT_ALLOWED', message: notAllowedMessage(scope, sel.provider, sel.model) } : null,
    fallbacks_not_allowed: d.fallbacks.filter((t) => refusingScope(scopes, t.provider, t.model) !== null).map(formatTarget),
  };
}

function statusOf(rule: CompiledRule, ctx: RoutingContext, evaluated: Map<CompiledRule, { value?: unknown; error?: string }>, winner: CompiledRule | null): Pick<RuleTrace, 'status' | 'message'> {
  if (!rule.enabled) return { status: 'disabled' };
  if (!scopeApplies(rule, ctx)) return { status: 'out_of_scope' };
  const r = evaluated.get(rule);
  if (!r) return { status: 'not_reached' };
  if (r.error !== undefined) return { status: 'error', message: r.error };
  if (r.value !== true) return { status: 'false' };
  if (rule.mode === 'shadow') return { status: 'shadow_matched' };
  return rule === winner ? { status: 'matched' } : { status: 'not_reached' };
}

/**
 * Traces every rule for `ctx` and returns the router's decision (same draw, same
 * unavailable set).
 *
 * @example
 * const { rules, decision } = explain(router, ctx, { draw: 0.3 });
 * rules.filter((r) => r.status === 'error').map((r) => r.message);
 */
export function explain(router: Router, ctx: RoutingContext, opts: DecideOptions = {}): Explanation {
  const { rules } = router.bundle;
  const inScope = rules.filter((r) => r.enabled && scopeApplies(r, ctx));
  // Evaluate one at a time, in order, exactly as the router does.
  const evaluated = new Map<CompiledRule, { value?: unknown; error?: string }>();
  let winner: CompiledRule | null = null;
  for (const r of inScope) {
    if (winner && r.mode === 'enforce') continue;
    const single = evaluateRules([r], ctx);
    if (single.errors.length) evaluated.set(r, { error: single.errors[0].message });
    else evaluated.set(r, { value: single.winner === r || single.shadow.length > 0 });
    if (single.winner === r) winner = r;
  }
  const decision = router.decide(ctx, opts);
  return {
    decision,
    access: accessOf(router, ctx, decision),
    rules: rules.map((r) => ({
      rule_id: r.id,
      location: r.location,
      priority: r.priority,
      scope: r.scope.label,
      mode: r.mode,
      when: r.when,
      ...statusOf(r, ctx, evaluated, winner),
      targets: r.targets.map((t) => formatTarget({ provider: t.provider, model: t.model, key: t.pinned ? t.keys[0]?.name : null })),
    })),
  };
}
