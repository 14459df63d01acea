/**
 * The reasoning setting between scales: OpenAI's efforts (`reasoning_effort`, the Responses
 * API's `reasoning.effort`), Anthropic's thinking budgets and efforts, Gemini's thinking
 * budgets and levels. An effort becomes a budget by EFFORT_BUDGET, a budget an effort by
 * the nearest step of the same table.
 */
import type { ReasoningEffort, ReasoningSetting } from '../canonical.js';

/** Thinking tokens per effort, for providers that take a budget. */
export const EFFORT_BUDGET: Readonly<Record<ReasoningEffort, number>> = { minimal: 1024, low: 4096, medium: 16384, high: 32768 };

/** The effort a client's value names; undefined for `none`, an unknown value or no value (no reasoning asked). */
export function effortOf(v: unknown): ReasoningEffort | undefined {
  switch (v) {
    case 'minimal':
    case 'low':
    case 'medium':
    case 'high':
      return v;
    // OpenAI's and Anthropic's efforts above high.
    case 'xhigh':
    case 'max':
      return 'high';
    default:
      return undefined;
  }
}

/** The effort whose budget is nearest at or above `budget`. */
export function effortForBudget(budget: number): ReasoningEffort {
  if (budget <= EFFORT_BUDGET.minimal) return 'minimal';
  if (budget <= EFFORT_BUDGET.low) return 'low';
  if (budget <= EFFORT_BUDGET.medium) return 'medium';
  return 'high';
}

/** The budget the client gave, else its effort's. */
export function budgetOf(r: ReasoningSetting): number {
  return r.budgetTokens ?? EFFORT_BUDGET[r.effort];
}
