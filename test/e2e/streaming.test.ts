/**
 * Streaming specifics: chunks pass through as they come (the first reaches the client
 * long before the upstream finishes); a client that hangs up makes the gateway close
 * its upstream connection promptly; a stream the upstream cuts after the commit point
 * ends with an in-band error and never with a clean terminator.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startWireFake, type Received, type WireFake } from '../fakes/wire.js';
import { readSse, REQUEST_TIMEOUT_MS, sleep, startE2E, timedFetch, type E2EGateway, type SseEvent, HOOK, SUITE } from './helpers.js';

let oa: WireFake, an: WireFake, gm: WireFake;
let e2e: E2EGateway;
/** Same fakes, with short idle (between chunks) and attempt (to first byte) timeouts. */
let idle: E2EGateway;
/** Same fakes; a client that stops reading is cut after 1 s. */
let stall: E2EGateway;

before(async () => {
  [oa, an, gm] = await Promise.all([
    startWireFake({ format: 'openai', name: 'oa' }),
    startWireFake({ format: 'anthropic', name: 'an' }),
    startWireFake({ format: 'gemini', name: 'gm' }),
  ]);
  const providers = {
    oa: { type: 'openai', base_url: `${oa.url}/v1`, keys: [{ name: 'k', value: 'sk-up-oa' }] },
    an: { type: 'anthropic', base_url: an.url, weight: 0, keys: [{ name: 'k', value: 'sk-up-an' }] },
    gm: { type: 'gemini', base_url: gm.url, weight: 0, keys: [{ name: 'k', value: 'sk-up-gm' }] },
  };
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers,
  });
  idle = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 1, timeouts: { idle_ms: 300, attempt_ms: 400, response_ms: 400 } },
    providers,
  });
  stall = await startE2E({
    server: { allow_unauthenticated: true, client_stall_ms: 1000 },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers,
  });
}, HOOK);

after(async () => {
  await e2e?.close();
  await idle?.close();
  await stall?.close();
  await Promise.all([oa?.close(), an?.close(), gm?.close()]);
}, HOOK);

function openaiStream(base: string, model: string, signal?: AbortSignal): Promise<Response> {
  return timedFetch(`${base}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, signal,
    body: JSON.stringify({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream' }] }),
  });
}

function anthropicStream(base: string, model: string, signal?: AbortSignal): Promise<Response> {
  return timedFetch(`${base}/anthropic/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, signal,
    body: JSON.stringify({ model, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'stream' }] }),
  });
}

const isOpenAIContent = (e: SseEvent): boolean => e.data !== '[DONE]' && Boolean(JSON.parse(e.data).choices?.[0]?.delta?.content);
const isAnthropicContent = (e: SseEvent): boolean => e.event === 'content_block_delta';

describe('chunks are not buffered', SUITE, () => {
  for (const [label, fake, open, isContent] of [
    ['OpenAI client ← OpenAI upstream', () => oa, (m: string) => openaiStream(e2e.url, `oa/${m}`), isOpenAIContent],
    ['Anthropic client ← Gemini upstream', () => gm, (m: string) => anthropicStream(e2e.url, `gm/${m}`), isAnthropicContent],
    ['OpenAI client ← Anthropic upstream', () => an, (m: string) => openaiStream(e2e.url, `an/${m}`), isOpenAIContent],
  ] as const) {
    test(`${label}: the first chunk arrives well before the upstream's last (8 chunks, 100 ms apart)`, async () => {
      const f = fake();
      f.reset();
      f.enqueue({ text: 'abcdefghijklmnop', chunks: 8, chunkDelayMs: 100 });
      const res = await open('slow-model');
      assert.equal(res.status, 200);
      let firstContent = 0;
      const { events } = await readSse(res, (e) => {
        if (!firstContent && isContent(e)) firstContent = e.at;
      });
      const rec = f.last();
      assert.equal(rec.chunkTimes.length, 8);
      const upstreamFirst = rec.chunkTimes[0];
      const upstreamLast = rec.chunkTimes[7];
      assert.ok(firstContent > 0, 'a content chunk arrived');
      assert.ok(firstContent < upstreamLast - 400, `first chunk at ${Math.round(firstContent - rec.at)} ms, upstream's last at ${Math.round(upstreamLast - rec.at)} ms`);
      assert.ok(firstContent - upstreamFirst < 300, `first chunk passed through in ${Math.round(firstContent - upstreamFirst)} ms`);
      // Each content chunk is forwarded on its own, not coalesced at the end.
      const contentTimes = events.filter(isContent).map((e) => e.at);
      assert.ok(contentTimes.length >= 8, `8 content events, got ${contentTimes.length}`);
      assert.ok(contentTimes[contentTimes.length - 1] - contentTimes[0] > 500, 'content events are spread over the upstream\'s duration');
    });
  }
});

/** Opens a stream, waits for the first content event, aborts, and returns how long the upstream took to see its connection close. */
async function disconnectAfterFirstChunk(f: WireFake, open: (signal: AbortSignal) => Promise<Response>, isContent: (e: SseEvent) => boolean): Promise<{ ms: number; rec: Received; decisionId: string }> {
  f.reset();
  f.enqueue({ chunks: 50, chunkDelayMs: 100, text: 'x'.repeat(100) });
  const ac = new AbortController();
  const res = await open(ac.signal);
  assert.equal(res.status, 200);
  const decisionId = res.headers.get('x-switchyard-decision-id') ?? '';
  await readSse(res, (e) => isContent(e)).catch(() => undefined);
  const rec = f.last();
  assert.equal(rec.closedEarlyAt, null, 'upstream still streaming');
  const abortedAt = performance.now();
  ac.abort();
  const closedAt = await Promise.race([f.closedEarly(rec), sleep(3_000).then(() => Infinity)]);
  return { ms: closedAt - abortedAt, rec, decisionId };
}

describe('a client that disconnects mid-stream', SUITE, () => {
  test('OpenAI client → OpenAI upstream: the upstream connection closes within 1 s', async () => {
    const { ms, rec } = await disconnectAfterFirstChunk(oa, (s) => openaiStream(e2e.url, 'oa/gpt-4o', s), isOpenAIContent);
    assert.ok(ms < 1_000, `upstream saw the close after ${ms} ms`);
    assert.ok(rec.chunkTimes.length < 50, 'the upstream did not finish its answer');
  });

  test('Anthropic client → OpenAI upstream: the upstream connection closes within 1 s', async () => {
    const { ms } = await disconnectAfterFirstChunk(oa, (s) => anthropicStream(e2e.url, 'oa/gpt-4o', s), isAnthropicContent);
    assert.ok(ms < 1_000, `upstream saw the close after ${ms} ms`);
  });

  test('OpenAI client → Gemini upstream: the upstream connection closes within 1 s', async () => {
    const { ms } = await disconnectAfterFirstChunk(gm, (s) => openaiStream(e2e.url, 'gm/gemini-2.5-flash', s), isOpenAIContent);
    assert.ok(ms < 1_000, `upstream saw the close after ${ms} ms`);
  });

  test('Anthropic SDK stream.abort() → Anthropic upstream closes within 1 s; the audit event says client_aborted', async () => {
    an.reset();
    an.enqueue({ chunks: 50, chunkDelayMs: 100, text: 'y'.repeat(100) });
    const client = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: null, authToken: null, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS, defaultHeaders: { authorization: null } });
    const stream = client.messages.stream({ model: 'an/claude-sonnet-4', max_tokens: 100, messages: [{ role: 'user', content: 'go' }] });
    const firstText = new Promise<void>((resolve) => stream.once('text', () => resolve()));
    stream.on('error', () => undefined);
    stream.on('abort', () => undefined);
    stream.done().catch(() => undefined);
    stream.finalMessage().catch(() => undefined);
    await firstText;
    const rec = an.last();
    const abortedAt = performance.now();
    stream.abort();
    const closedAt = await Promise.race([an.closedEarly(rec), sleep(3_000).then(() => Infinity)]);
    assert.ok(closedAt - abortedAt < 1_000, `upstream saw the close after ${closedAt - abortedAt} ms`);

    await sleep(50);
    await e2e.gw.runtime.audit.flush();
    const page = await e2e.gw.runtime.audit.query({ provider: 'an', limit: 10 });
    const ev = page.events[0];
    assert.ok(ev, 'an audit event for the aborted stream');
    assert.equal(ev.outcome.client_aborted, true);
  });

  test('a non-streaming request abandoned by its client closes the upstream connection within 1 s', async () => {
    an.reset();
    an.enqueue({ delayMs: 5_000 });
    const ac = new AbortController();
    const pending = timedFetch(`${e2e.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, signal: ac.signal,
      body: JSON.stringify({ model: 'an/claude-sonnet-4', max_tokens: 5, messages: [{ role: 'user', content: 'slow' }] }),
    }).catch(() => undefined);
    for (let i = 0; i < 100 && an.received.length === 0; i++) await sleep(10);
    const rec = an.last();
    const abortedAt = performance.now();
    ac.abort();
    await pending;
    const closedAt = await Promise.race([an.closedEarly(rec), sleep(3_000).then(() => Infinity)]);
    assert.ok(closedAt - abortedAt < 1_000, `upstream saw the close after ${closedAt - abortedAt} ms`);
  });

  test('the gateway keeps serving after the disconnects', async () => {
    const res = await openaiStream(e2e.url, 'oa/gpt-4o');
    const { events } = await readSse(res);
    assert.equal(events[events.length - 1].data, '[DONE]');
  });
});

describe('a client that stops reading a stream', SUITE, () => {
  test('is waited for (backpressure), then cut after server.client_stall_ms and audited as client_aborted', async () => {
    oa.reset();
    // Far more than the sockets between them can buffer.
    oa.enqueue({ chunks: 4000, text: 'z'.repeat(16_000_000) });
    const body = JSON.stringify({ model: 'oa/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'a long one' }] });
    const client = net.connect(Number(new URL(stall.url).port), '127.0.0.1');
    client.on('error', () => undefined);
    client.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await new Promise<void>((resolve) => client.once('data', () => { client.pause(); resolve(); }));
    const pausedAt = performance.now();
    const audited = async () => {
      await stall.gw.runtime.audit.flush();
      return (await stall.gw.runtime.audit.query({ provider: 'oa', limit: 1 })).events[0];
    };
    try {
      await sleep(500);
      assert.equal(await audited(), undefined, 'still waiting on the client half a second in');
      let ev;
      while (!(ev = await audited()) && performance.now() - pausedAt < 5_000) await sleep(100);
      const waited = performance.now() - pausedAt;
      assert.ok(ev, 'the cut stream is audited');
      assert.ok(waited >= 900 && waited < 3_500, `audited ${waited} ms after the client stopped reading`);
      assert.equal(ev.outcome.client_aborted, true);
      assert.ok((ev.outcome.output_tokens ?? 0) > 0, 'what was generated is charged');
    } finally {
      client.destroy();
    }
  });
});

describe('a client that stops reading a whole answer', SUITE, () => {
  test('has its connection closed after server.client_stall_ms, once the answer outgrows the buffers', async () => {
    oa.reset();
    oa.enqueue({ text: 'w'.repeat(16_000_000) });
    const body = JSON.stringify({ model: 'oa/gpt-4o-mini', messages: [{ role: 'user', content: 'a long one, whole' }] });
    const connections = () => new Promise<number>((resolve, reject) => stall.gw.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    const client = net.connect(Number(new URL(stall.url).port), '127.0.0.1');
    client.on('error', () => undefined);
    client.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await new Promise<void>((resolve) => client.once('data', () => { client.pause(); resolve(); }));
    const pausedAt = performance.now();
    try {
      assert.equal(await connections(), 1);
      await sleep(500);
      assert.equal(await connections(), 1, 'still waiting on the client half a second in');
      while ((await connections()) > 0 && performance.now() - pausedAt < 5_000) await sleep(100);
      const waited = performance.now() - pausedAt;
      assert.equal(await connections(), 0, 'the connection was closed');
      assert.ok(waited >= 900 && waited < 3_500, `closed ${waited} ms after the client stopped reading`);
      await stall.gw.runtime.audit.flush();
      const ev = (await stall.gw.runtime.audit.query({ provider: 'oa', limit: 1 })).events[0];
      assert.equal(ev?.outcome.status, 200, 'the answer was settled and audited when it was sent');
    } finally {
      client.destroy();
    }
  });
});

describe('an upstream that fails mid-way: cut after the first chunk, stalled, or slow to answer', SUITE, () => {
  test('OpenAI client ← OpenAI upstream: an in-band error object, no [DONE]', async () => {
    oa.reset();
    oa.enqueue({ chunks: 4, cutAfter: 1, text: 'partial answer' });
    const res = await openaiStream(e2e.url, 'oa/gpt-4o');
    assert.equal(res.status, 200, 'the stream had started: the status is already sent');
    const { events } = await readSse(res);
    assert.ok(events.some(isOpenAIContent), 'the first chunk got through');
    assert.ok(!events.some((e) => e.data === '[DONE]'), 'no [DONE] after a cut');
    const last = JSON.parse(events[events.length - 1].data);
    assert.ok(last.error, `last frame is an error object: ${events[events.length - 1].data}`);
    assert.equal(last.error.code, 'SY_ERR_STREAM_INTERRUPTED');
    assert.equal(typeof last.error.message, 'string');
    assert.equal(typeof last.error.type, 'string');
    assert.equal(oa.received.length, 1, 'no retry after the commit point');
  });

  test('Anthropic client ← OpenAI upstream: event: error, no message_stop', async () => {
    oa.reset();
    oa.enqueue({ chunks: 4, cutAfter: 1, text: 'partial answer' });
    const res = await anthropicStream(e2e.url, 'oa/gpt-4o');
    assert.equal(res.status, 200);
    const { events } = await readSse(res);
    const names = events.map((e) => e.event);
    assert.equal(names[0], 'message_start');
    assert.ok(names.includes('content_block_delta'));
    assert.ok(!names.includes('message_stop'), `no message_stop: ${names.join(',')}`);
    assert.equal(names[names.length - 1], 'error');
    const err = JSON.parse(events[events.length - 1].data);
    assert.equal(err.type, 'error');
    assert.equal(err.error.code, 'SY_ERR_STREAM_INTERRUPTED');
    assert.equal(typeof err.error.type, 'string');
  });

  test('Anthropic client ← Anthropic upstream, and OpenAI client ← Gemini upstream (Gemini has no terminator)', async () => {
    an.reset();
    an.enqueue({ chunks: 4, cutAfter: 1 });
    const a = await readSse(await anthropicStream(e2e.url, 'an/claude-sonnet-4'));
    assert.equal(a.events[a.events.length - 1].event, 'error');
    assert.ok(!a.events.some((e) => e.event === 'message_stop'));

    gm.reset();
    gm.enqueue({ chunks: 4, cutAfter: 1 });
    const g = await readSse(await openaiStream(e2e.url, 'gm/gemini-2.5-flash'));
    assert.ok(g.events.some(isOpenAIContent));
    assert.ok(!g.events.some((e) => e.data === '[DONE]'));
    assert.equal(JSON.parse(g.events[g.events.length - 1].data).error.code, 'SY_ERR_STREAM_INTERRUPTED');
  });

  test('a cut stream is charged the input its provider stated at the start, cache reads and writes included, and the output sent', async () => {
    const audited = async (res: Response) => {
      await e2e.gw.runtime.audit.flush();
      const events = (await e2e.gw.runtime.audit.query({ decision_id: String(res.headers.get('x-switchyard-decision-id')) })).events;
      assert.equal(events.length, 1);
      return events[0].outcome;
    };
    // Anthropic's message_start: 12 plain input tokens, 4 written to the cache, 8 read from it.
    an.reset();
    an.enqueue({ chunks: 4, cutAfter: 1, text: 'a'.repeat(400), usage: { input: 12, output: 300, cacheWrite5m: 4, cacheRead: 8 } });
    const fromAnthropic = await openaiStream(e2e.url, 'an/claude-sonnet-4');
    const a = await readSse(fromAnthropic);
    assert.equal(JSON.parse(a.events.at(-1)!.data).error.code, 'SY_ERR_STREAM_INTERRUPTED');
    const ao = await audited(fromAnthropic);
    assert.equal(ao.code, 'SY_ERR_STREAM_INTERRUPTED');
    // 100 characters of text went out before the cut: 25 tokens by the estimate.
    assert.deepEqual([ao.input_tokens, ao.cached_tokens, ao.cache_write_tokens, ao.output_tokens], [24, 8, 4, 25]);

    // Gemini's first chunk carries usageMetadata with the prompt's count.
    gm.reset();
    gm.enqueue({ chunks: 4, cutAfter: 1, text: 'g'.repeat(400), usage: { input: 30, output: 300 } });
    const fromGemini = await anthropicStream(e2e.url, 'gm/gemini-2.5-flash');
    const g = await readSse(fromGemini);
    assert.equal(g.events.at(-1)!.event, 'error');
    const go = await audited(fromGemini);
    assert.deepEqual([go.input_tokens, go.cached_tokens, go.output_tokens], [30, 0, 25]);
  });

  test('the SDKs raise an error instead of returning a truncated answer as complete', async () => {
    oa.reset();
    oa.enqueue({ chunks: 4, cutAfter: 1 });
    const openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS, defaultHeaders: { authorization: null } });
    const stream = await openai.chat.completions.create({ model: 'oa/gpt-4o', stream: true, messages: [{ role: 'user', content: 'x' }] });
    await assert.rejects((async () => {
      for await (const _c of stream) { /* drain */ }
    })(), (e: unknown) => {
      assert.ok(e instanceof OpenAI.APIError, `got ${String(e)}`);
      return true;
    });

    an.reset();
    an.enqueue({ chunks: 4, cutAfter: 1 });
    const anthropic = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: null, authToken: null, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS, defaultHeaders: { authorization: null } });
    await assert.rejects(anthropic.messages.stream({ model: 'an/claude-sonnet-4', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).finalMessage());
  });

  test('a cut before any content is a plain HTTP error in the dialect (nothing was committed)', async () => {
    oa.reset();
    oa.enqueue({ chunks: 4, cutAfter: 0 });
    const res = await openaiStream(e2e.url, 'oa/gpt-4o');
    assert.ok(res.status >= 500, `status ${res.status}`);
    const body = await res.json() as { error: { code: string } };
    assert.match(body.error.code, /^SY_ERR_/);
  });

  test('an upstream that stalls mid-stream (idle timeout) ends with an in-band error, not a hang', async () => {
    oa.reset();
    oa.enqueue({ chunks: 2, hold: true });
    const started = performance.now();
    const res = await openaiStream(idle.url, 'oa/gpt-4o');
    assert.equal(res.status, 200);
    const { events } = await readSse(res);
    assert.ok(performance.now() - started < 3_000, 'the idle timeout ended the stream');
    assert.ok(!events.some((e) => e.data === '[DONE]'));
    assert.equal(JSON.parse(events[events.length - 1].data).error.code, 'SY_ERR_STREAM_INTERRUPTED');
  });

  test('an upstream that sends nothing before attempt_ms is a timeout error in the dialect, and its connection is closed', async () => {
    oa.reset();
    oa.enqueue({ delayMs: 3_000 }, { delayMs: 3_000 });
    const started = performance.now();
    const o = await timedFetch(`${idle.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'oa/gpt-4o', messages: [{ role: 'user', content: 'slow' }] }),
    });
    assert.ok(performance.now() - started < 2_000, 'answered before the upstream would have');
    assert.equal(o.status, 504);
    const ob = await o.json() as { error: { code: string; type: string } };
    assert.equal(ob.error.code, 'SY_ERR_UPSTREAM_TIMEOUT');
    const closedAt = await Promise.race([oa.closedEarly(oa.received[0]), sleep(2_000).then(() => Infinity)]);
    assert.ok(Number.isFinite(closedAt), 'the timed-out upstream request was cancelled');

    const a = await timedFetch(`${idle.url}/anthropic/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'oa/gpt-4o', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'slow' }] }),
    });
    assert.equal(a.status, 504);
    const ab = await a.json() as { type: string; error: { code: string; type: string } };
    assert.equal(ab.type, 'error');
    assert.equal(ab.error.code, 'SY_ERR_UPSTREAM_TIMEOUT');
  });
});

describe('a stream whose first content is slow to come (server.stream_keepalive_ms)', SUITE, () => {
  let kept: E2EGateway;
  let off: E2EGateway;
  before(async () => {
    const providers = {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-4o'], keys: [{ name: 'k', value: 'sk-up-oa' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'k', value: 'sk-up-an' }] },
    };
    const rules = { rules: [{ id: 'thinker', when: 'headers["x-fallback"] == "yes"', route: 'oa/gpt-4o', fallbacks: ['an/claude-sonnet-4'], priority: 10 }] };
    kept = await startE2E({ server: { allow_unauthenticated: true, stream_keepalive_ms: 100 }, dispatch: { retries_per_target: 0, max_attempts: 2 }, providers }, { rules: { 'r.yaml': rules } });
    off = await startE2E({ server: { allow_unauthenticated: true, stream_keepalive_ms: 0 }, dispatch: { retries_per_target: 0, max_attempts: 1 }, providers });
  }, HOOK);
  after(async () => {
    await kept?.close();
    await off?.close();
  }, HOOK);

  /** The raw SSE text, with when the headers came. */
  async function rawStream(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
    const t0 = performance.now();
    const res = await timedFetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const headersAt = performance.now() - t0;
    return { res, headersAt, text: await res.text() };
  }
  const chat = { model: 'oa/gpt-4o', stream: true, messages: [{ role: 'user', content: 'think long' }] };

  test('gets its headers and SSE comments while the model thinks, then the stream as usual', async () => {
    oa.reset();
    oa.enqueue({ delayMs: 450, text: 'finally' });
    const { res, headersAt, text } = await rawStream(kept.url, '/v1/chat/completions', chat);
    assert.equal(res.status, 200);
    assert.ok(headersAt < 400, `headers after ${headersAt} ms, before the upstream's first byte`);
    assert.match(String(res.headers.get('x-switchyard-decision-id')), /^dec_/);
    const comments = text.split('\n\n').filter((f) => f === ': keep-alive').length;
    assert.ok(comments >= 2, `${comments} keep-alive comments in ${text}`);
    assert.ok(text.trimEnd().endsWith('data: [DONE]'));
    assert.match(text, /finally|fin/);
  });

  test('the official SDKs read a kept-alive stream', async () => {
    oa.reset();
    oa.enqueue({ delayMs: 350, text: 'sdk reads it' });
    const openai = new OpenAI({ baseURL: `${kept.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    let out = '';
    for await (const chunk of await openai.chat.completions.create({ model: 'oa/gpt-4o', stream: true, messages: [{ role: 'user', content: 'x' }] })) out += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(out, 'sdk reads it');
    an.reset();
    an.enqueue({ delayMs: 350, text: 'claude too' });
    const anthropic = new Anthropic({ baseURL: `${kept.url}/anthropic`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const msg = await anthropic.messages.stream({ model: 'an/claude-sonnet-4', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] }).finalMessage();
    assert.deepEqual(msg.content.map((b) => (b.type === 'text' ? b.text : '')), ['claude too']);
  });

  test('still falls back after the headers went out, as long as no content did', async () => {
    oa.reset();
    an.reset();
    oa.enqueue({ delayMs: 300, error: { status: 503 } });
    an.enqueue({ text: 'from the fallback' });
    const { res, text } = await rawStream(kept.url, '/v1/chat/completions', { ...chat, model: 'gpt-4o' }, { 'x-fallback': 'yes' });
    assert.equal(res.status, 200);
    assert.ok(text.includes(': keep-alive'), text);
    assert.ok(text.trimEnd().endsWith('data: [DONE]'), text);
    await kept.gw.runtime.audit.flush();
    const [ev] = (await kept.gw.runtime.audit.query({ decision_id: String(res.headers.get('x-switchyard-decision-id')) })).events;
    assert.deepEqual(ev.attempts.map((a) => [a.provider, a.fallback_reason]), [['oa', 'server_error'], ['an', null]]);
  });

  test('a failure after the headers is the stream\'s only event, in the dialect, with its code', async () => {
    oa.reset();
    oa.enqueue({ delayMs: 300, error: { status: 429, retryAfter: '30' } });
    const openaiSide = await rawStream(kept.url, '/v1/chat/completions', chat);
    assert.equal(openaiSide.res.status, 200);
    const frames = openaiSide.text.split('\n\n').filter((f) => f && f !== ': keep-alive');
    assert.equal(frames.length, 1, openaiSide.text);
    assert.equal(JSON.parse(frames[0].slice('data: '.length)).error.code, 'SY_ERR_UPSTREAM_RATE_LIMITED');
    oa.enqueue({ delayMs: 300, error: { status: 500 } });
    const anthropicSide = await rawStream(kept.url, '/anthropic/v1/messages', { ...chat, max_tokens: 10 });
    const last = anthropicSide.text.trimEnd().split('\n\n').at(-1)!;
    assert.match(last, /^event: error\ndata: /);
    assert.equal(JSON.parse(last.split('data: ')[1]).error.code, 'SY_ERR_UPSTREAM_ERROR');
    oa.enqueue({ delayMs: 300, error: { status: 500 } });
    const responsesSide = await rawStream(kept.url, '/v1/responses', { model: 'oa/gpt-4o', stream: true, input: 'x' });
    const lastResponses = responsesSide.text.trimEnd().split('\n\n').at(-1)!;
    assert.match(lastResponses, /^event: error\ndata: /);
    const responsesError = JSON.parse(lastResponses.split('data: ')[1]);
    assert.equal(responsesError.code, 'SY_ERR_UPSTREAM_ERROR');
    assert.equal(responsesError.error.code, 'SY_ERR_UPSTREAM_ERROR', 'nested too, as OpenAI sends it');
    // The OpenAI SDK raises it as an error, as it would a status, on both APIs.
    oa.enqueue({ delayMs: 300, error: { status: 500 } });
    const openai = new OpenAI({ baseURL: `${kept.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    await assert.rejects(async () => {
      for await (const _ of await openai.chat.completions.create({ model: 'oa/gpt-4o', stream: true, messages: [{ role: 'user', content: 'x' }] })) { /* nothing comes */ }
    }, /upstream|502|500/i);
    // (A refusal, which no circuit breaker counts.)
    oa.enqueue({ delayMs: 300, error: { status: 400 } });
    await assert.rejects(async () => {
      for await (const _ of await openai.responses.create({ model: 'oa/gpt-4o', stream: true, input: 'x' })) { /* nothing comes */ }
    }, (e: unknown) => e instanceof OpenAI.APIError && e.code === 'SY_ERR_UPSTREAM_CLIENT_ERROR');
  });

  test('a client that leaves during the keep-alives aborts the upstream request and is audited', async () => {
    oa.reset();
    oa.enqueue({ delayMs: 1500, text: 'too late' });
    const ac = new AbortController();
    const res = await timedFetch(`${kept.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat), signal: ac.signal });
    const reader = res.body!.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), ': keep-alive\n\n');
    ac.abort();
    await reader.cancel().catch(() => undefined);
    const id = String(res.headers.get('x-switchyard-decision-id'));
    let ev;
    // The fake hears of the abort on its own socket's close, which may come after the audit event.
    for (let i = 0; i < 40 && !(ev && oa.last().closedEarlyAt !== null); i++) {
      await sleep(50);
      await kept.gw.runtime.audit.flush();
      [ev] = (await kept.gw.runtime.audit.query({ decision_id: id })).events;
    }
    assert.ok(ev, 'audited');
    assert.equal(ev.outcome.client_aborted, true);
    assert.ok(oa.last().closedEarlyAt !== null, 'the upstream request was closed early');
    oa.enqueue({ text: 'still serving' });
    assert.equal((await rawStream(kept.url, '/v1/chat/completions', chat)).res.status, 200);
  });

  test('a stream that starts at once, or keep-alive off, sends no comment and keeps the HTTP status', async () => {
    oa.reset();
    oa.enqueue({ text: 'quick' });
    const quick = await rawStream(kept.url, '/v1/chat/completions', chat);
    assert.ok(!quick.text.includes(': keep-alive'));
    assert.ok(quick.res.headers.get('server-timing'), 'headers sent with the content carry the own time');
    oa.enqueue({ delayMs: 300, error: { status: 503 } });
    const refused = await rawStream(off.url, '/v1/chat/completions', chat);
    assert.equal(refused.res.status, 502);
  });
});

describe('an upstream event larger than upstream.max_response_bytes', SUITE, () => {
  let capped: E2EGateway;
  before(async () => {
    capped = await startE2E({
      server: { allow_unauthenticated: true },
      upstream: { max_response_bytes: 64 * 1024 },
      dispatch: { retries_per_target: 0, max_attempts: 1, timeouts: { idle_ms: 2_000 } },
      providers: {
        oa: { type: 'openai', base_url: `${oa.url}/v1`, keys: [{ name: 'k', value: 'sk-up-oa' }] },
        an: { type: 'anthropic', base_url: an.url, weight: 0, keys: [{ name: 'k', value: 'sk-up-an' }] },
      },
    });
  }, HOOK);
  after(async () => {
    await capped?.close();
  }, HOOK);

  test('ends the stream with an in-band error, closes the upstream, is audited once, and the gateway serves on', async () => {
    oa.reset();
    an.reset();
    // One `data:` line of about 1 MB after the first content: held whole, it passes the cap.
    // The upstream then keeps its connection open: only the gateway can close it.
    oa.enqueue({ pieces: ['the start ', 'z'.repeat(1_000_000), ' the end'], hold: true });
    an.enqueue({ text: 'meanwhile', chunkDelayMs: 20 });
    const [res, other] = await Promise.all([openaiStream(capped.url, 'oa/gpt-4o'), anthropicStream(capped.url, 'an/claude-sonnet-4')]);
    assert.equal(res.status, 200);
    const { events } = await readSse(res);
    assert.equal(JSON.parse(events[1].data).choices[0].delta.content, 'the start ');
    assert.ok(!events.some((e) => e.data === '[DONE]'), 'no [DONE] after the failure');
    assert.ok(!events.some((e) => e.data.includes('zzzz')), 'nothing of the oversized event reached the client');
    const last = JSON.parse(events[events.length - 1].data);
    assert.equal(last.error.code, 'SY_ERR_STREAM_INTERRUPTED');
    assert.match(last.error.message, /max_response_bytes/);
    const closedAt = await Promise.race([oa.closedEarly(oa.last()), sleep(3_000).then(() => Infinity)]);
    assert.ok(Number.isFinite(closedAt), 'the upstream connection was closed');

    const theirs = await readSse(other);
    assert.equal(theirs.events.at(-1)!.event, 'message_stop', 'a stream to another provider at the same time completed');
    oa.enqueue({ text: 'served after' });
    const after = await readSse(await openaiStream(capped.url, 'oa/gpt-4o'));
    assert.equal(after.events.at(-1)!.data, '[DONE]');

    const id = String(res.headers.get('x-switchyard-decision-id'));
    await capped.gw.runtime.audit.flush();
    const audited = (await capped.gw.runtime.audit.query({ decision_id: id })).events;
    assert.equal(audited.length, 1);
    assert.equal(audited[0].outcome.status, 200);
    assert.equal(audited[0].outcome.code, 'SY_ERR_STREAM_INTERRUPTED');
    assert.match(String(audited[0].outcome.stream_error), /larger than upstream\.max_response_bytes/);
    assert.deepEqual(audited[0].attempts.map((a) => [a.provider, a.status, a.fallback_reason]), [['oa', 200, null]]);
  });
});
