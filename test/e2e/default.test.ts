/**
 * The embedded default: no config file, no API keys. `loadConfig({ path: null })` gives
 * one built-in mock provider and no authentication, so the first curl works — on both
 * the OpenAI and the Anthropic endpoint — and every answer carries a decision id.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/server/index.js';
import { postJson, raw, readSse, REQUEST_TIMEOUT_MS, tempDir, testLogger, timedFetch, HOOK, SUITE } from './helpers.js';

const DECISION_ID = /^dec_[0-9a-f]{32}$/;

let gw: Gateway;
let cwd: string;

before(async () => {
  // The default's SQLite audit file is relative to the working directory: keep it in a temp dir.
  cwd = tempDir('sy-e2e-default-');
  const { config, issues } = loadConfig({ path: null, env: {}, cwd });
  assert.ok(config, `the embedded default loads: ${JSON.stringify(issues)}`);
  assert.equal(config.file, null);
  gw = await startGateway(config, { port: 0, host: '127.0.0.1', logger: testLogger(), defaultMetrics: false });
}, HOOK);

after(async () => {
  await gw?.close();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
}, HOOK);

describe('curl-equivalent requests with no API key', SUITE, () => {
  test('POST /v1/chat/completions', async () => {
    const res = await postJson(gw.url, '/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] });
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.match(String(res.headers['x-switchyard-decision-id']), DECISION_ID);
    assert.match(String(res.headers['x-request-id']), /^req_/);
    assert.equal(res.json.object, 'chat.completion');
    assert.equal(res.json.choices[0].message.role, 'assistant');
    assert.equal(typeof res.json.choices[0].message.content, 'string');
    assert.ok(res.json.choices[0].message.content.length > 0);
    assert.equal(res.json.choices[0].finish_reason, 'stop');
    assert.ok(res.json.usage.prompt_tokens > 0);
    assert.ok(res.json.usage.completion_tokens > 0);
  });

  test('POST /anthropic/v1/messages', async () => {
    const res = await postJson(gw.url, '/anthropic/v1/messages', {
      model: 'claude-sonnet-4', max_tokens: 64, messages: [{ role: 'user', content: 'Hello!' }],
    }, { 'anthropic-version': '2023-06-01' });
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['x-switchyard-decision-id']), DECISION_ID);
    assert.equal(res.json.type, 'message');
    assert.equal(res.json.role, 'assistant');
    assert.equal(res.json.content[0].type, 'text');
    assert.ok(res.json.content[0].text.length > 0);
    assert.equal(res.json.stop_reason, 'end_turn');
    assert.ok(res.json.usage.input_tokens > 0);
    assert.ok(res.json.usage.output_tokens > 0);
  });

  test('each response has its own decision id; a safe x-request-id is echoed', async () => {
    const a = await postJson(gw.url, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'a' }] }, { 'x-request-id': 'client-req-42' });
    const b = await postJson(gw.url, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'b' }] });
    assert.equal(a.headers['x-request-id'], 'client-req-42');
    assert.notEqual(a.headers['x-switchyard-decision-id'], b.headers['x-switchyard-decision-id']);
  });

  test('the other routes carry a request id too: a safe x-request-id echoed, else a new one', async () => {
    for (const path of ['/v1/models', '/anthropic/v1/models', '/healthz', '/readyz', '/metrics']) {
      const mine = await raw(gw.url, path, { headers: { 'x-request-id': 'client-req-7' } });
      assert.equal(mine.headers['x-request-id'], 'client-req-7', path);
      assert.match(String((await raw(gw.url, path)).headers['x-request-id']), /^req_[0-9a-f]{32}$/, path);
    }
  });

  test('streaming on both endpoints: [DONE] and message_stop, decision id in the headers', async () => {
    const o = await timedFetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'stream please' }] }),
    });
    assert.equal(o.status, 200);
    assert.match(o.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.match(o.headers.get('x-switchyard-decision-id') ?? '', DECISION_ID);
    const os = await readSse(o);
    assert.equal(os.events[os.events.length - 1].data, '[DONE]');
    const text = os.events.slice(0, -1).map((e) => JSON.parse(e.data).choices[0]?.delta?.content ?? '').join('');
    assert.ok(text.length > 0);

    const a = await timedFetch(`${gw.url}/anthropic/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'stream please' }] }),
    });
    assert.equal(a.status, 200);
    assert.match(a.headers.get('x-switchyard-decision-id') ?? '', DECISION_ID);
    const as = await readSse(a);
    const names = as.events.map((e) => e.event);
    assert.equal(names[0], 'message_start');
    assert.equal(names[names.length - 1], 'message_stop');
    assert.ok(names.includes('content_block_delta'));
  });

  test('embeddings and models', async () => {
    const e = await postJson(gw.url, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'hello' });
    assert.equal(e.status, 200, e.text);
    assert.match(String(e.headers['x-switchyard-decision-id']), DECISION_ID);
    assert.equal(e.json.object, 'list');
    assert.ok(Array.isArray(e.json.data[0].embedding) && e.json.data[0].embedding.length > 0);
    const m = await raw(gw.url, '/v1/models');
    assert.equal(m.status, 200);
    assert.equal(m.json.object, 'list');
    assert.ok(Array.isArray(m.json.data));
  });

  test('the mock\'s failure injection headers work with no config (x-mock-fail, x-mock-fail-after-chunks)', async () => {
    const o = await postJson(gw.url, '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }, { 'x-mock-fail': '429' });
    assert.equal(o.status, 429, o.text);
    assert.equal(o.json.error.code, 'SY_ERR_UPSTREAM_RATE_LIMITED');
    assert.match(String(o.headers['x-switchyard-decision-id']), DECISION_ID);
    const a = await postJson(gw.url, '/anthropic/v1/messages', { model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { 'x-mock-fail': '500' });
    assert.equal(a.status, 502, a.text);
    assert.equal(a.json.type, 'error');
    assert.equal(a.json.error.code, 'SY_ERR_UPSTREAM_ERROR');

    const cut = await timedFetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-mock-fail-after-chunks': '1' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'a longer prompt to stream back' }] }),
    });
    assert.equal(cut.status, 200);
    const { events } = await readSse(cut);
    assert.ok(!events.some((e) => e.data === '[DONE]'));
    assert.equal(JSON.parse(events[events.length - 1].data).error.code, 'SY_ERR_STREAM_INTERRUPTED');
  });

  test('health and readiness', async () => {
    assert.equal((await raw(gw.url, '/healthz')).status, 200);
    const r = await raw(gw.url, '/readyz');
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'ready');
  });

  test('the audit file goes under the working directory given to loadConfig', async () => {
    await gw.runtime.audit.flush();
    assert.ok(existsSync(join(cwd, 'data', 'audit.db')));
  });
});

describe('the official SDKs against the embedded default', SUITE, () => {
  // The quick start points an SDK at the default gateway. Both SDKs always send a key
  // (openai v6 refuses to start without a non-empty apiKey; Claude Code sends its own),
  // and the default has no virtual keys, so Governance.authenticate refuses every such
  // key as "Unknown virtual key" (401): no SDK can use the embedded default.
  test('OpenAI SDK with a placeholder apiKey is served (no virtual keys are configured)', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-anything', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(res.choices[0].message.content);
  });

  test('Anthropic SDK (as Claude Code, with its own key) is served', async () => {
    const client = new Anthropic({ baseURL: `${gw.url}/anthropic`, apiKey: 'sk-ant-api03-placeholder', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const msg = await client.messages.create({ model: 'claude-sonnet-4', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(msg.type, 'message');
  });
});
