/**
 * Fault injection, non-streaming: what the caller gets, which attempts are recorded and
 * how many calls each fake upstream saw, for each way an upstream can fail.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { DispatchError } from '../../src/dispatch/index.js';
import { closedPort, startFakeUpstream, type FakeUpstream } from '../fakes/upstream.js';
import { chatRequest, dispatcher, embeddingsRequest, FakeClock, plan, provider, rejection, signal, target } from './helpers.js';

let a: FakeUpstream;
let b: FakeUpstream;
let c: FakeUpstream;

before(async () => {
  a = await startFakeUpstream({ name: 'a' });
  b = await startFakeUpstream({ name: 'b' });
  c = await startFakeUpstream({ name: 'c', format: 'anthropic' });
});
after(async () => {
  await Promise.all([a.close(), b.close(), c.close()]);
});
beforeEach(() => {
  for (const f of [a, b, c]) {
    f.reset();
    f.setDefault('ok');
  }
});

const pick = (attempts: { provider: string; status: number; fallback_reason: string | null; retry_of?: number | null; key: string | null }[]) =>
  attempts.map((x) => [x.provider, x.status, x.fallback_reason]);

describe('rate limits (429)', () => {
  it('without Retry-After: retries the same target after a jittered backoff, then falls back', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], clock, rng: () => 0.5 });
    a.setDefault('status:429');
    const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.equal(r.kind, 'response');
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(pick(r.attempts), [['a', 429, 'rate_limited'], ['a', 429, 'rate_limited'], ['b', 200, null]]);
    assert.equal(r.attempts[1].retry_of, 0);
    assert.deepEqual(clock.sleeps, [50], 'full jitter: 0.5 × min(cap, base · 2^0)');
    assert.equal(a.calls, 2);
    assert.equal(b.calls, 1);
    await d.close();
  });

  it('with Retry-After within the backoff cap: waits exactly that long and retries', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa], clock });
    a.script(['status:429:ra=1', 'ok']);
    const r = await d.chat(chatRequest(), plan(target(pa)), { signal: signal() });
    assert.equal(r.kind, 'response');
    assert.deepEqual(clock.sleeps, [1000]);
    assert.deepEqual(pick(r.attempts), [['a', 429, 'rate_limited'], ['a', 200, null]]);
    assert.equal(a.calls, 2);
    await d.close();
  });

  it('honours retry-after-ms', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa], clock });
    a.script(['status:429:ra-ms=250', 'ok']);
    await d.chat(chatRequest(), plan(target(pa)), { signal: signal() });
    assert.deepEqual(clock.sleeps, [250]);
    await d.close();
  });

  it('a long Retry-After moves on to the fallback instead of waiting', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], clock });
    a.setDefault('status:429:ra=20');
    const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(clock.sleeps, []);
    assert.equal(a.calls, 1);
    await d.close();
  });

  it('with nothing left and a Retry-After beyond the deadline: 429 with Retry-After, no wait', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa], clock, dispatch: { timeouts: { attempt_ms: 2000, response_ms: 2000, idle_ms: 2000, total_ms: 10_000 } } });
    a.setDefault('status:429:ra=30');
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa)), { signal: signal() }));
    assert.ok(err instanceof DispatchError);
    assert.equal(err.code, 'SY_ERR_UPSTREAM_RATE_LIMITED');
    assert.equal(err.status, 429);
    assert.equal(err.retryAfter, 30);
    assert.deepEqual(clock.sleeps, []);
    assert.deepEqual(pick(err.attempts), [['a', 429, null]]);
    assert.equal(a.calls, 1);
    await d.close();
  });

  it('everything 429: SY_ERR_UPSTREAM_RATE_LIMITED with the smallest Retry-After', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], clock, dispatch: { retries_per_target: 0 } });
    a.setDefault('status:429:ra=7');
    b.setDefault('status:429:ra=3');
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_UPSTREAM_RATE_LIMITED');
    assert.equal(err.retryAfter, 3);
    assert.deepEqual(pick(err.attempts), [['a', 429, 'rate_limited'], ['b', 429, null]]);
    await d.close();
  });

  it('rotates to the next key of the provider before anything else, without waiting', async () => {
    const clock = new FakeClock();
    const pa = provider('a', { url: a.url, keys: ['k1', 'k2'] });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], clock });
    a.script(['status:429', 'ok']);
    const r = await d.chat(chatRequest(), plan(target(pa, 'gpt-test', 'k1'), [target(pb)]), { signal: signal() });
    assert.deepEqual(r.served, { provider: 'a', model: 'gpt-test', key: 'k2' });
    assert.deepEqual(r.attempts.map((x) => [x.key, x.status, x.fallback_reason, x.retry_of]), [['k1', 429, 'rate_limited', null], ['k2', 200, null, 0]]);
    assert.deepEqual(clock.sleeps, []);
    assert.deepEqual(a.requests.map((q) => q.headers.authorization), ['Bearer secret-k1', 'Bearer secret-k2']);
    assert.equal(b.calls, 0);
    await d.close();
  });
});

describe('auth failures (401/403)', () => {
  it('rotate keys, then fall back; never retried on the same key', async () => {
    const pa = provider('a', { url: a.url, keys: ['k1', 'k2'] });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb] });
    a.setDefault('status:401');
    const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(r.attempts.map((x) => [x.key, x.status, x.fallback_reason]), [['k1', 401, 'auth_error'], ['k2', 401, 'auth_error'], ['b-key', 200, null]]);
    assert.equal(a.calls, 2);
    await d.close();
  });

  it('every key refused: SY_ERR_UPSTREAM_AUTH', async () => {
    const pa = provider('a', { url: a.url, keys: ['k1', 'k2'] });
    const d = dispatcher({ providers: [pa] });
    a.setDefault('status:403');
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa)), { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_UPSTREAM_AUTH');
    assert.equal(err.attempts.length, 2);
    await d.close();
  });
});

describe('server errors', () => {
  for (const status of [500, 502, 503]) {
    it(`${status}: one retry on the target, then the fallback serves`, async () => {
      const pa = provider('a', { url: a.url });
      const pb = provider('b', { url: b.url });
      const d = dispatcher({ providers: [pa, pb] });
      a.setDefault(`status:${status}`);
      const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
      assert.equal(r.served.provider, 'b');
      assert.deepEqual(pick(r.attempts), [['a', status, 'server_error'], ['a', status, 'server_error'], ['b', 200, null]]);
      assert.equal(a.calls, 2);
      assert.equal(b.calls, 1);
      await d.close();
    });
  }

  it('529 from an Anthropic upstream is `overloaded`', async () => {
    const pc = provider('c', { type: 'anthropic', url: c.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pc, pb], dispatch: { retries_per_target: 0 } });
    c.setDefault('status:529');
    const r = await d.chat(chatRequest(), plan(target(pc, 'claude-test'), [target(pb)]), { signal: signal() });
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(pick(r.attempts), [['c', 529, 'overloaded'], ['b', 200, null]]);
    await d.close();
  });

  it('every target failing: SY_ERR_UPSTREAM_ERROR after at most max_attempts calls', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const pc = provider('c', { type: 'anthropic', url: c.url });
    const d = dispatcher({ providers: [pa, pb, pc], dispatch: { max_attempts: 3 } });
    for (const f of [a, b, c]) f.setDefault('status:503');
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa), [target(pb), target(pc, 'claude-test')]), { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_UPSTREAM_ERROR');
    assert.equal(err.status, 502);
    assert.equal(err.attempts.length, 3);
    assert.equal(a.calls + b.calls + c.calls, 3);
    assert.equal(err.attempts.at(-1)!.fallback_reason, null, 'the final failure has no fallback reason');
    assert.match(err.message, /^b\/gpt-test: fake b: HTTP 503/);
    await d.close();
  });

  it('a class missing from fallback_on does not fall back', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb] });
    a.setDefault('status:500');
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa), [target(pb)], ['rate_limited']), { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_UPSTREAM_ERROR');
    assert.equal(a.calls, 2, 'still retried on the same target');
    assert.equal(b.calls, 0);
    await d.close();
  });
});

describe('client errors', () => {
  for (const status of [400, 404, 413, 422]) {
    it(`${status} is passed through with the provider's message: no retry, no fallback`, async () => {
      const pa = provider('a', { url: a.url });
      const pb = provider('b', { url: b.url });
      const d = dispatcher({ providers: [pa, pb] });
      a.setDefault(`status:${status}`);
      const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() }));
      assert.equal(err.code, 'SY_ERR_UPSTREAM_CLIENT_ERROR');
      assert.equal(err.status, status);
      assert.equal(err.message, `fake a: HTTP ${status}`);
      assert.deepEqual(pick(err.attempts), [['a', status, null]]);
      assert.equal(a.calls, 1);
      assert.equal(b.calls, 0);
      await d.close();
    });
  }
});

describe('connection failures', () => {
  it('connection refused is connection_error and falls back', async () => {
    const port = await closedPort();
    const pa = provider('a', { url: `http://127.0.0.1:${port}` });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb] });
    const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(pick(r.attempts), [['a', 0, 'connection_error'], ['a', 0, 'connection_error'], ['b', 200, null]]);
    assert.match(r.attempts[0].error!, /ECONNREFUSED/);
    await d.close();
  });

  it('a reset after the request was sent, before headers, is connection_error', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    a.setDefault('reset');
    const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(pick(r.attempts), [['a', 0, 'connection_error'], ['b', 200, null]]);
    assert.equal(a.calls, 1, 'the upstream did receive the request');
    await d.close();
  });

  it('no headers within attempt_ms: timeout, the socket is closed, and the fallback serves', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0, timeouts: { attempt_ms: 150, response_ms: 150, idle_ms: 1000, total_ms: 30_000 } } });
    a.setDefault('hang');
    const aborted = a.nextAbort();
    const t0 = performance.now();
    const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(pick(r.attempts), [['a', 0, 'timeout'], ['b', 200, null]]);
    assert.match(r.attempts[0].error!, /within 150 ms/);
    const seen = await aborted;
    assert.ok(seen - t0 < 1000, 'the upstream saw its socket closed');
    await d.close();
  });

  it('every pooled connection busy (upstream.connections_per_origin): the waiting request still times out at attempt_ms, and a client abort ends it at once', async () => {
    // The one connection to `slow` carries a stream for 1.5 s.
    const slow = await startFakeUpstream({ name: 'slow', chunks: 15, chunkDelayMs: 100 });
    const ps = provider('slow', { url: slow.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [ps, pb], upstream: { connections_per_origin: 1 }, dispatch: { retries_per_target: 0, timeouts: { attempt_ms: 150, response_ms: 150, idle_ms: 5000, total_ms: 30_000 } } });
    const order: string[] = [];
    const busy = d.chat(chatRequest(true), plan(target(ps)), { signal: signal() }).then(async (r) => {
      assert.equal(r.kind, 'stream');
      if (r.kind === 'stream') for await (const _ of r.rest);
      order.push('busy');
    });
    await new Promise((r) => setTimeout(r, 50));
    const waiting = d.chat(chatRequest(), plan(target(ps), [target(pb)]), { signal: signal() }).then((r) => {
      order.push('timed out');
      return r;
    });
    const ctl = new AbortController();
    const leaving = rejection<DispatchError>(d.chat(chatRequest(), plan(target(ps)), { signal: ctl.signal })).then((e) => {
      order.push('left');
      return e;
    });
    setTimeout(() => ctl.abort(), 50);
    const r = await waiting;
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(pick(r.attempts), [['slow', 0, 'timeout'], ['b', 200, null]]);
    assert.match(r.attempts[0].error!, /within 150 ms/);
    assert.equal((await leaving).clientAborted, true);
    await busy;
    assert.deepEqual(order, ['left', 'timed out', 'busy'], 'neither waited for the busy connection');
    assert.equal(slow.calls, 1, 'the requests that gave up never reached the upstream');
    await d.close();
    await slow.close();
  });

  it('a body that stops half-way: idle timeout, socket closed, fallback', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0, timeouts: { attempt_ms: 2000, response_ms: 2000, idle_ms: 150, total_ms: 30_000 } } });
    a.setDefault('stall-body');
    const aborted = a.nextAbort();
    const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
    assert.deepEqual(pick(r.attempts), [['a', 200, 'timeout'], ['b', 200, null]]);
    assert.match(r.attempts[0].error!, /nothing for 150 ms/);
    await aborted;
    await d.close();
  });

  it('the total deadline bounds every attempt of a stream: SY_ERR_UPSTREAM_TIMEOUT', async () => {
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa], clock: 'real', dispatch: { timeouts: { attempt_ms: 5000, response_ms: 5000, idle_ms: 5000, total_ms: 250 } } });
    a.setDefault('hang');
    const t0 = performance.now();
    const err = await rejection<DispatchError>(d.chat(chatRequest(true), plan(target(pa)), { signal: signal() }));
    const took = performance.now() - t0;
    assert.equal(err.code, 'SY_ERR_UPSTREAM_TIMEOUT');
    assert.equal(err.status, 504);
    assert.ok(took >= 240 && took < 1000, `took ${took} ms`);
    assert.equal(a.calls, 1);
    await d.close();
  });
});

describe('a non-streamed chat answer comes whole (dispatch.timeouts.response_ms)', () => {
  let a: FakeUpstream;
  before(async () => { a = await startFakeUpstream(); });
  after(async () => { await a.close(); });

  it('a model still writing past attempt_ms, the upstream headers timeout and the total deadline is waited for, and serves', async () => {
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa], clock: 'real', upstream: { headers_timeout_ms: 150 }, dispatch: { retries_per_target: 0, timeouts: { attempt_ms: 150, response_ms: 5000, idle_ms: 150, total_ms: 200 } } });
    a.setDefault('delay:600');
    try {
      const r = await d.chat(chatRequest(), plan(target(pa)), { signal: signal() });
      assert.equal(r.kind, 'response');
      assert.equal(r.attempts.length, 1);
      assert.equal(r.attempts[0].status, 200);
    } finally {
      a.setDefault('ok');
      await d.close();
    }
  });

  it('no answer within response_ms: a timeout naming response_ms; embeddings keep attempt_ms', async () => {
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa], clock: 'real', dispatch: { retries_per_target: 0, timeouts: { attempt_ms: 150, response_ms: 400, idle_ms: 5000, total_ms: 30_000 } } });
    a.setDefault('hang');
    try {
      let t0 = performance.now();
      const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa)), { signal: signal() }));
      let took = performance.now() - t0;
      assert.equal(err.code, 'SY_ERR_UPSTREAM_TIMEOUT');
      assert.match(err.attempts[0].error ?? '', /within 400 ms \(dispatch\.timeouts\.response_ms/);
      assert.ok(took >= 390 && took < 3000, `took ${took} ms`);
      t0 = performance.now();
      const emb = await rejection<DispatchError>(d.embeddings(embeddingsRequest(), plan(target(pa)), { signal: signal() }));
      took = performance.now() - t0;
      assert.match(emb.attempts[0].error ?? '', /dispatch\.timeouts\.attempt_ms/);
      assert.ok(took < 390, `took ${took} ms`);
    } finally {
      a.setDefault('ok');
      await d.close();
    }
  });
});

describe('malformed answers with 200', () => {
  for (const [fault, pattern] of [
    ['malformed', /not JSON/],
    ['html', /not JSON .*HTML/],
    ['oversize:10000', /max_response_bytes/],
  ] as const) {
    it(`${fault}: server_error, falls back`, async () => {
      const pa = provider('a', { url: a.url });
      const pb = provider('b', { url: b.url });
      const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 }, upstream: { max_response_bytes: 4096 } });
      a.setDefault(fault);
      const r = await d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal() });
      assert.equal(r.served.provider, 'b');
      assert.deepEqual(pick(r.attempts), [['a', 200, 'server_error'], ['b', 200, null]]);
      assert.match(r.attempts[0].error!, pattern);
      await d.close();
    });
  }

  it('a valid JSON body of the wrong shape is server_error', async () => {
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa], dispatch: { retries_per_target: 0 } });
    a.setDefault('oversize:100');
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(pa)), { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_UPSTREAM_ERROR');
    assert.match(err.message, /malformed openai response/);
    await d.close();
  });
});

describe('requests', () => {
  it('forwards allowed client headers; the adapter’s own headers win', async () => {
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa] });
    await d.chat(chatRequest(), plan(target(pa)), { signal: signal(), headers: { 'x-request-id': 'r-1', authorization: 'Bearer client', cookie: 'session=1', 'x-api-key': 'client' } });
    const seen = a.requests[0].headers;
    assert.equal(seen['x-request-id'], 'r-1');
    assert.equal(seen.authorization, 'Bearer secret-a-key');
    assert.equal(seen.cookie, undefined, 'client credentials never go upstream');
    assert.equal(seen['x-api-key'], undefined);
    await d.close();
  });

  it('embeddings go through the same loop', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], dispatch: { retries_per_target: 0 } });
    a.setDefault('status:500');
    const r = await d.embeddings(embeddingsRequest(), plan(target(pa, 'embed-test'), [target(pb, 'embed-test')]), { signal: signal() });
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(r.response.data, [[0.1, 0.2, 0.3]]);
    assert.deepEqual(pick(r.attempts), [['a', 500, 'server_error'], ['b', 200, null]]);
    await d.close();
  });

  it('a provider without an embeddings API is a client error, not an upstream call', async () => {
    const pc = provider('c', { type: 'anthropic', url: c.url });
    const d = dispatcher({ providers: [pc] });
    const err = await rejection<DispatchError>(d.embeddings(embeddingsRequest(), plan(target(pc, 'claude-test')), { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_BAD_REQUEST');
    assert.equal(c.calls, 0);
    await d.close();
  });

  it('the mock provider goes through the same loop, errors and fallbacks', async () => {
    const pm = provider('local', { type: 'mock' });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pm, pb], dispatch: { retries_per_target: 0 } });
    const ok = await d.chat(chatRequest(), plan(target(pm, 'mock-model')), { signal: signal() });
    assert.equal(ok.kind, 'response');
    assert.match(ok.kind === 'response' ? ok.response.text : '', /^Mock reply to: hi/);
    const r = await d.chat(chatRequest(), plan(target(pm, 'mock-model'), [target(pb)]), { signal: signal(), headers: { 'x-mock-fail': '503' } });
    assert.equal(r.served.provider, 'b');
    assert.deepEqual(pick(r.attempts), [['local', 503, 'server_error'], ['b', 200, null]]);
    const s = await d.chat(chatRequest(true), plan(target(pm, 'mock-model')), { signal: signal() });
    assert.equal(s.kind, 'stream');
    if (s.kind === 'stream') {
      const rest = [];
      for await (const ev of s.rest) rest.push(ev.type);
      assert.equal(rest.at(-1), 'end');
      assert.equal((await s.done).ok, true);
    }
    await d.close();
  });
});


describe('timing for the own-time figure', () => {
  it('sentAt is the first attempt, written before chat() returns; receivedAt is the answer that was served', async () => {
    const pa = provider('a', { url: a.url });
    const pb = provider('b', { url: b.url });
    const d = dispatcher({ providers: [pa, pb], clock: 'real', dispatch: { retries_per_target: 0 } });
    a.setDefault('delay:40');
    a.script(['status:500']);
    b.setDefault('delay:40');
    const timing = { sentAt: 0, receivedAt: 0 };
    const before = performance.now();
    const pending = d.chat(chatRequest(), plan(target(pa), [target(pb)]), { signal: signal(), timing });
    // The request is on the socket before the caller's first await: work done after the
    // call returns overlaps the upstream instead of delaying it.
    assert.ok(timing.sentAt >= before && timing.sentAt <= performance.now(), 'sentAt set synchronously');
    const sent = timing.sentAt;
    const r = await pending;
    assert.equal(r.served.provider, 'b');
    assert.equal(timing.sentAt, sent, 'a fallback does not move sentAt');
    assert.ok(timing.receivedAt - timing.sentAt >= 40, `b's 40 ms are upstream time (${timing.receivedAt - timing.sentAt} ms)`);
    assert.ok(timing.receivedAt <= performance.now());
    await d.close();
  });

  it('a stream is received when the chunk that commits it arrives', async () => {
    const pa = provider('a', { url: a.url });
    const d = dispatcher({ providers: [pa], clock: 'real' });
    a.setDefault('delay:30');
    const timing = { sentAt: 0, receivedAt: 0 };
    const r = await d.chat(chatRequest(true), plan(target(pa)), { signal: signal(), timing });
    const committed = performance.now();
    assert.equal(r.kind, 'stream');
    assert.ok(timing.receivedAt - timing.sentAt >= 30, `${timing.receivedAt - timing.sentAt} ms`);
    assert.ok(timing.receivedAt <= committed);
    if (r.kind === 'stream') for await (const _ev of r.rest) { /* drain */ }
    await d.close();
  });
});
