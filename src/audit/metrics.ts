/**
 * Prometheus metrics for the audit log, read from AuditLog.stats() at scrape time.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditLog } from './log.js';
import type { SinkStats } from './queue.js';

const COUNTERS = {
  switchyard_audit_dropped_total: ['dropped', 'Audit events never stored: buffer full, or still queued when shutdown gave up.'],
  switchyard_audit_written_total: ['written', 'Audit events stored.'],
  switchyard_audit_rejected_total: ['rejected', 'Audit events the sink refused as invalid.'],
  switchyard_audit_write_failures_total: ['failures', 'Failed audit write attempts (each retried).'],
} as const satisfies Record<string, readonly [keyof SinkStats, string]>;

/** How full each buffer is, against its two bounds: a sink that is down drops events at either. */
const GAUGES = {
  switchyard_audit_queued: ['queued', 'Audit events waiting in a sink buffer (bounded by buffer_size).'],
  switchyard_audit_queued_bytes: ['queued_bytes', 'Bytes of audit event JSON waiting in a sink buffer (bounded by buffer_bytes).'],
} as const satisfies Record<string, readonly [keyof SinkStats, string]>;

/**
 * Registers the audit metrics, labelled by `sink`.
 * @example registerAuditMetrics(audit, register)
 */
export function registerAuditMetrics(log: Pick<AuditLog, 'stats'>, registry: Registry): void {
  for (const [name, [field, help]] of Object.entries(COUNTERS)) {
    new Counter({
      name, help, labelNames: ['sink'], registers: [registry],
      collect() {
        // The counts live in the queues; mirror them at scrape time.
        this.reset();
        for (const s of log.stats()) this.inc({ sink: s.sink }, s[field] as number);
      },
    });
  }
  for (const [name, [field, help]] of Object.entries(GAUGES)) {
    new Gauge({
      name, help, labelNames: ['sink'], registers: [registry],
      collect() {
        for (const s of log.stats()) this.set({ sink: s.sink }, s[field]);
      },
    });
  }
}
