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

function executor(pool: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    dialect,
    all: async (sql, params) => (await pool.query(sql, params as unknown[])).rows as Record<string, unknown>[],
    run: async (sql, params) => (await pool.query(sql, params as unknown[])).rowCount ?? 0,
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

function pool(url: string | undefined, logger?: AuditLogger): pg.Pool {
  if (!url) throw new Error('postgres audit sink needs `url`');
  // pg is loaded when a postgres sink is configured, not by every gateway.
  const { Pool } = createRequire(import.meta.url)('pg') as typeof pg;
  const p = new Pool({ connectionString: url, max: 4, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection emits here; unhandled, it would crash the process.
  p.on('error', (err) => logger?.warn({ sink: 'postgres', err: err.message }, 'audit postgres connection lost'));
  return p;
}

function sqlState(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.length === 5 ? code : '';
}

/** Runs `fn` under the advisory lock `name` unless another instance holds it (then returns undefined). */
async function withTableLock<T>(client: pg.PoolClient, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [name]);
  if (!rows[0]?.ok) return undefined;
  try {
    return await fn();
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
  }
}

export function postgresSink(config: AuditSink, opts: { logger?: AuditLogger } = {}): SinkDriver {
  const db = pool(config.url, opts.logger);
  const table = config.table ?? 'audit_events';
  const t = tableNames(table);

  return {
    type: 'postgres',
    async open() {
      const client = await db.connect();
      try {
        await client.query('BEGIN');
        // Instances starting together would race on CREATE TABLE IF NOT EXISTS; the lock serializes them.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
        for (const sql of createStatements(dialect, table)) await client.query(sql);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async write(events: readonly StoredEvent[]) {
      const statements = [
        ...multiRowInserts(t.events, EVENT_COLUMNS, events.map((e) => [...e.row.slice(0, -1), postgresJson(e.json)])),
        ...multiRowInserts(t.fallbacks, FALLBACK_COLUMNS, events.flatMap((e) => e.fallbacks)),
      ];
      const client = await db.connect();
      try {
        await client.query('BEGIN');
        for (const s of statements) await client.query(s.text, s.values);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    isPermanent(err) {
      // Class 22: data exception; 23: integrity constraint violation. Anything else may pass on retry.
      const c = sqlState(err);
      return c.startsWith('22') || c.startsWith('23');
    },
    needsOpen: (err) => sqlState(err) === '42P01',
    async retain(now) {
      const client = await db.connect();
      try {
        return (await withTableLock(client, `${table}:retention`, () => applyRetention(executor(client), table, config.retention, now))) ?? 0;
      } finally {
        client.release();
      }
    },
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
