import type { AuditReader } from '../query.js';
import type { StoredEvent } from '../stored.js';

/**
 * One audit destination. Writes arrive in batches from the sink's queue (queue.ts),
 * never from the request path; the queue retries failures and splits batches that
 * hold an event the sink can never store.
 */
export interface SinkDriver {
  readonly type: 'sqlite' | 'postgres' | 'ndjson';
  /** Prepares storage (tables, indexes, files). Called before the first write and again after `write` asks for it; retried on failure. */
  open(): Promise<void>;
  /** Stores every event or throws; storing an event twice is harmless (keyed by decision_id). */
  write(events: readonly StoredEvent[]): Promise<void>;
  /** True when writing the same events again cannot succeed (bad data), as opposed to an outage. */
  isPermanent(err: unknown): boolean;
  /** True when the last failure means storage must be prepared again (a dropped table). */
  needsOpen?(err: unknown): boolean;
  /** Deletes events past the retention limits; returns how many. */
  retain?(now: Date): Promise<number>;
  /** Query access through the sink's own connection. */
  reader?(): AuditReader;
  close(): Promise<void>;
}

/** The logger shape the audit log needs (pino's). */
export interface AuditLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
