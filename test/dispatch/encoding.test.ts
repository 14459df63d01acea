/**
 * Compressed upstream answers: a provider, or the nginx / CDN in front of it, may gzip,
 * deflate or brotli-encode a body whatever the gateway asked. Whole answers, streams and
 * error pages are decoded as they arrive; the size cap counts decoded bytes; a coding the
 * gateway cannot decode, or a body that does not decode, is a clear server error.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { brotliCompressSync, constants, createGzip, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import type { StreamEvent } from '../../src/canonical.js';
import type { ChatResult } from '../../src/dispatch/index.js';
import { DispatchError } from '../../src/dispatch/index.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/upstream.js';
import { chatRequest, dispatcher, plan, provider, rejection, scriptedUpstream, signal, target } from './helpers.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let upstream: Awaited<ReturnType<typeof scriptedUpstream>>;
let url: string;
let handler: Handler;
let requests: IncomingMessage[] = [];
let closed = 0;
let fallback: FakeUpstream;

before(async () => {
  upstream = await scriptedUpstream((req, res) => {
    requests.push(req);
    res.on('close', () => closed++);
    handler(req, res);
  });
  url = upstream.url;
  fallback = await startFakeUpstream({ name: 'b' });
});
after(async () => {
  await upstream.close();
  await fallback.close();
});
beforeEach(() => {
  requests = [];
  closed = 0;
  fallback.reset();
});

const COMPLETION = JSON.stringify({
  id: 'chatcmpl-z', object: 'chat.completion', created: 1, model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'grüß dich' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
});
const chunk = (delta: unknown, finish: string | null): string =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const HEAD = chunk({ role: 'assistant', content: 'grüß ' }, null);
const TAIL = chunk({ content: 'dich' }, null) + chunk({}, 'stop') + 'data: [DONE]\n\n';

const CODINGS = [
  ['gzip', gzipSync, 'gzip'],
  ['x-gzip', gzipSync, 'gzip'],
  ['deflate', deflateSync, 'zlib-wrapped'],
  ['deflate', deflateRawSync, 'raw, as some servers send it'],
  ['br', brotliCompressSync, 'brotli'],
] as const;

function answer(status: number, type: string, coding: string, body: Buffer): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': type, 'content-encoding': coding });
    res.end(body);
  };
}

type Stream = Extract<ChatResult, { kind: 'stream' }>;

async function streamText(r: ChatResult): Promise<{ text: string; last: StreamEvent }> {
  assert.equal(r.kind, 'stream');
  const s = r as Stream;
  const evs = [...s.first];
  for await (const ev of s.rest) evs.push(ev);
  return { text: evs.map((e) => (e.type === 'text' ? e.text : '')).join(''), last: evs[evs.length - 1] };
}

describe('compressed answers are decoded', () => {
  for (const [coding, compress, what] of CODINGS) {
    it(`${coding} (${what}): a whole answer and a stream`, async () => {
      const pa = provider('a', { url, type: 'openai-compatible' });
      const d = dispatcher({ providers: [pa], dispatch: { retries_per_target: 0 } });
      handler = answer(200, 'application/json', coding, compress(Buffer.from(COMPLETION)));
      const r = await d.chat(chatRequest(), plan(target(pa)), { signal: signal() });
      assert.equal(r.kind, 'response');
      assert.equal(r.kind === 'response' && r.response.text, 'grüß dich');
      handler = answer(200, 'text/event-stream', coding, compress(Buffer.from(HEAD + TAIL)));
      const s = await streamText(await d.chat(chatRequest(true), plan(target(pa)), { signal: signal() }));
      assert.equal(s.text, 'grüß dich');
      assert.equal(s.last.type, 'end');
      await d.close();
    });
  }

  it('a gzipped stream is decoded event by event: the first content arrives while the upstream is still sending', async () => {
    const pa = provider('a', { url, type: 'openai-compatible' });
    const d = dispatcher({ providers: [pa] });
    let release!: () => void;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
      const gz = createGzip();
      gz.pipe(res);
      gz.write(HEAD);
      gz.flush(constants.Z_SYNC_FLUSH);
      release = () => gz.end(TAIL);
    };
    const r = await d.chat(chatRequest(true), plan(target(pa)), { signal: signal() });
    // chat() returns at the commit point: the first content was decoded before the end.
    assert.equal(r.kind, 'stream');
    assert.deepEqual((r as Stream).first.map((e) => (e.type === 'text' ? e.text : e.type)), ['start', 'grüß ']);
    release();
    const s = await streamText(r);
    assert.equal(s.text, 'grüß dich');
    await d.close();
  });

  it('an Anthropic stream in gzip', async () => {
    const ev = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const sse = ev('message_start', { message: { id: 'msg_z', type: 'message', role: 'assistant', model: 'm', content: [], usage: { input_tokens: 3, output_tokens: 1 } } })
      + ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
      + ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'grüß dich' } })
      + ev('content_block_stop', { index: 0 })
      + ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 4 } })
      + ev('message_stop', {});
    const pa = provider('a', { url, type: 'anthropic' });
    const d = dispatcher({ providers: [pa] });
    handler = answer(200, 'text/event-stream', 'gzip', gzipSync(sse));
    const s = await streamText(await d.chat(chatRequest(true), plan(target(pa)), { signal: signal() }));
    assert.equal(s.text, 'grüß dich');
    assert.equal(s.last.type, 'end');
    await d.close();
  });

  it("a proxy's gzipped 502 page: its title in the message, server_error, the fallback serves", async () => {
    const pa = provider('a', { url, type: 'openai-compatible' });
    const pb = provider('b', { url: fallback.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    handler = answer(502, 'text/html', 'gzip', gzipSync(`<html><head><title>502 Bad Gateway</title></head><body>${'x'.repeat(100_000)}</body></html>`));
    for (const stream of [false, true]) {
      const r = await d.chat(chatRequest(stream), plan(target(pa), [target(pb)]), { signal: signal() });
      assert.deepEqual(r.attempts.map((x) => [x.provider, x.status, x.fallback_reason]), [['a', 502, 'server_error'], ['b', 200, null]]);
      assert.equal(r.attempts[0].error, 'upstream returned HTTP 502 with an HTML body: 502 Bad Gateway');
      if (r.kind === 'stream') await streamText(r);
    }
    await d.close();
  });
});

describe('compressed answers that cannot be served', () => {
  it('a body that inflates past upstream.max_response_bytes is cut at the cap, decoded bytes counted', async () => {
    const pa = provider('a', { url, type: 'openai-compatible' });
    const d = dispatcher({ providers: [pa], dispatch: { retries_per_target: 0 }, upstream: { max_response_bytes: 64 * 1024 } });
    // About 10 KB on the wire, 10 MB decoded.
    handler = answer(200, 'application/json', 'gzip', gzipSync(JSON.stringify({ id: 'x', padding: 'a'.repeat(10_000_000) })));
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa)), { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_UPSTREAM_ERROR');
    assert.deepEqual(err.attempts.map((x) => [x.status, x.fallback_reason, x.error]), [[200, null, 'upstream response exceeds upstream.max_response_bytes (65536 bytes)']]);
    await d.close();
  });

  it('a body that is not what its content-encoding says: server_error naming the coding, the fallback serves', async () => {
    const pa = provider('a', { url, type: 'openai-compatible' });
    const pb = provider('b', { url: fallback.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    for (const stream of [false, true]) {
      handler = stream ? answer(200, 'text/event-stream', 'gzip', Buffer.from(HEAD + TAIL)) : answer(200, 'application/json', 'gzip', Buffer.from(COMPLETION));
      const r = await d.chat(chatRequest(stream), plan(target(pa), [target(pb)]), { signal: signal() });
      assert.deepEqual(r.attempts.map((x) => [x.provider, x.fallback_reason]), [['a', 'server_error'], ['b', null]], String(stream));
      assert.match(r.attempts[0].error!, /^upstream answer does not decode as gzip \(content-encoding\)/);
      if (r.kind === 'stream') await streamText(r);
    }
    await d.close();
  });

  it('a coding the gateway does not decode is refused by name, for answers and error pages alike', async () => {
    const pa = provider('a', { url, type: 'openai-compatible' });
    const pb = provider('b', { url: fallback.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    handler = answer(200, 'application/json', 'compress', Buffer.from('\x1f\x9d binary'));
    const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.deepEqual(r.attempts.map((x) => [x.provider, x.status, x.fallback_reason, x.error]), [
      ['a', 200, 'server_error', 'upstream answered HTTP 200 in content-encoding compress, which the gateway does not decode'],
      ['b', 200, null, null],
    ]);
    handler = answer(429, 'application/json', 'compress', Buffer.from('\x1f\x9d binary'));
    const r2 = await d.chat(chatRequest(true), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.deepEqual(r2.attempts.map((x) => [x.provider, x.status, x.fallback_reason]), [['a', 429, 'rate_limited'], ['b', 200, null]], 'a 429 stays a rate limit');
    await streamText(r2);
    await d.close();
  });

  it('an answer in more than five chained codings is refused, as curl refuses one: each would take a decoder', async () => {
    const pa = provider('a', { url, type: 'openai-compatible' });
    const pb = provider('b', { url: fallback.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    const layered = (n: number) => Array.from({ length: n }).reduce<Buffer>((b) => gzipSync(b), Buffer.from(COMPLETION));
    handler = answer(200, 'application/json', Array(5).fill('gzip').join(', '), layered(5));
    const five = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.deepEqual(five.attempts.map((x) => [x.provider, x.status, x.fallback_reason]), [['a', 200, null]], 'five are decoded');
    handler = answer(200, 'application/json', Array(6).fill('gzip').join(', '), layered(6));
    const six = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.deepEqual(six.attempts.map((x) => [x.provider, x.status, x.fallback_reason, x.error]), [
      ['a', 200, 'server_error', 'upstream answered HTTP 200 in content-encoding 6 codings chained (more than 5), which the gateway does not decode'],
      ['b', 200, null, null],
    ]);
    await d.close();
  });

  it('the gateway asks for no content coding', async () => {
    const pa = provider('a', { url, type: 'openai-compatible' });
    const d = dispatcher({ providers: [pa] });
    handler = answer(200, 'application/json', 'identity', Buffer.from(COMPLETION));
    await d.chat(chatRequest(), plan(target(pa)), { signal: signal() });
    assert.equal(requests[0].headers['accept-encoding'], undefined);
    await d.close();
  });
});
