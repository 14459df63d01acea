/**
 * Providers that must sit out of balancing and fallback because one of their own
 * budgets or rate limits is exhausted. Kept as a ready map (read on every decision)
 * and changed only when admissions, settlements or the periodic refresh learn
 * something; entries also lapse on their own when their `until` passes.
 */
export type Unavailability = 'budget_exceeded' | 'rate_limit_exceeded';

interface Entry {
  reason: Unavailability;
  until: number;
}

export class Availability {
  private readonly entries = new Map<string, Entry>();
  private view: ReadonlyMap<string, Unavailability> = new Map();
  private nextExpiry = Infinity;

  /** Marks `provider`; a budget mark outranks a rate-limit mark while both are active. */
  set(provider: string, reason: Unavailability, until: number, now: number): void {
    const prev = this.entries.get(provider);
    if (prev && prev.until > now && prev.reason === 'budget_exceeded' && reason === 'rate_limit_exceeded') return;
    if (prev && prev.reason === reason && prev.until === until) return;
    this.entries.set(provider, { reason, until });
    this.rebuild(now);
  }

  clear(provider: string, reason: Unavailability | null, now: number): void {
    const prev = this.entries.get(provider);
    if (!prev || (reason !== null && prev.reason !== reason)) return;
    this.entries.delete(provider);
    this.rebuild(now);
  }

  reason(provider: string): Unavailability | undefined {
    return this.entries.get(provider)?.reason;
  }

  /** When `provider`'s mark lapses (epoch ms), if it has one. */
  until(provider: string): number | undefined {
    return this.entries.get(provider)?.until;
  }

  current(now: number): ReadonlyMap<string, Unavailability> {
    if (now >= this.nextExpiry) this.rebuild(now);
    return this.view;
  }

  private rebuild(now: number): void {
    const view = new Map<string, Unavailability>();
    let next = Infinity;
    for (const [provider, e] of this.entries) {
      if (e.until <= now) {
        this.entries.delete(provider);
        continue;
      }
      view.set(provider, e.reason);
      next = Math.min(next, e.until);
    }
    this.view = view;
    this.nextExpiry = next;
  }
}
