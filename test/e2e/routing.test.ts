/**
 * Routing end to end: a rule file in the config's rules/ folder sends `x-tier: premium`
 * to the Anthropic fake; everything else is balanced by weight over the OpenAI and Gemini
 * fakes. With server.expose_decision_headers the answer names the rule and the target.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { postJson, REQUEST_TIMEOUT_MS, seeded, startE2E, timedFetch, readSse, type E2EGateway, HOOK, SUITE } from './helpers.js';

let oa: WireFake, an: WireFake, gm: WireFake;
let e2e: E2EGateway;
let openai: OpenAI;

const RULES = {
  rules: [
    {
      id: 'premium-to-claude',
      description: 'Premium callers get Claude',
      when: 'tier == "premium" && endpoint != "embeddings"',
      route: 'an/claude-sonnet-4',
      priority: 10,
    },
    {
      id: 'never-matches',
      when: 'headers["x-never"] == "yes-really"',
      route: 'gm/gemini-2.5-flash',
      priority: 20,
    },
  ],
};

before(async () => {
  [oa, an, gm] = await Promise.all([
    startWireFake({ format: 'openai', name: 'oa' }),
    startWireFake({ format: 'anthropic', name: 'an' }),
    startWireFake({ format: 'gemini', name: 'gm' }),
  ]);
  e2e = await startE2E({
    server: { allow_unauthenticated: true, expose_decision_headers: true },
    providers: {
      oa: { type: 'openai', base_url: `${oa.url}/v1`, weight: 1, keys: [{ name: 'oa-main', value: 'sk-up-oa' }] },
      gm: { type: 'gemini', base_url: gm.url, weight: 1, keys: [{ name: 'gm-main', value: 'sk-up-gm' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 0, keys: [{ name: 'an-main', value: 'sk-up-an' }] },
    },
  }, { rules: { 'routing.yaml': RULES }, rng: seeded(42) });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS, defaultHeaders: { authorization: null } });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([oa?.close(), an?.close(), gm?.close()]);
}, HOOK);

function resetAll(): void {
  for (const f of [oa, an, gm]) f.reset();
}

const body = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'route me' }] };

describe('x-tier: premium goes to the Anthropic fake by rule', SUITE, () => {
  test('raw request: served by an, with rule id and served-by headers', async () => {
    resetAll();
    const res = await postJson(e2e.url, '/v1/chat/completions', body, { 'x-tier': 'premium' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.choices[0].message.content, 'hello from an');
    assert.equal(an.received.length, 1);
    assert.equal(oa.received.length + gm.received.length, 0);
    assert.equal(an.last().body.model, 'claude-sonnet-4');
    assert.equal(res.headers['x-switchyard-rule-id'], 'premium-to-claude');
    assert.equal(res.headers['x-switchyard-served-by'], 'an/claude-sonnet-4');
    assert.match(String(res.headers['x-switchyard-decision-id']), /^dec_/);
  });

  test('OpenAI SDK with the header as a default header; streaming carries the headers too', async () => {
    resetAll();
    const premium = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS, defaultHeaders: { authorization: null, 'x-tier': 'premium' } });
    const { data, response } = await premium.chat.completions.create({ ...body, messages: [{ role: 'user', content: 'x' }] }).withResponse();
    assert.equal(data.choices[0].message.content, 'hello from an');
    assert.equal(response.headers.get('x-switchyard-rule-id'), 'premium-to-claude');

    const s = await timedFetch(`${e2e.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-tier': 'premium' }, body: JSON.stringify({ ...body, stream: true }),
    });
    assert.equal(s.status, 200);
    assert.equal(s.headers.get('x-switchyard-rule-id'), 'premium-to-claude');
    assert.equal(s.headers.get('x-switchyard-served-by'), 'an/claude-sonnet-4');
    const { events } = await readSse(s);
    assert.equal(events[events.length - 1].data, '[DONE]');
    assert.equal(an.received.length, 2);
    assert.equal(oa.received.length + gm.received.length, 0);
  });

  test('Anthropic SDK with x-tier: premium', async () => {
    resetAll();
    const client = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: null, authToken: null, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS, defaultHeaders: { 'x-tier': 'premium', authorization: null } });
    const { data, response } = await client.messages.create({ model: 'gpt-4o', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    assert.equal((data.content[0] as Anthropic.TextBlock).text, 'hello from an');
    assert.equal(response.headers.get('x-switchyard-rule-id'), 'premium-to-claude');
    assert.equal(an.received.length, 1);
  });
});

describe('the rest is balanced over oa and gm (an has weight 0)', SUITE, () => {
  test('20 requests without the header spread over both weighted providers, none to an', async () => {
    resetAll();
    const servedBy = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const { data, response } = await openai.chat.completions.create(body).withResponse();
      const by = response.headers.get('x-switchyard-served-by') ?? '(none)';
      servedBy.set(by, (servedBy.get(by) ?? 0) + 1);
      assert.equal(response.headers.get('x-switchyard-rule-id'), null, 'no rule matched');
      assert.match(data.choices[0].message.content ?? '', /^hello from (oa|gm)$/);
    }
    assert.equal(an.received.length, 0, 'the rule-only provider got no balanced traffic');
    assert.ok(oa.received.length > 0 && gm.received.length > 0, `both got traffic: oa ${oa.received.length}, gm ${gm.received.length}`);
    assert.equal(oa.received.length + gm.received.length, 20);
    assert.equal(servedBy.get('oa/gpt-4o'), oa.received.length);
    assert.equal(servedBy.get('gm/gpt-4o'), gm.received.length);
    for (const r of gm.received) assert.equal(r.path, '/v1beta/models/gpt-4o:generateContent');
  });

  test('another tier does not match the rule', async () => {
    resetAll();
    const res = await postJson(e2e.url, '/v1/chat/completions', body, { 'x-tier': 'basic' });
    assert.equal(res.status, 200);
    assert.equal(an.received.length, 0);
    assert.equal(res.headers['x-switchyard-rule-id'], undefined);
  });

  test('a pinned provider/model overrides balancing (and is not a rule match)', async () => {
    resetAll();
    const res = await postJson(e2e.url, '/v1/chat/completions', { ...body, model: 'gm/gemini-2.5-pro' });
    assert.equal(res.status, 200);
    assert.equal(gm.received.length, 1);
    assert.equal(gm.last().path, '/v1beta/models/gemini-2.5-pro:generateContent');
    assert.equal(res.headers['x-switchyard-served-by'], 'gm/gemini-2.5-pro');
  });

  test('the audit log records via=rule for premium and via=balance otherwise', async () => {
    await e2e.gw.runtime.audit.flush();
    const rule = await e2e.gw.runtime.audit.query({ rule_id: 'premium-to-claude', limit: 100 });
    assert.equal(rule.events.length, 4, 'four premium requests were served by the rule');
    for (const ev of rule.events) {
      assert.equal(ev.decision.via, 'rule');
      assert.equal(ev.outcome.served_provider, 'an');
    }
    const balanced = await e2e.gw.runtime.audit.query({ via: 'balance', limit: 100 });
    assert.equal(balanced.events.length, 21, 'twenty-one balanced requests');
    for (const ev of balanced.events) assert.notEqual(ev.outcome.served_provider, 'an');
  });
});
