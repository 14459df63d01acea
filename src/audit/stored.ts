/**
 * An audit event in the form every sink stores: its JSON text, serialized once, and the
 * values of the columns the SQL sinks index. Sink queues hold these rather than events,
 * so a request's decision, headers and attempts are let go as soon as it is recorded;
 * what waits for the writer is one string and a few scalars.
 */
import type { AuditEventV1, DecisionRecord } from '../types/audit-event.js';
import { eventRow, fallbackRows } from './sql/tables.js';

export interface StoredEvent {
  readonly decision_id: string;
  /** `ts` in milliseconds since the epoch. */
  readonly ts_ms: number;
  /** JSON.stringify(event). */
  readonly json: string;
  /** EVENT_COLUMNS values, the JSON last. */
  readonly row: readonly unknown[];
  /** FALLBACK_COLUMNS values, one row per attempt that fell back. */
  readonly fallbacks: readonly (readonly unknown[])[];
}

/** What the stored form reads of an event: the indexed columns and the fallback rows come from these. */
export interface EventFacts extends Pick<AuditEventV1, 'decision_id' | 'request_id' | 'ts' | 'principal' | 'outcome'> {
  decision: Pick<DecisionRecord, 'via' | 'rule_id' | 'selected'>;
  attempts: readonly AuditEventV1['attempts'][number][];
}

/**
 * The stored form of `event`; `json` when its text is already at hand, and `tsMs` when
 * the time `ts` was formatted from is (Date.parse of the text costs a request ~0.2 µs).
 * Throws a TypeError for something that is not an audit event (no decision_id, no valid
 * ts, no decision or outcome).
 */
export function storedEvent(event: EventFacts, json?: string, tsMs?: number): StoredEvent {
  const ts = typeof event?.ts !== 'string' ? NaN : tsMs ?? Date.parse(event.ts);
  if (typeof event?.decision_id !== 'string' || Number.isNaN(ts) || typeof event.decision !== 'object' || typeof event.outcome !== 'object') {
    throw new TypeError('not an audit event');
  }
  const text = json ?? JSON.stringify(event);
  return { decision_id: event.decision_id, ts_ms: ts, json: text, row: eventRow(event, text, ts), fallbacks: fallbackRows(event, ts) };
}
