/**
 * Rule evaluation semantics, in one place. Candidates are evaluated in order; the first
 * enforcing rule whose `when` is true wins; shadow rules are evaluated whether they come
 * before or after the winner and reported, never routing; an evaluation error makes a
 * rule not match and is recorded. Enforcing rules after the winner are not evaluated.
 *
 * The memoized form splits a shape's candidates into stable rules (reading only request
 * data) and volatile ones (reading budget_used, tokens_used, requests_used or now): the
 * stable rules' results are cached on the values they read, the volatile rules are
 * evaluated fresh, and `combine` merges both in candidate order — giving exactly what
 * `evaluateRules` gives.
 */
import type { RoutingContext } from '../decision.js';
import type { CompiledRule } from './bundle.js';
import { toActivation, type CelActivation } from './cel.js';

/** The rule part of a decision: what matched, which shadow rules matched, what failed. */
export interface RuleOutcome {
  winner: CompiledRule | null;
  shadow: readonly string[];
  errors: readonly { rule_id: string; message: string }[];
}

const NONE: readonly string[] = Object.freeze([]);
const NO_ERRORS: RuleOutcome['errors'] = Object.freeze([]);
export const NO_MATCH: RuleOutcome = Object.freeze({ winner: null, shadow: NONE, errors: NO_ERRORS });

function errorMessage(e: unknown): string {
  const err = e as { summary?: string; message?: string };
  return err.summary ?? err.message ?? String(e);
}

/** One rule's result: true, false, or the evaluation error's message. */
type Result = true | false | string;

/** Lazily built activations, shared by the rules of one evaluation. */
class Evaluator {
  private fast: CelActivation | null = null;
  private safe: CelActivation | null = null;
  constructor(private readonly ctx: RoutingContext, private readonly guards: boolean) {}

  run(r: CompiledRule): Result {
    if (this.guards && r.guard !== null && !r.guard(this.ctx)) return false;
    try {
      const activation = r.safeMaps ? (this.safe ??= toActivation(this.ctx, true)) : (this.fast ??= toActivation(this.ctx, false));
      return r.evaluate(activation) === true;
    } catch (e) {
      return errorMessage(e);
    }
  }
}

/** Accumulates an outcome in candidate order. */
class Outcome {
  winner: CompiledRule | null = null;
  private shadow: string[] | null = null;
  private errors: { rule_id: string; message: string }[] | null = null;

  /** Whether `r` still needs evaluating (no winner yet, or it is a shadow rule). */
  wants(r: CompiledRule): boolean {
    return this.winner === null || r.mode === 'shadow';
  }

  add(r: CompiledRule, result: Result): void {
    if (result === false) return;
    if (result !== true) (this.errors ??= []).push({ rule_id: r.id, message: result });
    else if (r.mode === 'shadow') (this.shadow ??= []).push(r.id);
    else this.winner = r;
  }

  done(): RuleOutcome {
    if (this.winner === null && this.shadow === null && this.errors === null) return NO_MATCH;
    return Object.freeze({
      winner: this.winner,
      shadow: this.shadow ? Object.freeze(this.shadow) : NONE,
      errors: this.errors ? Object.freeze(this.errors) : NO_ERRORS,
    });
  }
}

/**
 * The reference semantics. `lastShadow`: index of the last shadow candidate (evaluation
 * stops at the winner past it). `guards: false` runs every CEL program (naive baseline).
 */
export function evaluateRules(candidates: readonly CompiledRule[], ctx: RoutingContext, lastShadow = candidates.length - 1, guards = true): RuleOutcome {
  if (candidates.length === 0) return NO_MATCH;
  const ev = new Evaluator(ctx, guards);
  const out = new Outcome();
  for (let i = 0; i < candidates.length; i++) {
    const r = candidates[i];
    if (!out.wants(r)) {
      if (i > lastShadow) break;
      continue;
    }
    out.add(r, ev.run(r));
  }
  return out.done();
}

/** A stable candidate's non-false result, by candidate index. */
export interface StableHit {
  index: number;
  result: true | string;
}

/**
 * Results of the stable candidates (indices `stable`, ascending) that are not false:
 * enforcing rules up to and including the first one that is true, every shadow rule.
 * Enforcing rules after that can never matter, whatever the volatile rules do.
 */
export function evaluateStable(candidates: readonly CompiledRule[], stable: readonly number[], ctx: RoutingContext): StableHit[] {
  const ev = new Evaluator(ctx, true);
  const hits: StableHit[] = [];
  let won = false;
  for (const i of stable) {
    const r = candidates[i];
    if (won && r.mode === 'enforce') continue;
    const result = ev.run(r);
    if (result === false) continue;
    hits.push({ index: i, result });
    if (result === true && r.mode === 'enforce') won = true;
  }
  return hits;
}

/** Merges memoized stable hits with fresh evaluation of the volatile candidates, in candidate order. */
export function combine(candidates: readonly CompiledRule[], hits: readonly StableHit[], volatile: readonly number[], ctx: RoutingContext): RuleOutcome {
  const ev = new Evaluator(ctx, true);
  const out = new Outcome();
  let h = 0;
  let v = 0;
  while (h < hits.length || v < volatile.length) {
    if (v >= volatile.length || (h < hits.length && hits[h].index < volatile[v])) {
      const hit = hits[h++];
      const r = candidates[hit.index];
      if (out.wants(r)) out.add(r, hit.result);
    } else {
      const r = candidates[volatile[v++]];
      if (out.wants(r)) out.add(r, ev.run(r));
    }
  }
  return out.done();
}

/** The outcome of the stable candidates alone (a shape with no volatile candidates). */
export function outcomeOfHits(candidates: readonly CompiledRule[], hits: readonly StableHit[]): RuleOutcome {
  const out = new Outcome();
  for (const hit of hits) {
    const r = candidates[hit.index];
    if (out.wants(r)) out.add(r, hit.result);
  }
  return out.done();
}
