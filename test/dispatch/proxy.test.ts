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
    const t = createTransport({ connect_timeout_ms: 1000, headers_timeout_ms: 2000, body_timeout_ms: 2000 }, undefined, p);
    try {
      const res = await t.send({ origin, path, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m","messages":[]}' }, { signal: signal() });
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
        providers: [p], clock: 'real', dispatch: { retries_per_target: 0, timeouts: { attempt_ms: 30_000, idle_ms: 30_000, total_ms: 60_000 } },
        upstream: { headers_timeout_ms: 300 }, proxy: planFor({ proxy: `http://alice:pa%20ss@127.0.0.1:${proxy.port}`, proxy_tunnel: tunnel }),
      });
      up.setDefault('hang');
      const started = performance.now();
      try {
        const err = await rejection<DispatchError>(d.chat(chatRequest(), plan(target(p)), { signal: signal() }));
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
    const t = createTransport({}, undefined, planFor({ proxy: `http://127.0.0.1:${proxy.port}` }));
    const res = await t.send({ origin: up.url, path: '/v1/chat/completions', method: 'POST', headers: {}, body: '{"model":"m"}' }, { signal: signal() });
    assert.equal(res.status, 200);
    res.body.resume();
    await t.close();
    assert.equal(proxy.seen.length, before);
  });
});
