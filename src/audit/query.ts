/**
 * Reading the audit log: one filter, newest first, keyset paging on (ts_ms, seq), and
 * three summaries. The same SQL text runs on SQLite and PostgreSQL; only placeholders
 * differ (sql/dialect.ts).
 */
import type { AuditEventV1 } from '../types/audit-event.js';
import { badParam } from './errors.js';
import { DEFAULT_LIMIT, type AuditFilter, type SummaryKind } from './filter.js';
import { SqlParams, type SqlDriver } from './sql/dialect.js';
import { tableNames, type TableNames } from './sql/tables.js';

export interface AuditPage {
  events: AuditEventV1[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null;
}

export interface RuleCount {
  rule_id: string | null;
  via: string;
  count: number;
  /** Requests answered with status >= 400. */
  errors: number;
}

export interface FallbackCount {
  provider: string;
  fallback_reason: string;
  count: number;
}

export interface TeamSpend {
  team: string | null;
  customer: string | null;
  requests: number;
  cost_usd: number;
  input_tokens: number;
  output_tokens: number;
}

export interface Summaries {
  rules: RuleCount[];
  fallbacks: FallbackCount[];
  spend: TeamSpend[];
}

/** Query access to one audit store. */
export interface AuditReader {
  /** Events matching `filter`, newest first. */
  query(filter: AuditFilter): Promise<AuditPage>;
  /** Aggregates over the events matching `filter` (limit and cursor are ignored). */
  summary<K extends SummaryKind>(kind: K, filter: AuditFilter): Promise<Summaries[K]>;
  /** The event of one decision, or null. */
  get(decisionId: string): Promise<AuditEventV1 | null>;
  close(): Promise<void>;
}

const EQUALITY = ['rule_id', 'via', 'provider', 'model', 'customer', 'team', 'virtual_key', 'decision_id', 'request_id'] as const;

function encodeCursor(ts: number, seq: number): string {
  return Buffer.from(`${ts}:${seq}`).toString('base64url');
}

function decodeCursor(cursor: string): [number, number] {
  const m = /^(\d{1,16}):(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw badParam('cursor', '`cursor` is not a cursor this server returned');
  return [Number(m[1]), Number(m[2])];
}

/**
 * SQL conditions on the events table aliased `e`. `skip` leaves a field to the caller;
 * `before` is the cursor's timestamp, an upper bound on the page.
 */
function conditions(f: AuditFilter, p: SqlParams, t: TableNames, skip: ReadonlySet<string> = new Set(), before?: number): string[] {
  const c: string[] = [];
  if (f.from) c.push(`e.ts_ms >= ${p.add(f.from.getTime())}`);
  if (f.to) c.push(`e.ts_ms < ${p.add(f.to.getTime())}`);
  for (const k of EQUALITY) {
    const v = f[k];
    if (v !== undefined && !skip.has(k)) c.push(`e.${k} = ${p.add(v)}`);
  }
  if (typeof f.status === 'number') c.push(`e.status = ${p.add(f.status)}`);
  else if (f.status !== undefined) {
    const base = Number(f.status[0]) * 100;
    c.push(`e.status >= ${p.add(base)} AND e.status < ${p.add(base + 100)}`);
  }
  if (f.fallback_reason !== undefined && !skip.has('fallback_reason')) {
    // An uncorrelated IN (bounded by the same window) is planned as one index range scan in
    // both databases; a correlated EXISTS made SQLite rescan the reason's rows per event.
    const x = [`x.fallback_reason = ${p.add(f.fallback_reason)}`];
    if (f.from) x.push(`x.ts_ms >= ${p.add(f.from.getTime())}`);
    if (f.to) x.push(`x.ts_ms < ${p.add(f.to.getTime())}`);
    if (before !== undefined) x.push(`x.ts_ms <= ${p.add(before)}`);
    c.push(`e.decision_id IN (SELECT x.decision_id FROM ${t.fallbacks} x WHERE ${x.join(' AND ')})`);
  }
  if (f.upstream_request_id !== undefined) {
    // The last call's id is on the event, a fallen-back call's on its fallback row: one IN
    // over both, which each database runs first and then fetches the few events it names.
    // (Two INs joined by OR were filters PostgreSQL checked on every event: 1.7 s over a
    // million.) SQLite reads the first part from its (ts_ms, upstream_request_id) index,
    // within the window when there is one (tables.ts upstreamIndex).
    const id = f.upstream_request_id;
    const u = [`u.upstream_request_id = ${p.add(id)}`];
    if (f.from) u.push(`u.ts_ms >= ${p.add(f.from.getTime())}`);
    if (f.to) u.push(`u.ts_ms < ${p.add(f.to.getTime())}`);
    if (before !== undefined) u.push(`u.ts_ms <= ${p.add(before)}`);
    c.push(`e.seq IN (SELECT u.seq FROM ${t.events} u WHERE ${u.join(' AND ')} UNION ALL SELECT z.seq FROM ${t.fallbacks} y JOIN ${t.events} z ON z.decision_id = y.decision_id WHERE y.upstream_request_id = ${p.add(id)})`);
  }
  return c;
}

const whereClause = (c: string[]) => (c.length ? ` WHERE ${c.join(' AND ')}` : '');

// PostgreSQL returns BIGINT and SUM as strings; SQLite as numbers.
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function parseEvent(v: unknown): AuditEventV1 {
  return (typeof v === 'string' ? JSON.parse(v) : v) as AuditEventV1;
}

/**
 * An AuditReader over a SQL driver.
 * @example const reader = sqlReader(driver, 'audit_events'); const page = await reader.query({ team: 'ml', limit: 20 });
 */
export function sqlReader(driver: SqlDriver, table = 'audit_events', onClose: () => Promise<void> = async () => {}): AuditReader {
  const t = tableNames(table);

  /** driver.all; a store made before upstream_request_id (never opened by a sink since) is told apart. */
  async function read(sql: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    try {
      return await driver.all(sql, values);
    } catch (err) {
      if (/upstream_request_id/.test(String((err as Error)?.message))) {
        throw badParam('upstream_request_id', 'this audit store was written by a version without `upstream_request_id`: it gains the column the next time a gateway (or sink) of this version opens it, and finds only events written after that');
      }
      throw err;
    }
  }

  async function query(filter: AuditFilter): Promise<AuditPage> {
    const p = new SqlParams(driver.dialect);
    const cursor = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
    let from = `${t.events} e`;
    let order = 'e.ts_ms DESC, e.seq DESC';
    const c: string[] = [];
    if (filter.fallback_reason !== undefined) {
      // A page of events with a fallback reason is read from the reason's fallback rows,
      // newest first (a fallback row's ts_ms is its event's), so it stops once the page is
      // full. As an IN, SQLite fetched every event with the reason and sorted them all for
      // each page: 1.1 s for 89,000 of 1.5 million. An event with two attempts that fell
      // back for the reason comes once, through its first.
      from = `${t.fallbacks} x JOIN ${t.events} e ON e.decision_id = x.decision_id`;
      order = 'x.ts_ms DESC, e.seq DESC';
      c.push(`x.fallback_reason = ${p.add(filter.fallback_reason)}`);
      if (filter.from) c.push(`x.ts_ms >= ${p.add(filter.from.getTime())}`);
      if (filter.to) c.push(`x.ts_ms < ${p.add(filter.to.getTime())}`);
      if (cursor) c.push(`x.ts_ms <= ${p.add(cursor[0])}`);
      c.push(`NOT EXISTS (SELECT 1 FROM ${t.fallbacks} z WHERE z.decision_id = x.decision_id AND z.fallback_reason = x.fallback_reason AND z.idx < x.idx)`);
    }
    c.push(...conditions(filter, p, t, new Set(['fallback_reason']), cursor?.[0]));
    if (cursor) c.push(`(e.ts_ms, e.seq) < (${p.add(cursor[0])}, ${p.add(cursor[1])})`);
    const limit = filter.limit ?? DEFAULT_LIMIT;
    // The page's events are picked first, then only theirs are read. When the filter's index
    // is not in time order (a status class, say) the database sorts every match: picking,
    // it sorts (ts_ms, seq) from that index; reading whole rows, it sorted each event's
    // JSON too (SQLite: 36 s for `status=2xx&limit=1000` over 1.5 million events, 2 s now).
    const pick = `SELECT e.seq FROM ${from}${whereClause(c)} ORDER BY ${order} LIMIT ${p.add(limit + 1)}`;
    const sql = `SELECT e.seq, e.ts_ms, e.event FROM ${t.events} e WHERE e.seq IN (${pick}) ORDER BY e.ts_ms DESC, e.seq DESC`;
    const rows = await read(sql, p.values);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      events: page.map((r) => parseEvent(r.event)),
      next_cursor: rows.length > limit && last ? encodeCursor(num(last.ts_ms), num(last.seq)) : null,
    };
  }

  async function rules(filter: AuditFilter): Promise<RuleCount[]> {
    const p = new SqlParams(driver.dialect);
    const sql = `SELECT e.rule_id, e.via, COUNT(*) AS n, SUM(CASE WHEN e.status >= 400 THEN 1 ELSE 0 END) AS errors
      FROM ${t.events} e${whereClause(conditions(filter, p, t))}
      GROUP BY e.rule_id, e.via ORDER BY n DESC, e.rule_id`;
    const rows = await read(sql, p.values);
    return rows.map((r) => ({ rule_id: str(r.rule_id), via: String(r.via), count: num(r.n), errors: num(r.errors) }));
  }

  async function fallbacks(filter: AuditFilter): Promise<FallbackCount[]> {
    // Here `provider` and `fallback_reason` are those of the attempt that fell back: not where
    // the request ended up, nor every attempt of a request that had one with the reason.
    const p = new SqlParams(driver.dialect);
    const c = conditions(filter, p, t, new Set(['provider', 'fallback_reason']));
    if (filter.provider !== undefined) c.push(`f.provider = ${p.add(filter.provider)}`);
    if (filter.fallback_reason !== undefined) c.push(`f.fallback_reason = ${p.add(filter.fallback_reason)}`);
    const sql = `SELECT f.provider, f.fallback_reason, COUNT(*) AS n
      FROM ${t.fallbacks} f JOIN ${t.events} e ON e.decision_id = f.decision_id${whereClause(c)}
      GROUP BY f.provider, f.fallback_reason ORDER BY f.provider, n DESC, f.fallback_reason`;
    const rows = await read(sql, p.values);
    return rows.map((r) => ({ provider: String(r.provider), fallback_reason: String(r.fallback_reason), count: num(r.n) }));
  }

  async function spend(filter: AuditFilter): Promise<TeamSpend[]> {
    const p = new SqlParams(driver.dialect);
    const sql = `SELECT e.team, e.customer, COUNT(*) AS n, SUM(e.cost_usd) AS cost, SUM(e.input_tokens) AS input_tokens, SUM(e.output_tokens) AS output_tokens
      FROM ${t.events} e${whereClause(conditions(filter, p, t))}
      GROUP BY e.team, e.customer ORDER BY cost DESC, e.team`;
    const rows = await read(sql, p.values);
    return rows.map((r) => ({
      team: str(r.team), customer: str(r.customer), requests: num(r.n), cost_usd: toNano(num(r.cost)),
      input_tokens: num(r.input_tokens), output_tokens: num(r.output_tokens),
    }));
  }

  const summaries = { rules, fallbacks, spend };

  return {
    query,
    summary: <K extends SummaryKind>(kind: K, filter: AuditFilter) => summaries[kind](filter) as Promise<Summaries[K]>,
    async get(decisionId) {
      const page = await query({ decision_id: decisionId, limit: 1 });
      return page.events[0] ?? null;
    },
    close: onClose,
  };
}

/**
 * A sum of costs, each stored to the nano-dollar, back to the nano-dollar: the database
 * adds them as doubles, and its binary noise (0.04459506999999998) is not a sum of spend.
 */
function toNano(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}
