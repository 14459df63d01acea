/**
 * An upstream SSE body decoded incrementally into canonical events, handed to the caller
 * as an async iterator. Bytes are decoded as they arrive (no buffering of the whole
 * stream); when the caller falls behind, the upstream body is paused so backpressure
 * reaches the provider's socket, and the idle timer stops while we are the slow side.
 * An event is held whole until it ends, so its size is capped (upstream.max_response_bytes).
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { FinishReason, StreamEvent, Usage } from '../canonical.js';
import type { StreamDecoder } from '../providers/types.js';
import { abortMessage, type AttemptControl } from './control.js';
import { classifyTransportError } from './transport.js';
import type { Clock } from './types.js';

/** Events buffered before the upstream body is paused, and the level it resumes at. */
const HIGH_WATER = 64;
const LOW_WATER = 16;

/** The most of a body that turns out not to be SSE kept to describe it (as for an error body). */
const PRELUDE_MAX = 64 * 1024;

const DONE: IteratorResult<StreamEvent> = Object.freeze({ done: true, value: undefined });

export interface StreamSettlement {
  ok: boolean;
  error: string | null;
  clientAborted: boolean;
  /** The provider's count for the whole answer (its `usage` event); null when the stream ended before it. */
  usage: Usage | null;
  /** What the provider counted before generating (the `start` event's usage), when it said. */
  inputUsage: Usage | null;
  finishReason: FinishReason | null;
}

export interface StreamTimers {
  clock: Clock;
  idleMs: number;
  /** Absolute deadline (clock ms) while the stream is not committed; 0 after. */
  deadlineAt: number;
  totalMs: number;
}

export class UpstreamStream implements AsyncIterableIterator<StreamEvent> {
  private readonly utf8 = new StringDecoder('utf8');
  private readonly events: StreamEvent[] = [];
  private head = 0;
  /** A terminal event (`end` or `error`) has been decoded: nothing more is read. */
  private terminal = false;
  /** The terminal event has been handed out, or the stream was abandoned. */
  private finished = false;
  private paused = false;
  private waiter: ((r: IteratorResult<StreamEvent>) => void) | null = null;
  private settlement: StreamSettlement | null = null;
  private hook: ((s: StreamSettlement) => void) | null = null;
  private usage: Usage | null = null;
  private inputUsage: Usage | null = null;
  private finishReason: FinishReason | null = null;
  /** performance.now() when the latest chunk arrived. */
  lastChunkAt = 0;
  /**
   * The text that arrived before the first event was decoded (up to PRELUDE_MAX): when
   * none ever is, it says what the upstream sent instead of a stream.
   */
  prelude = '';
  /** An event has been decoded: the prelude is complete. */
  private decoded = false;
  /** Set when the transport failed (timeout, socket cut) rather than the provider sending an error. */
  failure: { kind: 'timeout' | 'connection_error' | 'server_error'; message: string } | null = null;

  constructor(
    private readonly body: Readable,
    private readonly decoder: StreamDecoder,
    private readonly control: AttemptControl,
    private readonly timers: StreamTimers,
    /** The most text (characters) one event not yet complete may hold. */
    private readonly maxEvent: number,
    /** Hides the config's secrets in an error event's message, which goes on to the client. */
    private readonly redact: (text: string) => string = (text) => text,
  ) {
    this.rearm();
    body.on('data', (chunk: Buffer) => {
      this.lastChunkAt = performance.now();
      this.onData(chunk);
    });
    body.on('end', () => this.onEnd());
    body.on('error', (err: unknown) => this.onError(err));
    body.on('close', () => this.onClose());
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<StreamEvent>> {
    if (this.head < this.events.length) return Promise.resolve(this.shift());
    if (this.finished || this.terminal) return Promise.resolve(DONE);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** The caller stopped reading early (e.g. the client disconnected). */
  return(): Promise<IteratorResult<StreamEvent>> {
    this.abandon(true);
    return Promise.resolve(DONE);
  }

  /**
   * The commit point has passed: from now on only the idle timer applies (the total
   * deadline bounds the time to commit, not the length of a generation).
   */
  commit(): void {
    this.timers.deadlineAt = 0;
    if (!this.terminal && !this.paused) this.rearm();
  }

  /** Called once, when the stream is over. Runs at once if it already is. */
  onSettle(hook: (s: StreamSettlement) => void): void {
    if (this.settlement !== null) hook(this.settlement);
    else this.hook = hook;
  }

  /** Stops the stream and closes the upstream connection; `clientAborted` records who left. */
  abandon(clientAborted: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.events.length = 0;
    this.head = 0;
    if (clientAborted) this.control.abort('client');
    else if (!this.body.destroyed) this.body.destroy();
    this.control.clear();
    this.settle(false, clientAborted ? 'client aborted' : 'stream abandoned', clientAborted);
    this.wake();
  }

  private shift(): IteratorResult<StreamEvent> {
    const ev = this.events[this.head++];
    if (this.head === this.events.length) {
      this.events.length = 0;
      this.head = 0;
    }
    if (this.paused && this.events.length - this.head <= LOW_WATER && !this.terminal) {
      this.paused = false;
      this.body.resume();
      this.rearm();
    }
    if (ev.type === 'end' || ev.type === 'error') {
      this.finished = true;
      if (ev.type === 'end') this.settle(true, null, false);
      else {
        ev.message = this.redact(ev.message);
        this.settle(false, ev.message, false);
      }
    }
    return { done: false, value: ev };
  }

  private onData(chunk: Buffer | string): void {
    if (this.terminal) return;
    this.touch();
    // A multi-byte character may straddle two chunks: StringDecoder keeps the partial bytes.
    const text = typeof chunk === 'string' ? chunk : this.utf8.write(chunk);
    const evs = this.decoder.push(text);
    if (!this.decoded) {
      if (evs.length > 0) this.decoded = true;
      else if (this.prelude.length < PRELUDE_MAX) this.prelude += text.slice(0, PRELUDE_MAX - this.prelude.length);
    }
    this.add(evs);
    // Events are counted for backpressure only once complete: one that never ends (a line of
    // megabytes) would be held without bound, so past the cap the stream fails as a
    // malformed one does, and the upstream connection is closed.
    if (!this.terminal && this.decoder.pending > this.maxEvent) {
      this.add([{ type: 'error', message: `upstream stream sent an event larger than upstream.max_response_bytes (${this.maxEvent})` }]);
    }
  }

  private onEnd(): void {
    if (this.terminal) return;
    const rest = this.utf8.end();
    if (rest.length > 0) {
      this.add(this.decoder.push(rest));
      if (this.terminal) return;
    }
    this.add(this.decoder.end());
  }

  private onError(err: unknown): void {
    if (this.terminal) return;
    const cause = this.control.abortedBy;
    if (cause === 'client') {
      this.terminal = true;
      this.abandon(true);
      return;
    }
    if (cause !== null) {
      const ms = cause === 'deadline' ? this.timers.totalMs : this.timers.idleMs;
      this.failure = { kind: 'timeout', message: abortMessage(cause === 'attempt_timeout' ? 'idle_timeout' : cause, ms) };
    } else {
      const c = classifyTransportError(err);
      // A stream already has its socket: running out of descriptors cannot end it.
      const kind = c.kind === 'overloaded' ? 'connection_error' : c.kind;
      this.failure = { kind, message: kind === 'connection_error' ? `upstream connection lost mid-stream (${c.message})` : c.message };
    }
    this.add([{ type: 'error', message: this.failure.message }]);
  }

  private onClose(): void {
    if (this.terminal) return;
    // Destroyed without an error: treat as a cut connection (never as a clean end).
    this.failure = { kind: 'connection_error', message: 'upstream connection closed mid-stream' };
    this.add([{ type: 'error', message: this.failure.message }]);
  }

  /** Arms the timer afresh: idle time, but before the commit point never past the total deadline. */
  private rearm(): void {
    const t = this.timers;
    if (t.deadlineAt === 0) {
      this.control.arm(t.idleMs, 'idle_timeout');
      return;
    }
    const left = t.deadlineAt - t.clock.now();
    if (left < t.idleMs) this.control.arm(left, 'deadline');
    else this.control.arm(t.idleMs, 'idle_timeout');
  }

  /** A chunk arrived: restarts the idle timer (the deadline, once it is the nearer limit, stays put). */
  private touch(): void {
    const t = this.timers;
    if (t.deadlineAt === 0) {
      this.control.refresh();
      return;
    }
    if (this.control.armedFor === 'deadline') return;
    const left = t.deadlineAt - t.clock.now();
    if (left < t.idleMs) this.control.arm(left, 'deadline');
    else this.control.refresh();
  }

  private add(evs: StreamEvent[]): void {
    for (let i = 0; i < evs.length; i++) {
      const ev = evs[i];
      this.events.push(ev);
      if (ev.type === 'usage') this.usage = ev.usage;
      else if (ev.type === 'start') this.inputUsage = ev.usage ?? null;
      else if (ev.type === 'finish') this.finishReason = ev.finishReason;
      else if (ev.type === 'end' || ev.type === 'error') {
        this.terminal = true;
        this.control.clear();
        // After the terminator the rest of the body is drained so the socket stays reusable;
        // after an error it is closed.
        if (ev.type === 'end') {
          if (this.paused) this.body.resume();
        } else if (!this.body.destroyed) {
          this.body.destroy();
        }
        break;
      }
    }
    if (!this.terminal && !this.paused && this.events.length - this.head >= HIGH_WATER) {
      this.paused = true;
      this.body.pause();
      this.control.clear();
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    if (w === null) return;
    if (this.head < this.events.length) {
      this.waiter = null;
      w(this.shift());
    } else if (this.finished || this.terminal) {
      this.waiter = null;
      w(DONE);
    }
  }

  private settle(ok: boolean, error: string | null, clientAborted: boolean): void {
    if (this.settlement !== null) return;
    const s: StreamSettlement = { ok, error, clientAborted, usage: this.usage, inputUsage: this.inputUsage, finishReason: this.finishReason };
    this.settlement = s;
    const hook = this.hook;
    this.hook = null;
    hook?.(s);
  }
}
