/**
 * A provider that quotes the credential it was sent in its error ("Incorrect API key
 * provided: sk-…"; some servers quote it whole) must not hand it to the client: the
 * message reaches the client's error body, an in-band stream error, and the log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { postJson, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const KEY = 'sk-upstream-key-quoted-back-0123456789';
const HEADER_SECRET = 'org-secret-header-value-42';

let upstream: Server;
let e2e: E2EGateway;
const logged: string[] = [];

/** Answers as the model name says, always quoting the Authorization and x-org headers it got. */
function quoting(): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const model = (JSON.parse(body) as { model: string }).model;
      const quoted = `Incorrect API key provided: ${req.headers.authorization} (organization ${req.headers['x-org']})`;
      const status = /^status-(\d+)$/.exec(model);
      if (status) {
        res.writeHead(Number(status[1]), { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: quoted, type: 'invalid_request_error', code: 'invalid_api_key' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (model === 'stream-mid') {
        const chunk = { id: 'c1', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta: { role: 'assistant', content: 'hi' }, finish_reason: null }] };
        res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      }
      res.end(`data: ${JSON.stringify({ error: { message: quoted } })}\n\n`);
    });
  });
}

before(async () => {
  upstream = quoting();
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const port = (upstream.address() as { port: number }).port;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged.push(chunk.toString());
      done();
    },
  });
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { max_attempts: 1, retries_per_target: 0 },
    providers: {
      up: {
        type: 'openai-compatible',
        base_url: `http://127.0.0.1:${port}/v1`,
        models: ['*'],
        keys: [{ name: 'k', value: 'env.UP_KEY' }],
        headers: { 'x-org': 'env.UP_ORG' },
      },
    },
  }, { env: { UP_KEY: KEY, UP_ORG: HEADER_SECRET }, logger: pino({ level: 'debug' }, sink) });
}, HOOK);

after(async () => {
  await e2e?.close();
  await new Promise<void>((r) => upstream?.close(() => r()));
}, HOOK);

function assertNoSecret(text: string, where: string): void {
  assert.ok(!text.includes(KEY), `${where}: the provider key is in ${text}`);
  assert.ok(!text.includes(HEADER_SECRET), `${where}: a provider header's value is in ${text}`);
}

const MESSAGES = [{ role: 'user', content: 'Hello' }];

describe('a provider quoting its credential back', SUITE, () => {
  test('error answers, whole and streamed, in both dialects', async () => {
    for (const model of ['status-400', 'status-401', 'status-404', 'status-429', 'status-500', 'stream-first']) {
      for (const stream of [false, true]) {
        const openai = await postJson(e2e.url, '/v1/chat/completions', { model, stream, messages: MESSAGES });
        assert.ok(openai.status >= 400 || model === 'stream-first', `${model}: ${openai.status}`);
        assert.match(openai.text, /Incorrect API key provided/, model);
        assertNoSecret(openai.text, `chat ${model} stream=${stream}`);
        const anthropic = await postJson(e2e.url, '/anthropic/v1/messages', { model, stream, max_tokens: 16, messages: MESSAGES });
        assertNoSecret(anthropic.text, `messages ${model} stream=${stream}`);
      }
    }
  });

  test('an error event after the stream started', async () => {
    for (const path of ['/v1/chat/completions', '/anthropic/v1/messages', '/v1/responses']) {
      const body = path === '/v1/responses'
        ? { model: 'stream-mid', stream: true, input: 'Hello' }
        : { model: 'stream-mid', stream: true, max_tokens: 16, messages: MESSAGES };
      const res = await postJson(e2e.url, path, body);
      assert.equal(res.status, 200, path);
      assert.match(res.text, /SY_ERR_STREAM_INTERRUPTED/, path);
      assert.match(res.text, /Incorrect API key provided/, path);
      assertNoSecret(res.text, path);
    }
  });

  test('the log has the message without the credential', () => {
    const log = logged.join('');
    assert.match(log, /Incorrect API key provided/);
    assertNoSecret(log, 'log');
  });
});
