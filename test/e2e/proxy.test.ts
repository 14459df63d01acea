/**
 * The gateway behind a forward proxy, as a user runs it with HTTP_PROXY and HTTPS_PROXY
 * set: the official OpenAI SDK → Switchyard → the proxy → providers whose hosts only the
 * proxy can resolve, whole and streamed, across dialects; the https one through a CONNECT
 * tunnel, its certificate from a private CA trusted with upstream.ca_file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { startFakeProxy, type FakeProxy } from '../fakes/proxy.js';
import { HOOK, REQUEST_TIMEOUT_MS, SUITE, startE2E, type E2EGateway } from './helpers.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TLS_DIR = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

let oa: WireFake, an: WireFake;
let proxy: FakeProxy;
let e2e: E2EGateway;
let openai: OpenAI;

before(async () => {
  [oa, an] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({
    format: 'anthropic', name: 'an', tls: { key: readFileSync(`${TLS_DIR}server.key`, 'utf8'), cert: readFileSync(`${TLS_DIR}server.pem`, 'utf8') },
  })]);
  const port = (url: string) => Number(new URL(url).port);
  proxy = await startFakeProxy({ hosts: { 'openai.test': port(oa.url), 'anthropic.test': port(an.url) }, credentials: 'egress:proxy-pass-123' });
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    upstream: { ca_file: `${TLS_DIR}ca.pem` },
    providers: {
      oa: { type: 'openai', base_url: `http://openai.test:${port(oa.url)}/v1`, keys: [{ name: 'k', value: 'sk-oa-behind-proxy' }] },
      an: { type: 'anthropic', base_url: `https://anthropic.test:${port(an.url)}`, weight: 0, keys: [{ name: 'k', value: 'sk-an-behind-proxy' }] },
    },
  }, { env: { HTTP_PROXY: `http://egress:proxy-pass-123@127.0.0.1:${proxy.port}`, HTTPS_PROXY: `http://egress:proxy-pass-123@127.0.0.1:${proxy.port}` } });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'sk-client', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await proxy?.close();
  await Promise.all([oa?.close(), an?.close()]);
}, HOOK);

describe('behind a forward proxy (HTTP_PROXY, HTTPS_PROXY)', SUITE, () => {
  test('an OpenAI client is served by an OpenAI provider reached through the proxy', async () => {
    const before = proxy.seen.length;
    const res = await openai.chat.completions.create({ model: 'oa/gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(typeof res.choices[0].message.content, 'string');
    const seen = proxy.seen.slice(before);
    assert.deepEqual(seen.map((s) => s.target), [`http://openai.test:${new URL(oa.url).port}/v1/chat/completions`]);
    assert.equal(oa.last().headers.authorization, 'Bearer sk-oa-behind-proxy', 'the provider key reaches the provider');
    assert.equal(oa.last().headers['proxy-authorization'], undefined, 'the proxy credential stops at the proxy');
  });

  test('a stream from an https Anthropic provider, tunnelled through the proxy, reaches the OpenAI client translated', async () => {
    const before = proxy.seen.length;
    const stream = await openai.chat.completions.create({ model: 'an/claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'hello' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.ok(text.length > 0);
    assert.deepEqual(proxy.seen.slice(before).map((s) => [s.method, s.target]), [['CONNECT', `anthropic.test:${new URL(an.url).port}`]]);
    assert.equal(an.last().headers['x-api-key'], 'sk-an-behind-proxy');
  });
});
