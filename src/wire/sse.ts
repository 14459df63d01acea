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
  /**
   * The line being read, which has not ended yet. Only new text is searched for its end,
   * and appending builds a rope that is flattened once, when the line is complete: a line
   * that comes in many pieces costs time in proportion to its length, not to its length
   * times its pieces.
   */
  private held = '';
  private event = '';
  private data: string | undefined;

  /**
   * Characters held for the message not yet complete: its fields so far and the line being
   * read. The caller bounds memory with it (an upstream can send a line that never ends).
   */
  get pending(): number {
    return this.held.length + this.event.length + (this.data === undefined ? 0 : this.data.length);
  }

  /** Feed text; returns the messages it completed. */
  push(text: string): SseMessage[] {
    const out: SseMessage[] = [];
    let nl = text.indexOf('\n');
    if (nl < 0) {
      this.held = this.held.length ? this.held + text : text;
      return out;
    }
    let pos = 0;
    if (this.held.length) {
      // The CR of a CRLF may be the held line's last character.
      const line = this.held + text.slice(0, nl);
      this.held = '';
      this.line(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line, out);
      pos = nl + 1;
      nl = text.indexOf('\n', pos);
    }
    while (nl >= 0) {
      const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line(text.slice(pos, end), out);
      pos = nl + 1;
      nl = text.indexOf('\n', pos);
    }
    if (pos < text.length) this.held = pos === 0 ? text : text.slice(pos);
    return out;
  }

  /** The input ended: completes a pending line and message. */
  end(): SseMessage[] {
    const out: SseMessage[] = [];
    if (this.held.length) {
      const rest = this.held.endsWith('\r') ? this.held.slice(0, -1) : this.held;
      this.held = '';
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
