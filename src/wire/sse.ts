/**
 * Incremental Server-Sent Events parser: text in arbitrary pieces → complete messages.
 * Handles `\n`, `\r\n` and lone `\r` line ends, a leading byte order mark, comments,
 * multi-line `data:` and a final message that lacks its blank line (some upstreams close
 * right after `data: [DONE]`).
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
  /** Some text has been pushed (a byte order mark is dropped only from the first). */
  private started = false;
  /** The last push ended with a CR that ended a line. */
  private afterCr = false;

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
    if (text.length === 0) return out;
    let pos = 0;
    if (!this.started) {
      // One byte order mark may open the stream (a UTF-8 BOM, decoded): it is no part of the first field.
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) pos = 1;
    }
    if (this.afterCr) {
      // The last push ended a line at a CR: an LF opening this one is the rest of that CRLF.
      this.afterCr = false;
      if (text.charCodeAt(pos) === 10) pos++;
    }
    // Lines end at LF, CRLF or a lone CR. Each of the two is searched for only past the
    // last one found, so every character is looked at a bounded number of times.
    let lf = text.indexOf('\n', pos);
    let cr = text.indexOf('\r', pos);
    while (lf >= 0 || cr >= 0) {
      const end = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      const piece = text.slice(pos, end);
      const line = this.held.length ? this.held + piece : piece;
      this.held = '';
      this.line(line, out);
      pos = end + 1;
      if (end === cr) {
        if (pos === text.length) this.afterCr = true;
        else if (text.charCodeAt(pos) === 10) pos++;
      }
      if (lf >= 0 && lf < pos) lf = text.indexOf('\n', pos);
      if (cr >= 0 && cr < pos) cr = text.indexOf('\r', pos);
    }
    if (pos < text.length) {
      const rest = pos === 0 ? text : text.slice(pos);
      this.held = this.held.length ? this.held + rest : rest;
    }
    return out;
  }

  /** The input ended: completes a pending line and message. */
  end(): SseMessage[] {
    const out: SseMessage[] = [];
    if (this.held.length) {
      const rest = this.held;
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
