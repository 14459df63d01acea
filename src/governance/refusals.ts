/** The errors a refused admission becomes: which level and id, and when to retry. */
import { SwitchyardError } from '../errors.js';
import type { Plan } from './admission.js';
import type { Unavailability } from './availability.js';
import { NANO_PER_USD } from './pricing.js';
import type { AdmitResult } from './store.js';

export type Refusal = Exclude<AdmitResult, { ok: true }>;

/**
 * SY_ERR_BUDGET_EXCEEDED (details: level, id, limit_usd, period, spent_usd, resets_at; retryAfter
 * until it resets for a provider's budget) or
 * SY_ERR_RATE_LIMITED (details: level, id, limit = requests | tokens | concurrency; retryAfter in seconds).
 */
export function refusalError(plan: Plan, r: Refusal, amount: number, now: number): SwitchyardError {
  if (r.kind === 'budget') {
    const b = plan.budgets[r.index];
    const resetsAt = new Date(r.state.end || b.window(now).end).toISOString();
    const used = r.state.spent + r.state.reserved;
    // Not spent yet, but this request's reservation (its max_tokens, or the default
    // reservation when it sets none) does not fit in what is left.
    const message = used < b.limitNano
      ? `Budget for ${b.describe()} cannot cover this request: ${usd(used)} spent or reserved, ${usd(b.limitNano - used)} left, and this request may cost up to ${usd(amount)} (a lower max_tokens reserves less); resets at ${resetsAt}`
      : `Budget exhausted for ${b.describe()}: ${usd(used)} spent or reserved, this request may cost up to ${usd(amount)}; resets at ${resetsAt}`;
    // A provider's budget is waited out like its rate limit (the request goes elsewhere
    // when anything else can serve it): the client is told when it resets.
    const retryAfter = b.level === 'provider' ? secondsUntil(Date.parse(resetsAt), now) : undefined;
    return new SwitchyardError(
      'SY_ERR_BUDGET_EXCEEDED',
      message,
      { retryAfter, details: { level: b.level, id: b.id, limit_usd: b.spec.limit_usd, period: b.spec.period, spent_usd: r.state.spent / NANO_PER_USD, resets_at: resetsAt } },
    );
  }
  if (r.kind === 'slot') {
    const s = plan.slots[r.index];
    return new SwitchyardError('SY_ERR_RATE_LIMITED', `Concurrency limit: ${s.describe()}`, {
      retryAfter: 1,
      details: { level: s.level, id: s.id, limit: 'concurrency', max_in_flight: s.limit },
    });
  }
  const w = plan.windows[r.index];
  const retryAfter = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
  return new SwitchyardError('SY_ERR_RATE_LIMITED', `Rate limit: ${w.describe()}; retry in ${retryAfter}s`, {
    retryAfter,
    details: { level: w.level, id: w.id, limit: w.kind, per: w.per },
  });
}

/**
 * The refusal of a provider already known to sit out for its own budget or rate limit
 * until `until` (epoch ms): what a fallback to it hears without asking the store.
 */
export function unavailableError(provider: string, reason: Unavailability, until: number, now: number): SwitchyardError {
  const retryAfter = secondsUntil(until, now);
  const budget = reason === 'budget_exceeded';
  return new SwitchyardError(
    budget ? 'SY_ERR_BUDGET_EXCEEDED' : 'SY_ERR_RATE_LIMITED',
    `Provider "${provider}" cannot take requests now (${budget ? 'its budget is spent' : 'over its rate limit'}); retry in ${retryAfter}s`,
    { retryAfter, details: { level: 'provider', id: provider } },
  );
}

function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

function usd(nano: number): string {
  return `$${Number((nano / NANO_PER_USD).toFixed(6))}`;
}
