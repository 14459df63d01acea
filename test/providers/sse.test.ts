/** The SSE parser underneath every stream decoder. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from '../../src/wire/sse.js';

describe('SseParser', () => {
  it('parses events, comments, multi-line data and CRLF', () => {
    const p = new SseParser();
    const out = p.push(': keep-alive\r\nevent: ping\r\ndata: {"a":1}\r\n\r\ndata: line1\ndata:line2\n\nid: 7\nretry: 10\ndata: x\n\n');
    assert.deepEqual(out, [{ event: 'ping', data: '{"a":1}' }, { event: '', data: 'line1\nline2' }, { event: '', data: 'x' }]);
  });

  it('holds partial lines and a CR split from its LF across pushes', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('data: hel'), []);
    assert.deepEqual(p.push('lo\r'), []);
    assert.deepEqual(p.push('\n'), []);
    assert.deepEqual(p.push('\r\n'), [{ event: '', data: 'hello' }]);
  });

  it('ends lines at a lone CR too, as the SSE spec allows, including a CR that ends one push before an LF that begins the next', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('event: a\rdata: {"a":1}\r\rdata: 2'), [{ event: 'a', data: '{"a":1}' }]);
    assert.deepEqual(p.push('\r'), []);
    assert.deepEqual(p.push('\n'), [], 'the LF completes the CRLF begun in the last push: not a blank line');
    assert.deepEqual(p.push('\r\n'), [{ event: '', data: '2' }]);
    assert.deepEqual(p.push('data: 3\r'), []);
    assert.deepEqual(p.push('\r'), [{ event: '', data: '3' }], 'a second CR is a blank line, not half a CRLF');
  });

  it('drops a byte order mark at the very start of the stream, and only there', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('\uFEFFdata: 1\n\n'), [{ event: '', data: '1' }]);
    assert.deepEqual(p.push('\uFEFFdata: 2\n\n'), [], 'later, it is part of a field name');
    assert.deepEqual(new SseParser().push(''), []);
  });

  it('ignores blank lines without data, and completes a last message lacking its blank line at end()', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('\n\nevent: x\n\ndata: [DONE]'), []);
    assert.deepEqual(p.end(), [{ event: '', data: '[DONE]' }]);
    assert.deepEqual(new SseParser().end(), []);
  });

  it('treats a field without a colon as an empty value', () => {
    assert.deepEqual(new SseParser().push('data\n\n'), [{ event: '', data: '' }]);
  });

  it('searches each character once: a line in many pieces costs its length, not length × pieces', () => {
    // Counts the characters every search for a line end passes over while the parser runs.
    let scanned = 0;
    const indexOf = String.prototype.indexOf;
    String.prototype.indexOf = function (this: string, search: string, from?: number): number {
      const at = indexOf.call(this, search, from);
      if (search === '\n') scanned += (at < 0 ? this.length : at + 1) - (from ?? 0);
      return at;
    } as typeof String.prototype.indexOf;
    const p = new SseParser();
    const pieces = 2_000;
    const piece = 'x'.repeat(1_000);
    let out;
    try {
      p.push('data: "');
      for (let i = 0; i < pieces; i++) p.push(piece);
      out = p.push('"\n\n');
    } finally {
      String.prototype.indexOf = indexOf;
    }
    assert.equal(out.length, 1);
    assert.equal(out[0].data.length, pieces * piece.length + 2);
    // Every character once (plus the two line ends); the old way scanned ~pieces²/2 × 1,000.
    const total = 'data: "'.length + pieces * piece.length + 3;
    assert.ok(scanned <= total, `scanned ${scanned} characters of ${total}`);
  });

  it('counts what it holds for a message not yet complete', () => {
    const p = new SseParser();
    assert.equal(p.pending, 0);
    p.push('event: delta\ndata: abc');
    assert.equal(p.pending, 'delta'.length + 'data: abc'.length);
    p.push('def\ndata: g');
    assert.equal(p.pending, 'delta'.length + 'abcdef'.length + 'data: g'.length);
    assert.deepEqual(p.push('\n\n'), [{ event: 'delta', data: 'abcdef\ng' }]);
    assert.equal(p.pending, 0);
  });
});
