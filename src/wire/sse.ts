/**
 * Incremental Server-Sent Events parser: text in arbitrary pieces → complete messages.
 * Handles `\n` and `\r\n` line ends, comments, multi-line `data:` and a final message
 * that lacks its blank line (some upstreams close right after `data: [DONE]`).
 */
/** The message of the error event a decoder emits when its stream ends without the provider's terminator. */
export const UNTERMINATED = 'upstream stream ended without terminator';

export interface SseMessage {
  /** The `event:` field, or '' when absent. */
  event: string;
  data: string;
}

export class SseParser {
  private buf = '';
  private event = '';
  private data: string | undefined;

  /** Feed text; returns the messages it completed. */
  push(text: string): SseMessage[] {
    const out: SseMessage[] = [];
    const buf = this.buf.length ? this.buf + text : text;
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf('\n', pos);
      if (nl < 0) break;
      const end = nl > pos && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line(buf.slice(pos, end), out);
      pos = nl + 1;
    }
    this.buf = pos === 0 ? buf : buf.slice(pos);
    return out;
  }

  /** The input ended: completes a pending line and message. */
  end(): SseMessage[] {
    const out: SseMessage[] = [];
    if (this.buf.length) {
      const rest = this.buf.endsWith('\r') ? this.buf.slice(0, -1) : this.buf;
      this.buf = '';
      this.line(rest, out);
    }
    this.line('', out);
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line.length === 0) {
      if (this.data !== undefined) out.push({ event: this.event, data: this.data });
      this.event = '';
      this.data = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' comment */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data = this.data === undefined ? value : this.data + '\n' + value;
    else if (field === 'event') this.event = value;
  }
}
