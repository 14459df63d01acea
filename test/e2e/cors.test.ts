/**
 * CORS for browser clients (server.cors_origins): preflights from an allowed origin are
 * answered, and every response to it carries Access-Control-Allow-Origin and exposes the
 * gateway's headers: whole and streamed answers, errors, and the routes fastify serves.
 * Other origins, and a gateway without the setting, get nothing CORS.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { postJson, raw, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const APP = 'https://app.example.com';
let listed: E2EGateway, anyOrigin: E2EGateway, off: E2EGateway;

before(async () => {
  const base = { providers: { local: { type: 'mock', models: ['mock-model'] } } };
  [listed, anyOrigin, off] = await Promise.all([
    startE2E({ ...base, server: { allow_unauthenticated: true, cors_origins: [APP, 'http://localhost:5173'] } }),
    startE2E({ ...base, server: { allow_unauthenticated: true, cors_origins: ['*'] } }),
    startE2E({ ...base, server: { allow_unauthenticated: true } }),
  ]);
}, HOOK);

after(async () => {
  await Promise.all([listed?.close(), anyOrigin?.close(), off?.close()]);
}, HOOK);

const chat = { model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] };

/** A browser's preflight for a POST with the SDK's headers. */
function preflight(gw: E2EGateway, path: string, origin: string) {
  return raw(gw.url, path, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-stainless-os, anthropic-version' },
  });
}

function assertExposes(h: IncomingHttpHeaders): void {
  const exposed = String(h['access-control-expose-headers']).split(/\s*,\s*/);
  for (const name of ['x-request-id', 'x-switchyard-decision-id', 'retry-after']) assert.ok(exposed.includes(name), `${name} exposed: ${exposed}`);
}

describe('CORS', SUITE, () => {
  test('a preflight from a listed origin is answered 204 with what the browser asked for', async () => {
    for (const path of ['/v1/chat/completions', '/anthropic/v1/messages', '/v1/models']) {
      const res = await preflight(listed, path, APP);
      assert.equal(res.status, 204, path);
      assert.equal(res.headers['access-control-allow-origin'], APP);
      assert.equal(res.headers.vary, 'Origin');
      assert.match(String(res.headers['access-control-allow-methods']), /\bPOST\b/);
      assert.equal(res.headers['access-control-allow-headers'], 'authorization, content-type, x-stainless-os, anthropic-version');
      assert.equal(res.headers['access-control-max-age'], '600');
      assert.equal(res.headers['access-control-allow-credentials'], undefined);
    }
  });

  test('answers to a listed origin carry Allow-Origin and expose the gateway headers: whole, streamed, errors, fastify routes', async () => {
    const headers = { origin: 'http://localhost:5173' };
    const whole = await postJson(listed.url, '/v1/chat/completions', chat, headers);
    const streamed = await postJson(listed.url, '/anthropic/v1/messages', { ...chat, max_tokens: 8, stream: true }, headers);
    const refused = await postJson(listed.url, '/v1/chat/completions', { ...chat, model: 'nope' }, headers);
    const malformed = await raw(listed.url, '/v1/chat/completions', { method: 'POST', body: '{"model":', headers: { ...headers, 'content-type': 'application/json' } });
    const models = await raw(listed.url, '/v1/models', { headers });
    for (const [name, res, status] of [['whole', whole, 200], ['streamed', streamed, 200], ['refused', refused, 404], ['malformed', malformed, 400], ['models', models, 200]] as const) {
      assert.equal(res.status, status, `${name}: ${res.text.slice(0, 200)}`);
      assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:5173', name);
      assertExposes(res.headers);
    }
    assert.match(String(streamed.headers['content-type']), /^text\/event-stream/);
  });

  test('another origin gets nothing CORS, and its preflight is not answered', async () => {
    const pre = await preflight(listed, '/v1/chat/completions', 'https://evil.example');
    assert.notEqual(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], undefined);
    const res = await postJson(listed.url, '/v1/chat/completions', chat, { origin: 'https://app.example.com.evil.example' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(res.headers['access-control-expose-headers'], undefined);
  });

  test('"*" allows any origin with a literal *', async () => {
    const pre = await preflight(anyOrigin, '/v1/chat/completions', 'https://anything.example');
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.equal(pre.headers.vary, undefined);
    const res = await postJson(anyOrigin.url, '/v1/chat/completions', chat, { origin: 'https://anything.example' });
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assertExposes(res.headers);
  });

  test('off by default: no CORS headers, and a preflight is a 404 in the dialect', async () => {
    const pre = await preflight(off, '/v1/chat/completions', APP);
    assert.equal(pre.status, 404);
    assert.equal(pre.json?.error?.code, 'SY_ERR_NOT_FOUND');
    const res = await postJson(off.url, '/v1/chat/completions', chat, { origin: APP });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });

  test('a request without Origin is untouched', async () => {
    const res = await postJson(listed.url, '/v1/chat/completions', chat);
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });
});
