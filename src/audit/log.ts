/**
 * The audit log the server holds: one bounded queue per configured sink, a retention
 * timer per database sink, and query access through the first database sink.
 */
import { resolve } from 'node:path';
import pino from 'pino';
import { SwitchyardError } from '../errors.js';
import type { AuditEventV1 } from '../types/audit-event.js';
import type { AuditConfig, AuditSink } from '../types/gateway-config.js';
import { buildStoredEvent, eventPolicy, storeEvent, type AuditEventInput, type EventPolicy } from './event.js';
import type { AuditFilter, SummaryKind } from './filter.js';
import type { AuditPage, AuditReader, Summaries } from './query.js';
import { SinkQueue, type SinkStats } from './queue.js';
import { ndjsonSink } from './sinks/ndjson.js';
import { postgresSink } from './sinks/postgres.js';
import { DEFAULT_SQLITE_PATH, sqliteFile, sqliteSink } from './sinks/sqlite.js';
import type { AuditLogger, SinkDriver } from './sinks/types.js';
import type { StoredEvent } from './stored.js';

export interface AuditLogOptions {
  /** pino-compatible; defaults to pino at `warn` on stderr. */
  logger?: AuditLogger;
  /** Known secret values (provider keys, admin key) redacted from every event. */
  secrets?: Iterable<string>;
  /** Directory relative sink paths resolve against (default: the working directory). */
  baseDir?: string;
  /** For retention's "now". */
  clock?: () => Date;
  /** How often retention runs per database sink (default 60 s; first run 5 s after start). */
  retentionIntervalMs?: number;
  /** How long close() keeps retrying a failing sink before counting its queue as dropped (default 10 s). */
  closeTimeoutMs?: number;
  /** How long flush() waits at most (default 10 s). */
  flushTimeoutMs?: number;
  /** Replaces the sinks built from config: tests and custom sinks. Paired with `config.sinks` for sizes. */
  drivers?: SinkDriver[];
  /** Retry delays after a failed write. */
  backoff?: { baseMs: number; maxMs: number };
}

export interface AuditLog {
  /** False when audit is disabled or has no sinks: record() is then a no-op. */
  readonly enabled: boolean;
  readonly policy: EventPolicy;
  /**
   * Builds the request's event (this log's masking and redaction applied) and enqueues it
   * for every sink. Never blocks, never throws; a full buffer drops (and counts) it.
   */
  record(input: AuditEventInput): void;
  /** Enqueues an event built elsewhere, as `record` does; one that is not an event is counted as rejected. */
  recordEvent(event: AuditEventV1): void;
  /** Resolves when every event recorded so far is written (or the flush timeout passes). */
  flush(): Promise<void>;
  /** Drains and writes every buffered event, then closes the sinks. Call on SIGTERM after the server stops accepting. */
  close(): Promise<void>;
  /** Per-sink counters: written, dropped, rejected, failures, queued. */
  stats(): SinkStats[];
  /** Events from the first sqlite/postgres sink; SY_ERR_UNAVAILABLE when there is none. */
  query(filter: AuditFilter): Promise<AuditPage>;
  summary<K extends SummaryKind>(kind: K, filter: AuditFilter): Promise<Summaries[K]>;
  get(decisionId: string): Promise<AuditEventV1 | null>;
}

/**
 * flush_interval_ms is short on purpose: an event that waits in the buffer past a young-
 * generation GC or two is promoted, JSON text and all, to the old generation of the
 * request thread's heap, where it stays as garbage until a major GC. Side by side at a
 * gateway's peak, 25-50 ms gave a lower peak RSS than 200 ms at the same CPU per request
 * (peak RSS also varies from run to run by tens of MB, so the size of the gain is loose).
 *
 * buffer_bytes: an event without its prompt is ~2 KB, so 50,000 of them are ~100 MB and
 * the count bounds them first, as before. With store_prompts an event can be megabytes
 * (a 1M-token prompt is ~4 MB): 256 MB of them held ~305 MB of RSS (measured), a
 * sixteenth of Node's default 4 GB heap, and leave room in a 1 GB container for requests
 * in flight while a sink is down.
 */
export const SINK_DEFAULTS = { batch_size: 500, flush_interval_ms: 50, buffer_size: 50_000, buffer_bytes: 256 * 1024 * 1024, table: 'audit_events' } as const;

/**
 * Where a sink writes, as `serve` logs it at start: a file's absolute path (relative ones
 * resolve against `baseDir`, the config's folder), `stdout`, or a PostgreSQL table —
 * never the database URL, which may hold a password.
 *
 * @example sinkPlace({ type: 'sqlite', path: 'data/audit.db' }, '/srv/gw') // 'sqlite /srv/gw/data/audit.db'
 */
export function sinkPlace(sink: AuditSink, baseDir: string): string {
  switch (sink.type) {
    case 'sqlite': return `sqlite ${sqliteFile(sink, baseDir)}`;
    case 'ndjson': return `ndjson ${!sink.path || sink.path === 'stdout' ? 'stdout' : resolve(baseDir, sink.path)}`;
    case 'postgres': return `postgres table ${sink.table ?? SINK_DEFAULTS.table}`;
  }
}

/** The sinks in effect: none when disabled; an embedded SQLite file when `sinks` is absent. */
export function effectiveSinks(config: AuditConfig | undefined): AuditSink[] {
  if (config?.enabled === false) return [];
  return config?.sinks ?? [{ type: 'sqlite', path: DEFAULT_SQLITE_PATH }];
}

function driverFor(sink: AuditSink, opts: AuditLogOptions, logger: AuditLogger): SinkDriver {
  switch (sink.type) {
    case 'sqlite': return sqliteSink(sink, { baseDir: opts.baseDir });
    case 'postgres': return postgresSink(sink, { logger });
    case 'ndjson': return ndjsonSink(sink, { baseDir: opts.baseDir });
  }
}

/** Metric labels: the sink type, numbered when a type repeats (`sqlite`, `sqlite-2`). */
function labels(types: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return types.map((t) => {
    const n = (seen.get(t) ?? 0) + 1;
    seen.set(t, n);
    return n === 1 ? t : `${t}-${n}`;
  });
}

/**
 * Opens the configured sinks (SQLite files are created at once, so a bad path fails here;
 * PostgreSQL connects in the background and retries).
 * @example
 * const audit = createAuditLog(config.audit, { logger, secrets: providerKeys });
 * audit.record({ decisionId, requestId, ts, decision, principal, request, attempts, outcome });
 * process.on('SIGTERM', async () => { await app.close(); await audit.close(); });
 */
export function createAuditLog(config: AuditConfig | undefined, opts: AuditLogOptions = {}): AuditLog {
  const logger = opts.logger ?? pino({ level: 'warn', name: 'audit' }, pino.destination(2));
  const policy = eventPolicy(config ?? {}, { secrets: opts.secrets });
  const sinks = effectiveSinks(config);
  const drivers = opts.drivers ?? sinks.map((s) => driverFor(s, opts, logger));
  const names = labels(drivers.map((d) => d.type));
  const queues = drivers.map((driver, i) => {
    const s = sinks[i] ?? { type: driver.type };
    return new SinkQueue(driver, {
      name: names[i],
      batchSize: s.batch_size ?? SINK_DEFAULTS.batch_size,
      flushIntervalMs: s.flush_interval_ms ?? SINK_DEFAULTS.flush_interval_ms,
      bufferSize: s.buffer_size ?? SINK_DEFAULTS.buffer_size,
      bufferBytes: s.buffer_bytes ?? SINK_DEFAULTS.buffer_bytes,
      logger,
      backoff: opts.backoff,
    });
  });
  const clock = opts.clock ?? (() => new Date());
  const readable = queues.find((q) => q.driver.reader);
  const reader: AuditReader | undefined = readable?.driver.reader?.();
  for (const q of queues) {
    q.ensureOpen().catch((err: unknown) => logger.warn({ sink: q.stats().sink, err: String(err) }, 'audit sink not ready yet: will retry'));
  }
  const retention = startRetention(queues, sinks, opts, clock, logger);
  let closing: Promise<void> | undefined;

  const enqueue = (stored: StoredEvent) => {
    for (const q of queues) {
      try {
        q.push(stored);
      } catch (err) {
        logger.error({ err: String(err) }, 'audit record failed');
      }
    }
  };

  const requireReader = async (): Promise<AuditReader> => {
    if (!reader || !readable) throw new SwitchyardError('SY_ERR_UNAVAILABLE', 'no queryable audit sink is configured (add a sqlite or postgres sink)');
    try {
      await readable.ensureOpen();
    } catch (err) {
      throw new SwitchyardError('SY_ERR_UNAVAILABLE', `the audit store is not reachable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return reader;
  };

  return {
    enabled: queues.length > 0,
    policy,
    record(input) {
      if (queues.length === 0) return;
      let stored: StoredEvent;
      try {
        stored = buildStoredEvent(input, policy);
      } catch (err) {
        logger.error({ err: String(err), decision_id: input?.decisionId }, 'audit event could not be built');
        for (const q of queues) q.refuse(input?.decisionId);
        return;
      }
      enqueue(stored);
    },
    recordEvent(event) {
      if (queues.length === 0) return;
      let stored: StoredEvent;
      try {
        stored = storeEvent(event, policy);
      } catch {
        for (const q of queues) q.refuse((event as Partial<AuditEventV1> | undefined)?.decision_id);
        return;
      }
      enqueue(stored);
    },
    async flush() {
      const deadline = Date.now() + (opts.flushTimeoutMs ?? 10_000);
      await Promise.all(queues.map((q) => q.flush(deadline)));
    },
    close() {
      closing ??= (async () => {
        retention.stop();
        await retention.running();
        const deadline = Date.now() + (opts.closeTimeoutMs ?? 10_000);
        await Promise.all(queues.map((q) => q.close(deadline)));
      })();
      return closing;
    },
    stats: () => queues.map((q) => q.stats()),
    query: async (filter) => (await requireReader()).query(filter),
    summary: async (kind, filter) => (await requireReader()).summary(kind, filter),
    get: async (id) => (await requireReader()).get(id),
  };
}

/** Runs each database sink's retention periodically, one pass at a time. */
function startRetention(queues: SinkQueue[], sinks: AuditSink[], opts: AuditLogOptions, clock: () => Date, logger: AuditLogger) {
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<unknown>>();
  queues.forEach((q, i) => {
    const driver = q.driver;
    if (!driver.retain || !(sinks[i]?.retention?.max_age || sinks[i]?.retention?.max_rows)) return;
    let busy = false;
    const pass = () => {
      if (busy) return;
      busy = true;
      const p = q.ensureOpen()
        .then(() => driver.retain!(clock()))
        .catch((err: unknown) => logger.warn({ sink: q.stats().sink, err: String(err) }, 'audit retention failed'))
        .finally(() => {
          busy = false;
          inFlight.delete(p);
        });
      inFlight.add(p);
    };
    const first = setTimeout(pass, Math.min(5_000, opts.retentionIntervalMs ?? 60_000));
    const every = setInterval(pass, opts.retentionIntervalMs ?? 60_000);
    first.unref();
    every.unref();
    timers.push(first, every);
  });
  return {
    stop: () => timers.forEach((t) => clearTimeout(t)),
    running: () => Promise.all(inFlight),
  };
}
