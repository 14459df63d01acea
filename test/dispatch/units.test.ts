/** The small parts of dispatch on their own: backoff, headers, retry budget, queue, transport. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, retryWaitMs } from '../../src/dispatch/backoff.js';
import { compileForwardHeaders, upstreamHeaders } from '../../src/dispatch/headers.js';
import { ConcurrencyLimit } from '../../src/dispatch/queue.js';
import { RetryBudget } from '../../src/dispatch/retry-budget.js';
import { createTransport } from '../../src/dispatch/transport.js';
import { upstreamRequestId } from '../../src/dispatch/attempt.js';
import { startFakeUpstream } from '../fakes/upstream.js';
import { DispatchError } from '../../src/dispatch/index.js';
import { withClientHeaders } from '../../src/dispatch/run.js';
import { chatRequest, dispatcher, FakeClock, plan, provider, rejection, signal, target } from './helpers.js';

describe('backoff', () => {
  it('full jitter: uniform in [0, min(cap, base · 2^retry))', () => {
    assert.equal(backoffMs(0, 100, 2000, () => 0), 0);
    assert.equal(backoffMs(0, 100, 2000, () => 0.999), 99);
    assert.equal(backoffMs(3, 100, 2000, () => 0.5), 400);
    assert.equal(backoffMs(10, 100, 2000, () => 0.5), 1000, 'capped');
    assert.equal(backoffMs(1000, 100, 2000, () => 0.5), 1000, 'no overflow');
  });

  it('Retry-After wins over the backoff', () => {
    assert.equal(retryWaitMs(0, 5000, 100, 2000, () => 0.5), 5000);
    assert.equal(retryWaitMs(0, undefined, 100, 2000, () => 0.5), 50);
  });
});

describe('upstreamHeaders', () => {
  const client = {
    host: 'gw.example', connection: 'keep-alive, x-hop', 'x-hop': '1', authorization: 'Bearer sk-client', 'x-api-key': 'k',
    'x-switchyard-key': 'vk', cookie: 'a=b', 'x-request-id': 'r-1', 'x-trace': ['a', 'b'], 'transfer-encoding': 'chunked', 'user-agent': 'sdk',
    'accept-encoding': 'gzip, br, zstd', 'content-encoding': 'gzip',
  };

  it('forwards only allowlisted headers', () => {
    assert.deepEqual(upstreamHeaders(client, ['x-request-id', 'x-trace', 'x-missing']), { 'x-request-id': 'r-1', 'x-trace': 'a, b' });
  });

  it('never forwards credentials, hop-by-hop headers, headers named by Connection, accept-encoding or content-encoding', () => {
    const everything = Object.keys(client);
    assert.deepEqual(upstreamHeaders(client, everything), { 'x-request-id': 'r-1', 'x-trace': 'a, b', 'user-agent': 'sdk' });
  });

  it("the adapter's headers win, but the client's and the config's anthropic-beta lists are merged", () => {
    const own = { 'content-type': 'application/json', 'anthropic-beta': 'prompt-caching-2024-07-31' };
    assert.deepEqual(withClientHeaders({ 'anthropic-beta': 'context-1m-2025-08-07, prompt-caching-2024-07-31', 'content-type': 'text/plain', 'x-trace': 't' }, own), {
      'content-type': 'application/json', 'anthropic-beta': 'prompt-caching-2024-07-31,context-1m-2025-08-07', 'x-trace': 't',
    });
    assert.equal(withClientHeaders({ 'anthropic-beta': 'prompt-caching-2024-07-31' }, own), own, 'nothing new: the same object');
  });

  it('compileForwardHeaders lowercases and drops forbidden names once, at load', () => {
    assert.deepEqual(compileForwardHeaders(['X-Request-Id', 'Authorization', 'Connection', 'x-request-id', 'Accept-Encoding', 'Content-Encoding']), ['x-request-id']);
  });
});

describe('RetryBudget', () => {
  it('allows min_per_second plus ratio × requests over a sliding second', () => {
    const clock = new FakeClock();
    const b = new RetryBudget(0.2, 1, clock);
    for (let i = 0; i < 10; i++) b.recordRequest();
    assert.equal(b.remaining(), 3);
    assert.ok(b.tryAcquire() && b.tryAcquire() && b.tryAcquire());
    assert.equal(b.tryAcquire(), false);
    clock.advance(500);
    assert.equal(b.tryAcquire(), false, 'still inside the window');
    clock.advance(600);
    assert.equal(b.remaining(), 1, 'the old requests and retries slid out');
    clock.advance(60_000);
    assert.equal(b.remaining(), 1);
  });
});

describe('ConcurrencyLimit', () => {
  it('hands released slots to waiters in arrival order', async () => {
    const l = new ConcurrencyLimit(1, 2, 'error');
    assert.ok(l.tryAcquire());
    assert.equal(l.tryAcquire(), false);
    const order: number[] = [];
    const s = new AbortController().signal;
    const w1 = l.wait(s, 10_000).then((r) => order.push(1) && r);
    const w2 = l.wait(s, 10_000).then((r) => order.push(2) && r);
    assert.equal(l.mayWait(), false, 'queue of 2 is full');
    l.release();
    l.release();
    assert.deepEqual(await Promise.all([w1, w2]), ['ok', 'ok']);
    assert.deepEqual(order, [1, 2]);
    l.release();
    assert.equal(l.active, 0);
  });

  it('a waiter that times out or aborts leaves the queue', async () => {
    const l = new ConcurrencyLimit(1, 5, 'error');
    l.tryAcquire();
    const ctl = new AbortController();
    const aborted = l.wait(ctl.signal, 10_000);
    const timedOut = l.wait(new AbortController().signal, 10);
    ctl.abort();
    assert.equal(await aborted, 'aborted');
    assert.equal(await timedOut, 'timeout');
    assert.equal(l.waiting, 0);
    l.release();
    assert.equal(l.active, 0, 'no slot handed to a departed waiter');
  });
});

describe('upstreamRequestId', () => {
  it("reads the provider's id for a call from the headers providers use, and only a safe token", () => {
    assert.equal(upstreamRequestId({ 'request-id': 'req_011CS' }), 'req_011CS');
    assert.equal(upstreamRequestId({ 'x-request-id': 'req_abc123', 'content-type': 'application/json' }), 'req_abc123');
    assert.equal(upstreamRequestId({ 'apim-request-id': '5d1f9c1e-7f2b-4c39-9d3e-1f0c2a7b8e6d' }), '5d1f9c1e-7f2b-4c39-9d3e-1f0c2a7b8e6d');
    assert.equal(upstreamRequestId({}), undefined);
    assert.equal(upstreamRequestId({ 'x-request-id': 'a b<script>' }), undefined, 'not a token: not recorded');
    assert.equal(upstreamRequestId({ 'x-request-id': 'x'.repeat(129) }), undefined);
    assert.equal(upstreamRequestId({ 'x-request-id': ['a', 'b'] }), undefined);
  });
});

describe('transport', () => {
  it('never follows redirects', async () => {
    const f = await startFakeUpstream({ defaultFault: 'redirect' });
    const t = createTransport();
    const res = await t.send({ origin: f.url, path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') }, { signal: new AbortController().signal });
    assert.equal(res.status, 307);
    res.body.resume();
    assert.equal(f.calls, 1);
    await t.close();
    await f.close();
  });

  it('keeps one pool per origin with keep-alive', async () => {
    const f = await startFakeUpstream();
    const t = createTransport();
    for (let i = 0; i < 5; i++) {
      const res = await t.send({ origin: f.url, path: '/v1/chat/completions', method: 'POST', headers: {}, body: Buffer.from('{"model":"m"}') }, { signal: new AbortController().signal });
      for await (const _ of res.body) void _;
    }
    // Back-to-back requests may catch the first connection a tick before it is released.
    assert.ok(f.connections <= 2, `${f.connections} connections for 5 requests`);
    await t.close();
    await f.close();
  });

  it('an oversize body fails the attempt and its connection is not reused', async () => {
    const f = await startFakeUpstream({ defaultFault: 'oversize:2000000' });
    const p = provider('big', { url: f.url });
    const d = dispatcher({ providers: [p], dispatch: { retries_per_target: 0 }, upstream: { max_response_bytes: 4096 } });
    const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(p)), { signal: signal() }));
    assert.equal(err.code, 'SY_ERR_UPSTREAM_ERROR');
    assert.match(err.message, /max_response_bytes \(4096 bytes\)/);
    await new Promise((r) => setTimeout(r, 20));
    f.setDefault('ok');
    await d.chat(chatRequest(), plan(target(p)), { signal: signal() });
    assert.equal(f.connections, 2, 'the oversize response’s socket was closed');
    await d.close();
    await f.close();
  });
});

