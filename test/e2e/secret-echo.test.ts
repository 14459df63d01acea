/**
 * A provider that quotes the key it was sent in its error message ("Incorrect API key
 * provided: sk-…", as some OpenAI-compatible servers do): the gateway passes the
 * provider's message on, but never the key, neither to the client nor to the log.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { createLogger } from '../../src/server/runtime.js';
import { HOOK, SUITE, postJson, tempDir } from './helpers.js';

const KEY = 'sk-provider-key-0123456789abcdef';
const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  },
});
let upstream: Server;
let gw: Gateway;
let dir: string;

before(async () => {
  // Every call is refused, quoting the key; the model list fails the same way.
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      const status = req.url?.endsWith('/models') ? 500 : req.headers['x-status'] === '400' ? 400 : 401;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}.`, type: 'invalid_request_error', code: 'invalid_api_key' } }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as { port: number }).port;
  dir = tempDir();
  const file = join(dir, 'switchyard.yaml');
  writeFileSync(file, stringify({
    server: { allow_unauthenticated: true, shutdown_grace_ms: 1000 },
    providers: { up: { type: 'openai-compatible', base_url: `http://127.0.0.1:${port}/v1`, keys: [{ name: 'main', value: 'env.UP_KEY' }] } },
    upstream: { forward_headers: ['x-status'] },
    audit: { sinks: [{ type: 'ndjson', path: 'audit.ndjson' }] },
    logging: { level: 'debug' },
  }));
  const { config: loaded } = loadConfig({ path: file, env: { UP_KEY: KEY }, cwd: dir });
  assert.ok(loaded);
  gw = await startGateway(loaded, { port: 0, host: '127.0.0.1', logger: createLogger(loaded, sink), defaultMetrics: false });
}, HOOK);

after(async () => {
  await gw?.close();
  await new Promise((resolve) => upstream?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
}, HOOK);

describe('a provider quoting its key', SUITE, () => {
  test('is passed on to the client with the key redacted, in each dialect', async () => {
    const chat = await postJson(gw.url, '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(chat.status, 502);
    assert.ok(!chat.text.includes(KEY), chat.text);
    assert.match(chat.json.error.message, /Incorrect API key provided: \[redacted\]/);
    const invalid = await postJson(gw.url, '/anthropic/v1/messages', { model: 'gpt-4o', max_tokens: 8, messages: [{ role: 'user', content: 'Hi' }] }, { 'x-status': '400' });
    assert.equal(invalid.status, 400);
    assert.ok(!invalid.text.includes(KEY), invalid.text);
    assert.match(invalid.json.error.message, /\[redacted\]/);
  });

  test('is logged with the key redacted', async () => {
    await postJson(gw.url, '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
    // The model list asks the provider too, and logs its failure.
    await fetch(`${gw.url}/v1/models`);
    const failed = lines.filter((l) => l.includes('request failed') || l.includes('did not list its models'));
    assert.ok(failed.length >= 2, lines.join('\n'));
    assert.ok(failed.every((l) => l.includes('[redacted]')), failed.join('\n'));
    assert.ok(!lines.some((l) => l.includes(KEY)), lines.filter((l) => l.includes(KEY)).join('\n'));
  });
});
