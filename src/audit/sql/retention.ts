/**
 * Retention by age (`max_age`) and size (`max_rows`), the same SQL on both databases.
 * Rows go in chunks so a large purge never holds a long lock or, in SQLite, the event loop.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { AuditSink } from '../../types/gateway-config.js';
import { durationBefore } from '../duration.js';
import { SqlParams, type SqlDriver } from './dialect.js';
import { tableNames } from './tables.js';

export interface SqlExecutor extends SqlDriver {
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params: readonly unknown[]): Promise<number>;
}

/**
 * Rows one DELETE removes. SQLite has one writer: while a statement runs, event writes
 * wait behind it on the writer thread. Each row deleted touches eleven indexes, two of
 * them at random leaves (decision_id, request_id), so on a 1.5-million-event file a
 * 5,000-row statement held the writer for 250-900 ms; 500 rows take ~30 ms, about as
 * long as one 500-event insert batch, at the same rows per second, and writes that came
 * in meanwhile go between statements. PostgreSQL deletes without holding up inserts,
 * and there fewer, larger statements spare round trips.
 */
const CHUNK = { sqlite: 500, postgres: 5000 } as const;

/** Deletes events older than the limits allow; returns how many. */
export async function applyRetention(x: SqlExecutor, table: string, retention: AuditSink['retention'], now: Date): Promise<number> {
  if (!retention?.max_age && !retention?.max_rows) return 0;
  const t = tableNames(table);
  // Everything strictly before (ts, seq) goes; seq starts at 1, so (cutoff, 0) means "ts < cutoff".
  let bound: [number, number] | undefined;
  if (retention.max_age) {
    const cutoff = durationBefore(now, retention.max_age);
    if (!cutoff) throw new Error(`audit retention.max_age ${JSON.stringify(retention.max_age)} is not a duration`);
    bound = [cutoff.getTime(), 0];
  }
  if (retention.max_rows) {
    const p = new SqlParams(x.dialect);
    const rows = await x.all(`SELECT ts_ms, seq FROM ${t.events} ORDER BY ts_ms DESC, seq DESC LIMIT 1 OFFSET ${p.add(retention.max_rows - 1)}`, p.values);
    const oldestKept = rows[0];
    if (oldestKept) {
      const b: [number, number] = [Number(oldestKept.ts_ms), Number(oldestKept.seq)];
      if (!bound || b[0] > bound[0] || (b[0] === bound[0] && b[1] > bound[1])) bound = b;
    }
  }
  if (!bound) return 0;
  const chunk = CHUNK[x.dialect.name];
  let deleted = 0;
  for (;;) {
    const p = new SqlParams(x.dialect);
    const n = await x.run(
      `DELETE FROM ${t.events} WHERE seq IN (SELECT seq FROM ${t.events} WHERE (ts_ms, seq) < (${p.add(bound[0])}, ${p.add(bound[1])}) ORDER BY ts_ms, seq LIMIT ${p.add(chunk)})`,
      p.values,
    );
    deleted += n;
    if (n < chunk) break;
    await yieldToLoop();
  }
  // Fallback rows of deleted events at exactly the bound's timestamp stay until the next pass; summaries join events, so they never show.
  for (;;) {
    const p = new SqlParams(x.dialect);
    const n = await x.run(
      `DELETE FROM ${t.fallbacks} WHERE (decision_id, idx) IN (SELECT decision_id, idx FROM ${t.fallbacks} WHERE ts_ms < ${p.add(bound[0])} LIMIT ${p.add(chunk)})`,
      p.values,
    );
    if (n < chunk) break;
    await yieldToLoop();
  }
  return deleted;
}
