/**
 * The audit tables. Every filterable field is a real, indexed column so queries never
 * need JSON functions; the whole event is kept alongside (TEXT in SQLite, JSONB in
 * PostgreSQL). Attempts that fell back go to a side table for the fallback_reason
 * filter and the per-provider summary. The provider's id for a call (upstream_request_id)
 * is a column of the row its attempt lands in: the event's for the last attempt, the
 * fallback's for one that fell back.
 */
import type { EventFacts } from '../stored.js';
import type { Dialect } from './dialect.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/;

export interface TableNames {
  events: string;
  fallbacks: string;
}

/** Quoted table names; throws on a name that is not a plain identifier. */
export function tableNames(table = 'audit_events'): TableNames {
  if (!IDENTIFIER.test(table)) throw new Error(`audit sink table ${JSON.stringify(table)} must be a plain identifier (letters, digits, _; at most 41 characters)`);
  return { events: `"${table}"`, fallbacks: `"${table}_fallbacks"` };
}

export const EVENT_COLUMNS = [
  'decision_id', 'request_id', 'ts_ms', 'via', 'rule_id', 'provider', 'model', 'customer', 'team',
  'virtual_key', 'status', 'cost_usd', 'input_tokens', 'output_tokens', 'upstream_request_id', 'event',
] as const;

export const FALLBACK_COLUMNS = ['decision_id', 'idx', 'ts_ms', 'provider', 'model', 'fallback_reason', 'upstream_request_id'] as const;

/** Columns added after the first release: a store created before them gets them when a sink opens it. */
const ADDED_COLUMNS: readonly [keyof TableNames, string][] = [['events', 'upstream_request_id'], ['fallbacks', 'upstream_request_id']];

/**
 * Columns with an index (col, ts_ms, seq), so each filter pages in index order. SQLite
 * leaves `seq` out: it is the rowid, which every SQLite index already ends with.
 */
export const INDEXED_COLUMNS = ['rule_id', 'via', 'provider', 'model', 'customer', 'team', 'virtual_key', 'status'] as const;

/**
 * Indexed columns that may be NULL. Filters only ever compare them with `=`, which implies
 * IS NOT NULL, so their indexes are partial (`WHERE col IS NOT NULL`): both databases use
 * them for every filter, and an event without the field (no rule matched, no principal)
 * skips the index insert altogether.
 */
const NULLABLE_INDEXED: ReadonlySet<string> = new Set(['rule_id', 'provider', 'model', 'customer', 'team', 'virtual_key']);

/**
 * The statements that create (or bring up to date) the audit tables. `columnsOf` names
 * the columns a table already has (none when it does not exist): SQLite cannot add a
 * column only if it is missing, so its ALTER TABLEs are written for the tables that
 * lack one.
 */
export function createStatements(dialect: Dialect, table = 'audit_events', columnsOf: (quoted: string) => ReadonlySet<string> = () => new Set()): string[] {
  const t = tableNames(table);
  const bare = table;
  const { seq, bigint, real, json } = dialect.types;
  const order = dialect.name === 'sqlite' ? 'ts_ms' : 'ts_ms, seq';
  return [
    `CREATE TABLE IF NOT EXISTS ${t.events} (
      seq ${seq},
      decision_id TEXT NOT NULL UNIQUE,
      request_id TEXT NOT NULL,
      ts_ms ${bigint} NOT NULL,
      via TEXT NOT NULL,
      rule_id TEXT,
      provider TEXT,
      model TEXT,
      customer TEXT,
      team TEXT,
      virtual_key TEXT,
      status INTEGER NOT NULL,
      cost_usd ${real},
      input_tokens ${bigint},
      output_tokens ${bigint},
      upstream_request_id TEXT,
      event ${json} NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS ${t.fallbacks} (
      decision_id TEXT NOT NULL,
      idx INTEGER NOT NULL,
      ts_ms ${bigint} NOT NULL,
      provider TEXT NOT NULL,
      model TEXT NOT NULL,
      fallback_reason TEXT NOT NULL,
      upstream_request_id TEXT,
      PRIMARY KEY (decision_id, idx)
    )`,
    ...ADDED_COLUMNS.flatMap(([which, column]) => {
      if (dialect.name === 'postgres') return [`ALTER TABLE ${t[which]} ADD COLUMN IF NOT EXISTS ${column} TEXT`];
      const has = columnsOf(t[which]);
      return has.size > 0 && !has.has(column) ? [`ALTER TABLE ${t[which]} ADD COLUMN ${column} TEXT`] : [];
    }),
    `CREATE INDEX IF NOT EXISTS "${bare}_ts_idx" ON ${t.events} (${order})`,
    `CREATE INDEX IF NOT EXISTS "${bare}_request_idx" ON ${t.events} (request_id)`,
    ...INDEXED_COLUMNS.map((c) => `CREATE INDEX IF NOT EXISTS "${bare}_${c}_idx" ON ${t.events} (${c}, ${order})${NULLABLE_INDEXED.has(c) ? ` WHERE ${c} IS NOT NULL` : ''}`),
    ...upstreamIndex(dialect, t, bare),
    `CREATE INDEX IF NOT EXISTS "${bare}_fb_reason_idx" ON ${t.fallbacks} (fallback_reason, ts_ms)`,
    `CREATE INDEX IF NOT EXISTS "${bare}_fb_ts_idx" ON ${t.fallbacks} (ts_ms)`,
    `CREATE INDEX IF NOT EXISTS "${bare}_fb_upstream_idx" ON ${t.fallbacks} (upstream_request_id) WHERE upstream_request_id IS NOT NULL`,
  ];
}

/**
 * The index that finds an event by its provider's id. A provider's ids are random, so an
 * index on the id alone takes each insert at a random leaf: SQLite then writes one page per
 * event to its WAL at every commit (measured: half the audit writer's page writes and a
 * quarter of its CPU). SQLite indexes the id after the time instead, so inserts append and
 * a lookup scans that narrow index (about 9 ms per 200,000 events; a window narrows it);
 * a store made with the old index has it replaced when a sink opens it. PostgreSQL, which
 * writes index pages at checkpoints rather than per commit, looks the id up directly.
 */
function upstreamIndex(dialect: Dialect, t: TableNames, bare: string): string[] {
  if (dialect.name === 'postgres') {
    return [`CREATE INDEX IF NOT EXISTS "${bare}_upstream_idx" ON ${t.events} (upstream_request_id) WHERE upstream_request_id IS NOT NULL`];
  }
  return [
    `DROP INDEX IF EXISTS "${bare}_upstream_idx"`,
    `CREATE INDEX IF NOT EXISTS "${bare}_upstream_ts_idx" ON ${t.events} (ts_ms, upstream_request_id) WHERE upstream_request_id IS NOT NULL`,
  ];
}

/** Where the request went: the served target, else the selected one. */
function destination(e: EventFacts): { provider: string | null; model: string | null } {
  if (e.outcome.served_provider) return { provider: e.outcome.served_provider, model: e.outcome.served_model ?? null };
  return { provider: e.decision.selected?.provider ?? null, model: e.decision.selected?.model ?? null };
}

/** Values in EVENT_COLUMNS order; `json` is the serialized event, `ts` its time in ms. */
export function eventRow(e: EventFacts, json: string, ts: number): unknown[] {
  const { provider, model } = destination(e);
  return [
    e.decision_id, e.request_id, ts, e.decision.via, e.decision.rule_id, provider, model,
    e.principal.customer, e.principal.team, e.principal.virtual_key, e.outcome.status,
    e.outcome.cost_usd ?? null, e.outcome.input_tokens ?? null, e.outcome.output_tokens ?? null, lastCallId(e), json,
  ];
}

/** The provider's id for the request's last call: the one that did not fall back (the others are in fallbackRows). */
function lastCallId(e: EventFacts): string | null {
  for (let i = e.attempts.length - 1; i >= 0; i--) {
    const a = e.attempts[i];
    if (!a.fallback_reason) return a.upstream_request_id ?? null;
  }
  return null;
}

/** Values in FALLBACK_COLUMNS order, one row per attempt that fell back. */
export function fallbackRows(e: EventFacts, ts: number): unknown[][] {
  const rows: unknown[][] = [];
  e.attempts.forEach((a, i) => {
    if (a.fallback_reason) rows.push([e.decision_id, i, ts, a.provider, a.model, a.fallback_reason, a.upstream_request_id ?? null]);
  });
  return rows;
}

/**
 * JSON for PostgreSQL, whose text and JSONB cannot hold U+0000: that one character is
 * replaced, only in events that contain it (the check is a substring test).
 */
export function postgresJson(json: string): string {
  if (!json.includes('\\u0000')) return json;
  return JSON.stringify(JSON.parse(json), (_k, v: unknown) => (typeof v === 'string' ? v.replaceAll('\u0000', '\uFFFD') : v));
}
