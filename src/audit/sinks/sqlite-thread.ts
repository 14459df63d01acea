/**
 * A SQLite thread of the sink: the writer, or the reader. better-sqlite3 is synchronous:
 * a 500-event transaction with every index holds its thread for tens of milliseconds, a
 * summary over weeks of events for seconds, so neither runs on the thread that serves
 * requests; and queries have a thread of their own (a read-only connection, which WAL
 * lets read beside the writer), so a long one never holds up the writes queued behind it.
 * Messages: write | retain | all | close, each answered by id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AuditSink } from '../../types/gateway-config.js';
import { createWriter, executor, openDatabase, type RowBatch } from './sqlite-writer.js';

export type WriterCall =
  | { op: 'write'; batch: RowBatch }
  | { op: 'retain'; retention: AuditSink['retention']; now: number }
  | { op: 'all'; sql: string; params: readonly unknown[] }
  | { op: 'close' };

export type WriterRequest = WriterCall & { id: number };

export type WriterReply =
  | { ready: true }
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };

const { file, table, readonly } = workerData as { file: string; table: string; readonly: boolean };
const db = readonly ? openDatabase(file, { readonly: true }) : openDatabase(file, { schema: table });
const writer = readonly ? undefined : createWriter(db, table);
const reads = executor(db);
const port = parentPort!;

port.on('message', async (req: WriterRequest) => {
  try {
    let value: unknown = 0;
    if (req.op === 'write') writer!.insert(req.batch);
    else if (req.op === 'retain') value = await writer!.retain(req.retention, new Date(req.now));
    else if (req.op === 'all') value = await reads.all(req.sql, req.params);
    else db.close();
    port.postMessage({ id: req.id, ok: true, value } satisfies WriterReply);
  } catch (e) {
    const err = e as Error & { code?: unknown };
    port.postMessage({ id: req.id, ok: false, error: { name: err.name, message: err.message, code: typeof err.code === 'string' ? err.code : undefined } } satisfies WriterReply);
  }
});
port.postMessage({ ready: true } satisfies WriterReply);
