/**
 * Reasoning text through the gateway, as the official SDKs see it, from a fake DeepSeek
 * (an OpenAI fake's `deepseek-*` model: it reasons in `reasoning_content` first and, like
 * DeepSeek in thinking mode, refuses a tool loop whose tool-call turns come back without
 * their reasoning). Each client dialect gets the reasoning where its dialect puts it, and
 * the tool loop goes on with it; Anthropic never gets reasoning it did not sign.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { REASONING, startWireFake, TOOL_ARGS, type WireFake } from '../fakes/wire.js';
import { REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let ds: WireFake, an: WireFake;
let e2e: E2EGateway;
let openai: OpenAI;
let anthropic: Anthropic;

const MODEL = 'ds/deepseek-v4';
const weatherOpenAI: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const weatherAnthropic: Anthropic.Tool = { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const weatherResponses: OpenAI.Responses.FunctionTool = {
  type: 'function', name: 'get_weather', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

before(async () => {
  [ds, an] = await Promise.all([startWireFake({ format: 'openai', name: 'ds' }), startWireFake({ format: 'anthropic', name: 'an' })]);
  e2e = await startE2E({
    server: { allow_unauthenticated: true },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      ds: { type: 'openai-compatible', base_url: `${ds.url}/v1`, weight: 1, models: ['deepseek-v4'], keys: [{ name: 'ds-main', value: 'sk-up-ds' }] },
      // The same server, told not to send reasoning back.
      ds2: { type: 'openai-compatible', base_url: `${ds.url}/v1`, weight: 0, models: ['deepseek-v4'], options: { send_reasoning: false }, keys: [{ name: 'ds-main', value: 'sk-up-ds' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'an-main', value: 'sk-up-an' }] },
    },
  });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
  anthropic = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([ds?.close(), an?.close()]);
}, HOOK);

/** The assistant message of a streamed chat completion, reasoning_content included. */
async function streamedMessage(params: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming): Promise<Record<string, any>> {
  const message: Record<string, any> = { role: 'assistant', content: '', reasoning_content: '' };
  const calls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] = [];
  for await (const chunk of await openai.chat.completions.create({ ...params, stream: true })) {
    const delta = chunk.choices[0]?.delta as Record<string, any> | undefined;
    if (!delta) continue;
    if (typeof delta.reasoning_content === 'string') {
      assert.equal(message.content, '', 'reasoning comes before the answer');
      message.reasoning_content += delta.reasoning_content;
    }
    if (typeof delta.content === 'string') message.content += delta.content;
    for (const c of delta.tool_calls ?? []) {
      if (c.id) calls[c.index] = { id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } };
      calls[c.index].function.arguments += c.function?.arguments ?? '';
    }
  }
  if (calls.length) message.tool_calls = calls;
  return message;
}

describe('reasoning from an OpenAI-format server (DeepSeek)', SUITE, () => {
  test('an OpenAI client gets reasoning_content, streamed or whole, and the tool loop goes on with it', async () => {
    for (const stream of [true, false]) {
      ds.reset();
      const first: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = { model: MODEL, tools: [weatherOpenAI], messages: [{ role: 'user', content: 'Weather in Paris?' }] };
      const turn1 = stream ? await streamedMessage(first) : (await openai.chat.completions.create(first)).choices[0].message as unknown as Record<string, any>;
      assert.equal(turn1.reasoning_content, REASONING, `reasoning reaches the client (stream ${stream})`);
      const call = turn1.tool_calls[0];
      assert.deepEqual(JSON.parse(call.function.arguments), TOOL_ARGS);
      // The fake, like DeepSeek, refuses the next turn unless the tool-call turn carries its reasoning.
      const turn2 = await openai.chat.completions.create({
        ...first, messages: [...first.messages, turn1 as OpenAI.Chat.Completions.ChatCompletionAssistantMessageParam, { role: 'tool', tool_call_id: call.id, content: 'Sunny, 21C' }],
      });
      assert.equal(ds.last().body.messages[1].reasoning_content, REASONING, `reasoning goes back (stream ${stream})`);
      assert.equal(turn2.choices[0].message.content, 'The tool said: Sunny, 21C');
    }
  });

  test('with options.send_reasoning false the reasoning is not sent back, and DeepSeek says what it misses', async () => {
    const first: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = { model: 'ds2/deepseek-v4', tools: [weatherOpenAI], messages: [{ role: 'user', content: 'Weather in Paris?' }] };
    const turn1 = (await openai.chat.completions.create(first)).choices[0].message;
    await assert.rejects(openai.chat.completions.create({ ...first, messages: [...first.messages, turn1, { role: 'tool', tool_call_id: turn1.tool_calls![0].id, content: 'Sunny' }] }), (e: InstanceType<typeof OpenAI.BadRequestError>) => {
      assert.equal(e.status, 400);
      assert.match(e.message, /reasoning_content/);
      return true;
    });
  });

  test('an Anthropic client with thinking on gets it as an unsigned thinking block, and the tool loop goes on with it', async () => {
    for (const stream of [true, false]) {
      ds.reset();
      an.reset();
      const first: Anthropic.MessageCreateParamsNonStreaming = {
        model: MODEL, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 },
        tools: [weatherAnthropic], messages: [{ role: 'user', content: 'Weather in Paris?' }],
      };
      const turn1 = stream ? await anthropic.messages.stream(first).finalMessage() : await anthropic.messages.create(first);
      assert.deepEqual(turn1.content.map((b) => b.type), ['thinking', 'tool_use'], `thinking comes first (stream ${stream})`);
      assert.deepEqual(turn1.content[0], { type: 'thinking', thinking: REASONING, signature: '' });
      const call = turn1.content[1] as Anthropic.ToolUseBlock;
      const messages: Anthropic.MessageParam[] = [
        ...first.messages, { role: 'assistant', content: turn1.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'Sunny, 21C' }] },
      ];
      const turn2 = await anthropic.messages.create({ ...first, messages });
      assert.equal(ds.last().body.messages[1].reasoning_content, REASONING, `reasoning goes back (stream ${stream})`);
      assert.equal(turn2.content.find((b) => b.type === 'text')?.text, 'The tool said: Sunny, 21C');
      // The same history on Anthropic: the unsigned block is left out, which Anthropic would refuse.
      const { thinking: _t, ...noThinking } = first;
      await anthropic.messages.create({ ...noThinking, model: 'an/claude-sonnet-4', messages });
      assert.deepEqual(an.last().body.messages[1].content.map((b: { type: string }) => b.type), ['tool_use']);
    }
  });

  test('an Anthropic client without thinking gets no thinking block, as from Anthropic', async () => {
    for (const stream of [true, false]) {
      const params: Anthropic.MessageCreateParamsNonStreaming = { model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] };
      const msg = stream ? await anthropic.messages.stream(params).finalMessage() : await anthropic.messages.create(params);
      assert.deepEqual(msg.content, [{ type: 'text', text: 'hello from ds' }], `stream ${stream}`);
    }
  });

  test('a Responses client gets a reasoning item, streamed or whole, and the tool loop goes on with it replayed', async () => {
    for (const stream of [true, false]) {
      ds.reset();
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Weather in Paris?' }];
      const params = { model: MODEL, input, tools: [weatherResponses] };
      const turn1 = stream ? await openai.responses.stream(params).finalResponse() : await openai.responses.create(params);
      assert.deepEqual(turn1.output.map((i) => i.type), ['reasoning', 'function_call'], `stream ${stream}`);
      const reasoning = turn1.output[0] as OpenAI.Responses.ResponseReasoningItem;
      assert.deepEqual(reasoning.content, [{ type: 'reasoning_text', text: REASONING }]);
      const call = turn1.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
      const turn2 = await openai.responses.create({ ...params, input: [...input, ...turn1.output as OpenAI.Responses.ResponseInputItem[], { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' }] });
      assert.equal(ds.last().body.messages[1].reasoning_content, REASONING, `reasoning goes back (stream ${stream})`);
      assert.equal(turn2.output_text, 'The tool said: Sunny, 21C');
    }
  });
});
