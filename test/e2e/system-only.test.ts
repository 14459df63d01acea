/**
 * An OpenAI client's request of system messages alone, which OpenAI's models answer as
 * their prompt, routed to Anthropic and Gemini, which refuse a request without a message
 * (the fakes refuse it as they do): the system prompt reaches them as the user's turn. A
 * request whose every message is empty is the client's error, named before any call.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { REQUEST_TIMEOUT_MS, assertOpenAIError, postJson, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let an: WireFake, gm: WireFake;
let e2e: E2EGateway;
let openai: OpenAI;

before(async () => {
  [an, gm] = await Promise.all([startWireFake({ format: 'anthropic', name: 'an' }), startWireFake({ format: 'gemini', name: 'gm' })]);
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'an-main', value: 'sk-up-an' }] },
      gm: { type: 'gemini', base_url: gm.url, weight: 0, models: ['gemini-2.5-flash'], keys: [{ name: 'gm-main', value: 'sk-up-gm' }] },
    },
  });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([an?.close(), gm?.close()]);
}, HOOK);

const PROMPT = 'Write a haiku about the sea.';

describe('system messages alone', SUITE, () => {
  test('Anthropic gets the system prompt as the user turn, and the client its answer', async () => {
    an.reset();
    const r = await openai.chat.completions.create({ model: 'an/claude-sonnet-4', messages: [{ role: 'system', content: PROMPT }] });
    assert.equal(r.choices[0].message.content, 'hello from an');
    const sent = an.last().body;
    assert.deepEqual(sent.messages, [{ role: 'user', content: [{ type: 'text', text: PROMPT }] }]);
    assert.equal(sent.system, undefined, 'said once');
  });

  test('Gemini gets it as the user turn too, streamed as well', async () => {
    gm.reset();
    const stream = await openai.chat.completions.create({ model: 'gm/gemini-2.5-flash', stream: true, messages: [{ role: 'developer', content: PROMPT }, { role: 'user', content: '' }] });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'hello from gm');
    const sent = gm.last().body;
    assert.deepEqual(sent.contents, [{ role: 'user', parts: [{ text: PROMPT }] }]);
    assert.equal(sent.systemInstruction, undefined);
  });

  test('every message empty and no system prompt: a 400 naming messages, and no call', async () => {
    for (const [model, fake, provider] of [['an/claude-sonnet-4', an, 'Anthropic'], ['gm/gemini-2.5-flash', gm, 'Gemini']] as const) {
      fake.reset();
      const res = await postJson(e2e.url, '/v1/chat/completions', { model, messages: [{ role: 'user', content: '' }] });
      assertOpenAIError(res, 400, 'SY_ERR_BAD_REQUEST', model);
      assert.equal(res.json.error.param, 'messages');
      assert.match(res.json.error.message, new RegExp(`${provider} takes no request without a message that says something`));
      assert.equal(fake.received.length, 0, `${model}: no call`);
    }
  });
});
