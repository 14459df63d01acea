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
 * the first sqlite/postgres sink of the config.
 */
export function storeSink(audit: AuditConfig | undefined, override: { db?: string; table?: string } = {}): AuditSink {
  const table = override.table === undefined ? {} : { table: override.table };
  if (override.db !== undefined) {
    return /^postgres(ql)?:\/\//.test(override.db) ? { type: 'postgres', url: override.db, ...table } : { type: 'sqlite', path: override.db, ...table };
  }
  const sink = effectiveSinks(audit).find((s) => s.type === 'sqlite' || s.type === 'postgres');
  if (!sink) throw new SwitchyardError('SY_ERR_BAD_REQUEST', 'the config has no sqlite or postgres audit sink to read; name a store with --db');
  return { ...sink, ...table };
}
