/**
 * The shared sink for several gateway instances: one PostgreSQL table (JSONB event plus
 * indexed scalar columns), written with multi-row inserts in one transaction per batch.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import type { StoredEvent } from '../stored.js';
import type { AuditSink } from '../../types/gateway-config.js';
import { sqlReader, type AuditReader } from '../query.js';
import { postgres as dialect, SqlParams } from '../sql/dialect.js';
import { applyRetention, type SqlExecutor } from '../sql/retention.js';
import {
  EVENT_COLUMNS, FALLBACK_COLUMNS, createStatements, postgresJson, tableNames,
} from '../sql/tables.js';
import type { AuditLogger, SinkDriver } from './types.js';

/** PostgreSQL allows 65535 parameters per statement. */
const MAX_PARAMS = 65_535;

/** `timeoutMs`: how long each statement may go unanswered (none when absent). */
function executor(pool: pg.Pool | pg.PoolClient, timeoutMs?: number): SqlExecutor {
  const query = (text: string, values: readonly unknown[]) => pool.query({ text, values: values as unknown[], query_timeout: timeoutMs } as pg.QueryConfig);
  return {
    dialect,
    all: async (sql, params) => (await query(sql, params)).rows as Record<string, unknown>[],
    run: async (sql, params) => (await query(sql, params)).rowCount ?? 0,
  };
}

/** `INSERT ... VALUES (...), (...)` statements covering `rows`, each within the parameter limit. */
function multiRowInserts(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): { text: string; values: unknown[] }[] {
  const perStatement = Math.floor(MAX_PARAMS / columns.length);
  const out: { text: string; values: unknown[] }[] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const p = new SqlParams(dialect);
    const tuples = rows.slice(i, i + perStatement).map((r) => `(${r.map((v) => p.add(v)).join(', ')})`);
    out.push({ text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`, values: p.values });
  }
  return out;
}

/**
 * How long a statement may go unanswered. A connection the network stopped carrying
 * (no reset, so no error) would otherwise hold the write, the queue behind it and
 * shutdown for ever; past this the write fails, its connection is dropped, and the
 * batch is retried on a new one (a batch that did land is not stored twice).
 */
export const QUERY_TIMEOUT_MS = 10_000;

function pool(url: string | undefined, logger?: AuditLogger, connectTimeoutMs = 5_000): pg.Pool {
  if (!url) throw new Error('postgres audit sink needs `url`');
  // pg is loaded when a postgres sink is configured, not by every gateway.
  const { Pool } = createRequire(import.meta.url)('pg') as typeof pg;
  const p = new Pool({ connectionString: url, max: 4, idleTimeoutMillis: 30_000, connectionTimeoutMillis: connectTimeoutMs });
  // An idle client losing its connection emits here; unhandled, it would crash the process.
  p.on('error', (err) => logger?.warn({ sink: 'postgres', err: err.message }, 'audit postgres connection lost'));
  return p;
}

function sqlState(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.length === 5 ? code : '';
}

/** Runs `fn` under the advisory lock `name` unless another instance holds it (then returns undefined). */
async function withTableLock<T>(x: SqlExecutor, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  const rows = await x.all('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [name]);
  if (!rows[0]?.ok) return undefined;
  try {
    return await fn();
  } finally {
    await x.all('SELECT pg_advisory_unlock(hashtext($1))', [name]);
  }
}

/**
 * Gives a connection back after a statement on it failed: as it is when the server
 * answered with an error (a transaction rolled back first), else dropped (it may be
 * stuck in a statement, and a ROLLBACK sent on it would wait as long again; the server
 * rolls back what a lost connection left open, and its session locks go with it).
 */
async function abandon(client: pg.PoolClient, err: unknown, transaction: boolean): Promise<void> {
  if (sqlState(err) !== '') {
    if (transaction) await client.query('ROLLBACK').catch(() => {});
    client.release();
  } else {
    client.release(err instanceof Error ? err : new Error(String(err)));
  }
}

export function postgresSink(config: AuditSink, opts: { logger?: AuditLogger; queryTimeoutMs?: number; connectTimeoutMs?: number } = {}): SinkDriver {
  const db = pool(config.url, opts.logger, opts.connectTimeoutMs);
  const timeout = opts.queryTimeoutMs ?? QUERY_TIMEOUT_MS;
  /**
   * Runs `fn` on a pooled connection, in a transaction when `transaction`. The sink's own
   * statements time out (the audit commands' queries, which may take long, do not).
   */
  const onClient = async <T>(transaction: boolean, fn: (x: SqlExecutor) => Promise<T>): Promise<T> => {
    const client = await db.connect();
    const x = executor(client, timeout);
    try {
      if (transaction) await x.run('BEGIN', []);
      const out = await fn(x);
      if (transaction) await x.run('COMMIT', []);
      client.release();
      return out;
    } catch (err) {
      await abandon(client, err, transaction);
      throw err;
    }
  };
  const table = config.table ?? 'audit_events';
  const t = tableNames(table);

  return {
    type: 'postgres',
    open: () => onClient(true, async (x) => {
      // Instances starting together would race on CREATE TABLE IF NOT EXISTS; the lock serializes them.
      await x.run('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
      for (const sql of createStatements(dialect, table)) await x.run(sql, []);
    }),
    async write(events: readonly StoredEvent[]) {
      const statements = [
        ...multiRowInserts(t.events, EVENT_COLUMNS, events.map((e) => [...e.row.slice(0, -1), postgresJson(e.json)])),
        ...multiRowInserts(t.fallbacks, FALLBACK_COLUMNS, events.flatMap((e) => e.fallbacks)),
      ];
      await onClient(true, async (x) => {
        for (const st of statements) await x.run(st.text, st.values);
      });
    },
    isPermanent(err) {
      // Class 22: data exception; 23: integrity constraint violation. Anything else may pass on retry.
      const c = sqlState(err);
      return c.startsWith('22') || c.startsWith('23');
    },
    needsOpen: (err) => sqlState(err) === '42P01',
    retain: async (now) => (await onClient(false, (x) => withTableLock(x, `${table}:retention`, () => applyRetention(x, table, config.retention, now)))) ?? 0,
    reader: () => sqlReader(executor(db), table),
    async close() {
      await db.end();
    },
  };
}

/** A reader over an existing PostgreSQL audit table (for the CLI). */
export function openPostgresReader(config: AuditSink): AuditReader {
  const db = pool(config.url);
  return sqlReader(executor(db), config.table ?? 'audit_events', () => db.end());
}
