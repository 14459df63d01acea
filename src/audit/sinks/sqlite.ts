/**
 * The embedded default sink: one SQLite file in WAL mode. Batches are inserted on a
 * writer thread, and queries run on a reader thread started at the first one
 * (sqlite-thread.ts), so the request thread only serializes events.
 */
import { closeSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AuditSink } from '../../types/gateway-config.js';
import { sqlReader, type AuditReader } from '../query.js';
import { sqlite as dialect, type SqlDriver } from '../sql/dialect.js';
import type { StoredEvent } from '../stored.js';
import type { WriterCall, WriterReply } from './sqlite-thread.js';
import { createWriter, executor, openDatabase, type RowBatch, type Writer } from './sqlite-writer.js';
import type { SinkDriver } from './types.js';

export const DEFAULT_SQLITE_PATH = 'data/audit.db';

/** The writer thread stopped; the queue opens a new one and retries. */
class WriterGone extends Error {}

/** An error from the writer thread, keeping what isPermanent looks at. */
function revive(e: { name: string; message: string; code?: string }): Error {
  const err = e.name === 'TypeError' ? new TypeError(e.message) : e.name === 'RangeError' ? new RangeError(e.message) : new Error(e.message);
  if (e.code) Object.assign(err, { code: e.code });
  return err;
}

/**
 * The writer thread's V8 heap. Its live data is one batch of rows at a time, so a small
 * young generation is enough; left at V8's default it grows to tens of MB under load,
 * which shows up in the gateway's RSS. Old space stays generous for large query results.
 */
const WRITER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 512 };

type Call = <T = number>(req: WriterCall) => Promise<T>;

/**
 * Starts the writer thread (or, `readonly`, the reader thread) and resolves once it has
 * opened the file. Under tsx (the module is `.ts`) the thread registers tsx itself:
 * workers do not inherit its loader.
 */
async function startThread(file: string, table: string, readonly = false): Promise<{ call: Call; stop(): Promise<void> }> {
  const self = fileURLToPath(import.meta.url);
  const entry = new URL(`./sqlite-thread${extname(self)}`, import.meta.url);
  const options = { workerData: { file, table, readonly }, resourceLimits: WRITER_LIMITS };
  const worker = extname(self) === '.ts'
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`, { ...options, eval: true })
    : new Worker(entry, options);
  worker.unref();
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 0;
  let gone: Error | undefined;
  let ready!: { resolve(): void; reject(e: Error): void };
  const started = new Promise<void>((resolve, reject) => { ready = { resolve, reject }; });
  const fail = (err: Error) => {
    gone ??= new WriterGone(`sqlite writer thread stopped: ${err.message}`);
    ready.reject(gone);
    for (const p of pending.values()) p.reject(gone);
    pending.clear();
  };
  worker.on('message', (r: WriterReply) => {
    if ('ready' in r) return ready.resolve();
    const p = pending.get(r.id);
    pending.delete(r.id);
    if (r.ok) p?.resolve(r.value);
    else p?.reject(revive(r.error));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  await started;
  const call: Call = <T>(req: WriterCall) => {
    if (gone) return Promise.reject(gone);
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id });
    });
  };
  return {
    call,
    async stop() {
      if (!gone) await call({ op: 'close' }).catch(() => {});
      await worker.terminate();
    },
  };
}

function rowsOf(events: readonly StoredEvent[]): RowBatch {
  return { events: events.map((e) => e.row), fallbacks: events.flatMap((e) => e.fallbacks) };
}

const PERMANENT = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/;

export interface SqliteSinkOptions {
  /** Relative `path` resolves here (default: the working directory). */
  baseDir?: string;
  /** `thread` (default): inserts run on a writer thread. `inline`: on the calling thread (benchmarks, tests). */
  writer?: 'thread' | 'inline';
}

export function sqliteFile(config: AuditSink, baseDir = process.cwd()): string {
  const p = config.path ?? DEFAULT_SQLITE_PATH;
  return p === ':memory:' ? p : resolve(baseDir, p);
}

export function sqliteSink(config: AuditSink, opts: SqliteSinkOptions = {}): SinkDriver {
  const file = sqliteFile(config, opts.baseDir);
  const threaded = opts.writer !== 'inline' && file !== ':memory:';
  const table = config.table ?? 'audit_events';
  // Opened here, schema included, so a bad path or table name fails at startup; with a
  // writer thread this connection is closed again at once. SQLite's own error ("unable
  // to open database file") does not say which file: a folder the gateway's user may not
  // write to, often the working directory of the embedded default's data/audit.db.
  let db: ReturnType<typeof openDatabase>;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = openDatabase(file, { schema: table });
  } catch (e) {
    throw new Error(`cannot open the sqlite audit log ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (threaded) db.close();
  const inline: Writer | undefined = threaded ? undefined : createWriter(db, table);
  let thread: Awaited<ReturnType<typeof startThread>> | undefined;
  // Queries get a thread of their own: on the writer's, a summary over weeks of events
  // (seconds) would hold every write queued behind it, and past buffer_size drop events.
  let readThread: ReturnType<typeof startThread> | undefined;
  let closed = false;
  const reads = async () => {
    if (closed) throw new WriterGone('sqlite audit sink is closed');
    readThread ??= startThread(file, table, true);
    try {
      return await readThread;
    } catch (err) {
      readThread = undefined;
      throw err;
    }
  };
  const threadReads: SqlDriver = {
    dialect,
    async all(sql, params) {
      if (!thread) throw new WriterGone('sqlite audit sink is not open');
      const reader = await reads();
      try {
        return await reader.call<Record<string, unknown>[]>({ op: 'all', sql, params });
      } catch (err) {
        // A reader thread that stopped is started again at the next query.
        if (err instanceof WriterGone) readThread = undefined;
        throw err;
      }
    },
  };

  return {
    type: 'sqlite',
    async open() {
      if (threaded && !thread) thread = await startThread(file, table);
    },
    async write(events) {
      const batch = rowsOf(events);
      if (inline) inline.insert(batch);
      else if (thread) await thread.call({ op: 'write', batch });
      else throw new WriterGone('sqlite audit sink is not open');
    },
    isPermanent(err) {
      if (err instanceof TypeError || err instanceof RangeError) return true;
      const code = (err as { code?: unknown }).code;
      return typeof code === 'string' && PERMANENT.test(code);
    },
    needsOpen(err) {
      if (!(err instanceof WriterGone)) return false;
      thread = undefined;
      return true;
    },
    async retain(now) {
      if (inline) return inline.retain(config.retention, now);
      if (!thread) throw new WriterGone('sqlite audit sink is not open');
      return thread.call({ op: 'retain', retention: config.retention, now: now.getTime() });
    },
    reader: () => sqlReader(inline ? executor(db) : threadReads, table),
    async close() {
      closed = true;
      const reader = readThread;
      readThread = undefined;
      await Promise.all([thread?.stop(), reader?.then((r) => r.stop(), () => {})]);
      thread = undefined;
      if (db.open) db.close();
    },
  };
}

const SQLITE_HEADER = 'SQLite format 3\u0000';

/**
 * Throws when `file` is missing, or is not a SQLite database, naming what it looks like:
 * SQLite itself says only "unable to open database file" or, at the first query, "file
 * is not a database".
 */
function expectSqlite(file: string): void {
  if (file === ':memory:') return;
  const head = Buffer.alloc(SQLITE_HEADER.length);
  let n: number;
  try {
    const fd = openSync(file, 'r');
    try {
      n = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`there is no audit log at ${file}: a gateway with this sink creates it when it starts`);
    return; // unreadable: SQLite's own error says why
  }
  if (n === 0 || head.toString('latin1') === SQLITE_HEADER) return;
  const json = head.toString('latin1').trimStart().startsWith('{');
  throw new Error(`${file} is not a SQLite database${json ? ': it holds JSON lines, as an ndjson sink writes, which are for log pipelines; read a sqlite file or a postgres:// URL' : ''}`);
}

/** A read-only reader over an existing SQLite audit file (for the CLI). */
export function openSqliteReader(config: AuditSink, opts: { baseDir?: string } = {}): AuditReader {
  const file = sqliteFile(config, opts.baseDir);
  expectSqlite(file);
  const db = openDatabase(file, { readonly: true });
  return sqlReader(executor(db), config.table ?? 'audit_events', async () => {
    db.close();
  });
}
