/**
 * Bad input corpus: every malformed request gets a 4xx in the client's dialect (OpenAI
 * `{error:{message,type,code}}` on /v1, Anthropic `{type:'error',error:{type,message,code}}`
 * on /anthropic) with a stable SY_ERR_* code; none crashes or hangs the server, which
 * answers good requests afterwards.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import {
  assertAnthropicError, assertOpenAIError, postJson, raw, startE2E, type E2EGateway, type RawRequest, type RawResponse, HOOK, SUITE,
} from './helpers.js';

const BODY_LIMIT = 4096;
const MAX_DEPTH = 16;

let e2e: E2EGateway;

before(async () => {
  e2e = await startE2E({
    server: { allow_unauthenticated: true, body_limit_bytes: BODY_LIMIT, max_json_depth: MAX_DEPTH },
    providers: { local: { type: 'mock', models: ['mock-model', 'embed-model'], options: { models: ['mock-model'] } } },
  });
}, HOOK);

after(async () => {
  await e2e?.close();
}, HOOK);

const OPENAI = '/v1/chat/completions';
const ANTHROPIC = '/anthropic/v1/messages';
const json = { 'content-type': 'application/json' };

const goodOpenAI = { model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] };
const goodAnthropic = { model: 'mock-model', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };

function nested(depth: number): string {
  return `{"model":"mock-model","messages":[{"role":"user","content":"hi"}],"metadata":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

interface Case {
  name: string;
  /** Path → request; the same case is sent on both dialects unless `only` says otherwise. */
  openai?: RawRequest;
  anthropic?: RawRequest;
  status: number;
  code: string;
  /** Anthropic error type when it matters. */
  anthropicType?: string;
}

/** Sends a raw string body as application/json to both endpoints. */
function both(body: string, headers: Record<string, string> = json): Pick<Case, 'openai' | 'anthropic'> {
  return { openai: { method: 'POST', body, headers }, anthropic: { method: 'POST', body, headers } };
}

/** A JSON body per dialect (each built from that dialect's good body). */
function each(fo: (b: Record<string, unknown>) => unknown, fa: (b: Record<string, unknown>) => unknown = fo): Pick<Case, 'openai' | 'anthropic'> {
  return {
    openai: { method: 'POST', body: JSON.stringify(fo(structuredClone(goodOpenAI))), headers: json },
    anthropic: { method: 'POST', body: JSON.stringify(fa(structuredClone(goodAnthropic))), headers: json },
  };
}

const big = 'x'.repeat(BODY_LIMIT + 100);

const CORPUS: Case[] = [
  { name: 'malformed JSON (truncated)', ...both('{"model":"mock-model","messages":['), status: 400, code: 'SY_ERR_INVALID_JSON' },
  { name: 'malformed JSON (trailing garbage)', ...both('{"model":"mock-model"} trailing'), status: 400, code: 'SY_ERR_INVALID_JSON' },
  { name: 'malformed JSON (single quotes)', ...both("{'model':'mock-model'}"), status: 400, code: 'SY_ERR_INVALID_JSON' },
  { name: 'body is a JSON array', ...both('[]'), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'body is a JSON string', ...both('"hello"'), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'body is JSON null', ...both('null'), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'empty body with application/json', ...both('', json), status: 400, code: 'SY_ERR_INVALID_JSON' },
  { name: 'model is a number', ...each((b) => ({ ...b, model: 5 })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'model is an empty string', ...each((b) => ({ ...b, model: '' })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'messages is a string', ...each((b) => ({ ...b, messages: 'hi' })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'messages is empty', ...each((b) => ({ ...b, messages: [] })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'message content is a number', ...each((b) => ({ ...b, messages: [{ role: 'user', content: 42 }] })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'message is not an object', ...each((b) => ({ ...b, messages: ['hi'] })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'unknown role', ...each((b) => ({ ...b, messages: [{ role: 'wizard', content: 'hi' }] })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'temperature is a string', ...each((b) => ({ ...b, temperature: 'hot' })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'temperature out of range', ...each((b) => ({ ...b, temperature: 99 })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'temperature 1e999 (Infinity after parsing)', ...both(JSON.stringify(goodOpenAI).replace(/}$/, ',"temperature":1e999}')), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'stream is a string', ...each((b) => ({ ...b, stream: 'yes' })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'tools is an object', ...each((b) => ({ ...b, tools: { name: 'x' } })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'max_tokens is negative', ...each((b) => ({ ...b, max_tokens: -1 })), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'missing model', ...each(({ model: _m, ...rest }) => rest), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'missing messages', ...each(({ messages: _m, ...rest }) => rest), status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'Anthropic: missing max_tokens', anthropic: { method: 'POST', body: JSON.stringify({ model: 'mock-model', messages: goodAnthropic.messages }), headers: json }, status: 400, code: 'SY_ERR_BAD_REQUEST' },
  { name: 'unknown model', ...each((b) => ({ ...b, model: 'no-such-model' })), status: 404, code: 'SY_ERR_UNKNOWN_MODEL', anthropicType: 'not_found_error' },
  { name: 'unknown provider prefix', ...each((b) => ({ ...b, model: 'nowhere/gpt-4o' })), status: 404, code: 'SY_ERR_UNKNOWN_MODEL' },
  { name: 'body over server.body_limit_bytes', ...each((b) => ({ ...b, messages: [{ role: 'user', content: big }] })), status: 413, code: 'SY_ERR_BODY_TOO_LARGE', anthropicType: 'request_too_large' },
  { name: `JSON nested deeper than max_json_depth (${MAX_DEPTH})`, ...both(nested(MAX_DEPTH + 10)), status: 400, code: 'SY_ERR_JSON_TOO_DEEP' },
  { name: 'JSON nested 10 000 deep (no stack overflow)', ...both(nested(10_000).slice(0, BODY_LIMIT - 10)), status: 400, code: 'SY_ERR_JSON_TOO_DEEP' },
  { name: '__proto__ key at the top level', ...both('{"model":"mock-model","messages":[{"role":"user","content":"hi"}],"__proto__":{"polluted":true}}'), status: 400, code: 'SY_ERR_FORBIDDEN_KEY' },
  { name: '__proto__ key inside a message', ...both('{"model":"mock-model","messages":[{"role":"user","content":"hi","__proto__":{"polluted":true}}]}'), status: 400, code: 'SY_ERR_FORBIDDEN_KEY' },
  { name: 'constructor.prototype', ...both('{"model":"mock-model","messages":[{"role":"user","content":"hi"}],"constructor":{"prototype":{"polluted":true}}}'), status: 400, code: 'SY_ERR_FORBIDDEN_KEY' },
  { name: 'wrong content type (text/plain)', ...both(JSON.stringify(goodOpenAI), { 'content-type': 'text/plain' }), status: 415, code: 'SY_ERR_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'wrong content type (form)', ...both('model=mock-model', { 'content-type': 'application/x-www-form-urlencoded' }), status: 415, code: 'SY_ERR_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'no content type with a body', ...both(JSON.stringify(goodOpenAI), {}), status: 415, code: 'SY_ERR_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'GET on a POST route', openai: { method: 'GET' }, anthropic: { method: 'GET' }, status: 405, code: 'SY_ERR_METHOD_NOT_ALLOWED' },
  { name: 'PUT on a POST route', openai: { method: 'PUT', body: JSON.stringify(goodOpenAI), headers: json }, anthropic: { method: 'PUT', body: JSON.stringify(goodAnthropic), headers: json }, status: 405, code: 'SY_ERR_METHOD_NOT_ALLOWED' },
];

async function send(path: string, req: RawRequest): Promise<RawResponse> {
  return raw(e2e.url, path, { ...req, timeoutMs: 5_000 });
}

describe('bad input corpus', SUITE, () => {
  for (const c of CORPUS) {
    if (c.openai) {
      test(`OpenAI dialect: ${c.name} → ${c.status} ${c.code}`, async () => {
        const res = await send(OPENAI, c.openai!);
        assertOpenAIError(res, c.status, c.code, c.name);
      });
    }
    if (c.anthropic) {
      test(`Anthropic dialect: ${c.name} → ${c.status} ${c.code}`, async () => {
        const res = await send(ANTHROPIC, c.anthropic!);
        assertAnthropicError(res, c.status, c.code, c.anthropicType, c.name);
      });
    }
  }

  test('a wrong-type error names the field (OpenAI `param`, message mentions it)', async () => {
    const res = await postJson(e2e.url, OPENAI, { ...goodOpenAI, model: 5 });
    assertOpenAIError(res, 400, 'SY_ERR_BAD_REQUEST');
    assert.equal(res.json.error.param, 'model');
    assert.match(res.json.error.message, /model/);
    const a = await postJson(e2e.url, ANTHROPIC, { ...goodAnthropic, temperature: 'hot' });
    assertAnthropicError(a, 400, 'SY_ERR_BAD_REQUEST', 'invalid_request_error');
    assert.match(a.json.error.message, /temperature/);
  });

  test('a body not sent as JSON is told the type it came as, and the one to send', async () => {
    const body = JSON.stringify(goodOpenAI);
    for (const [headers, says] of [
      // What `curl -d` sends unless told otherwise.
      [{ 'content-type': 'application/x-www-form-urlencoded' }, /sent as application\/x-www-form-urlencoded \(curl's default for -d\).*Content-Type: application\/json/],
      [{ 'content-type': 'text/plain;charset=UTF-8' }, /sent as text\/plain;charset=UTF-8: send it as JSON, with Content-Type: application\/json/],
      [{}, /no Content-Type: send it as JSON, with Content-Type: application\/json/],
    ] as const) {
      const res = await send(ANTHROPIC, { method: 'POST', body, headers });
      assertAnthropicError(res, 415, 'SY_ERR_UNSUPPORTED_MEDIA_TYPE', 'invalid_request_error');
      assert.match(res.json.error.message, says);
    }
  });

  test('another method on an inference route is answered 405 with Allow: POST, in the dialect', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const o = await send(OPENAI, { method });
      assertOpenAIError(o, 405, 'SY_ERR_METHOD_NOT_ALLOWED');
      assert.equal(o.headers.allow, 'POST');
      assert.match(o.json.error.message, new RegExp(`${method} .*takes POST`));
      const a = await send('/anthropic/v1/messages?beta=true', { method });
      assertAnthropicError(a, 405, 'SY_ERR_METHOD_NOT_ALLOWED', 'invalid_request_error');
      assert.equal(a.headers.allow, 'POST');
    }
    const head = await send('/v1/embeddings', { method: 'HEAD' });
    assert.equal(head.status, 405);
    assert.equal(head.headers.allow, 'POST');
  });

  test('unknown routes answer 404 in the dialect of their prefix', async () => {
    assertOpenAIError(await send('/v1/no-such-thing', { method: 'POST', body: '{}', headers: json }), 404, 'SY_ERR_NOT_FOUND');
    assertOpenAIError(await send('/nope', {}), 404, 'SY_ERR_NOT_FOUND');
    assertAnthropicError(await send('/anthropic/v1/no-such-thing', { method: 'POST', body: '{}', headers: json }), 404, 'SY_ERR_NOT_FOUND', 'not_found_error');
  });

  test('a path that is not a valid URL (a bad % escape) is refused in the dialect, with ids', async () => {
    for (const path of ['/v1/models/%ZZ', '/v1/conversations/conv_%ZZ', '/v1/responses/x%ZZ']) {
      const res = await send(path, {});
      assertOpenAIError(res, 400, 'SY_ERR_BAD_REQUEST', path);
      assert.ok(res.headers['x-request-id'], path);
    }
    assertAnthropicError(await send('/anthropic/v1/models/%ZZ', {}), 400, 'SY_ERR_BAD_REQUEST', 'invalid_request_error');
  });

  test('embeddings: missing input, empty input, unknown encoding_format', async () => {
    assertOpenAIError(await postJson(e2e.url, '/v1/embeddings', { model: 'embed-model' }), 400, 'SY_ERR_BAD_REQUEST');
    assertOpenAIError(await postJson(e2e.url, '/v1/embeddings', { model: 'embed-model', input: [] }), 400, 'SY_ERR_BAD_REQUEST');
    assertOpenAIError(await postJson(e2e.url, '/v1/embeddings', { model: 'embed-model', input: 'x', encoding_format: 'hex' }), 400, 'SY_ERR_BAD_REQUEST');
    assertOpenAIError(await postJson(e2e.url, '/v1/embeddings', { model: 'nope-embed', input: 'x' }), 404, 'SY_ERR_UNKNOWN_MODEL');
  });

  test('errors raised while handling a request carry x-switchyard-decision-id', async () => {
    const res = await postJson(e2e.url, OPENAI, { ...goodOpenAI, model: 'no-such-model' });
    assert.equal(res.status, 404);
    assert.match(String(res.headers['x-switchyard-decision-id']), /^dec_/);
  });

  // The issue says every response carries x-switchyard-decision-id, including errors
  // raised by the body parser before any decision (invalid JSON, 413, 415, too deep).
  test('errors raised while parsing the body carry x-switchyard-decision-id too', async () => {
    const res = await send(OPENAI, { method: 'POST', headers: json, body: '{"model":' });
    assert.equal(res.status, 400);
    assert.match(String(res.headers['x-switchyard-decision-id']), /^dec_/);
  });

  // A JSON escape spells the same key without the "__proto__"/"constructor" substrings.
  test('a __proto__ key spelled with a JSON escape (\\u005f_proto__) is refused too', async () => {
    const res = await send(OPENAI, { method: 'POST', headers: json, body: '{"model":"mock-model","messages":[{"role":"user","content":"hi"}],"\\u005f_proto__":{"polluted":true}}' });
    assertOpenAIError(res, 400, 'SY_ERR_FORBIDDEN_KEY');
  });

  test('constructor.prototype spelled with a JSON escape is refused too', async () => {
    const res = await send(ANTHROPIC, { method: 'POST', headers: json, body: '{"model":"mock-model","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"\\u0063onstructor":{"prototype":{"polluted":true}}}' });
    assertAnthropicError(res, 400, 'SY_ERR_FORBIDDEN_KEY');
  });
});

/** Writes `text` on a fresh connection (then half-closes it, with `end`) and reads the answer until the server closes it. */
function rawExchange(base: string, text: string, opts: { end?: boolean } = {}): Promise<RawResponse> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const socket = connect(Number(port), '127.0.0.1', () => (opts.end ? socket.end(text) : socket.write(text)));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (c: Buffer) => parts.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(parts).toString('utf8');
      const [head, body = ''] = all.split('\r\n\r\n', 2);
      const lines = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      let json: any;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(lines[0].split(' ')[1]), headers, text: body, json });
    });
  });
}

describe("requests Node's HTTP parser refuses", SUITE, () => {
  const big = `x-big: ${'a'.repeat(20_000)}\r\n`;
  test('headers over 16 KB: 431 in the dialect of the path, and the connection closes', async () => {
    const a = await rawExchange(e2e.url, `POST ${ANTHROPIC} HTTP/1.1\r\nhost: x\r\n${big}content-type: application/json\r\ncontent-length: 2\r\n\r\n{}`);
    assertAnthropicError(a, 431, 'SY_ERR_HEADERS_TOO_LARGE', 'invalid_request_error');
    assert.equal(a.headers.connection, 'close');
    assert.match(String(a.headers['x-request-id']), /^req_/);
    assertOpenAIError(await rawExchange(e2e.url, `GET /v1/models HTTP/1.1\r\nhost: x\r\n${big}\r\n`), 431, 'SY_ERR_HEADERS_TOO_LARGE');
  });

  test('a request that is not HTTP, or a bad Content-Length: 400 naming what is wrong', async () => {
    const garbage = await rawExchange(e2e.url, 'HELLO THERE\r\n\r\n');
    assertOpenAIError(garbage, 400, 'SY_ERR_BAD_REQUEST');
    assert.match(garbage.json.error.message, /not well-formed HTTP/);
    const length = await rawExchange(e2e.url, `POST ${ANTHROPIC} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: abc\r\n\r\n{}`);
    assertAnthropicError(length, 400, 'SY_ERR_BAD_REQUEST');
    assert.match(length.json.error.message, /Content-Length/i);
  });

  // The parser stops at the end of the stream, in the body, past the request line: the
  // answer is that request's, in its dialect.
  test('a chunked body cut short by the client half-closing: 400 in the dialect of the path', async () => {
    const cut = (path: string) => `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n`;
    const a = await rawExchange(e2e.url, cut(ANTHROPIC), { end: true });
    assertAnthropicError(a, 400, 'SY_ERR_BAD_REQUEST');
    assert.match(a.json.error.message, /not well-formed HTTP/);
    assertOpenAIError(await rawExchange(e2e.url, cut(OPENAI), { end: true }), 400, 'SY_ERR_BAD_REQUEST');
  });

  test('the server answers good requests afterwards', async () => {
    assert.equal((await postJson(e2e.url, OPENAI, goodOpenAI)).status, 200);
  });
});

describe('near misses are accepted', SUITE, () => {
  test('brackets and "__proto__" inside strings are content, not structure', async () => {
    const res = await postJson(e2e.url, OPENAI, { model: 'mock-model', messages: [{ role: 'user', content: `${'['.repeat(200)} __proto__ constructor prototype ${'{'.repeat(200)}` }] });
    assert.equal(res.status, 200, res.text);
  });

  test('application/json with a charset parameter', async () => {
    const res = await send(OPENAI, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(goodOpenAI) });
    assert.equal(res.status, 200, res.text);
  });

  test('a body starting with a UTF-8 byte order mark, as Windows tools write JSON files', async () => {
    for (const path of [OPENAI, '/anthropic/v1/messages']) {
      const body = JSON.stringify({ ...goodOpenAI, max_tokens: 8 });
      const res = await send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]) });
      assert.equal(res.status, 200, res.text);
    }
  });

  test('a body just under the limit', async () => {
    const filler = 'y'.repeat(BODY_LIMIT - JSON.stringify(goodOpenAI).length - 200);
    const res = await postJson(e2e.url, OPENAI, { model: 'mock-model', messages: [{ role: 'user', content: filler }] });
    assert.equal(res.status, 200, res.text);
  });

  test('nesting exactly at max_json_depth', async () => {
    // {"metadata": [[...]]}: the outer object is level 1.
    const res = await send(OPENAI, { method: 'POST', headers: json, body: nested(MAX_DEPTH - 1) });
    assert.notEqual(res.json?.error?.code, 'SY_ERR_JSON_TOO_DEEP', res.text);
  });

  test('a property named "constructor" without "prototype" is an ordinary key', async () => {
    const res = await postJson(e2e.url, OPENAI, { ...goodOpenAI, metadata: { constructor: 'plain' } });
    assert.notEqual(res.json?.error?.code, 'SY_ERR_FORBIDDEN_KEY', res.text);
  });
});

describe('after the corpus', SUITE, () => {
  test('a client that sends half a body and disconnects does not disturb the server', async () => {
    await new Promise<void>((resolve, reject) => {
      const r = httpRequest(new URL(OPENAI, e2e.url), { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '500' }, agent: false });
      r.on('error', () => resolve());
      r.write('{"model":"mock-model","messa');
      setTimeout(() => {
        r.destroy();
        resolve();
      }, 50);
      r.on('response', () => reject(new Error('no response expected to half a body')));
    });
  });

  test('the whole corpus again, concurrently, then good requests still succeed on every endpoint', async () => {
    const all: Promise<RawResponse>[] = [];
    for (const c of CORPUS) {
      if (c.openai) all.push(send(OPENAI, c.openai));
      if (c.anthropic) all.push(send(ANTHROPIC, c.anthropic));
    }
    const results = await Promise.all(all);
    for (const r of results) assert.ok(r.status >= 400 && r.status < 500, `4xx, got ${r.status}: ${r.text}`);

    const o = await postJson(e2e.url, OPENAI, goodOpenAI);
    assert.equal(o.status, 200, o.text);
    assert.equal(o.json.object, 'chat.completion');
    const a = await postJson(e2e.url, ANTHROPIC, goodAnthropic);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.type, 'message');
    const e = await postJson(e2e.url, '/v1/embeddings', { model: 'embed-model', input: 'ok' });
    assert.equal(e.status, 200, e.text);
    assert.equal((await raw(e2e.url, '/healthz')).status, 200);
  });
});
