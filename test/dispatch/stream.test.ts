/**
 * Fault injection, streaming: before the commit point a broken stream falls back like
 * any failed attempt; after it, the failure arrives in-band as an error event and the
 * stream is never silently ended.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import type { StreamEvent } from '../../src/canonical.js';
import type { ChatResult } from '../../src/dispatch/index.js';
import { DispatchError } from '../../src/dispatch/index.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/upstream.js';
import { chatRequest, dispatcher, plan, provider, rejection, signal, target } from './helpers.js';

let a: FakeUpstream;
let b: FakeUpstream;
let c: FakeUpstream;
let slow: FakeUpstream;

before(async () => {
  a = await startFakeUpstream({ name: 'a', chunks: 3 });
  b = await startFakeUpstream({ name: 'b' });
  c = await startFakeUpstream({ name: 'c', format: 'anthropic' });
  slow = await startFakeUpstream({ name: 'slow', chunks: 200, chunkDelayMs: 20, text: 'x'.repeat(400) });
});
after(async () => {
  await Promise.all([a.close(), b.close(), c.close(), slow.close()]);
});
beforeEach(() => {
  for (const f of [a, b, c, slow]) {
    f.reset();
    f.setDefault('ok');
  }
});

type Stream = Extract<ChatResult, { kind: 'stream' }>;

function asStream(r: ChatResult): Stream {
  assert.equal(r.kind, 'stream');
  return r as Stream;
}

async function drain(s: Stream): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const ev of s.rest) out.push(ev);
  return out;
}

const text = (evs: StreamEvent[]) => evs.map((e) => (e.type === 'text' ? e.text : '')).join('');

describe('streams that work', () => {
  it('OpenAI: first holds the events up to the first content; rest ends with `end`', async () => {
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa] });
    const s = asStream(await d.chat(chatRequest(true), plan(target(pa)), { signal: signal() }));
    assert.deepEqual(s.first.map((e) => e.type), ['start', 'text']);
    const rest = await drain(s);
    assert.equal(text([...s.first, ...rest]), 'hello from a');
    assert.deepEqual(rest.slice(-3).map((e) => e.type), ['finish', 'usage', 'end']);
    const done = await s.done;
    assert.equal(done.ok, true);
    assert.deepEqual(done.usage, { inputTokens: 5, outputTokens: 7 });
    assert.equal(done.finishReason, 'stop');
    assert.deepEqual(s.attempts.map((x) => [x.provider, x.status, x.fallback_reason, x.error]), [['a', 200, null, null]]);
    assert.equal(a.calls, 1);
    await d.close();
  });

  it('Anthropic', async () => {
    const pc = provider('c', { type: 'anthropic', url: c.url });
    const d = dispatcher({ providers: [pc] });
    const s = asStream(await d.chat(chatRequest(true), plan(target(pc, 'claude-test')), { signal: signal() }));
    const rest = await drain(s);
    assert.equal(text([...s.first, ...rest]), 'hello from c');
    assert.equal(rest.at(-1)!.type, 'end');
    assert.equal((await s.done).ok, true);
    await d.close();
  });

  it('the connection is reused after a complete stream (keep-alive)', async () => {
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa] });
    for (let i = 0; i < 3; i++) {
      await drain(asStream(await d.chat(chatRequest(true), plan(target(pa)), { signal: signal() })));
      // The response's last bytes (the chunked terminator) are read a moment after `[DONE]`.
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(a.calls, 3);
    assert.equal(a.aborts, 0, 'no stream was cut by the gateway');
    assert.equal(a.connections, 1);
    await d.close();
  });
});

describe('failures before the commit point fall back', () => {
  it('an error as the first SSE event (OpenAI): stream_error, the fallback serves', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    a.setDefault('first-error');
    const s = asStream(await d.chat(chatRequest(true), plan(target(pa), [target(pb)]), { signal: signal() }));
    assert.equal(s.served.provider, 'b');
    assert.deepEqual(s.attempts.map((x) => [x.provider, x.status, x.fallback_reason]), [['a', 200, 'stream_error'], ['b', 200, null]]);
    assert.match(s.attempts[0].error!, /server had an error/);
    assert.equal(text([...s.first, ...(await drain(s))]), 'hello from b');
    await d.close();
  });

  it('an overloaded_error as the first Anthropic event is `overloaded`', async () => {
    const pc = provider('c', { type: 'anthropic', url: c.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pc, pb], dispatch: { retries_per_target: 0 } });
    c.setDefault('first-error');
    const s = asStream(await d.chat(chatRequest(true), plan(target(pc, 'claude-test'), [target(pb)]), { signal: signal() }));
    assert.deepEqual(s.attempts.map((x) => x.fallback_reason), ['overloaded', null]);
    await drain(s);
    await d.close();
  });

  it('broken SSE (a data line that is not JSON) before any content', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    a.setDefault('broken-sse');
    const s = asStream(await d.chat(chatRequest(true), plan(target(pa), [target(pb)]), { signal: signal() }));
    assert.equal(s.served.provider, 'b');
    assert.equal(s.attempts[0].fallback_reason, 'stream_error');
    assert.match(s.attempts[0].error!, /not JSON/);
    await drain(s);
    await d.close();
  });

  it('an event larger than upstream.max_response_bytes: stream_error, the upstream socket closed, the fallback serves', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 }, upstream: { max_response_bytes: 64 * 1024 } });
    // The first content chunk is one `data:` line of 1 MB; the upstream never ends it.
    a.setDefault('long-line:1000000');
    const aborted = a.nextAbort();
    const s = asStream(await d.chat(chatRequest(true), plan(target(pa), [target(pb)]), { signal: signal() }));
    assert.equal(s.served.provider, 'b');
    assert.deepEqual(s.attempts.map((x) => [x.provider, x.status, x.fallback_reason]), [['a', 200, 'stream_error'], ['b', 200, null]]);
    assert.match(s.attempts[0].error!, /event larger than upstream\.max_response_bytes \(65536\)/);
    await aborted;
    assert.equal(text([...s.first, ...(await drain(s))]), 'hello from b');
    await d.close();
  });

  it('HTML with 200 on a stream request', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    a.setDefault('html');
    const s = asStream(await d.chat(chatRequest(true), plan(target(pa), [target(pb)]), { signal: signal() }));
    assert.deepEqual(s.attempts.map((x) => [x.status, x.fallback_reason]), [[200, 'server_error'], [200, null]]);
    assert.match(s.attempts[0].error!, /text\/html.*502 Bad Gateway/);
    await drain(s);
    await d.close();
  });

  it('a stall before any content is a timeout; the socket is closed', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0, timeouts: { attempt_ms: 2000, response_ms: 2000, idle_ms: 150, total_ms: 30_000 } } });
    a.setDefault('stall:0');
    const aborted = a.nextAbort();
    const s = asStream(await d.chat(chatRequest(true), plan(target(pa), [target(pb)]), { signal: signal() }));
    assert.deepEqual(s.attempts.map((x) => [x.status, x.fallback_reason]), [[200, 'timeout'], [200, null]]);
    assert.match(s.attempts[0].error!, /nothing for 150 ms/);
    await aborted;
    await drain(s);
    await d.close();
  });

  it('a socket cut before any content is a failed attempt', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    a.setDefault('cut:0');
    const s = asStream(await d.chat(chatRequest(true), plan(target(pa), [target(pb)]), { signal: signal() }));
    assert.equal(s.served.provider, 'b');
    assert.ok(['connection_error', 'stream_error'].includes(s.attempts[0].fallback_reason!));
    await drain(s);
    await d.close();
  });

  it('a 5xx before the stream starts falls back', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    a.setDefault('status:503');
    const s = asStream(await d.chat(chatRequest(true), plan(target(pa), [target(pb)]), { signal: signal() }));
    assert.deepEqual(s.attempts.map((x) => [x.status, x.fallback_reason]), [[503, 'server_error'], [200, null]]);
    await drain(s);
    await d.close();
  });
});

describe('failures after the commit point end the stream with an error event', () => {
  it('a stall mid-stream: idle timeout, in-band error, no fallback, socket closed', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { timeouts: { attempt_ms: 2000, response_ms: 2000, idle_ms: 150, total_ms: 30_000 } } });
    a.setDefault('stall:2');
    const aborted = a.nextAbort();
    const s = asStream(await d.chat(chatRequest(true), plan(target(pa), [target(pb)]), { signal: signal() }));
    const rest = await drain(s);
    const last = rest.at(-1)!;
    assert.equal(last.type, 'error');
    assert.match(last.type === 'error' ? last.message : '', /nothing for 150 ms/);
    assert.ok(!rest.some((e) => e.type === 'end'), 'never a clean end');
    const done = await s.done;
    assert.equal(done.ok, false);
    assert.equal(done.clientAborted, false);
    assert.deepEqual(s.attempts.map((x) => [x.provider, x.status, x.fallback_reason, x.error]), [['a', 200, null, 'stream_error']]);
    assert.equal(b.calls, 0);
    await aborted;
    await d.close();
  });

  it('a socket cut mid-stream without terminator', async () => {
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa] });
    a.setDefault('cut:2');
    const s = asStream(await d.chat(chatRequest(true), plan(target(pa)), { signal: signal() }));
    const rest = await drain(s);
    assert.equal(rest.at(-1)!.type, 'error');
    assert.ok(!rest.some((e) => e.type === 'end'));
    assert.equal((await s.done).ok, false);
    assert.equal(s.attempts[0].error, 'stream_error');
    await d.close();
  });

  it('an Anthropic stream cut mid-way', async () => {
    const pc = provider('c', { type: 'anthropic', url: c.url });
    const d = dispatcher({ providers: [pc] });
    c.setDefault('cut:1');
    const s = asStream(await d.chat(chatRequest(true), plan(target(pc, 'claude-test')), { signal: signal() }));
    const rest = await drain(s);
    assert.equal(rest.at(-1)!.type, 'error');
    const done = await s.done;
    assert.equal(done.ok, false);
    assert.equal(done.usage, null, 'the total never came');
    assert.deepEqual(done.inputUsage, { inputTokens: 5, outputTokens: 1 }, 'what message_start counted');
    await d.close();
  });
});

describe('client disconnect', () => {
  it('aborting mid-stream aborts the upstream within 1 s', async () => {
    const ps = provider('slow', { url: slow.url });
    const d = dispatcher({ providers: [ps] });
    const ctl = new AbortController();
    const s = asStream(await d.chat(chatRequest(true), plan(target(ps)), { signal: ctl.signal }));
    const it = s.rest[Symbol.asyncIterator]();
    await it.next();
    const aborted = slow.nextAbort();
    const t0 = performance.now();
    ctl.abort();
    const seen = await aborted;
    assert.ok(seen - t0 < 1000, `upstream saw the abort after ${seen - t0} ms`);
    const done = await s.done;
    assert.equal(done.clientAborted, true);
    assert.equal(done.ok, false);
    const after = await it.next();
    assert.equal(after.done, true, 'no more events after the client left');
    await d.close();
  });

  it('breaking out of the iteration aborts the upstream too', async () => {
    const ps = provider('slow', { url: slow.url });
    const d = dispatcher({ providers: [ps] });
    const s = asStream(await d.chat(chatRequest(true), plan(target(ps)), { signal: signal() }));
    const aborted = slow.nextAbort();
    for await (const ev of s.rest) if (ev.type === 'text') break;
    await aborted;
    assert.equal((await s.done).clientAborted, true);
    await d.close();
  });

  it('aborting before the headers arrive rejects with clientAborted and closes the upstream socket', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb] });
    a.setDefault('hang');
    const ctl = new AbortController();
    const aborted = a.nextAbort();
    const p = d.chat(chatRequest(true), plan(target(pa), [target(pb)]), { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 50);
    const err = await rejection<DispatchError>(p);
    assert.ok(err instanceof DispatchError);
    assert.equal(err.clientAborted, true);
    assert.equal(err.attempts.length, 1);
    assert.equal(b.calls, 0, 'no fallback for a client that left');
    await aborted;
    await d.close();
  });
});

describe('backpressure', () => {
  it('a consumer that reads slowly still gets every event in order', async () => {
    const big = await startFakeUpstream({ name: 'big', chunks: 500, text: 'y'.repeat(1000) });
    const pb = provider('big', { url: big.url });
    const d = dispatcher({ providers: [pb] });
    const s = asStream(await d.chat(chatRequest(true), plan(target(pb)), { signal: signal() }));
    const seen: StreamEvent[] = [...s.first];
    let i = 0;
    for await (const ev of s.rest) {
      seen.push(ev);
      if (i++ % 100 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(text(seen), 'y'.repeat(1000));
    assert.equal(seen.at(-1)!.type, 'end');
    assert.equal((await s.done).ok, true);
    await d.close();
    await big.close();
  });
});
