/**
 * A rule's target whose provider cannot take the client's request as it is (an Anthropic
 * client's eight stop sequences, past Gemini's 5 and OpenAI's 4) is passed over without a
 * call, and the rule's fallback serves it; the audit event has both attempts. When no
 * target can take it, the client gets the first target's refusal, a 400 in its dialect.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { REQUEST_TIMEOUT_MS, raw, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const ADMIN = 'admin-unsupported';
const STOPS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];

let gm: WireFake, an: WireFake, oa: WireFake;
let e2e: E2EGateway;
let anthropic: Anthropic;

before(async () => {
  [gm, an, oa] = await Promise.all([
    startWireFake({ format: 'gemini', name: 'gm' }),
    startWireFake({ format: 'anthropic', name: 'an' }),
    startWireFake({ format: 'openai', name: 'oa' }),
  ]);
  e2e = await startE2E({
    server: { allow_unauthenticated: true, admin_token: 'env.ADMIN' },
    providers: {
      gm: { type: 'gemini', base_url: gm.url, weight: 0, models: ['gemini-2.5-flash'], keys: [{ name: 'gm-main', value: 'sk-up-gm' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'an-main', value: 'sk-up-an' }] },
      oa: { type: 'openai', base_url: `${oa.url}/v1`, weight: 0, models: ['gpt-4o'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }] },
    },
  }, {
    env: { ADMIN },
    rules: {
      'routing.yaml': {
        rules: [
          { id: 'gemini-else-claude', when: 'model == "smart"', route: 'gm/gemini-2.5-flash', fallbacks: ['an/claude-sonnet-4'] },
          // A refusal moves on even when fallback_on does not list it.
          { id: 'gemini-else-gpt', when: 'model == "strict"', route: 'gm/gemini-2.5-flash', fallbacks: ['oa/gpt-4o'], fallback_on: ['rate_limited'] },
        ],
      },
    },
  });
  anthropic = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([gm?.close(), an?.close(), oa?.close()]);
}, HOOK);

async function attemptsOf(decisionId: string | null): Promise<[string, number, string | null, string | null][]> {
  await e2e.gw.runtime.audit.flush();
  const res = await raw(e2e.url, `/admin/audit?decision_id=${String(decisionId)}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const [event] = res.json.events;
  return (event.attempts as { provider: string; status: number; fallback_reason: string | null; error: string | null }[]).map((a) => [a.provider, a.status, a.fallback_reason, a.error]);
}

const GEMINI_REFUSAL = 'stop_sequences: Gemini takes at most 5 stop sequences, and this request has 8; send at most 5';

describe('a target whose provider cannot take the request', SUITE, () => {
  test("an Anthropic client's 8 stop sequences, routed to Gemini, are served by the rule's fallback to Anthropic", async () => {
    for (const f of [gm, an]) f.reset();
    const { data, response } = await anthropic.messages.create({ model: 'smart', max_tokens: 50, stop_sequences: STOPS, messages: [{ role: 'user', content: 'Count to ten.' }] }).withResponse();
    assert.deepEqual(data.content, [{ type: 'text', text: 'hello from an' }]);
    assert.equal(gm.received.length, 0, 'no call to Gemini');
    assert.deepEqual(an.last().body.stop_sequences, STOPS);
    assert.deepEqual(await attemptsOf(response.headers.get('x-switchyard-decision-id')), [
      ['gm', 0, 'unsupported_request', GEMINI_REFUSAL],
      ['an', 200, null, null],
    ]);
    const found = await raw(e2e.url, '/admin/audit?fallback_reason=unsupported_request', { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(found.status, 200, found.text);
    assert.ok(found.json.events.some((ev: { decision_id: string }) => ev.decision_id === response.headers.get('x-switchyard-decision-id')), 'found by its fallback reason');
  });

  test('streamed too', async () => {
    an.reset();
    const stream = anthropic.messages.stream({ model: 'smart', max_tokens: 50, stop_sequences: STOPS, messages: [{ role: 'user', content: 'Count to ten.' }] });
    const message = await stream.finalMessage();
    assert.deepEqual(message.content, [{ type: 'text', text: 'hello from an' }]);
    assert.equal(gm.received.length, 0);
    assert.equal(an.last().body.stream, true);
  });

  test("no target can take it: 400 with the first target's refusal, and the audit event lists every refusal", async () => {
    for (const f of [gm, oa]) f.reset();
    const e = await anthropic.messages.create({ model: 'strict', max_tokens: 50, stop_sequences: STOPS, messages: [{ role: 'user', content: 'Count to ten.' }] }).then(() => null, (err: unknown) => err);
    assert.ok(e instanceof Anthropic.BadRequestError, String(e));
    assert.equal(e.status, 400);
    const body = e.error as { type: string; error: { type: string; code: string; message: string; param: string } };
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(body.error.code, 'SY_ERR_BAD_REQUEST');
    assert.equal(body.error.message, GEMINI_REFUSAL);
    assert.equal(body.error.param, 'stop_sequences');
    const attempts = await attemptsOf(e.headers?.get('x-switchyard-decision-id') ?? null);
    assert.deepEqual(attempts.map((a) => a.slice(0, 3)), [['gm', 0, 'unsupported_request'], ['oa', 0, 'unsupported_request']]);
    assert.match(String(attempts[1][3]), /^stop_sequences: OpenAI's chat completions API takes at most 4 stop sequences, and this request has 8/);
    assert.equal(gm.received.length + oa.received.length, 0, 'no call');
  });
});
