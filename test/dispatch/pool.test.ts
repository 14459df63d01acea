/**
 * The upstream connection pool: how many calls to one provider origin are in flight at
 * once, counted at a local upstream that holds every answer open.
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ClientSignal, createTransport } from '../../src/dispatch/index.js';

/** Answers every request with stream headers and then holds it open. */
const held: ServerResponse[] = [];
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(': open\n\n');
  held.push(res);
});
let origin = '';

before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function send(t: ReturnType<typeof createTransport>, signal: ClientSignal) {
  return t.send({ origin, path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') }, { signal });
}

describe('connections per origin', () => {
  it('by default, every call in flight to one origin has a connection: 300 open streams all reach it at once', async () => {
    const t = createTransport({ headers_timeout_ms: 5_000, body_timeout_ms: 5_000 });
    const signals = Array.from({ length: 300 }, () => new ClientSignal());
    // A call still waiting for a connection after 3 s gives up (as attempt_ms would end it).
    const giveUp = setTimeout(() => signals.forEach((s) => s.abort(new Error('waited for a connection'))), 3_000);
    const results = await Promise.allSettled(signals.map((s) => send(t, s)));
    clearTimeout(giveUp);
    const answered = results.filter((r) => r.status === 'fulfilled').length;
    assert.equal(answered, 300, 'no call waits for another one\'s stream to end');
    assert.equal(held.length, 300);
    for (const r of results) if (r.status === 'fulfilled') r.value.body.destroy();
    await t.close();
  });

  it('upstream.connections_per_origin still caps them: the call past the cap waits, unsent', async () => {
    const before = held.length;
    const t = createTransport({ connections_per_origin: 2, headers_timeout_ms: 5_000, body_timeout_ms: 5_000 });
    const signals = Array.from({ length: 3 }, () => new ClientSignal());
    const first = await Promise.all([send(t, signals[0]), send(t, signals[1])]);
    const third = send(t, signals[2]);
    await new Promise((r) => setTimeout(r, 200));
    signals[2].abort(new Error('left'));
    await assert.rejects(third, /left/);
    assert.equal(held.length - before, 2, 'the third call never reached the upstream');
    for (const r of first) r.body.destroy();
    await t.close();
  });
});
