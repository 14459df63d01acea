/**
 * The inference routes have two ways in: the intake on node:http (ordinary JSON POSTs)
 * and fastify (everything else, and every request while the gateway drains). A client
 * must not be able to tell them apart: the same requests get the same status, code,
 * headers and body shape either way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import net from 'node:net';
import * as zlib from 'node:zlib';
import { raw, startE2E, type E2EGateway, type RawRequest, type RawResponse, HOOK, SUITE } from './helpers.js';

let e2e: E2EGateway;
const LIMIT = 4096;

before(async () => {
  e2e = await startE2E({
    server: { allow_unauthenticated: true, body_limit_bytes: LIMIT, max_json_depth: 8 },
    providers: { local: { type: 'mock', models: ['mock-model', 'embed-model'] } },
  });
}, HOOK);

after(async () => {
  await e2e?.close();
}, HOOK);

const json = { 'content-type': 'application/json' };
const chat = { model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] };
const chatBytes = Buffer.from(JSON.stringify(chat));
/** Node ≥ 22.15 has zstd; the gateway decodes it where Node does. */
const zstdCompress = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;

const CASES: [string, string, RawRequest][] = [
  ['OpenAI chat', '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat), headers: json }],
  ['OpenAI chat under /openai, with a query string', '/openai/v1/chat/completions?trace=1', { method: 'POST', body: JSON.stringify(chat), headers: json }],
  ['Anthropic messages', '/anthropic/v1/messages', { method: 'POST', body: JSON.stringify({ ...chat, max_tokens: 8 }), headers: json }],
  ['Anthropic count_tokens, as Claude Code calls it', '/anthropic/v1/messages/count_tokens?beta=true', { method: 'POST', body: JSON.stringify(chat), headers: json }],
  ['embeddings', '/v1/embeddings', { method: 'POST', body: JSON.stringify({ model: 'embed-model', input: 'hi' }), headers: json }],
  ['content type in capitals, with a charset', '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat), headers: { 'content-type': 'Application/JSON; charset=UTF-8' } }],
  ['malformed JSON', '/v1/chat/completions', { method: 'POST', body: '{"model":', headers: json }],
  ['empty body', '/anthropic/v1/messages', { method: 'POST', body: '', headers: json }],
  ['too deep', '/v1/chat/completions', { method: 'POST', body: `{"model":"mock-model","x":${'['.repeat(20)}${']'.repeat(20)}}`, headers: json }],
  ['__proto__ key', '/v1/chat/completions', { method: 'POST', body: '{"model":"mock-model","__proto__":{"a":1}}', headers: json }],
  ['over the body limit', '/anthropic/v1/messages', { method: 'POST', body: JSON.stringify({ ...chat, pad: 'x'.repeat(LIMIT) }), headers: json }],
  ['unknown model', '/v1/chat/completions', { method: 'POST', body: JSON.stringify({ ...chat, model: 'nope' }), headers: json }],
  ['text/plain', '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat), headers: { 'content-type': 'text/plain' } }],
  ['a doubled slash, as a base URL ending in / makes', '//v1/chat/completions', { method: 'POST', body: JSON.stringify(chat), headers: json }],
  ['a doubled slash inside, with a query string', '/anthropic/v1//messages?beta=true', { method: 'POST', body: JSON.stringify({ ...chat, max_tokens: 8 }), headers: json }],
  ['a trailing slash', '/v1/embeddings/', { method: 'POST', body: JSON.stringify({ model: 'embed-model', input: 'hi' }), headers: json }],
  ['a doubled slash, text/plain', '//anthropic/v1/messages', { method: 'POST', body: JSON.stringify(chat), headers: { 'content-type': 'text/plain' } }],
  ['a gzip body', '/v1/chat/completions', { method: 'POST', body: zlib.gzipSync(chatBytes), headers: { ...json, 'content-encoding': 'gzip' } }],
  ['a brotli body', '/v1/responses', { method: 'POST', body: zlib.brotliCompressSync(JSON.stringify({ model: 'mock-model', input: 'hi' })), headers: { ...json, 'content-encoding': 'br' } }],
  ['a deflate body, to Anthropic', '/anthropic/v1/messages', { method: 'POST', body: zlib.deflateSync(JSON.stringify({ ...chat, max_tokens: 8 })), headers: { ...json, 'content-encoding': 'Deflate' } }],
  ['an unknown content coding', '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat), headers: { ...json, 'content-encoding': 'compress' } }],
  ['a body that is not in its coding', '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat), headers: { ...json, 'content-encoding': 'gzip' } }],
  ['a small gzip body that inflates past the limit', '/v1/chat/completions', { method: 'POST', body: zlib.gzipSync(JSON.stringify({ ...chat, pad: 'x'.repeat(LIMIT * 4) })), headers: { ...json, 'content-encoding': 'gzip' } }],
];

/** What a client can see of an answer, minus what differs per request (ids, timing, date). */
function visible(r: RawResponse): Record<string, unknown> {
  const { date: _d, 'x-request-id': _r, 'x-switchyard-decision-id': _id, 'server-timing': _t, 'content-length': _l, ...headers } = r.headers;
  return {
    status: r.status,
    headers: { ...headers, ids: typeof r.headers['x-switchyard-decision-id'] === 'string' },
    code: r.json?.error?.code ?? null,
    type: r.json?.error?.type ?? r.json?.type ?? null,
    object: r.json?.object ?? null,
  };
}

describe('the intake and fastify answer inference requests alike', SUITE, () => {
  test('the intake is in front of fastify', () => {
    const listeners = e2e.gw.app.server.listeners('request');
    assert.equal(listeners.length, 1);
    assert.equal(listeners[0].name, 'intake');
  });

  for (const [name, path, req] of CASES) {
    test(name, async () => {
      const viaIntake = await raw(e2e.url, path, req);
      e2e.gw.runtime.closing = true; // closing: the intake hands every request to fastify
      let viaFastify: RawResponse;
      try {
        viaFastify = await raw(e2e.url, path, req);
      } finally {
        e2e.gw.runtime.closing = false;
      }
      assert.deepEqual(visible(viaIntake), visible(viaFastify));
    });
  }

  test('a chunked body over the limit (no Content-Length) is refused with 413 in the dialect', async () => {
    const res = await new Promise<RawResponse>((resolve, reject) => {
      const r = httpRequest(`${e2e.url}/anthropic/v1/messages`, { method: 'POST', headers: json, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text) }));
      });
      r.on('error', reject);
      for (let i = 0; i < 6; i++) r.write('x'.repeat(1024));
      r.end();
    });
    assert.equal(res.status, 413);
    assert.equal(res.json.type, 'error');
    assert.equal(res.json.error.type, 'request_too_large');
    assert.equal(res.headers.connection, 'close');
  });
});

describe('paths as clients spell them', SUITE, () => {
  test('doubled and trailing slashes reach the inference routes, in their dialect', async () => {
    for (const [path, body, object] of [
      ['//v1/chat/completions', chat, 'chat.completion'],
      ['/v1//chat/completions', chat, 'chat.completion'],
      ['/openai//v1/chat/completions/', chat, 'chat.completion'],
      ['/v1/chat/completions/?api-version=2024-10-21', chat, 'chat.completion'],
      ['/v1/responses/', { model: 'mock-model', input: 'hi' }, 'response'],
      ['//anthropic/v1/messages?beta=true', { ...chat, max_tokens: 8 }, 'message'],
      ['/anthropic/v1/messages/count_tokens/', chat, null],
    ] as const) {
      const r = await raw(e2e.url, path, { method: 'POST', body: JSON.stringify(body), headers: json });
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      if (object === 'message') assert.equal(r.json.type, 'message', path);
      else if (object !== null) assert.equal(r.json.object, object, path);
      else assert.equal(typeof r.json.input_tokens, 'number', path);
    }
  });

  test('a refusal on a doubled-slash Anthropic path is in the Anthropic dialect', async () => {
    const r = await raw(e2e.url, '//anthropic/v1/messages', { method: 'POST', body: '{"model":', headers: json });
    assert.equal(r.status, 400);
    assert.equal(r.json.type, 'error');
    assert.equal(r.json.error.code, 'SY_ERR_INVALID_JSON');
  });

  test('the model lists are found as the inference routes are', async () => {
    for (const path of ['//v1/models', '/v1//models', '/v1/models/', '/openai/v1//models/', '//anthropic/v1/models']) {
      const r = await raw(e2e.url, path);
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      assert.ok(Array.isArray(r.json.data), path);
    }
    const one = await raw(e2e.url, '/v1//models/mock-model');
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.id, 'mock-model');
  });

  test('only the client API is tidied: other paths keep their spelling', async () => {
    for (const path of ['//admin/rules', '/admin//rules', '//metrics', '/v1/chat/completions/x', '/v1/chat//completions/x']) {
      const r = await raw(e2e.url, path, { method: 'POST', body: JSON.stringify(chat), headers: json });
      assert.equal(r.status, 404, `${path}: ${r.text}`);
      assert.equal(r.json.error.code, 'SY_ERR_NOT_FOUND');
    }
  });
});

describe('connections', SUITE, () => {
  /** Writes `requests` on one connection; resolves with all that came back once the server closes it, or after 3 s. */
  function onOneSocket(requests: string): Promise<{ text: string; closed: boolean }> {
    const { port } = new URL(e2e.url);
    return new Promise((resolve, reject) => {
      const s = net.connect(Number(port), '127.0.0.1', () => s.write(requests));
      let text = '';
      s.on('data', (c: Buffer) => (text += c));
      s.on('error', reject);
      s.on('close', () => resolve({ text, closed: true }));
      setTimeout(() => { s.destroy(); resolve({ text, closed: false }); }, 3000).unref();
    });
  }
  const post = (path: string, body: object, extra = '') => {
    const b = JSON.stringify(body);
    return `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\n${extra}\r\n${b}`;
  };

  test('streams pipelined on one keep-alive connection are all served; Connection: close on the last closes it after', async () => {
    const stream = { ...chat, stream: true };
    const anthropic = { ...stream, max_tokens: 8 };
    const r = await onOneSocket(post('/v1/chat/completions', stream).repeat(3) + post('/anthropic/v1/messages', anthropic).repeat(3) + post('/v1/chat/completions', stream, 'Connection: close\r\n'));
    assert.equal(r.text.match(/HTTP\/1\.1 200 OK/g)?.length, 7);
    assert.equal(r.text.match(/data: \[DONE\]/g)?.length, 4);
    assert.equal(r.text.match(/event: message_stop/g)?.length, 3);
    const heads = r.text.split('HTTP/1.1 ').slice(1).map((h) => h.slice(0, h.indexOf('\r\n\r\n')).toLowerCase());
    assert.ok(heads.slice(0, 6).every((h) => h.includes('\r\nconnection: keep-alive')));
    assert.match(heads[6], /\r\nconnection: close/);
    assert.ok(r.closed, 'the server closed the connection after the stream');
  });

  test('answers pipelined on one connection, each body in the read of its head, are all served, in order', async () => {
    const embed = { model: 'embed-model', input: 'hi' };
    const r = await onOneSocket(post('/v1/chat/completions', chat) + post('/v1/embeddings', embed) + post('/v1/chat/completions', { ...chat, model: 'nope' }) + post('/v1/chat/completions', chat, 'Connection: close\r\n'));
    assert.ok(r.closed);
    assert.deepEqual(r.text.match(/HTTP\/1\.1 \d+/g), ['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 404', 'HTTP/1.1 200']);
    assert.deepEqual(r.text.match(/"object":"(chat\.completion|list)"/g), ['"object":"chat.completion"', '"object":"list"', '"object":"chat.completion"']);
  });

  test('bytes past a body\'s Content-Length are read as the next request, refused 400, and the connection closed', async () => {
    const b = JSON.stringify(chat);
    const r = await onOneSocket(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n${b}{"more":1}\r\n\r\n`);
    assert.ok(r.closed);
    // The declared request is served when its answer is out before the parser reaches the
    // rest (the mock provider answers at once); a provider that takes longer sees it cut.
    const statuses = r.text.match(/HTTP\/1\.1 \d+/g) ?? [];
    assert.equal(statuses.at(-1), 'HTTP/1.1 400');
    assert.ok(statuses.slice(0, -1).every((s) => s === 'HTTP/1.1 200'), r.text);
    assert.match(r.text, /"code":"SY_ERR_BAD_REQUEST"/);
  });

  test('a client that leaves mid-body is not served, and the gateway goes on serving', async () => {
    const served = async () => {
      const text = await e2e.gw.runtime.metrics.registry.metrics();
      return [...text.matchAll(/^switchyard_requests_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const before = await served();
    const b = JSON.stringify(chat);
    const { port } = new URL(e2e.url);
    await new Promise<void>((resolve, reject) => {
      // All of the body but its last byte, in the read of the head.
      const s = net.connect(Number(port), '127.0.0.1', () => {
        s.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${b.length + 1}\r\n\r\n${b}`, () => setTimeout(() => s.destroy(), 50));
      });
      s.on('error', reject);
      s.on('close', () => resolve());
    });
    const next = await raw(e2e.url, '/v1/chat/completions', { method: 'POST', body: b, headers: json });
    assert.equal(next.status, 200);
    assert.equal(await served(), before + 1);
  });

  test('a stream asked for over HTTP/1.0 is not announced as keep-alive, and ends with the connection', async () => {
    const b = JSON.stringify({ ...chat, stream: true });
    const r = await onOneSocket(`POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n${b}`);
    assert.ok(r.closed);
    assert.doesNotMatch(r.text.slice(0, r.text.indexOf('\r\n\r\n')), /connection: keep-alive/i);
    assert.match(r.text, /data: \[DONE\]\n\n$/);
  });
});

describe('compressed request bodies', SUITE, () => {
  const post = (path: string, body: Buffer | string, coding: string) => raw(e2e.url, path, { method: 'POST', body, headers: { ...json, 'content-encoding': coding } });

  test('gzip, deflate (zlib-wrapped or raw), br and identity are decoded and served', async () => {
    for (const [coding, body] of [
      ['gzip', zlib.gzipSync(chatBytes)],
      ['x-gzip', zlib.gzipSync(chatBytes)],
      ['deflate', zlib.deflateSync(chatBytes)],
      ['deflate', zlib.deflateRawSync(chatBytes)],
      ['br', zlib.brotliCompressSync(chatBytes)],
      ['identity', chatBytes],
      ['gzip, br', zlib.brotliCompressSync(zlib.gzipSync(chatBytes))],
    ] as const) {
      const r = await post('/v1/chat/completions', body, coding);
      assert.equal(r.status, 200, `${coding}: ${r.text}`);
      assert.equal(r.json.choices[0].message.content, 'Mock reply to: hi', coding);
    }
  });

  test('zstd, as the Codex CLI sends to the Responses API, is decoded where Node has it, else refused 415 naming it', async () => {
    const body = JSON.stringify({ model: 'mock-model', input: 'hi' });
    if (zstdCompress !== undefined) {
      const r = await post('/v1/responses', zstdCompress(Buffer.from(body)), 'zstd');
      assert.equal(r.status, 200, r.text);
    } else {
      const r = await post('/v1/responses', body, 'zstd');
      assert.equal(r.status, 415);
      assert.equal(r.json.error.code, 'SY_ERR_UNSUPPORTED_MEDIA_TYPE');
      assert.match(r.json.error.message, /Content-Encoding zstd/);
    }
  });

  test('an unknown coding is refused 415 in the dialect, naming the coding and those the gateway takes', async () => {
    const r = await post('/anthropic/v1/messages', JSON.stringify({ ...chat, max_tokens: 8 }), 'compress');
    assert.equal(r.status, 415);
    assert.equal(r.json.type, 'error');
    assert.equal(r.json.error.code, 'SY_ERR_UNSUPPORTED_MEDIA_TYPE');
    assert.match(r.json.error.message, /Content-Encoding compress .*gzip, deflate, br/);
  });

  test('a body in more than five chained codings is refused 415 before any is decoded; five are served', async () => {
    const layered = (n: number) => Array.from({ length: n }).reduce<Buffer>((b) => zlib.gzipSync(b), chatBytes);
    const five = await post('/v1/chat/completions', layered(5), Array(5).fill('gzip').join(', '));
    assert.equal(five.status, 200, five.text);
    // A header of 15 kB naming gzip 3,000 times held 130 MB and minutes of decoding.
    const r = await post('/v1/chat/completions', layered(6), Array(6).fill('gzip').join(', '));
    assert.equal(r.status, 415, r.text);
    assert.equal(r.json.error.code, 'SY_ERR_UNSUPPORTED_MEDIA_TYPE');
    assert.match(r.json.error.message, /chains 6 codings: the gateway decodes at most 5/);
  });

  test('a body that does not decode is refused 400, naming its coding', async () => {
    const cut = zlib.gzipSync(Buffer.from(JSON.stringify({ ...chat, pad: 'y'.repeat(1000) })));
    for (const body of [chatBytes, Buffer.concat([cut.subarray(0, 10), Buffer.alloc(40, 0xff)])]) {
      const r = await post('/v1/chat/completions', body, 'gzip');
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, 'SY_ERR_BAD_REQUEST');
      assert.match(r.json.error.message, /does not decode as gzip/);
    }
    // Cut short, what did arrive is decoded: it is not a whole JSON body.
    const short = await post('/v1/chat/completions', cut.subarray(0, cut.length - 12), 'gzip');
    assert.equal(short.status, 400, short.text);
  });

  test('a coding on a request without a body is no matter', async () => {
    const list = await raw(e2e.url, '/v1/models', { headers: { 'content-encoding': 'compress' } });
    assert.equal(list.status, 200, list.text);
  });

  test('a body that does not decode, refused before it is read, leaves the gateway serving', async () => {
    const unread = await raw(e2e.url, '/v1/chat/completions', { method: 'POST', body: 'not gzip', headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' } });
    assert.equal(unread.status, 415);
    assert.equal(unread.json.error.code, 'SY_ERR_UNSUPPORTED_MEDIA_TYPE');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await raw(e2e.url, '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat), headers: json });
    assert.equal(after.status, 200);
  });

  test('the body limit counts decoded bytes: 4 KiB that inflates to 1 MiB is refused 413, and the connection closed', async () => {
    const bomb = zlib.gzipSync(JSON.stringify({ ...chat, pad: 'x'.repeat(1024 * 1024) }));
    assert.ok(bomb.length < LIMIT);
    const r = await post('/v1/chat/completions', bomb, 'gzip');
    assert.equal(r.status, 413);
    assert.equal(r.json.error.code, 'SY_ERR_BODY_TOO_LARGE');
    assert.equal(r.headers.connection, 'close');
  });

  test('a chunked gzip body, sent in pieces, is served, and the connection serves the next request', async () => {
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const gz = zlib.gzipSync(chatBytes);
      const first = await new Promise<RawResponse>((resolve, reject) => {
        const r = httpRequest(`${e2e.url}/v1/chat/completions`, { method: 'POST', headers: { ...json, 'content-encoding': 'gzip' }, agent }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text) }));
        });
        r.on('error', reject);
        for (let i = 0; i < gz.length; i += 7) r.write(gz.subarray(i, i + 7));
        r.end();
      });
      assert.equal(first.status, 200, first.text);
      const second = await raw(e2e.url, '/v1/chat/completions', { method: 'POST', body: JSON.stringify(chat), headers: json, agent });
      assert.equal(second.status, 200);
    } finally {
      agent.destroy();
    }
  });
});

describe('the default body limit', SUITE, () => {
  let dflt: E2EGateway;
  before(async () => {
    dflt = await startE2E({ server: { allow_unauthenticated: true }, providers: { local: { type: 'mock', models: ['mock-model'] } } });
  }, HOOK);
  after(async () => {
    await dflt?.close();
  }, HOOK);

  test('takes what Anthropic takes: a 12 MiB agent turn (screenshots) is served, a body over 32 MiB refused', async () => {
    const turn = (size: number) => JSON.stringify({ model: 'mock-model', max_tokens: 8, messages: [{ role: 'user', content: 'x'.repeat(size) }] });
    const served = await raw(dflt.url, '/anthropic/v1/messages', { method: 'POST', body: turn(12 * 1024 * 1024), headers: json });
    assert.equal(served.status, 200, served.text.slice(0, 200));
    const refused = await raw(dflt.url, '/anthropic/v1/messages', { method: 'POST', body: turn(32 * 1024 * 1024), headers: json });
    assert.equal(refused.status, 413);
    assert.equal(refused.json.error.type, 'request_too_large');
  });
});

describe('a body that stalls', SUITE, () => {
  let slow: E2EGateway;
  before(async () => {
    slow = await startE2E({
      server: { allow_unauthenticated: true, request_timeout_ms: 1000 },
      providers: { local: { type: 'mock', models: ['mock-model'] } },
    });
  }, HOOK);
  after(async () => {
    await slow?.close();
  }, HOOK);

  /** Sends the head and `parts` of a 200-byte body, a pause after each; resolves with the bytes sent back when the server closes. */
  function stalled(path: string, parts: string[], pauseMs: number): Promise<{ text: string; ms: number }> {
    const { port } = new URL(slow.url);
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const s = net.connect(Number(port), '127.0.0.1', async () => {
        s.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`);
        for (const p of parts) {
          if (s.destroyed) return;
          s.write(p);
          await new Promise((r) => setTimeout(r, pauseMs));
        }
      });
      let text = '';
      s.on('data', (c: Buffer) => (text += c));
      s.on('error', reject);
      s.on('close', () => resolve({ text, ms: performance.now() - started }));
      setTimeout(() => { s.destroy(); reject(new Error(`no answer in 8 s; got ${JSON.stringify(text)}`)); }, 8000).unref();
    });
  }

  test('is answered 408 in the dialect of its route, and its connection closed', async () => {
    const [openai, anthropic] = await Promise.all([
      stalled('/v1/chat/completions', ['{"model":'], 5000),
      stalled('/anthropic/v1/messages', ['{"model":', '"mock-model",'], 300),
    ]);
    for (const [r, body] of [
      [openai, /^\{"error":\{"message":"The request body did not arrive in full within 1000 ms \(server.request_timeout_ms\).","type":"invalid_request_error","code":"SY_ERR_REQUEST_TIMEOUT","param":null\}\}$/],
      [anthropic, /^\{"type":"error","error":\{"type":"invalid_request_error","code":"SY_ERR_REQUEST_TIMEOUT",/],
    ] as const) {
      const [head, payload] = r.text.split('\r\n\r\n');
      assert.match(head, /^HTTP\/1.1 408 /);
      assert.match(head, /\r\nconnection: close\r\n/i);
      assert.match(head, /\r\nx-switchyard-decision-id: dec_/);
      assert.match(payload, body);
      assert.ok(r.ms >= 900 && r.ms < 4000, `answered after ${r.ms} ms`);
    }
  });

  test('a head trickled a byte at a time is cut soon after the timeout, not at Node\'s 30 s check', async () => {
    const { port } = new URL(slow.url);
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(200)}`;
    const r = await new Promise<{ text: string; ms: number }>((resolve, reject) => {
      const started = performance.now();
      const s = net.connect(Number(port), '127.0.0.1', async () => {
        for (const ch of head) {
          if (s.destroyed) return;
          s.write(ch);
          await new Promise((res) => setTimeout(res, 50));
        }
      });
      let text = '';
      s.on('data', (c: Buffer) => (text += c));
      s.on('error', () => undefined);
      s.on('close', () => resolve({ text, ms: performance.now() - started }));
      setTimeout(() => { s.destroy(); reject(new Error(`not cut in 8 s; got ${JSON.stringify(text)}`)); }, 8000).unref();
    });
    assert.ok(r.ms >= 900, `cut after ${r.ms} ms`);
    if (r.text !== '') assert.match(r.text, /^HTTP\/1.1 408 /);
  });

  test('a slow body that arrives in time is served', async () => {
    const body = JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] }).padEnd(200, ' ');
    const r = await new Promise<RawResponse>((resolve, reject) => {
      const req = httpRequest(`${slow.url}/v1/chat/completions`, { method: 'POST', headers: { ...json, 'content-length': '200' }, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      void (async () => {
        for (let i = 0; i < 200; i += 50) {
          req.write(body.slice(i, i + 50));
          await new Promise((res) => setTimeout(res, 150));
        }
        req.end();
      })();
    });
    assert.equal(r.status, 200, r.text);
  });
});
