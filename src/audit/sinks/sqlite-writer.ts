/**
 * What writes to a SQLite audit file, wherever it runs (the writer thread, or inline):
 * connection settings, the batch insert, and retention.
 */
import Database from 'better-sqlite3';
import type { AuditSink } from '../../types/gateway-config.js';
import { sqlite as dialect } from '../sql/dialect.js';
import { applyRetention, type SqlExecutor } from '../sql/retention.js';
import { EVENT_COLUMNS, FALLBACK_COLUMNS, createStatements, tableNames } from '../sql/tables.js';

const STATEMENT_CACHE = 256;

/**
 * What to do when better-sqlite3 was installed without its compiled module: its own error
 * lists a dozen paths it tried and not why none is there. npm 12 runs a dependency's
 * install script (which builds it) only when the project's package.json allows it, and
 * `--ignore-scripts` skips it, so an install of Switchyard from npm can end up so.
 */
const NOT_BUILT = 'better-sqlite3 (the SQLite driver) is installed without its compiled module: its install script did not run '
  + '(npm 12 runs a dependency\'s install script only when package.json\'s "allowScripts" lists it, and --ignore-scripts skips them all). '
  + 'Allow it with `npm install-scripts approve better-sqlite3` (or "allowScripts": {"better-sqlite3": true}), then run `npm rebuild better-sqlite3`';

/** Opens the file in WAL mode; `schema` also creates the tables and indexes. */
export function openDatabase(file: string, opts: { schema?: string; readonly?: boolean } = {}): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, opts.readonly ? { readonly: true, fileMustExist: true } : {});
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('Could not locate the bindings file')) throw new Error(NOT_BUILT, { cause: e });
    throw e;
  }
  db.pragma('busy_timeout = 5000');
  if (opts.readonly) return db;
  // A stored event is ~2 KB of JSON: 8 KB pages hold four rows instead of two, so a
  // batch dirties (and the WAL and checkpoints copy) fewer pages. Takes effect when the
  // file is created; an existing file keeps its page size.
  db.pragma('page_size = 8192');
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL never corrupts the file; a power cut may lose the last batch, a process crash does not.
  db.pragma('synchronous = NORMAL');
  // Checkpoint every ~40 MB of WAL rather than 4 MB: with eleven indexes per event, frequent
  // checkpoints rewrite the same index pages over and over (measured: ~2x the events/s).
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('journal_size_limit = 67108864');
  if (opts.schema) {
    const columnsOf = (table: string) => new Set((db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name));
    db.exec(createStatements(dialect, opts.schema, columnsOf).join(';\n'));
  }
  return db;
}

/** Reads and writes through one connection, with a bounded prepared-statement cache. */
export function executor(db: Database.Database): SqlExecutor {
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let st = cache.get(sql);
    if (!st) {
      if (cache.size >= STATEMENT_CACHE) cache.clear();
      st = db.prepare(sql);
      cache.set(sql, st);
    }
    return st;
  };
  return {
    dialect,
    all: async (sql, params) => prepare(sql).all(...params) as Record<string, unknown>[],
    run: async (sql, params) => prepare(sql).run(...params).changes,
  };
}

/** Rows ready to insert: EVENT_COLUMNS values (event JSON included) and FALLBACK_COLUMNS values. */
export interface RowBatch {
  events: (readonly unknown[])[];
  fallbacks: (readonly unknown[])[];
}

export interface Writer {
  /** One transaction; rows whose decision_id is already stored are skipped. */
  insert(batch: RowBatch): void;
  retain(retention: AuditSink['retention'], now: Date): Promise<number>;
}

export function createWriter(db: Database.Database, table: string): Writer {
  const t = tableNames(table);
  const ev = db.prepare(`INSERT INTO ${t.events} (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT (decision_id) DO NOTHING`);
  const fb = db.prepare(`INSERT INTO ${t.fallbacks} (${FALLBACK_COLUMNS.join(', ')}) VALUES (${FALLBACK_COLUMNS.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`);
  const insert = db.transaction((batch: RowBatch) => {
    for (const row of batch.events) ev.run(...row);
    for (const row of batch.fallbacks) fb.run(...row);
  });
  const x = executor(db);
  return {
    insert,
    retain: (retention, now) => applyRetention(x, table, retention, now),
  };
}
