/**
 * A request refused before routing makes no decision and so no audit event: at debug
 * level the log says why, naming the request, the code and the field; at info, nothing.
 * One that fails after routing is audited, and at debug level logged too, with what the
 * provider said; so is one served only after attempts failed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { postJson, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});
const logger = pino({ level: 'debug' }, sink);
let debug: E2EGateway;
let info: E2EGateway;
let storeDown: E2EGateway;

before(async () => {
  const config = {
    server: { allow_unauthenticated: true },
    dispatch: { backoff: { base_ms: 1, cap_ms: 2 } },
    providers: {
      mk: { type: 'mock', models: ['m'] },
      // For model m2: one that always fails, and the fallback that serves.
      down: { type: 'mock', weight: 0, models: ['m2'], options: { fail_rate: 1 } },
      up: { type: 'mock', weight: 0, models: ['m2'] },
    },
  };
  const rules = { 'fallback.yaml': { rules: [{ id: 'm2-falls-back', when: 'model == "m2"', route: 'down/m2', fallbacks: ['up/m2'], fallback_on: ['server_error'] }] } };
  debug = await startE2E(config, { logger, rules });
  info = await startE2E(config, { logger: logger.child({}, { level: 'info' }), rules });
  // A caller with a budget, and a counter store that never answers (nothing listens on port 1).
  storeDown = await startE2E({
    providers: { mk: { type: 'mock', models: ['m'] } },
    governance: {
      store: { type: 'redis', url: 'redis://127.0.0.1:1/0', on_unavailable: 'fail_closed' },
      virtual_keys: [{ id: 'vk', key_hash: `sha256:${createHash('sha256').update('sk-down').digest('hex')}`, budgets: [{ limit_usd: 1, period: '1d' }] }],
    },
  }, { logger });
}, HOOK);

after(async () => {
  await debug?.close();
  await info?.close();
  await storeDown?.close();
}, HOOK);

describe('requests refused before routing', SUITE, () => {
  test('are logged at debug level with their request id, code and field, and not at info', async () => {
    const body = { model: 'm', input: [{ type: 'no_such_item' }, { role: 'user', content: 'Hi' }] };
    const refused = await postJson(debug.url, '/v1/responses', body, { 'x-request-id': 'req-refused-1' });
    assert.equal(refused.status, 400);
    const line = lines.find((l) => l.msg === 'request refused before routing');
    assert.ok(line, JSON.stringify(lines.map((l) => l.msg)));
    assert.deepEqual([line.request_id, line.endpoint, line.status, line.code, line.param], ['req-refused-1', 'responses', 400, 'SY_ERR_BAD_REQUEST', 'input[0].type']);
    assert.match(String(line.reason), /no_such_item/);
    lines.length = 0;
    assert.equal((await postJson(info.url, '/v1/responses', body)).status, 400);
    assert.ok(!lines.some((l) => l.msg === 'request refused before routing'));
    // A routed request is audited instead, an unknown model too: no such line.
    assert.equal((await postJson(debug.url, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'Hi' }] })).status, 200);
    assert.equal((await postJson(debug.url, '/v1/chat/completions', { model: 'nope', messages: [{ role: 'user', content: 'Hi' }] })).status, 404);
    assert.ok(!lines.some((l) => l.msg === 'request refused before routing'));
  });

  test('a 503 for a counter store that is down is logged too', async () => {
    lines.length = 0;
    const res = await postJson(storeDown.url, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, { authorization: 'Bearer sk-down', 'x-request-id': 'req-store-down-1' });
    assert.equal(res.status, 503);
    const line = lines.find((l) => l.msg === 'request refused before routing');
    assert.ok(line, JSON.stringify(lines.map((l) => l.msg)));
    assert.deepEqual([line.request_id, line.endpoint, line.status, line.code], ['req-store-down-1', 'chat', 503, 'SY_ERR_UNAVAILABLE']);
  });
});

describe('requests that fail after routing', SUITE, () => {
  test('are logged at debug level with their decision, code, attempts and what the provider said; a served one is not', async () => {
    lines.length = 0;
    assert.equal((await postJson(debug.url, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'Hi' }] })).status, 200);
    assert.ok(!lines.some((l) => l.msg === 'request failed'));
    const res = await postJson(debug.url, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, { 'x-request-id': 'req-failed-1', 'x-mock-fail': '400' });
    assert.equal(res.status, 400);
    const line = lines.find((l) => l.msg === 'request failed');
    assert.ok(line, JSON.stringify(lines.map((l) => l.msg)));
    assert.deepEqual([line.request_id, line.decision_id, line.endpoint, line.status, line.code, line.attempts], ['req-failed-1', res.headers['x-switchyard-decision-id'], 'chat', 400, 'SY_ERR_UPSTREAM_CLIENT_ERROR', 1]);
    assert.equal(typeof line.reason, 'string');
    lines.length = 0;
    assert.equal((await postJson(info.url, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, { 'x-mock-fail': '400' })).status, 400);
    assert.ok(!lines.some((l) => l.msg === 'request failed'));
  });

  test('one served after failed attempts is logged at debug level with each failure', async () => {
    lines.length = 0;
    const res = await postJson(debug.url, '/v1/chat/completions', { model: 'm2', messages: [{ role: 'user', content: 'Hi' }] }, { 'x-request-id': 'req-fell-back-1' });
    assert.equal(res.status, 200);
    const line = lines.find((l) => l.msg === 'request served after failed attempts');
    assert.ok(line, JSON.stringify(lines.map((l) => l.msg)));
    assert.deepEqual([line.request_id, line.decision_id, line.endpoint, line.served], ['req-fell-back-1', res.headers['x-switchyard-decision-id'], 'chat', 'up/m2']);
    const failed = line.failed as { target: string; status: number; reason: string }[];
    assert.ok(failed.length >= 1, JSON.stringify(failed));
    for (const f of failed) assert.deepEqual([f.target, f.status, f.reason], ['down/m2', 500, 'server_error']);
    // Served at once: no such line; at info level, none either.
    lines.length = 0;
    assert.equal((await postJson(debug.url, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'Hi' }] })).status, 200);
    assert.equal((await postJson(info.url, '/v1/chat/completions', { model: 'm2', messages: [{ role: 'user', content: 'Hi' }] })).status, 200);
    assert.ok(!lines.some((l) => l.msg === 'request served after failed attempts'));
  });
});
