/**
 * Egress through a forward proxy: which origins go through which proxy (config and the
 * environment's variables, no_proxy, loopback), and requests through a fake proxy in
 * absolute form and through CONNECT, with credentials, refusals and the configured timeouts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DIRECT, describeProxyPlan, proxyFor, proxyPlan, type ProxyPlan } from '../../src/config/proxy.js';
import { loadConfig } from '../../src/config/index.js';
import { DispatchError } from '../../src/dispatch/index.js';
import { createTransport } from '../../src/dispatch/transport.js';
import { startFakeProxy, type FakeProxy } from '../fakes/proxy.js';
import { startFakeUpstream, type FakeUpstream } from '../fakes/upstream.js';
import { chatRequest, dispatcher, plan, provider, rejection, signal, target } from './helpers.js';
import { tempTree } from '../config/helpers.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readCaFile } from '../../src/config/tls.js';
import { startWireFake, type WireFake } from '../fakes/wire.js';

const TLS_DIR = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
const TEST_TLS = { key: readFileSync(`${TLS_DIR}server.key`, 'utf8'), cert: readFileSync(`${TLS_DIR}server.pem`, 'utf8') };
const TEST_CA = readFileSync(`${TLS_DIR}ca.pem`, 'utf8');

const via = (p: ProxyPlan, origin: string): string | null => proxyFor(p, new URL(origin))?.href ?? null;

describe('proxy plan', () => {
  it('reads the environment as curl does: https_proxy for https origins, http_proxy for http ones', () => {
    const { plan: p, problems } = proxyPlan({}, { HTTPS_PROXY: 'http://secure.proxy:3128', http_proxy: 'http://plain.proxy:8080' });
    assert.deepEqual(problems, []);
    assert.equal(via(p, 'https://api.openai.com'), 'http://secure.proxy:3128/');
    assert.equal(via(p, 'http://vllm.internal:8000'), 'http://plain.proxy:8080/');
    assert.equal(p.from, 'HTTPS_PROXY and http_proxy');
    // The lowercase variable wins, as in curl.
    assert.equal(via(proxyPlan({}, { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:2' }).plan, 'https://x.com'), 'http://lower:1/');
    // Only one of the two set: the other scheme goes direct.
    assert.equal(via(proxyPlan({}, { HTTPS_PROXY: 'http://p:1' }).plan, 'http://x.com'), null);
    assert.equal(via(proxyPlan({}, {}).plan, 'https://api.openai.com'), null);
  });

  it('upstream.proxy covers both schemes and wins over the environment; none connects directly', () => {
    const env = { HTTPS_PROXY: 'http://env.proxy:1', NO_PROXY: 'openai.com' };
    const configured = proxyPlan({ proxy: 'http://cfg.proxy:3128' }, env).plan;
    assert.equal(via(configured, 'https://api.openai.com'), null, 'NO_PROXY still applies when no_proxy is not configured');
    assert.equal(via(configured, 'https://api.anthropic.com'), 'http://cfg.proxy:3128/');
    assert.equal(via(configured, 'http://ollama.lan:11434'), 'http://cfg.proxy:3128/');
    assert.equal(via(proxyPlan({ proxy: 'http://cfg.proxy:3128', no_proxy: [] }, env).plan, 'https://api.openai.com'), 'http://cfg.proxy:3128/', 'a configured no_proxy replaces NO_PROXY');
    for (const off of ['none', 'NONE', '']) assert.equal(via(proxyPlan({ proxy: off }, env).plan, 'https://api.anthropic.com'), null, off);
  });

  it('no_proxy: names with their subdomains, ports, IPv4 ranges, * ; loopback is always direct', () => {
    const p = proxyPlan({ proxy: 'http://p:1', no_proxy: ['.corp.example', 'azure.internal', '*.lan', 'gpu.box:8000', '10.0.0.0/8', '[fd00::1]'] }, {}).plan;
    const direct = [
      'https://x.corp.example', 'https://corp.example', 'https://a.b.azure.internal', 'https://azure.internal', 'http://ollama.lan:11434',
      'http://gpu.box:8000', 'http://10.1.2.3:8000', 'http://[fd00::1]:8000',
      'http://localhost:11434', 'http://127.0.0.1:8000', 'http://127.8.9.10', 'http://[::1]:8000', 'http://model.localhost',
    ];
    for (const o of direct) assert.equal(via(p, o), null, o);
    const proxied = ['https://notcorp.example', 'https://azure.internal.evil.com', 'http://gpu.box:8001', 'http://11.0.0.1', 'https://api.openai.com', 'http://[fd00::2]:8000'];
    for (const o of proxied) assert.equal(via(p, o), 'http://p:1/', o);
    assert.equal(via(proxyPlan({}, { HTTPS_PROXY: 'http://p:1', no_proxy: 'a.com, b.com c.com' }).plan, 'https://c.com'), null, 'NO_PROXY lists split on commas and spaces');
    assert.equal(via(proxyPlan({ proxy: 'http://p:1', no_proxy: ['*'] }, {}).plan, 'https://api.openai.com'), null);
  });

  it('names a bad proxy value and where it came from; a value without a scheme is http', () => {
    assert.equal(via(proxyPlan({}, { HTTPS_PROXY: 'proxy.corp:3128' }).plan, 'https://x.com'), 'http://proxy.corp:3128/');
    const bad = (cfg: object, env: NodeJS.ProcessEnv) => proxyPlan(cfg, env).problems.map((x) => `${x.path.join('.')}: ${x.message}`);
    assert.deepEqual(bad({ proxy: 'socks5://p:1080' }, {}), ['upstream.proxy: upstream.proxy uses socks5; only http:// and https:// proxies are supported']);
    assert.deepEqual(bad({}, { HTTPS_PROXY: 'http://p:1/some/path' }), ['upstream.proxy: the environment variable HTTPS_PROXY must not have a path or query; write http://host:port']);
    assert.deepEqual(bad({}, { http_proxy: 'http://exa mple:1' }), ['upstream.proxy: the environment variable http_proxy is not a URL; write http://host:port (credentials as http://user:password@host:port)']);
  });

  it('a startup line shows the proxies without their credentials', () => {
    const p = proxyPlan({ proxy: 'http://alice:s3cret-pass@proxy.corp:3128', no_proxy: ['.corp'] }, {}).plan;
    const shown = JSON.stringify(describeProxyPlan(p));
    assert.doesNotMatch(shown, /alice|s3cret/);
    assert.deepEqual(describeProxyPlan(p), { https_proxy: 'http://proxy.corp:3128', http_proxy: 'http://proxy.corp:3128', no_proxy: ['loopback', '.corp'], tunnel_http: false, from: 'upstream.proxy' });
    assert.equal(describeProxyPlan(DIRECT), null);
  });

  it('loading a config: a bad proxy is an error at upstream.proxy, its credentials never shown', () => {
    const dir = tempTree({ 'switchyard.yaml': 'providers:\n  m: {type: mock}\nupstream:\n  proxy: env.EGRESS\n' });
    const bad = loadConfig({ path: `${dir}/switchyard.yaml`, env: { EGRESS: 'ftp://bob:hunter2-secret@p:21' } });
    assert.equal(bad.config, null);
    const issue = bad.issues.find((i) => i.code === 'invalid_proxy');
    assert.ok(issue, JSON.stringify(bad.issues));
    assert.match(issue.message, /only http:\/\/ and https:\/\/ proxies/);
    assert.doesNotMatch(JSON.stringify(bad.issues), /hunter2/);
    const fromEnv = loadConfig({ path: `${dir}/switchyard.yaml`, env: { EGRESS: 'http://bob:hunter2-secret@p:3128' } });
    assert.ok(fromEnv.config, JSON.stringify(fromEnv.issues));
    assert.equal(fromEnv.config.proxy.https?.host, 'p:3128');
    const envOnly = loadConfig({ path: `${tempTree({ 'switchyard.yaml': 'providers:\n  m: {type: mock}\n' })}/switchyard.yaml`, env: { HTTPS_PROXY: 'http://p/x' } });
    assert.match(envOnly.issues.map((i) => i.message).join('\n'), /HTTPS_PROXY must not have a path/);
  });
});

describe('requests through a forward proxy', () => {
  let up: FakeUpstream;
  let proxy: FakeProxy;
  /** The upstream as a name only the proxy can resolve: a direct connection would fail. */
  let origin: string;
  before(async () => {
    up = await startFakeUpstream();
    proxy = await startFakeProxy({ hosts: { 'upstream.test': up.port }, credentials: 'alice:pa ss' });
    origin = `http://upstream.test:${up.port}`;
  });
  after(async () => {
    await proxy.close();
    await up.close();
  });

  const planFor = (cfg: object): ProxyPlan => proxyPlan(cfg, {}).plan;
  const send = async (p: ProxyPlan, path = '/v1/chat/completions') => {
    const t = createTransport({ connect_timeout_ms: 1000, headers_timeout_ms: 2000, body_timeout_ms: 2000 }, { proxy: p });
    try {
      const res = await t.send({ origin, path, method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"model":"m","messages":[]}') }, { signal: signal() });
      const text = await res.body.setEncoding('utf8').toArray();
      return { status: res.status, text: text.join('') };
    } finally {
      await t.close();
    }
  };

  it('plain http goes to the proxy in absolute form, with the URL credentials as Basic auth', async () => {
    const before = proxy.seen.length;
    const res = await send(planFor({ proxy: `http://alice:pa%20ss@127.0.0.1:${proxy.port}` }));
    assert.equal(res.status, 200);
    const seen = proxy.seen.slice(before);
    assert.deepEqual(seen.map((s) => [s.method, s.target]), [['POST', `${origin}/v1/chat/completions`]]);
    assert.equal(seen[0].proxyAuthorization, `Basic ${Buffer.from('alice:pa ss').toString('base64')}`);
    assert.equal(up.requests.at(-1)?.headers['proxy-authorization'], undefined, 'the proxy credential stops at the proxy');
  });

  it('proxy_tunnel: plain http through a CONNECT tunnel', async () => {
    const before = proxy.seen.length;
    const res = await send(planFor({ proxy: `http://alice:pa%20ss@127.0.0.1:${proxy.port}`, proxy_tunnel: true }));
    assert.equal(res.status, 200);
    assert.deepEqual(proxy.seen.slice(before).map((s) => [s.method, s.target]), [['CONNECT', `upstream.test:${up.port}`]]);
  });

  it('a proxy that refuses (407) fails the attempt as a connection error naming the proxy, not the password', async () => {
    for (const tunnel of [false, true]) {
      const p = provider('behind', { url: origin });
      const d = dispatcher({ providers: [p], dispatch: { retries_per_target: 0 }, proxy: planFor({ proxy: `http://alice:wrong-pass@127.0.0.1:${proxy.port}`, proxy_tunnel: tunnel }) });
      const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(p)), { signal: signal() }));
      assert.ok(err instanceof DispatchError);
      const attempt = err.attempts[0];
      assert.equal(attempt.fallback_reason ?? 'connection_error', 'connection_error');
      assert.match(String(attempt.error), new RegExp(`through the proxy http://127\\.0\\.0\\.1:${proxy.port}: .*407`), String(attempt.error));
      assert.doesNotMatch(JSON.stringify(err.attempts), /wrong-pass/);
      await d.close();
    }
  });

  it('the configured timeouts hold through the proxy, in both forms', async () => {
    for (const tunnel of [false, true]) {
      const p = provider('slow', { url: origin });
      const d = dispatcher({
        providers: [p], clock: 'real', dispatch: { retries_per_target: 0, timeouts: { attempt_ms: 30_000, response_ms: 30_000, idle_ms: 30_000, total_ms: 60_000 } },
        upstream: { headers_timeout_ms: 300 }, proxy: planFor({ proxy: `http://alice:pa%20ss@127.0.0.1:${proxy.port}`, proxy_tunnel: tunnel }),
      });
      up.setDefault('hang');
      const started = performance.now();
      try {
        const err = await rejection<DispatchError>(d.chat(chatRequest(true), plan(target(p)), { signal: signal() }));
        assert.ok(performance.now() - started < 10_000, 'not undici\'s 300 s default');
        assert.match(JSON.stringify(err.attempts), /timed out|timeout/i);
      } finally {
        up.setDefault('ok');
        await d.close();
      }
    }
  });

  it('a loopback provider is reached directly even with a proxy for everything', async () => {
    const before = proxy.seen.length;
    const t = createTransport({}, { proxy: planFor({ proxy: `http://127.0.0.1:${proxy.port}` }) });
    const res = await t.send({ origin: up.url, path: '/v1/chat/completions', method: 'POST', headers: {}, body: Buffer.from('{"model":"m"}') }, { signal: signal() });
    assert.equal(res.status, 200);
    res.body.resume();
    await t.close();
    assert.equal(proxy.seen.length, before);
  });
});

describe('provider TLS: upstream.ca_file', () => {
  let secure: WireFake;
  let proxy: FakeProxy;
  before(async () => {
    secure = await startWireFake({ format: 'openai', name: 'secure', tls: TEST_TLS });
    proxy = await startFakeProxy({ hosts: { 'openai.test': Number(new URL(secure.url).port) } });
  });
  after(async () => {
    await proxy.close();
    await secure.close();
  });

  const chat = async (origin: string, opts: { proxy?: ProxyPlan; extraCa?: string }) => {
    const p = provider('secure', { url: origin });
    const d = dispatcher({ providers: [p], dispatch: { retries_per_target: 0 }, ...opts });
    try {
      return await d.chat(chatRequest(), plan(target(p)), { signal: signal() });
    } finally {
      await d.close();
    }
  };

  it('trusts the file\'s CA besides Node\'s roots, directly and through a CONNECT tunnel', async () => {
    const direct = await chat(secure.url, { extraCa: TEST_CA });
    assert.equal(direct.kind, 'response');
    const before = proxy.seen.length;
    const port = new URL(secure.url).port;
    const tunnelled = await chat(`https://openai.test:${port}`, { extraCa: TEST_CA, proxy: proxyPlan({}, { HTTPS_PROXY: proxy.url }).plan });
    assert.equal(tunnelled.kind, 'response');
    assert.deepEqual(proxy.seen.slice(before).map((x) => [x.method, x.target]), [['CONNECT', `openai.test:${port}`]]);
  });

  it('an https:// proxy is reached over TLS, trusted through the same file', async () => {
    const tlsProxy = await startFakeProxy({ hosts: { 'openai.test': Number(new URL(secure.url).port) }, tls: TEST_TLS });
    try {
      const port = new URL(secure.url).port;
      const plan = proxyPlan({ proxy: `https://localhost:${tlsProxy.port}` }, {}).plan;
      const res = await chat(`https://openai.test:${port}`, { extraCa: TEST_CA, proxy: plan });
      assert.equal(res.kind, 'response');
      assert.deepEqual(tlsProxy.seen.map((x) => [x.method, x.target]), [['CONNECT', `openai.test:${port}`]]);
      const refused = await rejection<DispatchError>(chat(`https://openai.test:${port}`, { proxy: plan }));
      assert.match(String(refused.attempts[0].error), /certificate/i, 'the proxy\'s own certificate is checked too');
    } finally {
      await tlsProxy.close();
    }
  });

  it('without it, a certificate Node does not trust fails the attempt as a connection error', async () => {
    const port = new URL(secure.url).port;
    for (const [origin, proxied] of [[secure.url, undefined], [`https://openai.test:${port}`, proxyPlan({}, { HTTPS_PROXY: proxy.url }).plan]] as const) {
      const err = await rejection<DispatchError>(chat(origin, { proxy: proxied }));
      assert.ok(err instanceof DispatchError);
      assert.match(String(err.attempts[0].error), /upstream TLS certificate not trusted: unable to verify the first certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); a private CA can be trusted with upstream.ca_file/, origin);
    }
  });

  it('a missing, empty or broken file is a config error at upstream.ca_file', () => {
    const dir = tempTree({ 'empty.pem': 'nothing here', 'broken.pem': '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n', 'ca.pem': TEST_CA });
    assert.match((readCaFile('missing.pem', dir) as { problem: string }).problem, /cannot be read \(ENOENT\)/);
    assert.match((readCaFile('empty.pem', dir) as { problem: string }).problem, /holds no PEM certificate/);
    assert.match((readCaFile('broken.pem', dir) as { problem: string }).problem, /certificate 1 of 1 cannot be parsed/);
    assert.ok('pem' in readCaFile('ca.pem', dir));
    const cfg = (file: string) => tempTree({ 'switchyard.yaml': `providers:\n  m: {type: mock}\nupstream:\n  ca_file: ${file}\n`, 'certs/ca.pem': TEST_CA });
    const bad = loadConfig({ path: `${cfg('certs/none.pem')}/switchyard.yaml`, env: {} });
    assert.equal(bad.config, null);
    assert.deepEqual(bad.issues.map((i) => i.code), ['invalid_ca_file']);
    const good = loadConfig({ path: `${cfg('certs/ca.pem')}/switchyard.yaml`, env: {} });
    assert.match(good.config?.extraCa ?? '', /BEGIN CERTIFICATE/, 'relative to the config file');
  });
});
