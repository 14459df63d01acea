/**
 * Prometheus metrics for budgets, rate limits and the counter store, read from
 * Governance.metrics at scrape time.
 */
import { Counter, type Registry } from 'prom-client';
import type { GovernanceMetrics } from './governance.js';

type Field = Exclude<keyof GovernanceMetrics, 'store'>;

const COUNTERS = {
  switchyard_admissions_total: ['admitted_total', 'Requests admitted by budgets and rate limits.'],
  switchyard_budget_refusals_total: ['budget_exceeded_total', 'Requests refused (or, at provider level, sent elsewhere) because a budget was spent.'],
  switchyard_rate_limit_refusals_total: ['rate_limited_total', 'Requests refused (or, at provider level, sent elsewhere) by a rate or concurrency limit.'],
  switchyard_unknown_price_total: ['unknown_price_total', 'Requests for a model with no price: charged $0, or refused under unknown_price: block.'],
  switchyard_settlements_deferred_total: ['settle_deferred_total', 'Settlements the counter store did not take at once, sent again until it did.'],
  switchyard_settlements_lost_total: ['settle_lost_total', 'Settlements given up: too many waiting, or still waiting at shutdown.'],
} as const satisfies Record<string, readonly [Field, string]>;

const STORE_COUNTERS: Readonly<Record<string, string>> = {
  store_errors_total: 'Counter store calls that failed (Redis down or too slow).',
  store_outages_total: 'Counter store outages (a failure after a success), each logged once.',
  store_fail_open_total: 'Store calls answered by local counters while the store was down (on_unavailable: fail_open).',
  store_settlements_replayed_total: 'Settlements made locally under fail_open, sent to the store once it answered again.',
  store_settlements_lost_total: 'Settlements made locally under fail_open that never reached the store (too many waiting, or still down at shutdown).',
};

/**
 * Registers the governance metrics.
 * @example registerGovernanceMetrics(governance.metrics, registry)
 */
export function registerGovernanceMetrics(m: GovernanceMetrics, registry: Registry): void {
  const mirror = (name: string, help: string, read: () => number): void => {
    new Counter({
      name, help, registers: [registry],
      collect() {
        // The counts live in governance and the store; mirror them at scrape time.
        this.reset();
        this.inc(read());
      },
    });
  };
  for (const [name, [field, help]] of Object.entries(COUNTERS)) mirror(name, help, () => m[field]);
  for (const [field, help] of Object.entries(STORE_COUNTERS)) {
    if (m.store !== null && field in m.store) mirror(`switchyard_counter_${field}`, help, () => m.store?.[field] ?? 0);
  }
}
