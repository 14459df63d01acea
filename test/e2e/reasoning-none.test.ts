/**
 * A reasoning conversation moved to a model that cannot reason, by a rule's fallback or a
 * pinned model: `options.reasoning` marks the model `none`, and it gets no reasoning at all.
 * The fake refuses what OpenAI's non-reasoning models refuse (a reasoning effort, the ask
 * for encrypted reasoning, replayed reasoning items), so each case fails without the mark.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startWireFake, type WireFake } from '../fakes/wire.js';
import { REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let oa: WireFake, an: WireFake;
let e2e: E2EGateway;
let openai: OpenAI;
let anthropic: Anthropic;

const weather: OpenAI.Responses.FunctionTool = {
  type: 'function', name: 'get_weather', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const weatherAnthropic: Anthropic.Tool = { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

before(async () => {
  [oa, an] = await Promise.all([startWireFake({ format: 'openai', name: 'oa' }), startWireFake({ format: 'anthropic', name: 'an' })]);
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 2, backoff: { base_ms: 1, cap_ms: 2 } },
    providers: {
      oa: {
        type: 'openai', base_url: `${oa.url}/v1`, models: ['gpt-5.1-codex', 'gpt-4.1'], keys: [{ name: 'oa', value: 'sk-up-oa' }],
        options: { api: 'responses', reasoning: { 'gpt-4*': 'none', '*': 'effort' } },
      },
      // The same models through chat completions.
      oachat: { type: 'openai', base_url: `${oa.url}/v1`, weight: 0, models: ['gpt-4.1'], keys: [{ name: 'oa', value: 'sk-up-oa' }], options: { reasoning: { 'gpt-4*': 'none' } } },
      // The same server, not told which models reason.
      plain: { type: 'openai', base_url: `${oa.url}/v1`, weight: 0, models: ['gpt-4.1'], keys: [{ name: 'oa', value: 'sk-up-oa' }], options: { api: 'responses' } },
      an: {
        type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4', 'claude-3-5-haiku'], keys: [{ name: 'an', value: 'sk-up-an' }],
        options: { reasoning: { 'claude-3-5*': 'none' } },
      },
    },
  }, {
    rules: {
      'codex.yaml': {
        rules: [{ id: 'codex-falls-back', when: 'model == "gpt-5.1-codex"', route: 'oa/gpt-5.1-codex', fallbacks: ['oa/gpt-4.1'], fallback_on: ['server_error'] }],
      },
    },
  });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
  anthropic = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([oa?.close(), an?.close()]);
}, HOOK);

/** What Codex sends: an effort, a summary, and the ask for encrypted reasoning, with store off. */
const CODEX = { reasoning: { effort: 'high' as const, summary: 'auto' as const }, include: ['reasoning.encrypted_content' as const], store: false, tools: [weather] };

/** A first turn on gpt-5.1-codex: its encrypted reasoning and tool call, as Codex replays them, with the tool's output. */
async function reasonedTurn(): Promise<OpenAI.Responses.ResponseInputItem[]> {
  const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
  const first = await openai.responses.create({ ...CODEX, model: 'oa/gpt-5.1-codex', input });
  const items = first.output.filter((o) => o.type === 'reasoning' || o.type === 'function_call') as OpenAI.Responses.ResponseInputItem[];
  assert.deepEqual(items.map((i) => i.type), ['reasoning', 'function_call'], JSON.stringify(first.output));
  const call = items[1] as OpenAI.Responses.ResponseFunctionToolCall;
  return [...input, ...items, { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' }];
}

/** No reasoning of any kind in an upstream Responses or chat body. */
function assertNoReasoning(body: Record<string, any>, label: string): void {
  assert.equal(body.reasoning, undefined, `${label}: reasoning`);
  assert.equal(body.reasoning_effort, undefined, `${label}: reasoning_effort`);
  assert.equal(body.include, undefined, `${label}: include`);
  if (Array.isArray(body.input)) assert.ok(!body.input.some((i: { type?: string }) => i.type === 'reasoning'), `${label}: ${JSON.stringify(body.input)}`);
}

describe('a model marked `reasoning: none` gets no reasoning', SUITE, () => {
  test("Codex's tool loop goes on on gpt-4.1, without its effort, the ask or the replayed reasoning; unmarked, OpenAI refuses it", async () => {
    oa.reset();
    const history = await reasonedTurn();
    assert.deepEqual(oa.last().body.reasoning, { effort: 'high', summary: 'auto' });
    for (const stream of [false, true]) {
      let text = '';
      if (stream) {
        for await (const ev of await openai.responses.create({ ...CODEX, model: 'oa/gpt-4.1', input: history, stream: true })) if (ev.type === 'response.output_text.delta') text += ev.delta;
      } else text = (await openai.responses.create({ ...CODEX, model: 'oa/gpt-4.1', input: history })).output_text;
      assert.equal(text, 'The tool said: Sunny, 21C', `stream ${stream}`);
      assert.equal(oa.last().body.model, 'gpt-4.1');
      assertNoReasoning(oa.last().body, `stream ${stream}`);
      assert.deepEqual(oa.last().body.input.slice(1).map((i: { type: string }) => i.type), ['function_call', 'function_call_output']);
    }
    // The same request to the same model, on a provider that does not say it takes none: OpenAI refuses it.
    await assert.rejects(openai.responses.create({ ...CODEX, model: 'plain/gpt-4.1', input: history }), (e: InstanceType<typeof OpenAI.BadRequestError>) => {
      assert.equal(e.status, 400);
      assert.match(e.message, /not supported with this model|reasoning items/);
      // The refusal says what makes the gateway leave the reasoning out.
      assert.match(e.message, /mark this model `none` in its provider's options\.reasoning/);
      return true;
    });
  });

  test("a rule's fallback from gpt-5.1-codex to gpt-4.1 serves Codex, whole and streamed", async () => {
    for (const stream of [false, true]) {
      oa.reset();
      oa.enqueue({ error: { status: 500 } });
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Hi' }];
      let text = '';
      if (stream) {
        for await (const ev of await openai.responses.create({ ...CODEX, model: 'gpt-5.1-codex', input, tools: [], stream: true })) if (ev.type === 'response.output_text.delta') text += ev.delta;
      } else text = (await openai.responses.create({ ...CODEX, model: 'gpt-5.1-codex', input, tools: [] })).output_text;
      assert.equal(text, 'hello from oa', `stream ${stream}`);
      assert.deepEqual(oa.received.map((r) => r.body.model), ['gpt-5.1-codex', 'gpt-4.1']);
      assert.deepEqual(oa.received[0].body.include, ['reasoning.encrypted_content'], 'the primary gets the reasoning settings');
      assertNoReasoning(oa.received[1].body, `fallback, stream ${stream}`);
    }
  });

  test("an OpenAI chat client's reasoning_effort does not reach gpt-4.1 marked none; a reasoning model still gets it", async () => {
    oa.reset();
    const params = { reasoning_effort: 'low' as const, messages: [{ role: 'user' as const, content: 'Hi' }] };
    const res = await openai.chat.completions.create({ ...params, model: 'oachat/gpt-4.1' });
    assert.equal(res.choices[0].message.content, 'hello from oa');
    assert.equal(oa.last().path, '/v1/chat/completions');
    assertNoReasoning(oa.last().body, 'chat');
    // A model not marked none gets the client's own effort as sent.
    await openai.chat.completions.create({ ...params, model: 'oa/gpt-5.1-codex' });
    assert.equal(oa.last().body.reasoning.effort, 'low');
  });

  test("Claude Code's thinking and its signed history do not reach a Claude model marked none", async () => {
    for (const stream of [false, true]) {
      an.reset();
      const params: Anthropic.MessageCreateParamsNonStreaming = {
        model: 'an/claude-sonnet-4', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, tools: [weatherAnthropic],
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      };
      const first = await anthropic.messages.create(params);
      assert.equal(first.content[0].type, 'thinking', 'the thinking model thinks');
      const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      const next = { ...params, model: 'an/claude-3-5-haiku', messages: [...params.messages, { role: 'assistant' as const, content: first.content }, { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: use.id, content: 'Sunny, 21C' }] }] };
      let text = '';
      if (stream) {
        for await (const ev of await anthropic.messages.create({ ...next, stream: true })) if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
      } else text = (await anthropic.messages.create(next)).content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      assert.equal(text, 'The tool said: Sunny, 21C', `stream ${stream}`);
      const sent = an.last().body;
      assert.equal(sent.model, 'claude-3-5-haiku');
      assert.equal(sent.thinking, undefined, `stream ${stream}`);
      const kept = first.content.filter((b) => b.type !== 'thinking').map((b) => b.type);
      assert.deepEqual(sent.messages[1].content.map((b: { type: string }) => b.type), kept, `stream ${stream}`);
    }
  });
});
