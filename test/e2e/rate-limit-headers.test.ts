/**
 * A caller with a rate limit hears where it stands in its own SDK's headers: OpenAI's
 * `x-ratelimit-*` or Anthropic's `anthropic-ratelimit-*`, for the tightest of its key's,
 * team's and customer's limits, on whole and streamed answers and on the 429 that refuses
 * it; a caller with none hears nothing. The upstreams send their own rate-limit headers,
 * about the gateway's key at the provider: those never reach the client. Read through the
 * official SDKs (`.withResponse()`, an error's `headers`), on the memory store and on Redis.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { hashKey } from '../../src/governance/index.js';
import { deletePrefix, REDIS_SKIP, REDIS_URL, uniquePrefix } from '../governance/helpers.js';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

/** What a provider says of the gateway's own key there: never the caller's business. */
const PROVIDER_HEADERS: Record<string, string> = {
  'x-ratelimit-limit-requests': '10000', 'x-ratelimit-remaining-requests': '9999', 'x-ratelimit-reset-requests': '6ms',
  'x-ratelimit-limit-tokens': '2000000', 'x-ratelimit-remaining-tokens': '1999990', 'x-ratelimit-reset-tokens': '0s',
  'anthropic-ratelimit-requests-limit': '4000', 'anthropic-ratelimit-requests-remaining': '3999', 'anthropic-ratelimit-requests-reset': '2020-01-01T00:00:00Z',
  'anthropic-ratelimit-tokens-limit': '400000', 'anthropic-ratelimit-tokens-remaining': '399990', 'anthropic-ratelimit-tokens-reset': '2020-01-01T00:00:00Z',
  'anthropic-ratelimit-input-tokens-remaining': '1', 'anthropic-ratelimit-output-tokens-remaining': '1',
};

/** `fake` behind a server that adds the provider's rate-limit headers to every answer. */
async function withProviderHeaders(fake: WireFake): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length' && k !== 'connection') as [string, string][]);
      void fetch(fake.url + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined }).then((up) => {
        res.writeHead(up.status, { ...PROVIDER_HEADERS, 'content-type': up.headers.get('content-type') ?? 'application/json' });
        if (up.body) Readable.fromWeb(up.body as never).pipe(res);
        else res.end();
      }, () => res.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

/** A Go duration as OpenAI sends it (`19m59.998s`), in ms. */
function durationMs(s: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(s);
  assert.ok(m && s !== '', `not a Go duration: ${s}`);
  return (Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 1000 + Number(m[4] ?? 0);
}

function ratelimitHeaders(h: Headers): string[] {
  return [...h.keys()].filter((k) => k.includes('ratelimit')).sort();
}

/** About 1,000 tokens of input, taken from the token window at admission. */
const chat = { max_tokens: 20, messages: [{ role: 'user' as const, content: 'word '.repeat(800) }] };
const TEAM_PER_MS = 20 * 60_000;

function suite(name: string, store: () => Record<string, unknown> | undefined, cleanup: () => Promise<void>, skip: string | false): void {
  describe(`rate-limit headers (${name})`, { ...SUITE, skip }, () => {
    let oa: WireFake, an: WireFake;
    const proxies: Server[] = [];
    let e2e: E2EGateway;
    const tag = name.replace(/\W/g, '-');
    const KEYS = { oa: `sk-sy-rl-oa-${tag}`, an: `sk-sy-rl-an-${tag}`, free: `sk-sy-rl-free-${tag}` };
    const openai = (key: string) => new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: key, maxRetries: 0 });
    const anthropic = (key: string) => new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: key, maxRetries: 0 });

    before(async () => {
      [oa, an] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({ format: 'anthropic', name: 'an' })]);
      const [po, pa] = await Promise.all([withProviderHeaders(oa), withProviderHeaders(an)]);
      proxies.push(po.server, pa.server);
      const s = store();
      // Each key allows 5 requests a minute and 10,000 tokens; its team 3 requests an hour
      // (one every 20 minutes): after any request, the team has fewer left and is the one shown.
      const team = (id: string) => ({ id, customer: 'acme', rate_limit: { requests: 3, per: '1h' } });
      const key = (id: string, k: string, t: string) => ({ id, key_hash: hashKey(k), team: t, rate_limit: { requests: 5, tokens: 10_000, per: '1m' } });
      e2e = await startE2E({
        server: { allow_unauthenticated: false },
        dispatch: { retries_per_target: 0 },
        providers: {
          oa: { type: 'openai', base_url: `${po.url}/v1`, models: ['gpt-4o'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }] },
          an: { type: 'anthropic', base_url: pa.url, models: ['claude-sonnet-4-5'], keys: [{ name: 'an-main', value: 'sk-up-an' }] },
        },
        governance: {
          ...(s === undefined ? {} : { store: s }),
          customers: [{ id: 'acme', rate_limit: { requests: 1000, per: '1m' } }],
          teams: [team('t-oa'), team('t-an')],
          virtual_keys: [key('vk-oa', KEYS.oa, 't-oa'), key('vk-an', KEYS.an, 't-an'), { id: 'vk-free', key_hash: hashKey(KEYS.free) }],
        },
      });
    }, HOOK);

    after(async () => {
      await e2e?.close();
      for (const p of proxies) p.closeAllConnections();
      await Promise.all([oa?.close(), an?.close(), ...proxies.map((p) => new Promise((r) => p.close(r))), cleanup()]);
    }, HOOK);

    test('OpenAI SDK: whole and streamed answers count down the tightest limit, then the 429 says it is spent', async () => {
      const client = openai(KEYS.oa);
      const before = Date.now();
      const whole = await client.chat.completions.create({ model: 'gpt-4o', ...chat }).withResponse();
      const h = whole.response.headers;
      assert.equal(whole.data.choices[0].message.content, 'hello from oa');
      assert.deepEqual(ratelimitHeaders(h), ['x-ratelimit-limit-requests', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-requests', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']);
      // The team's 3 an hour, one taken; whole again 20 minutes after it was taken.
      assert.equal(h.get('x-ratelimit-limit-requests'), '3');
      assert.equal(h.get('x-ratelimit-remaining-requests'), '2');
      const reset = durationMs(h.get('x-ratelimit-reset-requests')!);
      assert.ok(reset <= TEAM_PER_MS && reset > TEAM_PER_MS - (Date.now() - before) - 1000, h.get('x-ratelimit-reset-requests')!);
      // The key's tokens: its input estimate taken at admission (refilling at 1 token per 6 ms since).
      assert.equal(h.get('x-ratelimit-limit-tokens'), '10000');
      const tokensLeft = Number(h.get('x-ratelimit-remaining-tokens'));
      assert.ok(tokensLeft > 8_000 && tokensLeft < 9_500, `${tokensLeft}`);
      assert.ok(durationMs(h.get('x-ratelimit-reset-tokens')!) <= 60_000);

      const streamed = await client.chat.completions.create({ model: 'gpt-4o', ...chat, stream: true }).withResponse();
      let text = '';
      for await (const c of streamed.data) text += c.choices[0]?.delta.content ?? '';
      assert.equal(text, 'hello from oa');
      assert.equal(streamed.response.headers.get('x-ratelimit-remaining-requests'), '1');
      assert.equal(streamed.response.headers.get('x-ratelimit-limit-requests'), '3');

      const last = await client.chat.completions.create({ model: 'gpt-4o', ...chat }).withResponse();
      assert.equal(last.response.headers.get('x-ratelimit-remaining-requests'), '0');
      assert.ok(durationMs(last.response.headers.get('x-ratelimit-reset-requests')!) > 2 * TEAM_PER_MS);

      await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', ...chat }), (e) => {
        assert.ok(e instanceof OpenAI.RateLimitError, String(e));
        const eh = e.headers!;
        assert.equal(eh.get('x-ratelimit-limit-requests'), '3');
        assert.equal(eh.get('x-ratelimit-remaining-requests'), '0');
        const wait = durationMs(eh.get('x-ratelimit-reset-requests')!);
        assert.ok(wait > 2 * TEAM_PER_MS && wait <= 3 * TEAM_PER_MS, eh.get('x-ratelimit-reset-requests')!);
        // The next request fits once one unit is back: about what Retry-After says.
        assert.ok(Math.abs(Number(eh.get('retry-after')) * 1000 - (wait - 2 * TEAM_PER_MS)) < 2000, `${eh.get('retry-after')} vs ${wait}`);
        assert.equal(eh.get('x-ratelimit-limit-tokens'), '10000');
        assert.equal(eh.get('anthropic-ratelimit-requests-remaining'), null);
        return true;
      });
    });

    test('Anthropic SDK: the same in Anthropic\'s headers, resets as RFC 3339 times', async () => {
      const client = anthropic(KEYS.an);
      const whole = await client.messages.create({ model: 'claude-sonnet-4-5', ...chat }).withResponse();
      const h = whole.response.headers;
      assert.equal(whole.data.content[0].type, 'text');
      assert.deepEqual(ratelimitHeaders(h), [
        'anthropic-ratelimit-requests-limit', 'anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-requests-reset',
        'anthropic-ratelimit-tokens-limit', 'anthropic-ratelimit-tokens-remaining', 'anthropic-ratelimit-tokens-reset',
      ]);
      assert.equal(h.get('anthropic-ratelimit-requests-limit'), '3');
      assert.equal(h.get('anthropic-ratelimit-requests-remaining'), '2');
      const reset = h.get('anthropic-ratelimit-requests-reset')!;
      assert.match(reset, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.ok(Math.abs(Date.parse(reset) - (Date.now() + TEAM_PER_MS)) < 5000, reset);
      assert.equal(h.get('anthropic-ratelimit-tokens-limit'), '10000');
      assert.ok(Number(h.get('anthropic-ratelimit-tokens-remaining')) < 9_500);

      const streamed = await client.messages.create({ model: 'claude-sonnet-4-5', ...chat, stream: true }).withResponse();
      for await (const _ of streamed.data) { /* drained */ }
      assert.equal(streamed.response.headers.get('anthropic-ratelimit-requests-remaining'), '1');
      await client.messages.create({ model: 'claude-sonnet-4-5', ...chat });

      await assert.rejects(client.messages.create({ model: 'claude-sonnet-4-5', ...chat }), (e) => {
        assert.ok(e instanceof Anthropic.RateLimitError, String(e));
        const eh = e.headers!;
        assert.equal(eh.get('anthropic-ratelimit-requests-remaining'), '0');
        assert.ok(Date.parse(eh.get('anthropic-ratelimit-requests-reset')!) > Date.now() + 2 * TEAM_PER_MS);
        assert.equal(eh.get('x-ratelimit-remaining-requests'), null);
        return true;
      });
    });

    test('a caller with no rate limit hears none, and never the provider\'s', async () => {
      const o = await openai(KEYS.free).chat.completions.create({ model: 'gpt-4o', ...chat }).withResponse();
      assert.deepEqual(ratelimitHeaders(o.response.headers), []);
      const os = await openai(KEYS.free).chat.completions.create({ model: 'gpt-4o', ...chat, stream: true }).withResponse();
      for await (const _ of os.data) { /* drained */ }
      assert.deepEqual(ratelimitHeaders(os.response.headers), []);
      const a = await anthropic(KEYS.free).messages.create({ model: 'claude-sonnet-4-5', ...chat }).withResponse();
      assert.deepEqual(ratelimitHeaders(a.response.headers), []);
      // The same dialect on both sides: the upstream's answer is passed on, its headers are not.
      const cross = await anthropic(KEYS.free).messages.create({ model: 'gpt-4o', ...chat }).withResponse();
      assert.deepEqual(ratelimitHeaders(cross.response.headers), []);
    });
  });
}

suite('memory store', () => undefined, async () => undefined, false);
const prefix = uniquePrefix('e2e-rl-headers');
suite('Redis store', () => ({ type: 'redis', url: REDIS_URL, prefix }), () => (REDIS_SKIP ? Promise.resolve() : deletePrefix(prefix)), REDIS_SKIP);
