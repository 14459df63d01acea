/**
 * The skeleton every SSE-with-JSON-payload decoder shares: feed text, parse complete
 * messages, stop for good after the terminator or an error, and make a stream that ends
 * early look broken, never complete.
 */
import type { StreamEvent } from '../canonical.js';
import type { StreamDecoder } from '../providers/types.js';
import { SseParser, UNTERMINATED, type SseMessage } from './sse.js';
import { isRecord } from './validate.js';

export abstract class SseJsonDecoder implements StreamDecoder {
  private readonly sse = new SseParser();
  /** Terminator seen or error emitted: nothing more comes out. */
  protected closed = false;

  push(text: string): StreamEvent[] {
    if (this.closed) return [];
    return this.handle(this.sse.push(text), [], false);
  }

  get pending(): number {
    return this.sse.pending;
  }

  end(): StreamEvent[] {
    if (this.closed) return [];
    const out = this.handle(this.sse.end(), [], true);
    if (!this.closed) {
      this.closed = true;
      this.ended(out);
    }
    return out;
  }

  /** One parsed JSON object from the stream. */
  protected abstract object(event: string, data: Record<string, unknown>, out: StreamEvent[]): void;

  /** Handles a message before JSON parsing (OpenAI's `[DONE]`); true when consumed. */
  protected raw(_message: SseMessage, _out: StreamEvent[]): boolean {
    return false;
  }

  /** The input ended without the terminator. Gemini, which has none, overrides this. */
  protected ended(out: StreamEvent[]): void {
    out.push({ type: 'error', message: UNTERMINATED });
  }

  /** Emits a final event (terminator or error) and closes the decoder. */
  protected close(out: StreamEvent[], ...events: StreamEvent[]): void {
    this.closed = true;
    for (const e of events) out.push(e);
  }

  private handle(messages: SseMessage[], out: StreamEvent[], atEnd: boolean): StreamEvent[] {
    for (const m of messages) {
      if (this.closed) break;
      if (this.raw(m, out)) continue;
      let data: unknown;
      try {
        data = JSON.parse(m.data);
      } catch {
        // At the end of input, bad JSON is a message cut off mid-way.
        this.close(out, { type: 'error', message: atEnd ? UNTERMINATED : 'upstream stream sent data that is not JSON' });
        break;
      }
      if (isRecord(data)) this.object(m.event, data, out);
    }
    return out;
  }
}
