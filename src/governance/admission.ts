/**
 * One admitted request: what it reserved, and the single way out (settle with real
 * usage, or release on failure). Calling either again returns the first outcome, so
 * error paths may release defensively after a settle. A fallback to another provider
 * moves it there first (moveTo), so that provider's own limits are taken too.
 */
import { randomUUID } from 'node:crypto';
import type { Usage } from '../canonical.js';
import type { BudgetRef } from './budgets.js';
import { NANO_PER_USD, type PriceTable } from './pricing.js';
import { WindowsSeen, type RateStanding, type SlotRef, type WindowRef } from './rate-limits.js';
import type { BudgetState } from './store.js';

export interface Target {
  provider: string;
  model: string;
}

/** Everything that applies to one principal sending to one provider, built once per pair. */
export interface Plan {
  provider: string;
  /** The principal's budgets, then the provider's. */
  budgets: BudgetRef[];
  principalBudgets: number;
  /** The provider's part of `budgets`. */
  providerBudgets: BudgetRef[];
  /** The principal's windows, then the provider's. */
  windows: WindowRef[];
  principalWindows: number;
  slots: SlotRef[];
}

export interface AdmissionRecord {
  /** The store's lease id; '' until Admission#id asks for one when nothing was leased. */
  id: string;
  plan: Plan;
  target: Target;
  /** The prices it was admitted under: it settles at them, across a reload. */
  prices: PriceTable;
  reservedNano: number;
  /** Units taken from each window of the plan at admission. */
  taken: number[];
  /** Whether the store holds a lease for it (false when nothing applied). */
  leased: boolean;
  /** Latest known state of the principal's budgets (same order as the plan). */
  states: BudgetState[];
  /** Each window's TAT after admission (same order as the plan); empty when nothing was leased. */
  tats: number[];
  /** The estimate reserved for (input tokens, output cap): a fallback's provider reserves the same. */
  inputTokens: number;
  outputTokens: number;
  /** The service tier the client asked for, which a fallback's provider reserves at too. */
  serviceTier: string | undefined;
}

/** What an Admission asks of governance. */
export interface Ledger {
  /**
   * Settles (`outcome`) or releases (`null`) an admission in the store, with `held`, the
   * hold on a fallback's provider (see hold) when it has one.
   */
  finish(record: AdmissionRecord, outcome: { usage: Usage; served: Target } | null, held: AdmissionRecord | null): Promise<{ costUsd: number }>;
  /**
   * Takes `target`'s provider's own budgets, windows and slot for the request `of`
   * (its principal's stay as they are): the hold's record, or null when that provider has
   * none. Throws the provider's refusal (SY_ERR_BUDGET_EXCEEDED or SY_ERR_RATE_LIMITED,
   * level provider), synchronously when it is already known to sit out.
   */
  hold(of: AdmissionRecord, target: Target): AdmissionRecord | null | Promise<AdmissionRecord>;
}

const ignore = (): void => undefined;

export class Admission {
  private outcome: Promise<{ costUsd: number }> | null = null;
  /** The hold on the provider of the fallback dispatch moved the request to, when it is not the admitted one. */
  private held: AdmissionRecord | null = null;
  /** A move under way: settlement waits for it, so a hold it takes is never left open. */
  private moving: Promise<void> | null = null;

  constructor(private readonly ledger: Ledger, private readonly record: AdmissionRecord) {}

  get id(): string {
    return (this.record.id ||= randomUUID());
  }

  /** USD reserved on each applicable budget (input estimate + max output tokens). */
  get reservedUsd(): number {
    return this.record.reservedNano / NANO_PER_USD;
  }

  /**
   * Replaces the reservation with the real cost of `usage` at the served model's price,
   * charged to the principal's budgets and the served provider's.
   * @example const { costUsd } = await admission.settle(response.usage, { provider: 'openai', model: 'gpt-4o' });
   */
  settle(usage: Usage, served: Target): Promise<{ costUsd: number }> {
    this.outcome ??= this.close({ usage, served });
    return this.outcome;
  }

  /** Returns the reservation, the concurrency slot and the token estimate (nothing was served). */
  async release(): Promise<void> {
    this.outcome ??= this.close(null);
    await this.outcome;
  }

  /**
   * Moves the request to `target`'s provider before dispatch first calls it (a fallback):
   * that provider's budgets are reserved for the same estimate at its model's price, and
   * its rate-limit units and concurrency slot are taken, as they were for the admitted
   * provider. The principal's reservations stay as admitted. The hold of a provider moved
   * to before is released; moving back to the admitted provider, or to one with no budget
   * or limit, takes nothing. Refused, nothing changes and the provider's refusal is thrown
   * (SY_ERR_BUDGET_EXCEEDED or SY_ERR_RATE_LIMITED, `details.level` provider, with
   * retryAfter). Returns a promise only when the store is involved.
   * @example await admission.moveTo({ provider: 'anthropic', model: 'claude-sonnet-4-5' });
   */
  moveTo(target: Target): void | Promise<void> {
    if (this.outcome !== null) throw new Error('Admission#moveTo after the admission was settled or released');
    const held = this.held;
    const provider = target.provider;
    const admitted = this.record.plan.provider;
    if (held === null ? provider === admitted : provider === held.plan.provider) return;
    const next = provider === admitted ? null : this.ledger.hold(this.record, target);
    const step = next instanceof Promise ? next.then((r) => this.adopt(r)) : this.adopt(next);
    if (step !== undefined) this.moving = step.catch(ignore);
    return step;
  }

  /** Makes `next` the hold, releasing the one it replaces. */
  private adopt(next: AdmissionRecord | null): Promise<void> | undefined {
    const prev = this.held;
    this.held = next;
    return prev === null ? undefined : this.ledger.finish(prev, null, null).then(ignore);
  }

  private close(outcome: { usage: Usage; served: Target } | null): Promise<{ costUsd: number }> {
    if (this.held === null && this.moving === null) return this.ledger.finish(this.record, outcome, null);
    return this.closeMoved(outcome);
  }

  private async closeMoved(outcome: { usage: Usage; served: Target } | null): Promise<{ costUsd: number }> {
    await this.moving;
    const held = this.held;
    this.held = null;
    return this.ledger.finish(this.record, outcome, held);
  }

  /**
   * The principal's tightest request and token windows at `now` (epoch ms), as admission
   * left them: this request's units taken (its input estimate, for tokens), later requests'
   * not seen. Null when no request or token limit applies to the principal.
   * @example const s = admission.rateLimits(Date.now()); // { requests: { limit: 600, remaining: 599, resetAt }, tokens: null }
   */
  rateLimits(now: number): RateStanding | null {
    const { plan, tats } = this.record;
    return plan.principalWindows === 0 ? null : new WindowsSeen(plan.windows, plan.principalWindows, tats).at(now);
  }

  /** USD left in the tightest of the principal's budgets, or null when none applies. */
  budgetRemaining(): number | null {
    const { plan, states } = this.record;
    if (plan.principalBudgets === 0) return null;
    let min = Infinity;
    for (let i = 0; i < plan.principalBudgets; i++) {
      min = Math.min(min, plan.budgets[i].limitNano - states[i].spent - states[i].reserved);
    }
    return Math.max(0, min) / NANO_PER_USD;
  }
}
