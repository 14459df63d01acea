/**
 * The bounded buffer in front of one sink. `push` never blocks: events wait here and
 * are written in batches (at `batch_size`, or after `flush_interval_ms`), so the
 * request path only pays for an array push. When the buffer is full (by event count, or by
 * the bytes of their JSON) the event is dropped and counted; a failing sink is retried
 * with backoff while the buffer holds.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { AuditLogger, SinkDriver } from './sinks/types.js';
import type { StoredEvent } from './stored.js';

export interface QueueOptions {
  /** The sink's label in stats and metrics. */
  name: string;
  batchSize: number;
  flushIntervalMs: number;
  bufferSize: number;
  /**
   * Most bytes of event JSON buffered. Events carrying prompts are megabytes each: bounded
   * by count alone, a sink that is down holds gigabytes of them until the process runs
   * out of heap, and every buffered event is lost with it.
   */
  bufferBytes: number;
  logger: AuditLogger;
  /** First and longest retry delay after a failed write. */
  backoff?: { baseMs: number; maxMs: number };
  /** Minimum time between two warnings of the same kind. */
  warnIntervalMs?: number;
}

export interface SinkStats {
  sink: string;
  type: SinkDriver['type'];
  /** Events stored. */
  written: number;
  /** Events never stored: buffer full, recorded after close, or still queued when close gave up. */
  dropped: number;
  /** Events the sink refused as invalid (isolated from their batch, never retried). */
  rejected: number;
  /** Failed write attempts (each is retried). */
  failures: number;
  /** Events waiting in the buffer. */
  queued: number;
  /** Their JSON's length, what buffer_bytes bounds: how near a sink that is down is to dropping events. */
  queued_bytes: number;
  /** The last write error, while the sink is failing. */
  last_error: string | null;
}

/**
 * Most bytes of event JSON in one write, however many events batch_size allows. Events
 * without prompts never come near it (500 of ~2 KB); with prompts, a backlog of 500
 * events of megabytes each went to the SQLite writer thread as one message, past its
 * 512 MB heap: the thread died, and died again at each retry of the same batch.
 */
const BATCH_BYTES = 16 * 1024 * 1024;

/** What a settled slot holds until the buffer is compacted. */
const SETTLED = null as unknown as StoredEvent;

export class SinkQueue {
  private buf: StoredEvent[] = [];
  private head = 0;
  /** JSON length of the events from `head` on (a byte a character, as V8 holds ASCII text). */
  private bytes = 0;
  private accepted = 0;
  private settled = 0;
  private written = 0;
  private dropped = 0;
  private rejected = 0;
  private failures = 0;
  private lastError: string | null = null;
  private opened = false;
  private opening: Promise<void> | undefined;
  private closed = false;
  /** close() has closed the driver. */
  private driverClosed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private waiters = new Set<{ upTo: number; resolve: () => void }>();
  private lastWarn = new Map<string, { at: number; suppressed: number }>();

  constructor(readonly driver: SinkDriver, private readonly opts: QueueOptions) {}

  get queued(): number {
    return this.buf.length - this.head;
  }

  /** Counts something that is not an audit event: no sink could store it, so it never enters the buffer. */
  refuse(decisionId: unknown): void {
    this.rejected++;
    this.warn('invalid', 'not an audit event: rejected', { decision_id: String(decisionId) });
  }

  /** Enqueues without blocking; false when the event was dropped. */
  push(event: StoredEvent): boolean {
    const size = event.json.length;
    // An event larger than the whole bound still goes into an empty buffer: a large
    // request is audited, and the buffer is over its bound by one event at most.
    const full = this.queued >= this.opts.bufferSize || (this.queued > 0 && this.bytes + size > this.opts.bufferBytes);
    if (this.closed || full) {
      this.dropped++;
      this.warn('dropped', this.closed ? 'audit event recorded after close: dropped' : 'audit buffer full: event dropped', { queued: this.queued, queued_bytes: this.bytes });
      return false;
    }
    this.buf.push(event);
    this.bytes += size;
    this.accepted++;
    if (this.queued >= this.opts.batchSize) this.kick();
    else if (!this.pumping) this.schedule();
    return true;
  }

  /** Writes what is queued after the flush interval, unless a write or a retry is already coming. */
  private schedule(): void {
    if (this.timer || this.retryTimer) return;
    this.timer = setTimeout(() => this.kick(), this.opts.flushIntervalMs);
    this.timer.unref();
  }

  /** A full batch waits for nothing; nor does anything when a flush is waiting for it. */
  private due(): boolean {
    return this.queued >= this.opts.batchSize || this.bytes >= BATCH_BYTES || (this.queued > 0 && this.waiters.size > 0);
  }

  /** Resolves when every event pushed before the call is settled, or at `deadline` (ms since epoch). */
  flush(deadline: number): Promise<void> {
    const upTo = this.accepted;
    if (this.settled >= upTo) return Promise.resolve();
    this.kick();
    return new Promise((resolve) => {
      const waiter = { upTo, resolve: () => { clearTimeout(t); this.waiters.delete(waiter); resolve(); } };
      // Deliberately not unref'd: a draining close must keep the process alive until the deadline.
      const t = setTimeout(waiter.resolve, Math.max(0, deadline - Date.now()));
      this.waiters.add(waiter);
    });
  }

  /** Drains until `deadline`, counts anything still queued as dropped, then closes the sink. */
  async close(deadline: number): Promise<void> {
    if (this.closed) return;
    if (this.retryTimer) {
      // Shutting down: retry now rather than after the backoff.
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    await this.flush(deadline);
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.pumping;
    // A sink still opening (a writer thread starting, a pool connecting) is closed once it
    // is open: closed before, what it was starting would be left running.
    if (this.opening) await settledBy(this.opening, deadline);
    const lost = this.queued;
    if (lost > 0) {
      this.dropped += lost;
      this.settle(lost);
      this.opts.logger.error({ sink: this.opts.name, lost, err: this.lastError }, 'audit sink still failing at shutdown: events dropped');
    }
    this.driverClosed = true;
    try {
      await this.driver.close();
    } catch (err) {
      this.opts.logger.error({ sink: this.opts.name, err: String(err) }, 'audit sink close failed');
    }
  }

  /** Prepares the sink's storage once (again after a failure asked for it). */
  ensureOpen(): Promise<void> {
    if (this.opened) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error(`audit sink ${this.opts.name} is closed`));
    this.opening ??= this.driver.open().then(
      () => {
        this.opening = undefined;
        this.opened = true;
        // Opened after close() stopped waiting for it: close it now.
        if (this.driverClosed) this.driver.close().catch((err: unknown) => this.opts.logger.error({ sink: this.opts.name, err: String(err) }, 'audit sink close failed'));
      },
      (err: unknown) => { this.opening = undefined; throw err; },
    );
    return this.opening;
  }

  stats(): SinkStats {
    return {
      sink: this.opts.name, type: this.driver.type, written: this.written, dropped: this.dropped,
      rejected: this.rejected, failures: this.failures, queued: this.queued, queued_bytes: this.bytes, last_error: this.lastError,
    };
  }

  /** Starts writing now unless a write is running or a retry is scheduled. */
  private kick(): void {
    if (this.pumping || this.retryTimer || this.queued === 0) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pumping = this.drain().finally(() => {
      this.pumping = undefined;
      if (this.queued === 0 || this.retryTimer || this.closed) return;
      // What came in during the write goes now only as a full batch; less waits for the
      // flush interval. Otherwise a busy gateway writes one small batch per writer round
      // trip (measured: ~60 events at 6,000 req/s, 20 % more writer CPU than full ones).
      if (this.due()) this.kick();
      else this.schedule();
    });
  }

  private async drain(): Promise<void> {
    do {
      const batch = this.buf.slice(this.head, this.batchEnd());
      try {
        await this.ensureOpen();
        await this.writeBatch(batch);
        this.attempt = 0;
        this.lastError = null;
      } catch (err) {
        this.onFailure(err);
        return;
      }
      // SQLite writes are synchronous: give requests a turn between batches of a backlog.
      if (this.queued > 0) await yieldToLoop();
    } while (this.due());
  }

  /** Where the next batch ends: batch_size events, fewer when they pass BATCH_BYTES (one event at least). */
  private batchEnd(): number {
    const last = Math.min(this.buf.length, this.head + this.opts.batchSize);
    let end = this.head + 1;
    for (let bytes = this.buf[this.head].json.length; end < last; end++) {
      bytes += this.buf[end].json.length;
      if (bytes > BATCH_BYTES) break;
    }
    return end;
  }

  /** Writes `batch`; on a permanent error, halves it until the bad events are isolated and rejected. */
  private async writeBatch(batch: StoredEvent[]): Promise<void> {
    try {
      await this.driver.write(batch);
      this.written += batch.length;
      this.settle(batch.length);
    } catch (err) {
      if (!this.driver.isPermanent(err)) throw err;
      if (batch.length === 1) {
        this.rejected++;
        this.settle(1);
        this.opts.logger.error({ sink: this.opts.name, decision_id: batch[0].decision_id, err: String(err) }, 'audit event rejected by sink');
        return;
      }
      const mid = batch.length >> 1;
      await this.writeBatch(batch.slice(0, mid));
      await this.writeBatch(batch.slice(mid));
    }
  }

  private onFailure(err: unknown): void {
    this.failures++;
    this.lastError = err instanceof Error ? err.message : String(err);
    if (this.driver.needsOpen?.(err)) this.opened = false;
    const { baseMs, maxMs } = this.opts.backoff ?? { baseMs: 100, maxMs: 10_000 };
    const delay = Math.min(maxMs, baseMs * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt = Math.min(this.attempt + 1, 30);
    this.warn('failing', 'audit sink write failed: retrying', { err: this.lastError, queued: this.queued, retry_ms: Math.round(delay) });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
    this.retryTimer.unref();
  }

  /** Moves the head past `n` finished events and wakes flushes that were waiting for them. */
  private settle(n: number): void {
    // Let go of settled events at once: each holds its request's decision, headers and
    // attempts, and thousands of them kept until the next compaction cost tens of MB.
    for (let i = this.head; i < this.head + n; i++) this.bytes -= this.buf[i].json.length;
    this.buf.fill(SETTLED, this.head, this.head + n);
    this.head += n;
    this.settled += n;
    if (this.head === this.buf.length) {
      this.buf = [];
      this.head = 0;
      this.bytes = 0;
    } else if (this.head > 1024 && this.head * 2 > this.buf.length) {
      this.buf = this.buf.slice(this.head);
      this.head = 0;
    }
    for (const w of this.waiters) if (this.settled >= w.upTo) w.resolve();
  }

  private warn(kind: string, msg: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    const last = this.lastWarn.get(kind);
    if (last && now - last.at < (this.opts.warnIntervalMs ?? 10_000)) {
      last.suppressed++;
      return;
    }
    this.lastWarn.set(kind, { at: now, suppressed: 0 });
    this.opts.logger.warn({ sink: this.opts.name, ...fields, ...(last?.suppressed ? { suppressed: last.suppressed } : {}) }, msg);
  }
}

/** Waits for `p` to settle, but not past `deadline` (epoch ms); never rejects. */
function settledBy(p: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => { timer = setTimeout(resolve, Math.max(0, deadline - Date.now())); });
  return Promise.race([p.then(() => undefined, () => undefined), late]).finally(() => clearTimeout(timer));
}
