import { SwitchyardError } from '../errors.js';
import type { AuditConfig, AuditSink } from '../types/gateway-config.js';
import { effectiveSinks } from './log.js';
import type { AuditReader } from './query.js';
import { openPostgresReader } from './sinks/postgres.js';
import { openSqliteReader } from './sinks/sqlite.js';

/**
 * Query access to a configured sink's store, for the CLI (the server uses AuditLog.query).
 * @example const reader = openAuditReader({ type: 'sqlite', path: 'data/audit.db' });
 */
export function openAuditReader(sink: AuditSink, opts: { baseDir?: string } = {}): AuditReader {
  switch (sink.type) {
    case 'sqlite': return openSqliteReader(sink, opts);
    case 'postgres': return openPostgresReader(sink);
    case 'ndjson':
      throw new SwitchyardError('SY_ERR_BAD_REQUEST', 'an ndjson audit sink cannot be queried: use a sqlite or postgres sink');
  }
}

/**
 * The store a command reads: `db` (a SQLite file, or a postgres:// URL) when given, else
 * the first sqlite/postgres sink of the config. The table is `table`, else that sink's;
 * with `db`, the table of the config's first sink of the same kind: CI reads the log
 * through another URL (a read-only role) than the gateway writes it with, but the same table.
 */
export function storeSink(audit: AuditConfig | undefined, override: { db?: string; table?: string } = {}): AuditSink {
  if (override.db !== undefined) {
    const type = /^postgres(ql)?:\/\//.test(override.db) ? 'postgres' : 'sqlite';
    const table = override.table ?? effectiveSinks(audit).find((s) => s.type === type)?.table;
    const where = type === 'postgres' ? { url: override.db } : { path: override.db };
    return { type, ...where, ...(table === undefined ? {} : { table }) };
  }
  const table = override.table === undefined ? {} : { table: override.table };
  const sink = effectiveSinks(audit).find((s) => s.type === 'sqlite' || s.type === 'postgres');
  if (!sink) throw new SwitchyardError('SY_ERR_BAD_REQUEST', 'the config has no sqlite or postgres audit sink to read; name a store with --db');
  return { ...sink, ...table };
}
