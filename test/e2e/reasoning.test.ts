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
import { REASONING, REASONING_SUMMARY, startWireFake, THINKING, TOOL_ARGS, type WireFake } from '../fakes/wire.js';
import { raw, REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

let ds: WireFake, an: WireFake, gm: WireFake;
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
  [ds, an, gm] = await Promise.all([startWireFake({ format: 'openai', name: 'ds' }), startWireFake({ format: 'anthropic', name: 'an' }), startWireFake({ format: 'gemini', name: 'gm' })]);
  e2e = await startE2E({
    server: { allow_unauthenticated: true, stream_keepalive_ms: 40 },
    dispatch: { retries_per_target: 0, max_attempts: 1 },
    providers: {
      ds: { type: 'openai-compatible', base_url: `${ds.url}/v1`, weight: 1, models: ['deepseek-v4'], options: { send_reasoning: true }, keys: [{ name: 'ds-main', value: 'sk-up-ds' }] },
      // The same server, not told to send reasoning back.
      ds2: { type: 'openai-compatible', base_url: `${ds.url}/v1`, weight: 0, models: ['deepseek-v4'], keys: [{ name: 'ds-main', value: 'sk-up-ds' }] },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'an-main', value: 'sk-up-an' }] },
      // The same servers, told how their models take a reasoning setting from another dialect.
      anr: {
        type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4', 'claude-opus-5', 'claude-3-5-haiku'], keys: [{ name: 'an-main', value: 'sk-up-an' }],
        options: { reasoning: { 'claude-opus-5': 'adaptive', 'claude-3-5*': 'none', 'claude-*': 'budget' } },
      },
      gmr: { type: 'gemini', base_url: gm.url, weight: 0, models: ['gemini-2.5-flash', 'gemini-3-pro'], keys: [{ name: 'gm-main', value: 'sk-up-gm' }], options: { reasoning: { 'gemini-3*': 'level', 'gemini-2.5*': 'budget' } } },
      oar: { type: 'openai', base_url: `${ds.url}/v1`, weight: 0, models: ['gpt-5'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }], options: { reasoning: 'effort' } },
      // The same server's Responses API, serving a reasoning model.
      oaresp: { type: 'openai', base_url: `${ds.url}/v1`, weight: 0, models: ['gpt-5.1-codex'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }], options: { api: 'responses', reasoning: 'effort' } },
      // The same, with summaries asked for clients of other dialects (an organization OpenAI verified).
      oasum: { type: 'openai', base_url: `${ds.url}/v1`, weight: 0, models: ['gpt-5.1-codex'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }], options: { api: 'responses', reasoning: 'effort', reasoning_summary: 'auto' } },
      // A model the config does not say reasons, through the same API.
      oaplain: { type: 'openai', base_url: `${ds.url}/v1`, weight: 0, models: ['gpt-4.1'], keys: [{ name: 'oa-main', value: 'sk-up-oa' }], options: { api: 'responses' } },
      // The same server as OpenRouter with Gemini 3 behind it, told to send reasoning back, and not.
      or: { type: 'openai-compatible', base_url: `${ds.url}/v1`, weight: 0, models: ['google/gemini-3-pro'], options: { send_reasoning: true }, keys: [{ name: 'or-main', value: 'sk-up-or' }] },
      or0: { type: 'openai-compatible', base_url: `${ds.url}/v1`, weight: 0, models: ['google/gemini-3-pro'], keys: [{ name: 'or-main', value: 'sk-up-or' }] },
    },
  });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
  anthropic = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: 'unused', maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([ds?.close(), an?.close(), gm?.close()]);
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
    if (Array.isArray(delta.reasoning_details)) message.reasoning_details = [...(message.reasoning_details ?? []), ...delta.reasoning_details];
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

  test('without options.send_reasoning the reasoning is not sent back, and DeepSeek says what it misses', async () => {
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
      const deltas: string[] = [];
      const turn1 = stream
        ? await anthropic.messages.stream(first).on('streamEvent', (e) => { if (e.type === 'content_block_delta' && e.index === 0) deltas.push(e.delta.type); }).finalMessage()
        : await anthropic.messages.create(first);
      if (stream) assert.equal(deltas.at(-1), 'signature_delta', 'the thinking block ends with its (empty) signature, as Anthropic ends every one');
      assert.deepEqual(turn1.content.map((b) => b.type), ['thinking', 'tool_use'], `thinking comes first (stream ${stream})`);
      assert.deepEqual(turn1.content[0], { type: 'thinking', thinking: REASONING, signature: '' });
      const call = turn1.content[1] as Anthropic.ToolUseBlock;
      const messages: Anthropic.MessageParam[] = [
        ...first.messages, { role: 'assistant', content: turn1.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'Sunny, 21C' }] },
      ];
      const turn2 = await anthropic.messages.create({ ...first, messages });
      assert.equal(ds.last().body.messages[1].reasoning_content, REASONING, `reasoning goes back (stream ${stream})`);
      assert.equal(turn2.content.find((b) => b.type === 'text')?.text, 'The tool said: Sunny, 21C');
      // The same loop going on at Anthropic (a fallback mid-loop): Anthropic would refuse the
      // unsigned block, and with thinking on a tool turn without signed thinking, so the block
      // is left out and the turn runs without thinking.
      const onClaude = await anthropic.messages.create({ ...first, model: 'an/claude-sonnet-4', messages });
      assert.deepEqual(an.last().body.messages[1].content.map((b: { type: string }) => b.type), ['tool_use']);
      assert.equal(an.last().body.thinking, undefined);
      assert.equal(onClaude.content.find((b) => b.type === 'text')?.text, 'The tool said: Sunny, 21C');
    }
  });

  test('an Anthropic client without thinking gets no thinking block, as from Anthropic', async () => {
    for (const stream of [true, false]) {
      const params: Anthropic.MessageCreateParamsNonStreaming = { model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] };
      const msg = stream ? await anthropic.messages.stream(params).finalMessage() : await anthropic.messages.create(params);
      assert.deepEqual(msg.content, [{ type: 'text', text: 'hello from ds' }], `stream ${stream}`);
    }
  });

  test('reasoning it does not show keeps the stream busy with keep-alives, as waiting for a first token does', async () => {
    // server.stream_keepalive_ms is 40 here; each reasoning piece takes 100 ms to come.
    ds.enqueue({ chunkDelayMs: 100, chunks: 1 });
    const res = await raw(e2e.url, '/anthropic/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Hi' }] }) });
    assert.equal(res.status, 200);
    const hidden = res.text.slice(res.text.indexOf('message_start'), res.text.indexOf('content_block_start'));
    assert.match(hidden, /: keep-alive\n\n/, res.text);
    assert.doesNotMatch(res.text, /thinking/);
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

  test('a Responses client that asks for summaries (Codex, the AI SDK) gets the reasoning as one, and its replay goes back as reasoning', async () => {
    for (const stream of [true, false]) {
      ds.reset();
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Weather in Paris?' }];
      const params = { model: MODEL, input, tools: [weatherResponses], reasoning: { summary: 'auto' as const } };
      let summaryDeltas = '';
      const turn1 = stream
        ? await openai.responses.stream(params).on('response.reasoning_summary_text.delta', (e) => { summaryDeltas += e.delta; }).finalResponse()
        : await openai.responses.create(params);
      if (stream) assert.equal(summaryDeltas, REASONING, 'streamed as summary text');
      const reasoning = turn1.output[0] as OpenAI.Responses.ResponseReasoningItem;
      assert.deepEqual(reasoning.summary, [{ type: 'summary_text', text: REASONING }], `stream ${stream}`);
      assert.deepEqual(reasoning.content, [{ type: 'reasoning_text', text: REASONING }], 'and as content, which a replay carries back');
      const call = turn1.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
      await openai.responses.create({ ...params, input: [...input, ...turn1.output as OpenAI.Responses.ResponseInputItem[], { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' }] });
      assert.equal(ds.last().body.messages[1].reasoning_content, REASONING, `reasoning goes back (stream ${stream})`);
    }
  });
});

describe('a reasoning setting across dialects, where options.reasoning says how the model takes it', SUITE, () => {
  test('an OpenAI client\'s reasoning_effort reaches Claude as thinking with a budget, and the thinking comes back as reasoning_content', async () => {
    for (const stream of [true, false]) {
      an.reset();
      const params: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = { model: 'anr/claude-sonnet-4', reasoning_effort: 'low', temperature: 0.2, messages: [{ role: 'user', content: 'Hi' }] };
      const message = stream ? await streamedMessage(params) : (await openai.chat.completions.create(params)).choices[0].message as unknown as Record<string, any>;
      // low: 4096 thinking tokens on top of the default max_tokens; thinking takes no temperature.
      const body = an.last().body;
      assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 4096 });
      assert.equal(body.max_tokens, 4096 + 4096);
      assert.equal(body.temperature, undefined);
      assert.equal(message.reasoning_content, THINKING, `stream ${stream}`);
      assert.equal(message.content, 'hello from an');
    }
    // Within the client's max tokens, at most half of them think.
    await openai.chat.completions.create({ model: 'anr/claude-sonnet-4', reasoning_effort: 'high', max_tokens: 6000, messages: [{ role: 'user', content: 'Hi' }] });
    assert.deepEqual(an.last().body.thinking, { type: 'enabled', budget_tokens: 3000 });
    assert.equal(an.last().body.max_tokens, 6000);
    // Too few to think within: no thinking, rather than Anthropic's 400.
    await openai.chat.completions.create({ model: 'anr/claude-sonnet-4', reasoning_effort: 'high', max_tokens: 1500, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(an.last().body.thinking, undefined);
  });

  test('per model: adaptive at the effort, or none; a provider without options.reasoning gets nothing', async () => {
    await openai.chat.completions.create({ model: 'anr/claude-opus-5', reasoning_effort: 'medium', messages: [{ role: 'user', content: 'Hi' }] });
    assert.deepEqual(an.last().body.thinking, { type: 'adaptive' });
    assert.deepEqual(an.last().body.output_config, { effort: 'medium' });
    await openai.chat.completions.create({ model: 'anr/claude-3-5-haiku', reasoning_effort: 'medium', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(an.last().body.thinking, undefined);
    await openai.chat.completions.create({ model: 'an/claude-sonnet-4', reasoning_effort: 'medium', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(an.last().body.thinking, undefined);
  });

  test("a Responses client that asks for encrypted reasoning (Codex) keeps Claude thinking through a tool loop: the signed thinking is sealed in it", async () => {
    for (const stream of [true, false]) {
      an.reset();
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Weather in Paris?' }];
      const params = { model: 'anr/claude-sonnet-4', input, tools: [weatherResponses], reasoning: { effort: 'low' as const }, include: ['reasoning.encrypted_content' as const], store: false };
      const turn1 = stream ? await openai.responses.stream(params).finalResponse() : await openai.responses.create(params);
      assert.equal(turn1.output[0].type, 'reasoning', `stream ${stream}`);
      const reasoning = turn1.output[0] as OpenAI.Responses.ResponseReasoningItem;
      assert.deepEqual(reasoning.content, [{ type: 'reasoning_text', text: THINKING }]);
      assert.match(reasoning.encrypted_content ?? '', /^sy-anthropic-thinking\.v1:/);
      const signature = (an.last().sent ? JSON.parse(an.last().sent!).content[0].signature : undefined) as string | undefined;
      const call = turn1.output.find((i) => i.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
      const turn2 = await openai.responses.create({ ...params, input: [...input, ...turn1.output as OpenAI.Responses.ResponseInputItem[], { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' }] });
      // The fake, like Anthropic, refuses a tool turn with thinking on unless it starts with its signed thinking.
      const body = an.last().body;
      assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 4096 }, `thinking stays on (stream ${stream})`);
      assert.equal(body.messages[1].content[0].type, 'thinking');
      assert.equal(body.messages[1].content[0].thinking, THINKING);
      assert.match(body.messages[1].content[0].signature, /^sig_fake_/);
      if (signature !== undefined) assert.equal(body.messages[1].content[0].signature, signature);
      assert.equal(turn2.output_text, 'The tool said: Sunny, 21C');
    }
    // A sealed value the gateway did not give out is the client's error, naming it.
    const bad = await openai.responses.create({
      model: 'anr/claude-sonnet-4', input: [{ role: 'user', content: 'Hi' }, { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'sy-anthropic-thinking.v1:!!!' }],
    }).catch((e: InstanceType<typeof OpenAI.BadRequestError>) => e);
    assert.ok(bad instanceof OpenAI.BadRequestError);
    assert.equal((bad.error as { param?: string }).param, 'input[1].encrypted_content');
  });

  test("a Responses client that builds on kept answers (previous_response_id, item references, their items replayed) keeps Claude thinking through a tool loop without asking for encrypted reasoning", async () => {
    const params = { model: 'anr/claude-sonnet-4', tools: [weatherResponses], reasoning: { effort: 'low' as const } };
    const question: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Weather in Paris?' }];
    for (const stream of [true, false]) {
      for (const by of ['previous_response_id', 'item_reference', 'replay'] as const) {
        const at = `stream ${stream}, by ${by}`;
        const turn1 = stream ? await openai.responses.stream({ ...params, input: question }).finalResponse() : await openai.responses.create({ ...params, input: question });
        const reasoning = turn1.output[0] as OpenAI.Responses.ResponseReasoningItem;
        assert.equal(reasoning.type, 'reasoning', at);
        assert.equal(reasoning.encrypted_content, undefined, `the client did not ask for it (${at})`);
        const call = turn1.output.find((i) => i.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
        const result: OpenAI.Responses.ResponseInputItem = { type: 'function_call_output', call_id: call.call_id, output: 'Sunny, 21C' };
        const turn2 = by === 'previous_response_id'
          ? await openai.responses.create({ ...params, previous_response_id: turn1.id, input: [result] })
          // The Vercel AI SDK's second turn: the answer's reasoning and text by reference, its calls as they came.
          : by === 'item_reference' ? await openai.responses.create({ ...params, input: [...question, ...turn1.output.map((i): OpenAI.Responses.ResponseInputItem => (i.type === 'function_call' ? i : { type: 'item_reference', id: i.id! })), result] })
          // The OpenAI Agents SDK's: the answer's items as they came, by id, which OpenAI looks up when kept.
          : await openai.responses.create({ ...params, input: [...question, ...turn1.output as OpenAI.Responses.ResponseInputItem[], result] });
        const body = an.last().body;
        assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 4096 }, `thinking stays on (${at})`);
        assert.equal(body.messages[1].content[0].type, 'thinking', at);
        assert.match(body.messages[1].content[0].signature, /^sig_fake_/);
        assert.equal(turn2.output_text, 'The tool said: Sunny, 21C');
      }
    }
  });

  test("an Anthropic client with thinking on (Claude Code) keeps an OpenAI model's reasoning through a tool loop: its encrypted reasoning is sealed in a thinking block's signature", async () => {
    const params = { model: 'oaresp/gpt-5.1-codex', max_tokens: 8000, thinking: { type: 'enabled' as const, budget_tokens: 2048 }, tools: [weatherAnthropic] };
    for (const stream of [true, false]) {
      ds.reset();
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const turn1 = stream ? await anthropic.messages.stream({ ...params, messages }).finalMessage() : await anthropic.messages.create({ ...params, messages });
      assert.deepEqual(ds.last().body.include, ['reasoning.encrypted_content'], `asked for (stream ${stream})`);
      const item = ds.last().sent ? JSON.parse(ds.last().sent!).output[0] : undefined;
      assert.deepEqual(turn1.content.map((b) => b.type), ['thinking', 'tool_use'], `stream ${stream}: ${JSON.stringify(turn1.content)}`);
      const block = turn1.content[0] as Anthropic.ThinkingBlock;
      assert.equal(block.thinking, '');
      assert.match(block.signature, /^sy-openai-reasoning\.v1:/);
      const use = turn1.content[1] as Anthropic.ToolUseBlock;
      messages.push({ role: 'assistant', content: turn1.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'Sunny, 21C' }] });
      const turn2 = await anthropic.messages.create({ ...params, messages });
      assert.equal((turn2.content.find((b) => b.type === 'text') as Anthropic.TextBlock).text, 'The tool said: Sunny, 21C');
      const sent = ds.last().body.input as Record<string, unknown>[];
      assert.deepEqual(sent.map((i) => i.type), ['message', 'reasoning', 'function_call', 'function_call_output'], `stream ${stream}`);
      assert.match(String(sent[1].id), /^rs_/);
      assert.match(String(sent[1].encrypted_content), /^gAAAAA/);
      if (item) assert.deepEqual(sent[1], { type: 'reasoning', id: item.id, summary: [], encrypted_content: item.encrypted_content }, 'the reasoning goes back as the model gave it');
      // The same history on Claude: the block is not Anthropic's, so it is left out (and thinking with it, as for any tool turn without signed thinking).
      const onClaude = await anthropic.messages.create({ ...params, model: 'anr/claude-sonnet-4', messages });
      assert.equal((onClaude.content.find((b) => b.type === 'text') as Anthropic.TextBlock).text, 'The tool said: Sunny, 21C');
      assert.deepEqual(an.last().body.messages[1].content.map((b: { type: string }) => b.type), ['tool_use']);
      assert.equal(an.last().body.thinking, undefined);
    }
    // Without thinking nothing is asked for, and no thinking block is shown, as from Anthropic.
    const plain = await anthropic.messages.create({ model: params.model, max_tokens: 8000, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(ds.last().body.include, undefined);
    assert.deepEqual(plain.content.map((b) => b.type), ['text']);
    // Nor from a model the config does not say reasons: OpenAI refuses the ask for one that does not.
    const notReasoning = await anthropic.messages.create({ model: 'oaplain/gpt-4.1', max_tokens: 8000, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [{ role: 'user', content: 'Hi' }] });
    assert.deepEqual([ds.last().body.include, ds.last().body.reasoning], [undefined, undefined]);
    assert.deepEqual(notReasoning.content.map((b) => b.type), ['text']);
    // A sealed value the gateway did not give out is the client's error, naming it.
    const bad = await anthropic.messages.create({
      ...params,
      messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: [{ type: 'thinking', thinking: '', signature: 'sy-openai-reasoning.v1:!!!' }, { type: 'text', text: 'Hello' }] }, { role: 'user', content: 'Again' }],
    }).catch((e: InstanceType<typeof Anthropic.BadRequestError>) => e);
    assert.ok(bad instanceof Anthropic.BadRequestError);
    assert.match(bad.message, /messages\[1\]\.content\[0\]\.signature/);
  });

  test("with options.reasoning_summary, Claude Code sees an OpenAI model's reasoning summary as its thinking, signed with the encrypted reasoning; an OpenAI chat client gets it as reasoning_content", async () => {
    const params = { model: 'oasum/gpt-5.1-codex', max_tokens: 8000, thinking: { type: 'enabled' as const, budget_tokens: 2048 }, tools: [weatherAnthropic] };
    for (const stream of [true, false]) {
      ds.reset();
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const turn1 = stream ? await anthropic.messages.stream({ ...params, messages }).finalMessage() : await anthropic.messages.create({ ...params, messages });
      assert.deepEqual(ds.last().body.reasoning, { effort: 'low', summary: 'auto' }, `stream ${stream}`);
      assert.deepEqual(turn1.content.map((b) => b.type), ['thinking', 'tool_use'], `stream ${stream}: ${JSON.stringify(turn1.content)}`);
      const block = turn1.content[0] as Anthropic.ThinkingBlock;
      assert.equal(block.thinking, REASONING_SUMMARY, `stream ${stream}`);
      assert.match(block.signature, /^sy-openai-reasoning\.v1:rs_/);
      const use = turn1.content[1] as Anthropic.ToolUseBlock;
      messages.push({ role: 'assistant', content: turn1.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'Sunny, 21C' }] });
      const turn2 = await anthropic.messages.create({ ...params, messages });
      assert.equal((turn2.content.find((b) => b.type === 'text') as Anthropic.TextBlock).text, 'The tool said: Sunny, 21C');
      const sent = ds.last().body.input as Record<string, unknown>[];
      assert.deepEqual(sent.map((i) => i.type), ['message', 'reasoning', 'function_call', 'function_call_output'], `the reasoning goes back (stream ${stream})`);
      assert.match(String(sent[1].encrypted_content), /^gAAAAA/);
    }
    // Thinking shown as omitted: no summary is asked for.
    await anthropic.messages.create({ ...params, thinking: { type: 'enabled', budget_tokens: 2048, display: 'omitted' } as Anthropic.ThinkingConfigEnabled, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(ds.last().body.reasoning.summary, undefined);
    // An OpenAI chat client with an effort gets the summary as reasoning_content; without the option, none is asked for.
    const chat = await openai.chat.completions.create({ model: 'oasum/gpt-5.1-codex', reasoning_effort: 'medium', messages: [{ role: 'user', content: 'Hi' }] });
    assert.deepEqual(ds.last().body.reasoning, { effort: 'medium', summary: 'auto' });
    assert.equal((chat.choices[0].message as unknown as Record<string, unknown>).reasoning_content, REASONING_SUMMARY);
    await openai.chat.completions.create({ model: 'oaresp/gpt-5.1-codex', reasoning_effort: 'medium', messages: [{ role: 'user', content: 'Hi' }] });
    assert.deepEqual(ds.last().body.reasoning, { effort: 'medium' });
  });

  test('an OpenAI client\'s tool loop on Claude goes on: the next turn thinks no more, since its history has no signed thinking', async () => {
    const first: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = { model: 'anr/claude-sonnet-4', reasoning_effort: 'low', tools: [weatherOpenAI], messages: [{ role: 'user', content: 'Weather in Paris?' }] };
    const turn1 = (await openai.chat.completions.create(first)).choices[0].message;
    assert.ok(an.last().body.thinking);
    const turn2 = await openai.chat.completions.create({ ...first, messages: [...first.messages, turn1, { role: 'tool', tool_call_id: turn1.tool_calls![0].id, content: 'Sunny, 21C' }] });
    assert.equal(an.last().body.thinking, undefined);
    assert.equal(turn2.choices[0].message.content, 'The tool said: Sunny, 21C');
  });

  test('Claude Code\'s thinking reaches Gemini as a thinking budget or level, and its thought summary comes back as thinking', async () => {
    for (const [model, config] of [['gmr/gemini-2.5-flash', { thinkingBudget: 2048, includeThoughts: true }], ['gmr/gemini-3-pro', { thinkingLevel: 'low', includeThoughts: true }]] as const) {
      for (const stream of [true, false]) {
        const params: Anthropic.MessageCreateParamsNonStreaming = { model, max_tokens: 8000, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: [{ role: 'user', content: 'Hi' }] };
        const msg = stream ? await anthropic.messages.stream(params).finalMessage() : await anthropic.messages.create(params);
        assert.deepEqual(gm.last().body.generationConfig.thinkingConfig, config, `${model} (stream ${stream})`);
        assert.deepEqual(msg.content, [{ type: 'thinking', thinking: THINKING, signature: '' }, { type: 'text', text: 'hello from gm' }], `${model} (stream ${stream})`);
      }
    }
  });

  test('Claude Code\'s thinking reaches an OpenAI reasoning model as reasoning_effort', async () => {
    await anthropic.messages.create({ model: 'oar/gpt-5', max_tokens: 8000, thinking: { type: 'enabled', budget_tokens: 31999 }, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(ds.last().body.reasoning_effort, 'high');
    // A client of the provider's own dialect sends its own field, untouched.
    await openai.chat.completions.create({ model: 'oar/gpt-5', reasoning_effort: 'minimal', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(ds.last().body.reasoning_effort, 'minimal');
  });
});

describe("Gemini 3 behind OpenRouter: its thought signatures (reasoning_details) go back in the tool loop", SUITE, () => {
  const MODEL_OR = 'or/google/gemini-3-pro';
  const toolResult = 'Sunny, 21C';

  test('an OpenAI client, whole and streamed: the signature rides in the call id, and goes back as reasoning_details', async () => {
    for (const stream of [false, true]) {
      ds.reset();
      const first: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = { model: MODEL_OR, tools: [weatherOpenAI], messages: [{ role: 'user', content: 'Weather in Paris?' }] };
      const turn1 = stream ? await streamedMessage(first) : (await openai.chat.completions.create(first)).choices[0].message as unknown as Record<string, any>;
      const call = turn1.tool_calls[0];
      // The client gets OpenRouter's reasoning_details as OpenRouter sent them.
      if (stream) assert.deepEqual(turn1.reasoning_details.map((d: { format: string; id: string }) => [d.format, d.id]), [['google-gemini-v1', call.id.slice(0, call.id.indexOf('__sig_'))]]);
      else assert.deepEqual(turn1.reasoning_details, JSON.parse(ds.last().sent!).choices[0].message.reasoning_details);
      // A client that drops them still carries the signature in the call id.
      const turn2 = await openai.chat.completions.create({
        ...first, messages: [...first.messages, { role: 'assistant', content: null, tool_calls: turn1.tool_calls }, { role: 'tool', tool_call_id: call.id, content: toolResult }],
      });
      assert.equal(turn2.choices[0].message.content, `The tool said: ${toolResult}`, `stream ${stream}`);
      const sent = ds.last().body.messages[1];
      assert.equal(sent.reasoning_details[0].format, 'google-gemini-v1');
      assert.equal(sent.reasoning_details[0].id, sent.tool_calls[0].id);
      assert.ok(!sent.tool_calls[0].id.includes('__sig_'), 'the provider gets the id without the signature');
      // A client that keeps them gives them back unmodified.
      await openai.chat.completions.create({
        ...first, messages: [...first.messages, { role: 'assistant', content: null, tool_calls: turn1.tool_calls, reasoning_details: turn1.reasoning_details } as OpenAI.Chat.Completions.ChatCompletionAssistantMessageParam, { role: 'tool', tool_call_id: call.id, content: toolResult }],
      });
      assert.deepEqual(ds.last().body.messages[1].reasoning_details, turn1.reasoning_details);
    }
  });

  test("a client that keeps OpenRouter's reasoning_details itself gets the same", async () => {
    ds.reset();
    const id = 'call_fake_kept_0';
    const detail = { type: 'reasoning.encrypted', id, data: Buffer.from(`fake signature of ${id}`).toString('base64'), format: 'google-gemini-v1', index: 0 };
    const res = await openai.chat.completions.create({
      model: MODEL_OR, tools: [weatherOpenAI],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }], reasoning_details: [detail] } as OpenAI.Chat.Completions.ChatCompletionAssistantMessageParam,
        { role: 'tool', tool_call_id: id, content: toolResult },
      ],
    });
    assert.equal(res.choices[0].message.content, `The tool said: ${toolResult}`);
  });

  test('an Anthropic client (Claude Code) and a Responses client: the signature rides in the tool id they send back', async () => {
    ds.reset();
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await anthropic.messages.stream({ model: MODEL_OR, max_tokens: 1024, tools: [weatherAnthropic], messages }).finalMessage();
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    messages.push({ role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: toolResult }] });
    const second = await anthropic.messages.create({ model: MODEL_OR, max_tokens: 1024, tools: [weatherAnthropic], messages });
    assert.equal((second.content[0] as Anthropic.TextBlock).text, `The tool said: ${toolResult}`);

    const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const r1 = await openai.responses.create({ model: MODEL_OR, tools: [weatherResponses], input });
    const fc = r1.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call')!;
    const r2 = await openai.responses.create({ model: MODEL_OR, tools: [weatherResponses], input: [...input, { type: 'function_call', call_id: fc.call_id, name: fc.name, arguments: fc.arguments }, { type: 'function_call_output', call_id: fc.call_id, output: toolResult }] });
    assert.equal(r2.output_text, `The tool said: ${toolResult}`);
  });

  test('without options.send_reasoning the signatures stay home, and OpenRouter says what it misses', async () => {
    ds.reset();
    const first: OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming = { model: 'or0/google/gemini-3-pro', tools: [weatherOpenAI], messages: [{ role: 'user', content: 'Weather in Paris?' }] };
    const call = (await openai.chat.completions.create(first)).choices[0].message.tool_calls![0] as OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;
    await assert.rejects(openai.chat.completions.create({ ...first, messages: [...first.messages, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: call.id, content: toolResult }] }), /reasoning details to be preserved/);
  });
});
