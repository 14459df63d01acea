/** Budgets as the hot path uses them: parsed once, with their store key and current window. */
import type { Budget } from '../types/gateway-config.js';
import { calendarWindow, parseDuration, rollingWindow, type Duration, type Window } from './periods.js';
import type { BudgetLine, ChargeLine } from './store.js';
import { NANO_PER_USD } from './pricing.js';

/** Who a budget or limit belongs to; also the `level` in error details. */
export type Level = 'customer' | 'team' | 'virtual_key' | 'provider';

export class BudgetRef {
  readonly limitNano: number;
  readonly block: boolean;
  readonly calendar: boolean;
  /** Store key; budgets of one owner with the same period share a counter (spend is spend). */
  readonly key: string;
  private readonly duration: Duration;
  private cached: Window = { start: 0, end: 0 };

  constructor(readonly level: Level, readonly id: string, readonly spec: Readonly<Budget>) {
    this.duration = parseDuration(spec.period);
    this.limitNano = Math.floor(spec.limit_usd * NANO_PER_USD);
    this.block = (spec.on_exhausted ?? 'block') === 'block';
    this.calendar = spec.calendar_aligned ?? true;
    this.key = `b:${level}:${encodeURIComponent(id)}:${spec.period}:${this.calendar ? 'c' : 'r'}`;
  }

  /** The window a counter opens with when none is open at `now`. */
  window(now: number): Window {
    if (!this.calendar) return rollingWindow(this.duration, now);
    if (now < this.cached.start || now >= this.cached.end) this.cached = calendarWindow(this.duration, now);
    return this.cached;
  }

  line(now: number, amount: number): BudgetLine {
    const w = this.window(now);
    return { key: this.key, start: w.start, end: w.end, limit: this.limitNano, amount, block: this.block };
  }

  charge(now: number, amount: number): ChargeLine {
    const w = this.window(now);
    return { key: this.key, start: w.start, end: w.end, amount };
  }

  describe(): string {
    return `${this.level} "${this.id}" (limit $${this.spec.limit_usd} per ${this.spec.period}${this.calendar ? '' : ', rolling'})`;
  }
}

/** Percent (0–100) of a budget used by spend plus open reservations. */
export function percentUsed(limitNano: number, used: number): number {
  if (limitNano <= 0) return 100;
  return Math.min(100, Math.max(0, (used / limitNano) * 100));
}
