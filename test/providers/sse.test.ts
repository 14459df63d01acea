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

  it('ignores blank lines without data, and completes a last message lacking its blank line at end()', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('\n\nevent: x\n\ndata: [DONE]'), []);
    assert.deepEqual(p.end(), [{ event: '', data: '[DONE]' }]);
    assert.deepEqual(new SseParser().end(), []);
  });

  it('treats a field without a colon as an empty value', () => {
    assert.deepEqual(new SseParser().push('data\n\n'), [{ event: '', data: '' }]);
  });
});
