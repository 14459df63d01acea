/**
 * The audit tables. Every filterable field is a real, indexed column so queries never
 * need JSON functions; the whole event is kept alongside (TEXT in SQLite, JSONB in
 * PostgreSQL). Attempts that fell back go to a side table for the fallback_reason
 * filter and the per-provider summary; providers' ids for the calls go to another, for
 * the upstream_request_id filter.
 */
import type { EventFacts } from '../stored.js';
import type { Dialect } from './dialect.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,40}$/;

export interface TableNames {
  events: string;
  fallbacks: string;
  upstream: string;
}

/** Quoted table names; throws on a name that is not a plain identifier. */
export function tableNames(table = 'audit_events'): TableNames {
  if (!IDENTIFIER.test(table)) throw new Error(`audit sink table ${JSON.stringify(table)} must be a plain identifier (letters, digits, _; at most 41 characters)`);
  return { events: `"${table}"`, fallbacks: `"${table}_fallbacks"`, upstream: `"${table}_upstream_ids"` };
}

export const EVENT_COLUMNS = [
  'decision_id', 'request_id', 'ts_ms', 'via', 'rule_id', 'provider', 'model', 'customer', 'team',
  'virtual_key', 'status', 'cost_usd', 'input_tokens', 'output_tokens', 'event',
] as const;

export const FALLBACK_COLUMNS = ['decision_id', 'idx', 'ts_ms', 'provider', 'model', 'fallback_reason'] as const;

export const UPSTREAM_ID_COLUMNS = ['upstream_request_id', 'decision_id', 'ts_ms'] as const;

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

export function createStatements(dialect: Dialect, table = 'audit_events'): string[] {
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
      event ${json} NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS "${bare}_ts_idx" ON ${t.events} (${order})`,
    `CREATE INDEX IF NOT EXISTS "${bare}_request_idx" ON ${t.events} (request_id)`,
    ...INDEXED_COLUMNS.map((c) => `CREATE INDEX IF NOT EXISTS "${bare}_${c}_idx" ON ${t.events} (${c}, ${order})${NULLABLE_INDEXED.has(c) ? ` WHERE ${c} IS NOT NULL` : ''}`),
    `CREATE TABLE IF NOT EXISTS ${t.fallbacks} (
      decision_id TEXT NOT NULL,
      idx INTEGER NOT NULL,
      ts_ms ${bigint} NOT NULL,
      provider TEXT NOT NULL,
      model TEXT NOT NULL,
      fallback_reason TEXT NOT NULL,
      PRIMARY KEY (decision_id, idx)
    )`,
    `CREATE INDEX IF NOT EXISTS "${bare}_fb_reason_idx" ON ${t.fallbacks} (fallback_reason, ts_ms)`,
    `CREATE INDEX IF NOT EXISTS "${bare}_fb_ts_idx" ON ${t.fallbacks} (ts_ms)`,
    // Added after the first release: a store from before it gets the table on open, and
    // its older events are not found by a provider's id.
    `CREATE TABLE IF NOT EXISTS ${t.upstream} (
      upstream_request_id TEXT NOT NULL,
      decision_id TEXT NOT NULL,
      ts_ms ${bigint} NOT NULL,
      PRIMARY KEY (upstream_request_id, decision_id)
    )`,
    `CREATE INDEX IF NOT EXISTS "${bare}_up_ts_idx" ON ${t.upstream} (ts_ms)`,
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
    e.outcome.cost_usd ?? null, e.outcome.input_tokens ?? null, e.outcome.output_tokens ?? null, json,
  ];
}

/** Values in FALLBACK_COLUMNS order, one row per attempt that fell back. */
export function fallbackRows(e: EventFacts, ts: number): unknown[][] {
  const rows: unknown[][] = [];
  e.attempts.forEach((a, i) => {
    if (a.fallback_reason) rows.push([e.decision_id, i, ts, a.provider, a.model, a.fallback_reason]);
  });
  return rows;
}

/** Values in UPSTREAM_ID_COLUMNS order, one row per distinct id the providers gave the request's calls. */
export function upstreamIdRows(e: EventFacts, ts: number): unknown[][] {
  const rows: unknown[][] = [];
  for (const a of e.attempts) {
    const id = a.upstream_request_id;
    if (id !== undefined && !rows.some((r) => r[0] === id)) rows.push([id, e.decision_id, ts]);
  }
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
