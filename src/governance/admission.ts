/**
 * One admitted request: what it reserved, and the single way out (settle with real
 * usage, or release on failure). Calling either again returns the first outcome, so
 * error paths may release defensively after a settle.
 */
import { randomUUID } from 'node:crypto';
import type { Usage } from '../canonical.js';
import type { BudgetRef } from './budgets.js';
import { NANO_PER_USD } from './pricing.js';
import type { SlotRef, WindowRef } from './rate-limits.js';
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
  reservedNano: number;
  /** Units taken from each window of the plan at admission. */
  taken: number[];
  /** Whether the store holds a lease for it (false when nothing applied). */
  leased: boolean;
  /** Latest known state of the principal's budgets (same order as the plan). */
  states: BudgetState[];
}

/** Settles (`outcome`) or releases (`null`) an admission in the store. */
export type Finish = (record: AdmissionRecord, outcome: { usage: Usage; served: Target } | null) => Promise<{ costUsd: number }>;

export class Admission {
  private outcome: Promise<{ costUsd: number }> | null = null;

  constructor(private readonly finish: Finish, private readonly record: AdmissionRecord) {}

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
    this.outcome ??= this.finish(this.record, { usage, served });
    return this.outcome;
  }

  /** Returns the reservation, the concurrency slot and the token estimate (nothing was served). */
  async release(): Promise<void> {
    this.outcome ??= this.finish(this.record, null);
    await this.outcome;
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
