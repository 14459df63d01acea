/**
 * The gateway as users drive it: the official `openai` and `@anthropic-ai/sdk` clients
 * pointed at it, against fake OpenAI, Anthropic and Gemini upstreams. Text, tools (call →
 * result → answer) and streaming across dialects; embeddings (the OpenAI SDK's default
 * base64 encoding); GET /v1/models and /anthropic/v1/models; upstream errors in the client's dialect; provider
 * keys go upstream, client credentials never do.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { hashKey } from '../../src/governance/index.js';
import { startWireFake, THINKING, TOOL_ARGS, type WireFake } from '../fakes/wire.js';
import { assertNeverUpstream, REQUEST_TIMEOUT_MS, startE2E, type E2EGateway, HOOK, SUITE } from './helpers.js';

const KEYS = { OA_KEY: 'sk-up-openai-7f3a9c', AN_KEY: 'sk-up-anthropic-1b2d4e', GM_KEY: 'sk-up-gemini-9e8d7c' };
/** Virtual keys: what users put in their SDK's apiKey. */
const OPENAI_CLIENT_KEY = 'sk-sy-client-openai-must-not-leak';
const ANTHROPIC_CLIENT_KEY = 'sk-sy-client-anthropic-must-not-leak';

let oa: WireFake, an: WireFake, gm: WireFake;
let e2e: E2EGateway;
let openai: OpenAI;
let anthropic: Anthropic;

const weatherToolOpenAI: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const weatherToolAnthropic: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

before(async () => {
  [oa, an, gm] = await Promise.all([
    startWireFake({ format: 'openai', name: 'oa' }),
    startWireFake({ format: 'anthropic', name: 'an' }),
    startWireFake({ format: 'gemini', name: 'gm' }),
  ]);
  e2e = await startE2E({
    server: { allow_unauthenticated: false },
    governance: {
      virtual_keys: [
        { id: 'vk-openai-app', key_hash: hashKey(OPENAI_CLIENT_KEY) },
        { id: 'vk-anthropic-app', key_hash: hashKey(ANTHROPIC_CLIENT_KEY) },
      ],
    },
    dispatch: { retries_per_target: 0, max_attempts: 2, backoff: { base_ms: 1, cap_ms: 5 } },
    aliases: { fast: 'gm/gemini-2.5-flash' },
    providers: {
      oa: {
        type: 'openai', base_url: `${oa.url}/v1`, weight: 1, models: ['gpt-4o', 'gpt-4o-mini', 'gpt-5', 'text-embedding-3-small'], keys: [{ name: 'oa-main', value: 'env.OA_KEY' }],
        options: { drop_params: { 'gpt-5*': ['temperature', 'top_p'] } },
      },
      // Anthropic on API version 2026-10-21, which refuses sampling parameters.
      an2: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-5'], options: { anthropic_version: '2026-10-21' }, keys: [{ name: 'an-main', value: 'env.AN_KEY' }] },
      // The same OpenAI without drop_params.
      oa2: { type: 'openai', base_url: `${oa.url}/v1`, weight: 0, models: ['gpt-5'], keys: [{ name: 'oa-main', value: 'env.OA_KEY' }] },
      // The same OpenAI through its Responses API.
      oar: { type: 'openai', base_url: `${oa.url}/v1`, weight: 0, models: ['gpt-5'], keys: [{ name: 'oa-main', value: 'env.OA_KEY' }], options: { api: 'responses' } },
      an: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'an-main', value: 'env.AN_KEY' }] },
      gm: { type: 'gemini', base_url: gm.url, weight: 0, models: ['gemini-2.5-flash', 'gemini-3-flash', 'text-embedding-004'], keys: [{ name: 'gm-main', value: 'env.GM_KEY' }] },
      // Azure OpenAI, by deployment path and by its v1 API, served by the OpenAI fake.
      azc: { type: 'azure', base_url: oa.url, weight: 0, models: ['gpt-4o'], options: { api_version: '2024-10-21', deployments: { 'gpt-4o': 'gpt4o-prod' } }, keys: [{ name: 'az', value: 'env.OA_KEY' }] },
      azv: { type: 'azure', base_url: `${oa.url}/openai/v1`, weight: 0, models: ['gpt-5'], options: { api_version: 'v1', deployments: { 'gpt-5': 'gpt5-prod' } }, keys: [{ name: 'az', value: 'env.OA_KEY' }] },
      // The same OpenAI, told how many tokens its models write at most.
      oa3: { type: 'openai', base_url: `${oa.url}/v1`, weight: 0, models: ['gpt-4o', 'gpt-5'], keys: [{ name: 'oa-main', value: 'env.OA_KEY' }], options: { max_output_tokens: { 'gpt-4o*': 16384 } } },
      an3: { type: 'anthropic', base_url: an.url, weight: 0, models: ['claude-sonnet-4'], keys: [{ name: 'an-main', value: 'env.AN_KEY' }], options: { max_output_tokens: 2048 } },
      // A vLLM server, served by the OpenAI fake, that takes two of its own parameters.
      vllm: { type: 'openai-compatible', base_url: `${oa.url}/v1`, weight: 0, models: ['qwen3-32b'], options: { auth: 'none', pass_params: ['chat_template_kwargs', 'top_k'] } },
    },
  }, { env: KEYS });
  openai = new OpenAI({ baseURL: `${e2e.url}/v1`, apiKey: OPENAI_CLIENT_KEY, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
  anthropic = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: ANTHROPIC_CLIENT_KEY, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
}, HOOK);

after(async () => {
  await e2e?.close();
  await Promise.all([oa?.close(), an?.close(), gm?.close()]);
}, HOOK);

/** Tool-call arguments of a streamed OpenAI answer, reassembled by index. */
async function collectOpenAIStream(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  let text = '';
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | null | undefined;
  let chunks = 0;
  const tools = new Map<number, { id?: string; name?: string; args: string }>();
  for await (const c of stream) {
    chunks++;
    if (c.usage) usage = c.usage;
    const choice = c.choices[0];
    if (!choice) continue;
    if (choice.delta.content) text += choice.delta.content;
    for (const t of choice.delta.tool_calls ?? []) {
      const cur = tools.get(t.index) ?? { args: '' };
      if (t.id) cur.id = t.id;
      if (t.function?.name) cur.name = t.function.name;
      if (t.function?.arguments) cur.args += t.function.arguments;
      tools.set(t.index, cur);
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  return { text, finish, usage, chunks, tools: [...tools.values()] };
}

describe('OpenAI client → OpenAI upstream', SUITE, () => {
  test('text: translation, usage, provider key upstream, decision id header', async () => {
    oa.reset();
    const { data, response } = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }],
      max_tokens: 50,
      temperature: 0.2,
    }).withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.choices[0].message.content, 'hello from oa');
    assert.equal(data.choices[0].finish_reason, 'stop');
    assert.equal(data.usage?.prompt_tokens, 11);
    assert.equal(data.usage?.completion_tokens, 7);
    assert.equal(data.usage?.total_tokens, 18);
    assert.match(response.headers.get('x-switchyard-decision-id') ?? '', /^dec_/);

    const r = oa.last();
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1/chat/completions');
    assert.equal(r.headers.authorization, `Bearer ${KEYS.OA_KEY}`);
    assert.equal(r.body.model, 'gpt-4o');
    assert.deepEqual(r.body.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }]);
    assert.equal(r.body.max_completion_tokens, 50);
    assert.equal(r.body.temperature, 0.2);
    assert.equal(r.body.stream, undefined);
  });

  test('OpenAI-only fields reach an OpenAI upstream as sent, and no other', async () => {
    oa.reset();
    an.reset();
    const extras = { seed: 7, presence_penalty: 0.5, frequency_penalty: 0.25, logit_bias: { '50256': -100 }, store: false,
      verbosity: 'low' as const, prompt_cache_key: 'tenant-42', prompt_cache_retention: '24h' as const, safety_identifier: 'user-hash-9' };
    await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }], ...extras });
    const sent = oa.last().body;
    for (const [name, value] of Object.entries(extras)) assert.deepEqual(sent[name], value, name);
    await openai.chat.completions.create({ model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: 'Say hello' }], ...extras });
    const crossed = an.last().body;
    for (const name of Object.keys(extras)) assert.equal(crossed[name], undefined, `${name} must not reach Anthropic`);
  });

  test('streaming with include_usage: deltas in order, usage in the final chunk', async () => {
    oa.reset();
    oa.enqueue({ text: 'one two three four', chunks: 4 });
    const stream = await openai.chat.completions.create({
      model: 'oa/gpt-4o-mini',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const got = await collectOpenAIStream(stream);
    assert.equal(got.text, 'one two three four');
    assert.equal(got.finish, 'stop');
    assert.equal(got.usage?.prompt_tokens, 11);
    assert.equal(got.usage?.completion_tokens, 7);
    assert.ok(got.chunks >= 5, `several chunks, got ${got.chunks}`);
    const r = oa.last();
    assert.equal(r.body.model, 'gpt-4o-mini', 'the provider prefix is not sent upstream');
    assert.equal(r.body.stream, true);
    assert.deepEqual(r.body.stream_options, { include_usage: true });
  });

  test('logprobs come back streamed as whole: each chunk with its own, and the SDK puts together the same list', async () => {
    oa.reset();
    oa.enqueue({ text: 'one two six', chunks: 3 }, { text: 'one two six', chunks: 3 }, { text: 'one two six', chunks: 3 });
    const params = { model: 'oa/gpt-4o', messages: [{ role: 'user' as const, content: 'count' }], logprobs: true, top_logprobs: 2 };
    const whole = await openai.chat.completions.create(params);
    assert.equal(oa.last().body.logprobs, true);
    assert.equal(oa.last().body.top_logprobs, 2);
    const tokens = whole.choices[0].logprobs?.content ?? [];
    assert.deepEqual(tokens.map((t) => t.token), ['one ', 'two ', 'six']);
    assert.equal(tokens[0].top_logprobs.length, 2);

    const seen: [string, string[]][] = [];
    for await (const c of await openai.chat.completions.create({ ...params, stream: true })) {
      const choice = c.choices[0];
      if (choice?.delta.content) seen.push([choice.delta.content, (choice.logprobs?.content ?? []).map((t) => t.token)]);
    }
    assert.deepEqual(seen, [['one ', ['one ']], ['two ', ['two ']], ['six', ['six']]]);
    const final = await openai.chat.completions.stream(params).finalChatCompletion();
    assert.deepEqual(final.choices[0].logprobs, whole.choices[0].logprobs);
  });

  test('tools: call → result → answer', async () => {
    oa.reset();
    const first = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherToolOpenAI],
      tool_choice: 'auto',
    });
    const call = first.choices[0].message.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), TOOL_ARGS);
    assert.deepEqual(oa.last().body.tools, [weatherToolOpenAI]);
    assert.equal(oa.last().body.tool_choice, 'auto');

    const second = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21C' },
      ],
      tools: [weatherToolOpenAI],
    });
    assert.equal(second.choices[0].message.content, 'The tool said: sunny, 21C');
    const sent = oa.last().body.messages;
    assert.equal(sent[1].tool_calls[0].id, call.id);
    assert.deepEqual(sent[2], { role: 'tool', tool_call_id: call.id, content: 'sunny, 21C' });
  });

  test('a model alias resolves to its provider/model (fast → gm/gemini-2.5-flash)', async () => {
    gm.reset();
    const res = await openai.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.choices[0].message.content, 'hello from gm');
    assert.equal(gm.last().path, '/v1beta/models/gemini-2.5-flash:generateContent');
  });
});

describe('a whole answer in the client\'s own dialect', SUITE, () => {
  // Same dialect on both sides: the upstream's body is parsed and validated (usage, cost,
  // fallback on a malformed answer) and then sent as it came, not rendered again.
  test('OpenAI client ← OpenAI upstream: the body is the upstream\'s, byte for byte', async () => {
    oa.reset();
    const res = await fetch(`${e2e.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPENAI_CLIENT_KEY}` },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello' }] }),
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.equal(text, oa.last().sent);
    // Fields the canonical response does not carry survive.
    assert.equal(JSON.parse(text).system_fingerprint, 'fp_fake');
  });

  test('Anthropic client ← Anthropic upstream: the body is the upstream\'s, byte for byte', async () => {
    an.reset();
    const res = await fetch(`${e2e.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ANTHROPIC_CLIENT_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'an/claude-sonnet-4', max_tokens: 50, messages: [{ role: 'user', content: 'Say hello' }] }),
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), an.last().sent);
  });

  test('prompt caching as Claude Code uses it: cache_control reaches Anthropic, streamed or not', async () => {
    const ephemeral = { type: 'ephemeral' as const };
    const params = {
      model: 'an/claude-sonnet-4',
      max_tokens: 50,
      system: [{ type: 'text' as const, text: 'You are a coding agent. '.repeat(50), cache_control: ephemeral }],
      tools: [{ ...weatherToolAnthropic, cache_control: ephemeral }],
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Say hello', cache_control: ephemeral }] }],
    };
    for (const stream of [false, true]) {
      an.reset();
      if (stream) for await (const _ev of await anthropic.messages.create({ ...params, stream: true })) { /* drain */ }
      else await anthropic.messages.create(params);
      const up = an.last().body;
      assert.deepEqual(up.system, params.system, `system (stream ${stream})`);
      assert.deepEqual(up.tools[0].cache_control, ephemeral, `tools (stream ${stream})`);
      assert.deepEqual(up.messages[0].content, params.messages[0].content, `messages (stream ${stream})`);
    }
  });

  test("prompt caching as opencode asks for it through chat completions: cache_control on a message or a tool call marks its last block for Anthropic", async () => {
    const ephemeral = { type: 'ephemeral' as const };
    // The Vercel AI SDK's openai-compatible provider puts the mark on the message, not on its parts.
    const messages = [
      { role: 'system', content: 'You are a coding agent.', cache_control: ephemeral },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: 'Looking.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }], cache_control: ephemeral },
      { role: 'tool', tool_call_id: 'call_1', content: 'Sunny', cache_control: ephemeral },
      { role: 'user', content: [{ type: 'text', text: 'Thanks.' }, { type: 'text', text: 'And Lyon?' }], cache_control: ephemeral },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' }, cache_control: { type: 'ephemeral', ttl: '1h' } }] },
      { role: 'tool', tool_call_id: 'call_2', content: 'Rain' },
    ];
    for (const stream of [false, true]) {
      an.reset();
      const params = { model: 'an/claude-sonnet-4', messages, tools: [weatherToolOpenAI] } as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
      if (stream) await collectOpenAIStream(await openai.chat.completions.create({ ...params, stream: true }));
      else await openai.chat.completions.create(params);
      const up = an.last().body;
      assert.deepEqual(up.system, [{ type: 'text', text: 'You are a coding agent.', cache_control: ephemeral }], `system (stream ${stream})`);
      const marks = up.messages.map((m: { content: string | { type: string; cache_control?: unknown }[] }) => (typeof m.content === 'string' ? [] : m.content.map((b) => `${b.type}${b.cache_control ? `:${JSON.stringify(b.cache_control)}` : ''}`)));
      assert.deepEqual(marks, [
        typeof up.messages[0].content === 'string' ? [] : ['text'],
        ['text', 'tool_use:{"type":"ephemeral"}'],
        ['tool_result:{"type":"ephemeral"}', 'text', 'text:{"type":"ephemeral"}'],
        ['tool_use:{"type":"ephemeral","ttl":"1h"}'],
        ['tool_result'],
      ], `stream ${stream}`);
    }
    // A mark that is not Anthropic's is the client's error, naming it.
    const bad = await openai.chat.completions.create({ model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: 'Hi', cache_control: { type: 'forever' } }] } as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming).catch((e: InstanceType<typeof OpenAI.BadRequestError>) => e);
    assert.ok(bad instanceof OpenAI.BadRequestError);
    assert.equal((bad.error as { param?: string }).param, 'messages[0].cache_control.type');
  });

  test("Anthropic's own stop reasons reach a streaming Anthropic client as sent (pause_turn, stop_sequence with its match)", async () => {
    const params = { model: 'an/claude-sonnet-4', max_tokens: 50, messages: [{ role: 'user' as const, content: 'Search the web' }], stop_sequences: ['END'] };
    for (const stop of [{ reason: 'pause_turn' }, { reason: 'stop_sequence', sequence: 'END' }, { reason: 'model_context_window_exceeded' }]) {
      an.reset();
      an.enqueue({ stop });
      const message = await anthropic.messages.stream(params).finalMessage();
      assert.equal(message.stop_reason, stop.reason);
      assert.equal(message.stop_sequence, stop.sequence ?? null);
    }
    // An OpenAI client gets the nearest of its own: a paused or stopped turn is "stop", a full window "length".
    an.enqueue({ stop: { reason: 'pause_turn' } }, { stop: { reason: 'model_context_window_exceeded' } });
    for (const expected of ['stop', 'length']) {
      const stream = await openai.chat.completions.create({ model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: 'hi' }], stream: true });
      assert.equal((await collectOpenAIStream(stream)).finish, expected);
    }
  });

  test('prompt-cache reads and writes come back to Claude Code as Anthropic counted them, and are priced as such', async () => {
    // 4 plain input tokens, 3000 read from the cache, 2000 written for 5 minutes and 1000 for an hour.
    const usage = { input: 4, output: 10, cacheRead: 3000, cacheWrite5m: 2000, cacheWrite1h: 1000 };
    const expected = {
      input_tokens: 4, cache_creation_input_tokens: 3000, cache_read_input_tokens: 3000, output_tokens: 10,
      cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 1000 },
    };
    // claude-sonnet-4: $3/M input, $0.30/M cache reads, $3.75/M 5-minute writes, $6/M 1-hour writes, $15/M output.
    const cost = (4 * 3 + 3000 * 0.3 + 2000 * 3.75 + 1000 * 6 + 10 * 15) / 1e6;
    for (const stream of [true, false]) {
      an.reset();
      an.enqueue({ usage });
      const params = { model: 'an/claude-sonnet-4', max_tokens: 50, messages: [{ role: 'user' as const, content: 'Say hello' }] };
      const { data, response } = stream
        ? await anthropic.messages.stream(params).withResponse().then(async (r) => ({ data: await r.data.finalMessage(), response: r.response }))
        : await anthropic.messages.create(params).withResponse();
      const { service_tier: _tier, server_tool_use: _server, ...got } = data.usage as unknown as Record<string, unknown>;
      assert.deepEqual(got, expected, `usage (stream ${stream})`);
      await e2e.gw.runtime.audit.flush();
      const { events } = await e2e.gw.runtime.audit.query({ decision_id: response.headers.get('x-switchyard-decision-id')! });
      assert.equal(events[0].outcome.input_tokens, 6004, `input tokens (stream ${stream})`);
      assert.equal(events[0].outcome.cached_tokens, 3000);
      assert.equal(events[0].outcome.cache_write_tokens, 3000);
      assert.ok(Math.abs(events[0].outcome.cost_usd! - cost) < 1e-9, `cost ${events[0].outcome.cost_usd} (stream ${stream})`);
    }
  });

  test('extended thinking as Claude Code uses it: thinking streams back signed, and the tool loop goes on with it', async () => {
    for (const stream of [true, false]) {
      an.reset();
      const first: Anthropic.MessageCreateParamsNonStreaming = {
        model: 'an/claude-sonnet-4', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 },
        tools: [weatherToolAnthropic], messages: [{ role: 'user', content: 'Weather in Paris?' }],
      };
      const turn1 = stream ? await anthropic.messages.stream(first).finalMessage() : await anthropic.messages.create(first);
      assert.deepEqual(an.last().body.thinking, first.thinking, `the setting reaches Anthropic (stream ${stream})`);
      assert.equal(turn1.content[0].type, 'thinking', `thinking comes first (stream ${stream})`);
      const thought = turn1.content[0] as Anthropic.ThinkingBlock;
      assert.equal(thought.thinking, THINKING);
      assert.match(thought.signature, /^sig_fake_/);
      const call = turn1.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      assert.deepEqual(call.input, TOOL_ARGS);
      // The fake, like Anthropic, refuses this turn unless it starts with the signed thinking block.
      const turn2 = await anthropic.messages.create({
        ...first,
        messages: [...first.messages, { role: 'assistant', content: turn1.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'Sunny, 21C' }] }],
      });
      assert.deepEqual(an.last().body.messages[1].content[0], { type: 'thinking', thinking: THINKING, signature: thought.signature });
      assert.equal(turn2.content.find((b) => b.type === 'text')?.text, 'The tool said: Sunny, 21C');
    }
  });

  test("Claude Code reading a screenshot on GPT: the tool result's image follows the tool message, as a user message", async () => {
    oa.reset();
    oa.enqueue({ text: 'A weather map.' });
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const res = await anthropic.messages.create({
      model: 'oa/gpt-4o', max_tokens: 100, tools: [weatherToolAnthropic],
      messages: [
        { role: 'user', content: 'What does the screenshot show?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'screen.png' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }] }] },
      ],
    });
    assert.deepEqual(res.content, [{ type: 'text', text: 'A weather map.' }]);
    const sent = oa.last().body.messages;
    assert.deepEqual(sent.slice(-2), [
      { role: 'tool', tool_call_id: 'toolu_1', content: 'screen.png\n[an attachment of this result follows in the next user message]' },
      { role: 'user', content: [{ type: 'text', text: 'Attached to the result of tool call toolu_1:' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] },
    ]);
  });

  test('blocks and server tools only Anthropic has (a PDF by URL, web search) reach it as sent; another provider refuses them by name', async () => {
    an.reset();
    const pdf: Anthropic.DocumentBlockParam = { type: 'document', source: { type: 'url', url: 'https://example.com/report.pdf' }, citations: { enabled: true } };
    const webSearch: Anthropic.WebSearchTool20250305 = { type: 'web_search_20250305', name: 'web_search', max_uses: 2 };
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: [pdf, { type: 'text', text: 'Summarize it.' }] }];
    await anthropic.messages.create({ model: 'an/claude-sonnet-4', max_tokens: 50, tools: [webSearch], messages });
    assert.deepEqual(an.last().body.messages, messages);
    assert.deepEqual(an.last().body.tools, [webSearch]);
    await assert.rejects(anthropic.messages.create({ model: 'gpt-4o', max_tokens: 50, messages }), (e: InstanceType<typeof Anthropic.BadRequestError>) => {
      assert.equal(e.status, 400);
      const body = e.error as { error: { message: string; code: string } };
      assert.equal(body.error.code, 'SY_ERR_BAD_REQUEST');
      assert.equal(body.error.message, 'messages[0].content: a "document" block can only be sent to an Anthropic provider');
      return true;
    });
  });

  test('context_management, container and mcp_servers reach Anthropic as sent; another provider drops the first two and refuses MCP servers', async () => {
    an.reset();
    oa.reset();
    const own = {
      context_management: { edits: [{ type: 'clear_tool_uses_20250919', trigger: { type: 'input_tokens', value: 30000 } }] },
      container: 'container_011CPR5CNjB747bTd36fQLFk',
      mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'example' }],
    };
    const params = { model: 'an/claude-sonnet-4', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }], ...own };
    await anthropic.messages.create(params as Anthropic.MessageCreateParamsNonStreaming);
    for (const [name, value] of Object.entries(own)) assert.deepEqual(an.last().body[name], value, name);
    const { mcp_servers: _m, ...elsewhere } = params;
    await anthropic.messages.create({ ...elsewhere, model: 'gpt-4o' } as Anthropic.MessageCreateParamsNonStreaming);
    assert.equal(oa.last().body.context_management, undefined);
    assert.equal(oa.last().body.container, undefined);
    await assert.rejects(anthropic.messages.create({ ...params, model: 'gpt-4o' } as Anthropic.MessageCreateParamsNonStreaming), (e: InstanceType<typeof Anthropic.BadRequestError>) => {
      assert.equal(e.status, 400);
      assert.match((e.error as { error: { message: string } }).error.message, /^mcp_servers: .* can only be sent to an Anthropic provider$/);
      return true;
    });
  });

  test("Claude Code's tool search: a deferred tool and the tool_reference that loads it reach Anthropic as sent; other providers get the tool loaded and the reference in words", async () => {
    const toolSearch = { name: 'ToolSearch', description: 'Finds deferred tools', input_schema: { type: 'object' as const, properties: { query: { type: 'string' } }, required: ['query'] } };
    const deferred = { name: 'mcp__db__query', description: 'Runs a query', input_schema: { type: 'object' as const, properties: { sql: { type: 'string' } } }, defer_loading: true, input_examples: [{ sql: 'select 1' }] };
    const messages = [
      { role: 'user', content: 'How many users are there?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_ts', name: 'ToolSearch', input: { query: 'database' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_ts', content: [{ type: 'tool_reference', tool_name: 'mcp__db__query' }] }] },
    ];
    const ask = (model: string) => anthropic.messages.create({ model, max_tokens: 50, tools: [toolSearch, deferred], messages } as unknown as Anthropic.MessageCreateParamsNonStreaming);
    an.reset();
    await ask('an/claude-sonnet-4');
    assert.deepEqual(an.last().body.tools, [toolSearch, deferred]);
    assert.deepEqual(an.last().body.messages[2].content[0].content, [{ type: 'tool_reference', tool_name: 'mcp__db__query' }]);
    oa.reset();
    await ask('oa/gpt-4o');
    assert.deepEqual(oa.last().body.tools[1].function, { name: 'mcp__db__query', description: 'Runs a query', parameters: deferred.input_schema });
    assert.deepEqual(oa.last().body.messages.at(-1), { role: 'tool', tool_call_id: 'toolu_ts', content: 'Tool found: mcp__db__query' });
    gm.reset();
    await ask('gm/gemini-2.5-flash');
    assert.deepEqual(gm.last().body.contents.at(-1).parts, [{ functionResponse: { name: 'ToolSearch', response: { output: 'Tool found: mcp__db__query' } } }]);
  });

  test('the tools Anthropic defines and the client runs (bash, text editor) reach Anthropic as declared, and every other provider as functions whose calls come back as the client expects', async () => {
    const tools = [{ type: 'bash_20250124', name: 'bash' }, { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool', max_characters: 10000, cache_control: { type: 'ephemeral' } }];
    const ask = (model: string, messages: unknown[]) => anthropic.messages.create({ model, max_tokens: 50, tools, messages } as unknown as Anthropic.MessageCreateParamsNonStreaming);
    an.reset();
    await ask('an/claude-sonnet-4', [{ role: 'user', content: 'List the files' }]);
    assert.deepEqual(an.last().body.tools, tools);
    for (const [model, fake] of [['oa/gpt-4o', oa], ['gm/gemini-2.5-flash', gm]] as const) {
      fake.reset();
      fake.enqueue({ toolCall: { name: 'str_replace_based_edit_tool', args: { command: 'str_replace', path: '/repo/a.py', old_str: 'x = 1', new_str: 'x = 2' } } });
      const res = await ask(model, [{ role: 'user', content: 'Set x to 2' }]);
      const sent = fake.format === 'openai' ? fake.last().body.tools.map((t: any) => t.function) : fake.last().body.tools[0].functionDeclarations;
      assert.deepEqual(sent.map((t: any) => t.name), ['bash', 'str_replace_based_edit_tool'], model);
      const schema = fake.format === 'openai' ? sent[1].parameters : sent[1].parametersJsonSchema;
      assert.deepEqual(schema.properties.command.enum, ['view', 'create', 'str_replace', 'insert'], 'this version has no undo_edit');
      const use = res.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
      assert.ok(use, JSON.stringify(res.content));
      assert.equal(use.name, 'str_replace_based_edit_tool');
      assert.deepEqual(use.input, { command: 'str_replace', path: '/repo/a.py', old_str: 'x = 1', new_str: 'x = 2' });
      // The client runs it and answers; the loop goes on.
      await ask(model, [{ role: 'user', content: 'Set x to 2' }, { role: 'assistant', content: [use] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'Replaced.' }] }]);
      assert.ok(JSON.stringify(fake.last().body).includes('Replaced.'), model);
    }
  });

  test('a PDF sent inline reaches every provider in its own form (Claude Code reading a PDF on GPT or Gemini)', async () => {
    const data = 'JVBERi0xLjQK';
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data }, title: 'report.pdf' }, { type: 'text', text: 'Summarize it.' }] }];
    oa.reset();
    await anthropic.messages.create({ model: 'gpt-4o', max_tokens: 50, messages });
    assert.deepEqual(oa.last().body.messages[0].content[0], { type: 'file', file: { filename: 'report.pdf', file_data: `data:application/pdf;base64,${data}` } });
    gm.reset();
    await anthropic.messages.create({ model: 'gm/gemini-2.5-flash', max_tokens: 50, messages });
    assert.deepEqual(gm.last().body.contents[0].parts[0], { inlineData: { mimeType: 'application/pdf', data } });
    an.reset();
    await openai.chat.completions.create({ model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'report.pdf', file_data: `data:application/pdf;base64,${data}` } }, { type: 'text', text: 'Summarize it.' }] }] });
    assert.deepEqual(an.last().body.messages[0].content[0], { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data }, title: 'report.pdf' });
  });

  test('across dialects the answer is translated, not passed on', async () => {
    an.reset();
    const data = await openai.chat.completions.create({ model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 50 });
    // Passed on, the Anthropic body would have type "message" and no object or choices.
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.choices[0].message.content, 'hello from an');
  });
});

describe('OpenAI client → Anthropic upstream', SUITE, () => {
  test('text: system prompt, max_tokens, stop, usage and finish reason translated', async () => {
    an.reset();
    const res = await openai.chat.completions.create({
      model: 'an/claude-sonnet-4',
      messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: 'Again' }],
      max_tokens: 64,
      stop: ['END'],
      top_p: 0.9,
      temperature: 1.5,
    });
    assert.equal(res.choices[0].message.content, 'hello from an');
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.equal(res.usage?.prompt_tokens, 11);
    assert.equal(res.usage?.completion_tokens, 7);

    const r = an.last();
    assert.equal(r.path, '/v1/messages');
    assert.equal(r.headers['x-api-key'], KEYS.AN_KEY);
    assert.equal(typeof r.headers['anthropic-version'], 'string');
    assert.equal(r.headers.authorization, undefined, 'no Authorization header goes to Anthropic');
    assert.equal(r.body.model, 'claude-sonnet-4');
    assert.equal(r.body.system, 'You are terse.');
    assert.equal(r.body.max_tokens, 64);
    assert.deepEqual(r.body.stop_sequences, ['END']);
    assert.equal(r.body.top_p, undefined, 'current Claude models refuse temperature with top_p: temperature wins');
    assert.equal(r.body.temperature, 1, "OpenAI's 0–2 capped at Anthropic's 1, where Anthropic would refuse it");
    assert.deepEqual(r.body.messages.map((m: { role: string }) => m.role), ['user', 'assistant', 'user']);
  });

  test('tools: tool_use becomes tool_calls; the tool result becomes a tool_result block', async () => {
    an.reset();
    const first = await openai.chat.completions.create({
      model: 'an/claude-sonnet-4',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherToolOpenAI],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const msg = first.choices[0].message;
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    const call = msg.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), TOOL_ARGS);
    assert.match(call.id, /^toolu_fake/);
    const sentTools = an.last().body.tools;
    assert.equal(sentTools[0].name, 'get_weather');
    assert.deepEqual(sentTools[0].input_schema, weatherToolOpenAI.function.parameters);
    assert.deepEqual(an.last().body.tool_choice, { type: 'tool', name: 'get_weather' });

    const second = await openai.chat.completions.create({
      model: 'an/claude-sonnet-4',
      max_tokens: 200,
      messages: [{ role: 'user', content: 'Weather in Paris?' }, msg, { role: 'tool', tool_call_id: call.id, content: 'rain, 12C' }],
      tools: [weatherToolOpenAI],
    });
    assert.equal(second.choices[0].message.content, 'The tool said: rain, 12C');
    const sent = an.last().body.messages;
    assert.equal(sent.length, 3);
    const use = sent[1].content.find((b: { type: string }) => b.type === 'tool_use');
    assert.deepEqual(use, { type: 'tool_use', id: call.id, name: 'get_weather', input: TOOL_ARGS });
    assert.equal(sent[2].role, 'user');
    assert.equal(sent[2].content[0].type, 'tool_result');
    assert.equal(sent[2].content[0].tool_use_id, call.id);
  });

  test("a tool loop begun on a provider whose call ids Anthropic would refuse (Kimi's functions.name:0) continues on Anthropic", async () => {
    an.reset();
    const res = await openai.chat.completions.create({
      model: 'an/claude-sonnet-4',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'functions.get_weather:0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'functions.get_weather:0', content: '{"temp_c":21}' },
      ],
      tools: [weatherToolOpenAI],
    });
    assert.equal(res.choices[0].message.content, 'The tool said: {"temp_c":21}');
  });

  test('streaming text: Anthropic events become chunks ending in [DONE] with usage', async () => {
    an.reset();
    an.enqueue({ text: 'streamed from claude', chunks: 3 });
    const stream = await openai.chat.completions.create({
      model: 'an/claude-sonnet-4', max_tokens: 100, stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'go' }],
    });
    const got = await collectOpenAIStream(stream);
    assert.equal(got.text, 'streamed from claude');
    assert.equal(got.finish, 'stop');
    assert.equal(got.usage?.prompt_tokens, 11);
    assert.equal(got.usage?.completion_tokens, 7);
    assert.equal(an.last().body.stream, true);
  });

  test('streaming tool call: input_json_delta reassembles into arguments', async () => {
    an.reset();
    const stream = await openai.chat.completions.create({
      model: 'an/claude-sonnet-4', max_tokens: 100, stream: true,
      messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherToolOpenAI],
    });
    const got = await collectOpenAIStream(stream);
    assert.equal(got.finish, 'tool_calls');
    assert.equal(got.tools.length, 1);
    assert.equal(got.tools[0].name, 'get_weather');
    assert.match(got.tools[0].id ?? '', /^toolu_fake/);
    assert.deepEqual(JSON.parse(got.tools[0].args), TOOL_ARGS);
  });

  test('anthropic-beta (forwarded by default, for Claude Code) reaches Anthropic; other client headers do not', async () => {
    an.reset();
    const beta = new Anthropic({ baseURL: `${e2e.url}/anthropic`, apiKey: ANTHROPIC_CLIENT_KEY, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS, defaultHeaders: { 'anthropic-beta': 'fine-grained-tool-streaming-2025-05-14', 'x-custom': 'nope' } });
    await beta.messages.create({ model: 'an/claude-sonnet-4', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(an.last().headers['anthropic-beta'], 'fine-grained-tool-streaming-2025-05-14');
    assert.equal(an.last().headers['x-custom'], undefined);
    assert.equal(an.last().headers['x-api-key'], KEYS.AN_KEY);
  });

  test('an Anthropic 529 (overloaded_error) reaches the Anthropic-dialect client as overloaded_error', async () => {
    an.reset();
    an.enqueue({ error: { status: 529, message: 'Overloaded' } });
    await assert.rejects(
      anthropic.messages.create({ model: 'an/claude-sonnet-4', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (e: unknown) => {
        assert.ok(e instanceof Anthropic.OverloadedError, `got ${String(e)}`);
        assert.equal(e.status, 529);
        const body = e.error as { type: string; error: { type: string; code: string } };
        assert.equal(body.error.type, 'overloaded_error');
        assert.equal(body.error.code, 'SY_ERR_OVERLOADED');
        return true;
      },
    );
  });

  test('an upstream 429 reaches the OpenAI client as a RateLimitError with a stable code', async () => {
    an.reset();
    an.enqueue({ error: { status: 429, message: 'slow down', retryAfter: '3' } });
    await assert.rejects(
      openai.chat.completions.create({ model: 'an/claude-sonnet-4', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.RateLimitError, `got ${String(e)}`);
        assert.equal(e.status, 429);
        assert.equal(e.code, 'SY_ERR_UPSTREAM_RATE_LIMITED');
        assert.equal(e.type, 'rate_limit_exceeded');
        assert.ok(e.headers?.get('retry-after'), 'Retry-After is passed on');
        return true;
      },
    );
  });
});

describe('Anthropic client → OpenAI upstream', SUITE, () => {
  test('text: system, max_tokens, usage, stop_reason', async () => {
    oa.reset();
    const msg = await anthropic.messages.create({
      model: 'oa/gpt-4o',
      max_tokens: 100,
      system: 'Answer in one word.',
      messages: [{ role: 'user', content: 'Hello?' }],
      stop_sequences: ['\n\n'],
      metadata: { user_id: 'user-42' },
    });
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    assert.equal(msg.content[0].type, 'text');
    assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'hello from oa');
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.usage.input_tokens, 11);
    assert.equal(msg.usage.output_tokens, 7);

    const r = oa.last();
    assert.equal(r.path, '/v1/chat/completions');
    assert.equal(r.headers.authorization, `Bearer ${KEYS.OA_KEY}`);
    assert.equal(r.headers['x-api-key'], undefined, "the client's x-api-key is not forwarded");
    assert.equal(r.body.model, 'gpt-4o');
    assert.deepEqual(r.body.messages, [{ role: 'system', content: 'Answer in one word.' }, { role: 'user', content: 'Hello?' }]);
    assert.equal(r.body.max_completion_tokens, 100);
    assert.deepEqual(r.body.stop, ['\n\n']);
    assert.equal(r.body.user, 'user-42', 'metadata.user_id becomes user');
  });

  test('a server that ends a tool call with finish_reason "stop" still gives stop_reason tool_use, whole and streamed', async () => {
    // vLLM, Ollama and Gemini's OpenAI endpoint say "stop" after tool calls; an agent that
    // loops while stop_reason is tool_use (Anthropic's own examples do) would stop there.
    const calls = { toolCalls: [{ name: 'get_weather', args: TOOL_ARGS }, { name: 'get_weather', args: { city: 'Oslo' } }], stop: { reason: 'stop' } };
    oa.reset();
    oa.enqueue(calls, calls);
    const request = { model: 'vllm/qwen3-32b', max_tokens: 100, messages: [{ role: 'user' as const, content: 'Weather in Paris and Oslo?' }], tools: [weatherToolAnthropic] };
    const whole = await anthropic.messages.create(request);
    assert.equal(JSON.parse(oa.received[0].sent!).choices[0].finish_reason, 'stop', 'the server said stop');
    assert.deepEqual(whole.content.map((b) => b.type), ['tool_use', 'tool_use']);
    assert.equal(whole.stop_reason, 'tool_use');
    const streamed = await anthropic.messages.stream(request).finalMessage();
    assert.deepEqual(streamed.content.map((b) => b.type), ['tool_use', 'tool_use']);
    assert.equal(streamed.stop_reason, 'tool_use');
    // A plain answer that says stop is still end_turn.
    oa.enqueue({ text: 'sunny', stop: { reason: 'stop' } });
    assert.equal((await anthropic.messages.create(request)).stop_reason, 'end_turn');
  });

  test('tools: tool_calls become tool_use; tool_result becomes a tool message', async () => {
    oa.reset();
    const first = await anthropic.messages.create({
      model: 'oa/gpt-4o', max_tokens: 100,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherToolAnthropic],
      tool_choice: { type: 'any' },
    });
    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    assert.ok(use, 'a tool_use block');
    assert.equal(use.name, 'get_weather');
    assert.deepEqual(use.input, TOOL_ARGS);
    assert.deepEqual(oa.last().body.tools, [{ type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: weatherToolAnthropic.input_schema } }]);
    assert.equal(oa.last().body.tool_choice, 'required');

    const second = await anthropic.messages.create({
      model: 'oa/gpt-4o', max_tokens: 100, tools: [weatherToolAnthropic],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'fog, 9C' }] },
      ],
    });
    assert.equal((second.content[0] as Anthropic.TextBlock).text, 'The tool said: fog, 9C');
    const sent = oa.last().body.messages;
    assert.equal(sent[1].role, 'assistant');
    assert.equal(sent[1].tool_calls[0].id, use.id);
    assert.deepEqual(JSON.parse(sent[1].tool_calls[0].function.arguments), TOOL_ARGS);
    assert.deepEqual(sent[2], { role: 'tool', tool_call_id: use.id, content: 'fog, 9C' });
  });

  test('an OpenAI client with a temperature, served by Anthropic on API version 2026-10-21: the sampling parameters are left out', async () => {
    an.reset();
    const res = await openai.chat.completions.create({ model: 'an2/claude-sonnet-5', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2 });
    assert.equal(res.choices[0].message.content, 'hello from an');
    assert.equal(an.last().headers['anthropic-version'], '2026-10-21');
    assert.equal(an.last().body.temperature, undefined);
  });

  test("drop_params: a temperature GPT-5 would refuse is left out where the operator says so", async () => {
    const ask = (model: string) => anthropic.messages.create({ model, max_tokens: 50, temperature: 0.3, messages: [{ role: 'user', content: 'hi' }] } as Anthropic.MessageCreateParamsNonStreaming);
    const res = await ask('oa/gpt-5');
    assert.deepEqual(res.content.map((b) => (b.type === 'text' ? b.text : b.type)), ['hello from oa']);
    assert.equal(oa.last().body.temperature, undefined);
    await assert.rejects(ask('oa2/gpt-5'), (e: InstanceType<typeof Anthropic.BadRequestError>) => e.status === 400 && /temperature/.test(e.message));
  });

  test('a tool loop whose call ids are longer than OpenAI takes (40) continues on OpenAI', async () => {
    const id = 'toolu_01LongProviderIssuedIdentifier_0123456789abcdef';
    const res = await anthropic.messages.create({
      model: 'oa/gpt-4o', max_tokens: 100, tools: [weatherToolAnthropic],
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: [{ type: 'tool_use', id, name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: '{"temp_c":21}' }] },
      ],
    });
    assert.deepEqual(res.content.map((b) => (b.type === 'text' ? b.text : b.type)), ['The tool said: {"temp_c":21}']);
  });

  test('streaming text: OpenAI chunks become message_start … message_stop with usage', async () => {
    oa.reset();
    oa.enqueue({ text: 'streamed from gpt', chunks: 3 });
    const stream = anthropic.messages.stream({ model: 'oa/gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'go' }] });
    const types: string[] = [];
    stream.on('streamEvent', (ev) => types.push(ev.type));
    let text = '';
    stream.on('text', (t) => { text += t; });
    const final = await stream.finalMessage();
    assert.equal(text, 'streamed from gpt');
    assert.equal((final.content[0] as Anthropic.TextBlock).text, 'streamed from gpt');
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(final.usage.output_tokens, 7);
    assert.equal(types[0], 'message_start');
    assert.equal(types[types.length - 1], 'message_stop');
    assert.ok(types.includes('content_block_delta'));
    assert.equal(oa.last().body.stream, true);
  });

  test('streaming tool call: OpenAI tool_call deltas become a tool_use block', async () => {
    oa.reset();
    const stream = anthropic.messages.stream({
      model: 'oa/gpt-4o', max_tokens: 100, tools: [weatherToolAnthropic], messages: [{ role: 'user', content: 'Weather?' }],
    });
    const final = await stream.finalMessage();
    assert.equal(final.stop_reason, 'tool_use');
    const use = final.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    assert.ok(use);
    assert.equal(use.name, 'get_weather');
    assert.deepEqual(use.input, TOOL_ARGS);
  });

  test('an upstream 400 reaches the Anthropic client as invalid_request_error, never retried', async () => {
    oa.reset();
    oa.enqueue({ error: { status: 400, message: "Invalid value for 'temperature'" } });
    await assert.rejects(
      anthropic.messages.create({ model: 'oa/gpt-4o', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (e: unknown) => {
        assert.ok(e instanceof Anthropic.BadRequestError, `got ${String(e)}`);
        assert.equal(e.status, 400);
        const body = e.error as { type: string; error: { type: string; code: string; message: string } };
        assert.equal(body.type, 'error');
        assert.equal(body.error.type, 'invalid_request_error');
        assert.equal(body.error.code, 'SY_ERR_UPSTREAM_CLIENT_ERROR');
        return true;
      },
    );
    assert.equal(oa.received.length, 1, 'a client error is not retried');
  });
});

describe('Gemini 3 tool loops: the thought signature goes back through the client', SUITE, () => {
  // The fake, like Gemini 3, signs the first call of a turn and refuses a replay without it.
  const question = 'Weather in Paris?';
  /** The thoughtSignature on the replayed call of the last request, decoded. */
  const signatureSentBack = (): string => Buffer.from(String(gm.last().body.contents[1].parts[0].thoughtSignature), 'base64').toString();
  test('OpenAI client, whole and streamed', async () => {
    for (const stream of [false, true]) {
      gm.reset();
      const first: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = { model: 'gm/gemini-3-flash', tools: [weatherToolOpenAI], messages: [{ role: 'user', content: question }] };
      let call: { id: string; function: { name: string; arguments: string } };
      if (stream) {
        const collected = await collectOpenAIStream(await openai.chat.completions.create({ ...first, stream: true }));
        const t = collected.tools[0];
        call = { id: t.id!, function: { name: t.name!, arguments: t.args } };
      } else {
        call = (await openai.chat.completions.create(first)).choices[0].message.tool_calls![0] as typeof call;
      }
      const turn2 = await openai.chat.completions.create({
        ...first,
        messages: [...first.messages, { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: call.function }] }, { role: 'tool', tool_call_id: call.id, content: 'Sunny' }],
      });
      assert.equal(turn2.choices[0].message.content, 'The tool said: Sunny', `stream ${stream}`);
      assert.match(signatureSentBack(), /^fake thought signature \d+$/, `Gemini's own signature, not the stand-in (stream ${stream})`);
    }
  });

  test('Anthropic client (Claude Code on Gemini 3)', async () => {
    gm.reset();
    const first: Anthropic.MessageCreateParamsNonStreaming = { model: 'gm/gemini-3-flash', max_tokens: 100, tools: [weatherToolAnthropic], messages: [{ role: 'user', content: question }] };
    const turn1 = await anthropic.messages.stream(first).finalMessage();
    const call = turn1.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    const turn2 = await anthropic.messages.create({
      ...first,
      messages: [...first.messages, { role: 'assistant', content: turn1.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'Rain' }] }],
    });
    assert.equal(turn2.content.find((b) => b.type === 'text')?.text, 'The tool said: Rain');
    assert.match(signatureSentBack(), /^fake thought signature \d+$/);
  });

  test('a tool loop begun on another model continues on Gemini 3', async () => {
    gm.reset();
    const res = await openai.chat.completions.create({
      model: 'gm/gemini-3-flash', tools: [weatherToolOpenAI],
      messages: [
        { role: 'user', content: question },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_from_gpt_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_from_gpt_1', content: 'Fog' },
      ],
    });
    assert.equal(res.choices[0].message.content, 'The tool said: Fog');
    assert.equal(gm.last().body.contents[1].parts[0].thoughtSignature, 'skip_thought_signature_validator');
  });
});

describe('both clients → Gemini upstream', SUITE, () => {
  test('OpenAI client: text with systemInstruction and generationConfig', async () => {
    gm.reset();
    const res = await openai.chat.completions.create({
      model: 'gm/gemini-2.5-flash',
      messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }],
      max_tokens: 77, temperature: 0.3, stop: ['STOP!'],
    });
    assert.equal(res.choices[0].message.content, 'hello from gm');
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.equal(res.usage?.prompt_tokens, 11);
    assert.equal(res.usage?.completion_tokens, 7);
    const r = gm.last();
    assert.equal(r.path, '/v1beta/models/gemini-2.5-flash:generateContent');
    assert.equal(r.headers['x-goog-api-key'], KEYS.GM_KEY);
    assert.ok(!r.path.includes('key='), 'the key is not put in the URL');
    assert.equal(r.headers.authorization, undefined);
    assert.deepEqual(r.body.systemInstruction, { parts: [{ text: 'Be kind.' }] });
    assert.deepEqual(r.body.contents, [{ role: 'user', parts: [{ text: 'Hi' }] }]);
    assert.deepEqual(r.body.generationConfig, { maxOutputTokens: 77, temperature: 0.3, stopSequences: ['STOP!'] });
  });

  test('OpenAI client: tools round trip through functionCall / functionResponse', async () => {
    gm.reset();
    const first = await openai.chat.completions.create({
      model: 'gm/gemini-2.5-flash', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherToolOpenAI],
    });
    const call = first.choices[0].message.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), TOOL_ARGS);
    assert.equal(gm.last().body.tools[0].functionDeclarations[0].name, 'get_weather');

    const second = await openai.chat.completions.create({
      model: 'gm/gemini-2.5-flash', tools: [weatherToolOpenAI],
      messages: [{ role: 'user', content: 'Weather?' }, first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'hail' }],
    });
    assert.equal(second.choices[0].message.content, 'The tool said: hail');
    const contents = gm.last().body.contents;
    assert.deepEqual(contents[1], { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: TOOL_ARGS } }] });
    assert.deepEqual(contents[2], { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: 'hail' } } }] });
  });

  test('OpenAI client: streaming (streamGenerateContent?alt=sse, CRLF frames, no terminator)', async () => {
    gm.reset();
    gm.enqueue({ text: 'gemini says hi', chunks: 3 });
    const stream = await openai.chat.completions.create({
      model: 'gm/gemini-2.5-flash', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }],
    });
    const got = await collectOpenAIStream(stream);
    assert.equal(got.text, 'gemini says hi');
    assert.equal(got.finish, 'stop');
    assert.equal(got.usage?.completion_tokens, 7);
    assert.equal(gm.last().path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  test('Anthropic client: text', async () => {
    gm.reset();
    const msg = await anthropic.messages.create({
      model: 'gm/gemini-2.5-flash', max_tokens: 30, system: 'sys', messages: [{ role: 'user', content: 'Hi' }],
    });
    assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'hello from gm');
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.usage.input_tokens, 11);
    assert.equal(msg.usage.output_tokens, 7);
    assert.equal(gm.last().headers['x-goog-api-key'], KEYS.GM_KEY);
    assert.equal(gm.last().headers['x-api-key'], undefined);
    assert.deepEqual(gm.last().body.systemInstruction, { parts: [{ text: 'sys' }] });
    assert.equal(gm.last().body.generationConfig.maxOutputTokens, 30);
  });

  test('Anthropic client, streamed: message_start carries the input tokens, as Anthropic\'s does (LangChain reads them only there)', async () => {
    gm.reset();
    gm.enqueue({ text: 'streamed from gemini', usage: { input: 23, output: 5 } });
    const stream = anthropic.messages.stream({ model: 'gm/gemini-2.5-flash', max_tokens: 30, messages: [{ role: 'user', content: 'Hi' }] });
    let started: Anthropic.Usage | undefined;
    stream.on('streamEvent', (ev) => { if (ev.type === 'message_start') started = { ...ev.message.usage }; });
    const final = await stream.finalMessage();
    assert.equal(started?.input_tokens, 23);
    assert.equal(started?.output_tokens, 0);
    assert.deepEqual([final.usage.input_tokens, final.usage.output_tokens], [23, 5]);
  });

  test('Anthropic client: tools round trip', async () => {
    gm.reset();
    const first = await anthropic.messages.create({
      model: 'gm/gemini-2.5-flash', max_tokens: 100, tools: [weatherToolAnthropic], messages: [{ role: 'user', content: 'Weather?' }],
    });
    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    assert.ok(use);
    assert.deepEqual(use.input, TOOL_ARGS);
    const second = await anthropic.messages.create({
      model: 'gm/gemini-2.5-flash', max_tokens: 100, tools: [weatherToolAnthropic],
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: [{ type: 'text', text: 'windy' }] }] },
      ],
    });
    assert.equal((second.content[0] as Anthropic.TextBlock).text, 'The tool said: windy');
    assert.deepEqual(gm.last().body.contents[2].parts[0], { functionResponse: { name: 'get_weather', response: { output: 'windy' } } });
  });

  test('Anthropic client: streaming text and a streamed tool call', async () => {
    gm.reset();
    gm.enqueue({ text: 'streaming gemini', chunks: 2 });
    const s1 = anthropic.messages.stream({ model: 'gm/gemini-2.5-flash', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    const m1 = await s1.finalMessage();
    assert.equal((m1.content[0] as Anthropic.TextBlock).text, 'streaming gemini');
    assert.equal(m1.stop_reason, 'end_turn');
    assert.equal(m1.usage.output_tokens, 7);

    const s2 = anthropic.messages.stream({ model: 'gm/gemini-2.5-flash', max_tokens: 50, tools: [weatherToolAnthropic], messages: [{ role: 'user', content: 'Weather?' }] });
    const m2 = await s2.finalMessage();
    assert.equal(m2.stop_reason, 'tool_use');
    const use = m2.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    assert.ok(use);
    assert.deepEqual(use.input, TOOL_ARGS);
  });

  test('a Gemini 429 (RESOURCE_EXHAUSTED) reaches the Anthropic client as rate_limit_error', async () => {
    gm.reset();
    gm.enqueue({ error: { status: 429, message: 'Resource has been exhausted (e.g. check quota).' } });
    await assert.rejects(
      anthropic.messages.create({ model: 'gm/gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (e: unknown) => {
        assert.ok(e instanceof Anthropic.RateLimitError, `got ${String(e)}`);
        const body = e.error as { type: string; error: { type: string; code: string } };
        assert.equal(body.type, 'error');
        assert.equal(body.error.type, 'rate_limit_error');
        assert.equal(body.error.code, 'SY_ERR_UPSTREAM_RATE_LIMITED');
        return true;
      },
    );
  });

  test('a Gemini answer that ends in MALFORMED_FUNCTION_CALL reaches each client as an error, not an empty answer', async () => {
    gm.reset();
    gm.enqueue({ pieces: [], stop: { reason: 'MALFORMED_FUNCTION_CALL' } }, { pieces: [], stop: { reason: 'MALFORMED_FUNCTION_CALL' } });
    await assert.rejects(
      openai.chat.completions.create({ model: 'gm/gemini-2.5-flash', tools: [weatherToolOpenAI], messages: [{ role: 'user', content: 'Weather in Paris?' }] }),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.APIError, `got ${String(e)}`);
        assert.equal(e.status, 502);
        assert.equal(e.code, 'SY_ERR_UPSTREAM_ERROR');
        assert.match(e.message, /MALFORMED_FUNCTION_CALL/);
        return true;
      },
    );
    // Claude Code streams: the error comes before any event, so its SDK sees a failed request it may retry.
    await assert.rejects(
      anthropic.messages.stream({ model: 'gm/gemini-2.5-flash', max_tokens: 100, tools: [weatherToolAnthropic], messages: [{ role: 'user', content: 'Weather in Paris?' }] }).finalMessage(),
      (e: unknown) => {
        assert.ok(e instanceof Anthropic.InternalServerError, `got ${String(e)}`);
        assert.equal(e.status, 502);
        assert.match(e.message, /MALFORMED_FUNCTION_CALL/);
        return true;
      },
    );
    assert.equal(gm.received.length, 2);
  });

  test('an upstream 500 reaches the OpenAI client as a 502 with a stable code', async () => {
    gm.reset();
    gm.setDefault({ error: { status: 500, message: 'Internal error encountered.' } });
    try {
      await assert.rejects(
        openai.chat.completions.create({ model: 'gm/gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }),
        (e: unknown) => {
          assert.ok(e instanceof OpenAI.APIError, `got ${String(e)}`);
          assert.equal(e.status, 502);
          assert.equal(e.code, 'SY_ERR_UPSTREAM_ERROR');
          return true;
        },
      );
    } finally {
      gm.setDefault(null);
    }
  });
});

const TWO_CALLS = [
  { name: 'get_weather', args: { city: 'Paris' } },
  { name: 'get_time', args: { tz: 'Asia/Tokyo' } },
];
const timeToolOpenAI: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } },
};
const timeToolAnthropic: Anthropic.Tool = { name: 'get_time', input_schema: { type: 'object', properties: { tz: { type: 'string' } } } };
/** A 1×1 transparent PNG. */
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('parallel tool calls, images, JSON mode', SUITE, () => {
  test('OpenAI client ← Anthropic upstream: two tool_use blocks become two tool_calls (JSON and stream)', async () => {
    an.reset();
    an.enqueue({ toolCalls: TWO_CALLS }, { toolCalls: TWO_CALLS, chunks: 2 });
    const res = await openai.chat.completions.create({
      model: 'an/claude-sonnet-4', max_tokens: 100, tools: [weatherToolOpenAI, timeToolOpenAI], messages: [{ role: 'user', content: 'both' }],
    });
    const calls = res.choices[0].message.tool_calls ?? [];
    assert.deepEqual(calls.map((c) => c.type === 'function' && [c.function.name, JSON.parse(c.function.arguments)]), TWO_CALLS.map((c) => [c.name, c.args]));
    assert.notEqual(calls[0].id, calls[1].id);

    const stream = await openai.chat.completions.create({
      model: 'an/claude-sonnet-4', max_tokens: 100, stream: true, tools: [weatherToolOpenAI, timeToolOpenAI], messages: [{ role: 'user', content: 'both' }],
    });
    const got = await collectOpenAIStream(stream);
    assert.equal(got.finish, 'tool_calls');
    assert.deepEqual(got.tools.map((t) => [t.name, JSON.parse(t.args)]), TWO_CALLS.map((c) => [c.name, c.args]));
    assert.notEqual(got.tools[0].id, got.tools[1].id);
  });

  test('Anthropic client ← OpenAI upstream: two streamed tool_calls become two tool_use blocks', async () => {
    oa.reset();
    oa.enqueue({ toolCalls: TWO_CALLS, chunks: 3 });
    const final = await anthropic.messages.stream({
      model: 'oa/gpt-4o', max_tokens: 100, tools: [weatherToolAnthropic, timeToolAnthropic], messages: [{ role: 'user', content: 'both' }],
    }).finalMessage();
    assert.equal(final.stop_reason, 'tool_use');
    const uses = final.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    assert.deepEqual(uses.map((u) => [u.name, u.input]), TWO_CALLS.map((c) => [c.name, c.args]));
  });

  test("Anthropic client ← an OpenAI-format upstream that interleaves two calls' arguments: each tool_use block is whole when it stops", async () => {
    oa.reset();
    oa.enqueue({ toolCalls: TWO_CALLS, chunks: 3, interleave: true }, { toolCalls: TWO_CALLS, chunks: 3, interleave: true });
    const stream = anthropic.messages.stream({
      model: 'oa/gpt-4o', max_tokens: 100, tools: [weatherToolAnthropic, timeToolAnthropic], messages: [{ role: 'user', content: 'both' }],
    });
    const events: Anthropic.MessageStreamEvent[] = [];
    stream.on('streamEvent', (e) => events.push(e));
    // What a client that runs each tool as its block stops would run.
    const atStop: unknown[] = [];
    stream.on('contentBlock', (b) => atStop.push(b.type === 'tool_use' ? [b.name, b.input] : b.type));
    const final = await stream.finalMessage();
    assert.deepEqual(atStop, TWO_CALLS.map((c) => [c.name, c.args]));
    assert.deepEqual(final.content.map((b) => b.type === 'tool_use' && [b.name, b.input]), TWO_CALLS.map((c) => [c.name, c.args]));
    let open = -1;
    for (const e of events) {
      if (e.type === 'content_block_start') { assert.equal(open, -1, `block ${e.index} started while ${open} open`); open = e.index; }
      if (e.type === 'content_block_delta' || e.type === 'content_block_stop') assert.equal(e.index, open, `${e.type} for block ${e.index} while ${open} open`);
      if (e.type === 'content_block_stop') open = -1;
    }
    // An OpenAI client gets the calls as the upstream sent them, interleaved by index.
    const got = await collectOpenAIStream(await openai.chat.completions.create({ model: 'oa/gpt-4o', stream: true, tools: [weatherToolOpenAI, timeToolOpenAI], messages: [{ role: 'user', content: 'both' }] }));
    assert.deepEqual(got.tools.map((t) => [t.name, JSON.parse(t.args)]), TWO_CALLS.map((c) => [c.name, c.args]));
  });

  test('Anthropic client ← Gemini upstream: two function calls, then both results matched by name', async () => {
    gm.reset();
    gm.enqueue({ toolCalls: TWO_CALLS });
    const first = await anthropic.messages.create({
      model: 'gm/gemini-2.5-flash', max_tokens: 100, tools: [weatherToolAnthropic, timeToolAnthropic], messages: [{ role: 'user', content: 'both' }],
    });
    const uses = first.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    assert.equal(uses.length, 2);
    assert.notEqual(uses[0].id, uses[1].id, 'Gemini gives no call ids: the gateway makes distinct ones');
    await anthropic.messages.create({
      model: 'gm/gemini-2.5-flash', max_tokens: 100, tools: [weatherToolAnthropic, timeToolAnthropic],
      messages: [
        { role: 'user', content: 'both' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: uses[1].id, content: '09:00' }, { type: 'tool_result', tool_use_id: uses[0].id, content: 'sunny' }] },
      ],
    });
    const turn = gm.last().body.contents[2];
    assert.equal(turn.role, 'user');
    assert.deepEqual(turn.parts, [
      { functionResponse: { name: 'get_time', response: { output: '09:00' } } },
      { functionResponse: { name: 'get_weather', response: { output: 'sunny' } } },
    ]);
  });

  test('OpenAI client ← Gemini upstream: two streamed function calls', async () => {
    gm.reset();
    gm.enqueue({ toolCalls: TWO_CALLS });
    const stream = await openai.chat.completions.create({
      model: 'gm/gemini-2.5-flash', stream: true, tools: [weatherToolOpenAI, timeToolOpenAI], messages: [{ role: 'user', content: 'both' }],
    });
    const got = await collectOpenAIStream(stream);
    assert.equal(got.finish, 'tool_calls');
    assert.deepEqual(got.tools.map((t) => [t.name, JSON.parse(t.args)]), TWO_CALLS.map((c) => [c.name, c.args]));
  });

  test('an image as a data URL reaches each upstream in its own form', async () => {
    an.reset();
    gm.reset();
    oa.reset();
    const content: OpenAI.Chat.Completions.ChatCompletionContentPart[] = [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } },
    ];
    await openai.chat.completions.create({ model: 'an/claude-sonnet-4', max_tokens: 10, messages: [{ role: 'user', content }] });
    assert.deepEqual(an.last().body.messages[0].content, [
      { type: 'text', text: 'What is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } },
    ]);
    await openai.chat.completions.create({ model: 'gm/gemini-2.5-flash', messages: [{ role: 'user', content }] });
    assert.deepEqual(gm.last().body.contents[0].parts, [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: PNG_B64 } }]);
    await anthropic.messages.create({
      model: 'oa/gpt-4o', max_tokens: 10,
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } }, { type: 'text', text: 'and this?' }] }],
    });
    assert.deepEqual(oa.last().body.messages[0].content, [
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } },
      { type: 'text', text: 'and this?' },
    ]);
  });

  test('JSON mode: response_format reaches OpenAI as is and Gemini as responseMimeType', async () => {
    oa.reset();
    gm.reset();
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    await openai.chat.completions.create({
      model: 'gpt-4o', messages: [{ role: 'user', content: 'json' }],
      response_format: { type: 'json_schema', json_schema: { name: 'result', schema, strict: true } },
    });
    assert.deepEqual(oa.last().body.response_format, { type: 'json_schema', json_schema: { name: 'result', schema, strict: true } });
    await openai.chat.completions.create({ model: 'gm/gemini-2.5-flash', messages: [{ role: 'user', content: 'json' }], response_format: { type: 'json_object' } });
    assert.equal(gm.last().body.generationConfig.responseMimeType, 'application/json');
  });
});

describe('Azure OpenAI, by deployment and by its v1 API', SUITE, () => {
  test('each form gets its path, api-key and model; the answer comes back as from OpenAI', async () => {
    oa.reset();
    const classic = await openai.chat.completions.create({ model: 'azc/gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 });
    assert.equal(classic.choices[0].message.content, 'hello from oa');
    assert.equal(oa.last().path, '/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21');
    assert.equal(oa.last().headers['api-key'], KEYS.OA_KEY);
    assert.equal(oa.last().headers.authorization, undefined);
    assert.equal(oa.last().body.max_tokens, 20);
    const v1 = await anthropic.messages.create({ model: 'azv/gpt-5', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    assert.deepEqual(v1.content.map((b) => (b.type === 'text' ? b.text : b.type)), ['hello from oa']);
    assert.equal(oa.last().path, '/openai/v1/chat/completions');
    assert.equal(oa.last().headers['api-key'], KEYS.OA_KEY);
    assert.equal(oa.last().body.model, 'gpt5-prod');
    assert.equal(oa.last().body.max_completion_tokens, 20);
  });
});

describe('structured output and tool-call controls across dialects', SUITE, () => {
  const schema = { type: 'object', properties: { city: { type: 'string' }, temp_c: { type: 'integer' } }, required: ['city', 'temp_c'], additionalProperties: false };
  const fits = (text: string | null | undefined) => assert.deepEqual(JSON.parse(text ?? ''), { city: 'fake', temp_c: 42 });
  const anthropicText = (m: Anthropic.Message) => m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');

  test('OpenAI client with a JSON schema, served by Anthropic: the schema goes as output_config.format, the answer is JSON', async () => {
    an.reset();
    const res = await openai.chat.completions.create({
      model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: 'Weather in Paris?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } },
    });
    fits(res.choices[0].message.content);
    assert.deepEqual(an.last().body.output_config, { format: { type: 'json_schema', schema } });
    assert.equal(an.last().body.response_format, undefined);
    // json_object has no Anthropic counterpart (its JSON outputs need a schema): left out, never an unknown field.
    await openai.chat.completions.create({ model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: 'json' }], response_format: { type: 'json_object' } });
    assert.equal(an.last().body.output_config, undefined);
  });

  test('Anthropic client with output_config: Anthropic gets it as sent; OpenAI and Gemini get their own form, and each answer is JSON', async () => {
    an.reset();
    oa.reset();
    gm.reset();
    const ask = (model: string, extra: Partial<Anthropic.MessageCreateParamsNonStreaming>) => anthropic.messages.create({ model, max_tokens: 100, messages: [{ role: 'user', content: 'Weather in Paris?' }], ...extra });
    fits(anthropicText(await ask('an/claude-sonnet-4', { output_config: { format: { type: 'json_schema', schema }, effort: 'low' } })));
    assert.deepEqual(an.last().body.output_config, { effort: 'low', format: { type: 'json_schema', schema } });
    fits(anthropicText(await ask('oa/gpt-4o', { output_config: { format: { type: 'json_schema', schema }, effort: 'low' } })));
    assert.deepEqual(oa.last().body.response_format, { type: 'json_schema', json_schema: { name: 'response', schema } });
    assert.equal(oa.last().body.output_config, undefined);
    fits(anthropicText(await ask('gm/gemini-2.5-flash', { output_config: { format: { type: 'json_schema', schema } } })));
    assert.deepEqual(gm.last().body.generationConfig.responseJsonSchema, schema);
    // The older top-level output_format is read the same way and reaches Anthropic in the current form.
    const legacy = { model: 'an/claude-sonnet-4', max_tokens: 100, messages: [{ role: 'user', content: 'Weather?' }], output_format: { type: 'json_schema', schema } };
    fits(anthropicText(await anthropic.messages.create(legacy as Anthropic.MessageCreateParamsNonStreaming)));
    assert.deepEqual(an.last().body.output_config, { format: { type: 'json_schema', schema } });
    assert.equal(an.last().body.output_format, undefined);
  });

  test('a streamed structured answer is JSON too (OpenAI client, Anthropic upstream)', async () => {
    an.reset();
    const stream = await openai.chat.completions.create({
      model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: 'Weather?' }], stream: true,
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema } },
    });
    fits((await collectOpenAIStream(stream)).text);
  });

  test('strict tools and one call per turn: OpenAI client → Anthropic, Anthropic client → OpenAI', async () => {
    an.reset();
    oa.reset();
    const strictOpenAI = { ...weatherToolOpenAI, function: { ...weatherToolOpenAI.function, strict: true } };
    await openai.chat.completions.create({ model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: 'Weather?' }], tools: [strictOpenAI], parallel_tool_calls: false });
    assert.equal(an.last().body.tools[0].strict, true);
    assert.deepEqual(an.last().body.tool_choice, { type: 'auto', disable_parallel_tool_use: true });
    await openai.chat.completions.create({ model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: 'Weather?' }], tools: [strictOpenAI], tool_choice: 'required', parallel_tool_calls: false });
    assert.deepEqual(an.last().body.tool_choice, { type: 'any', disable_parallel_tool_use: true });

    // Anthropic's strict tools close every object, as OpenAI's strict mode wants too.
    const strictAnthropic = { ...weatherToolAnthropic, input_schema: { ...weatherToolAnthropic.input_schema, additionalProperties: false }, strict: true };
    await anthropic.messages.create({
      model: 'oa/gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'Weather?' }],
      tools: [strictAnthropic], tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    });
    assert.equal(oa.last().body.tools[0].function.strict, true);
    assert.equal(oa.last().body.parallel_tool_calls, false);
    // An optional parameter, which Anthropic's strict mode takes and OpenAI's refuses: the tool goes there without strict mode, whole or streamed, on either API.
    const optional = { ...strictAnthropic, input_schema: { ...strictAnthropic.input_schema, properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['C', 'F'] } } } };
    for (const model of ['oa/gpt-4o', 'oar/gpt-5']) {
      const params = { model, max_tokens: 100, messages: [{ role: 'user' as const, content: 'Weather?' }], tools: [optional] };
      assert.equal((await anthropic.messages.create(params)).stop_reason, 'tool_use', model);
      assert.equal((await anthropic.messages.stream(params).finalMessage()).stop_reason, 'tool_use', model);
      const sent = oa.last().body.tools[0];
      assert.equal((sent.function ?? sent).strict, false, model);
    }
    // Without tools, OpenAI would refuse parallel_tool_calls: it is not sent.
    await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], parallel_tool_calls: false });
    assert.equal(oa.last().body.parallel_tool_calls, undefined);
  });

  test("a strict schema with bounds Claude refuses (zod's .int().min(1)) works on Claude, the bounds in descriptions", async () => {
    const parameters = { type: 'object', properties: { days: { type: 'integer', minimum: 1, maximum: 14 }, city: { type: 'string', minLength: 1 } }, required: ['days', 'city'], additionalProperties: false };
    const tool = { type: 'function' as const, function: { name: 'forecast', parameters, strict: true } };
    const res = await openai.chat.completions.create({ model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: 'Forecast?' }], tools: [tool] });
    assert.equal(res.choices[0].message.tool_calls?.[0].type === 'function' && res.choices[0].message.tool_calls[0].function.name, 'forecast');
    assert.deepEqual(an.last().body.tools[0].input_schema.properties.days, { type: 'integer', description: '{"minimum":1,"maximum":14}' });
    const json = await openai.chat.completions.create({
      model: 'an/claude-sonnet-4', messages: [{ role: 'user', content: 'Plan' }],
      response_format: { type: 'json_schema', json_schema: { name: 'plan', schema: parameters, strict: true } },
    });
    assert.equal(json.choices[0].finish_reason, 'stop');
    assert.equal(an.last().body.output_config.format.schema.properties.city.description, '{"minLength":1}');
  });
});

describe('schemas with references, as pydantic and zod write them, served by Gemini', SUITE, () => {
  // What the OpenAI SDK's zodResponseFormat gives for a person with a tree of tags: `definitions`, and a reference back into itself.
  const zodHelper = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { name: { type: 'string' }, tree: { $ref: '#/definitions/__schema0' } },
    required: ['name', 'tree'],
    additionalProperties: false,
    definitions: {
      __schema0: {
        type: 'object',
        properties: { tag: { type: 'string' }, children: { type: 'array', items: { $ref: '#/definitions/__schema0' } } },
        required: ['tag', 'children'],
        additionalProperties: false,
      },
    },
  };
  // What pydantic gives for a tool's arguments: a described field beside its $ref, an optional one as anyOf with null.
  const pydantic = {
    $defs: {
      Address: { properties: { city: { title: 'City', type: 'string' } }, required: ['city'], title: 'Address', type: 'object' },
      Kind: { enum: ['home', 'work'], title: 'Kind', type: 'string' },
    },
    properties: {
      home: { $ref: '#/$defs/Address', description: 'Where they live', title: 'Home' },
      work: { anyOf: [{ $ref: '#/$defs/Address' }, { type: 'null' }], default: null, title: 'Work' },
      kind: { $ref: '#/$defs/Kind', default: 'home' },
    },
    required: ['home'],
    title: 'save_person',
    type: 'object',
  };
  const address = { properties: { city: { title: 'City', type: 'string' } }, required: ['city'], title: 'Address', type: 'object' };

  test("an OpenAI client's schema with definitions reaches Gemini with each reference inlined, a recursive one left in $defs", async () => {
    gm.reset();
    const res = await openai.chat.completions.parse({
      model: 'gm/gemini-2.5-flash', messages: [{ role: 'user', content: 'Tag tree?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema: zodHelper, strict: true } },
    });
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.equal(typeof (res.choices[0].message.parsed as unknown as { name: unknown }).name, 'string');
    const node = (items: unknown) => ({
      type: 'object', properties: { tag: { type: 'string' }, children: { type: 'array', items } }, required: ['tag', 'children'], additionalProperties: false,
    });
    assert.deepEqual(gm.last().body.generationConfig.responseJsonSchema, {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { name: { type: 'string' }, tree: node({ $ref: '#/$defs/__schema0' }) },
      required: ['name', 'tree'],
      additionalProperties: false,
      $defs: { __schema0: node({ $ref: '#/$defs/__schema0' }) },
    });
  });

  test("pydantic's tool arguments reach Gemini inlined, the field's own description and default laid over the definition", async () => {
    gm.reset();
    const res = await openai.chat.completions.create({
      model: 'gm/gemini-2.5-flash', messages: [{ role: 'user', content: 'Save Ann' }],
      tools: [{ type: 'function', function: { name: 'save_person', parameters: pydantic } }],
    });
    assert.equal(res.choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(gm.last().body.tools[0].functionDeclarations[0].parametersJsonSchema, {
      properties: {
        home: { ...address, description: 'Where they live', title: 'Home' },
        work: { anyOf: [address, { type: 'null' }], default: null, title: 'Work' },
        kind: { enum: ['home', 'work'], title: 'Kind', type: 'string', default: 'home' },
      },
      required: ['home'],
      title: 'save_person',
      type: 'object',
    });
    // An Anthropic client's tool, streamed: the same.
    const stream = anthropic.messages.stream({ model: 'gm/gemini-2.5-flash', max_tokens: 100, messages: [{ role: 'user', content: 'Save Ann' }], tools: [{ name: 'save_person', input_schema: pydantic as Anthropic.Tool.InputSchema }] });
    assert.equal((await stream.finalMessage()).stop_reason, 'tool_use');
    assert.equal(JSON.stringify(gm.last().body.tools).includes('$ref'), false);
  });
});

describe("an OpenAI model's refusal, whole and streamed", SUITE, () => {
  const REFUSAL = "I'm sorry, I can't help with that.";
  const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };

  test('an OpenAI client gets it as the message\'s refusal, streamed as whole', async () => {
    oa.reset();
    oa.enqueue({ refusal: REFUSAL }, { refusal: REFUSAL, chunks: 3 });
    const params = {
      model: 'oa/gpt-4o', messages: [{ role: 'user' as const, content: 'Where do I buy a weapon?' }],
      response_format: { type: 'json_schema' as const, json_schema: { name: 'place', schema, strict: true } },
    };
    const whole = await openai.chat.completions.create(params);
    const streamed = await openai.chat.completions.stream(params).finalChatCompletion();
    for (const res of [whole, streamed]) {
      assert.equal(res.choices[0].message.refusal, REFUSAL);
      assert.equal(res.choices[0].message.content, null);
    }
  });

  test('an Anthropic client gets it as text, streamed as whole', async () => {
    oa.reset();
    oa.enqueue({ refusal: REFUSAL }, { refusal: REFUSAL, chunks: 3 });
    const params = { model: 'oa/gpt-4o', max_tokens: 100, messages: [{ role: 'user' as const, content: 'Where do I buy a weapon?' }] };
    const whole = await anthropic.messages.create(params);
    const streamed = await anthropic.messages.stream(params).finalMessage();
    assert.deepEqual(whole.content, [{ type: 'text', text: REFUSAL }]);
    assert.deepEqual(streamed.content, whole.content);
  });

  test('a Responses client gets it as the message text, streamed as whole', async () => {
    oa.reset();
    oa.enqueue({ refusal: REFUSAL }, { refusal: REFUSAL, chunks: 3 });
    const whole = await openai.responses.create({ model: 'oa/gpt-4o', input: 'Where do I buy a weapon?' });
    const streamed = await openai.responses.stream({ model: 'oa/gpt-4o', input: 'Where do I buy a weapon?' }).finalResponse();
    assert.equal(whole.output_text, REFUSAL);
    assert.equal(streamed.output_text, REFUSAL);
  });
});

describe('embeddings and models through the OpenAI SDK', SUITE, () => {
  test('embeddings with the SDK default (base64) decode to the upstream floats', async () => {
    oa.reset();
    const res = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
    assert.equal(res.object, 'list');
    assert.equal(res.data.length, 2);
    assert.deepEqual(res.data[0].embedding, [0.5, -0.25, 0.125]);
    assert.deepEqual(res.data[1].embedding, [0.5, -0.25, 1.125]);
    assert.equal(res.usage.prompt_tokens, 6);
    const r = oa.last();
    assert.equal(r.path, '/v1/embeddings');
    assert.equal(r.headers.authorization, `Bearer ${KEYS.OA_KEY}`);
    assert.deepEqual(r.body.input, ['alpha', 'beta']);
    assert.equal(r.body.encoding_format, 'float', 'the gateway asks upstream for floats');
  });

  test('embeddings with encoding_format float, served by Gemini batchEmbedContents', async () => {
    gm.reset();
    const res = await openai.embeddings.create({ model: 'gm/text-embedding-004', input: 'gamma', encoding_format: 'float' });
    assert.deepEqual(res.data[0].embedding, [0.5, -0.25, 0.125]);
    // Gemini counts no tokens here: the client is told the estimate it is charged, not 0.
    assert.ok(res.usage.prompt_tokens > 0, JSON.stringify(res.usage));
    assert.equal(res.usage.total_tokens, res.usage.prompt_tokens);
    const r = gm.last();
    assert.equal(r.path, '/v1beta/models/text-embedding-004:batchEmbedContents');
    assert.deepEqual(r.body.requests, [{ model: 'models/text-embedding-004', content: { parts: [{ text: 'gamma' }] } }]);
  });

  test('Claude Code\'s metadata.user_id, longer than OpenAI takes, reaches OpenAI as a 64-character digest, the same for the same user', async () => {
    const userId = JSON.stringify({ device_id: 'd'.repeat(64), account_uuid: '', session_id: '1c67fb7b-7ebf-4039-853f-1a56894b793d' });
    const params: Anthropic.MessageCreateParamsNonStreaming = { model: 'oa/gpt-4o', max_tokens: 100, metadata: { user_id: userId }, messages: [{ role: 'user', content: 'Hi' }] };
    await anthropic.messages.create(params);
    const sent = oa.last().body.user;
    assert.match(sent, /^[0-9a-f]{64}$/);
    await anthropic.messages.create(params);
    assert.equal(oa.last().body.user, sent);
    await anthropic.messages.create({ ...params, metadata: { user_id: 'short-id' } });
    assert.equal(oa.last().body.user, 'short-id');
  });

  test('Claude Code\'s 32000 max tokens reach gpt-4o within the cap options.max_output_tokens sets, not as a 400', async () => {
    const params: Anthropic.MessageCreateParamsNonStreaming = { model: 'oa3/gpt-4o', max_tokens: 32000, messages: [{ role: 'user', content: 'Hi' }] };
    const msg = await anthropic.messages.create(params);
    assert.equal(oa.last().body.max_completion_tokens, 16384);
    assert.equal((msg.content[0] as Anthropic.TextBlock).text, 'hello from oa');
    // Within the cap, or on a model the cap does not name, the client's number goes as sent.
    await anthropic.messages.create({ ...params, max_tokens: 1000 });
    assert.equal(oa.last().body.max_completion_tokens, 1000);
    await anthropic.messages.create({ ...params, model: 'oa3/gpt-5' });
    assert.equal(oa.last().body.max_completion_tokens, 32000);
    // The numbers the gateway picks stay within the cap too, and so does an Anthropic client's thinking budget.
    await anthropic.messages.create({ model: 'an3/claude-sonnet-4', max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 31999 }, messages: [{ role: 'user', content: 'Hi' }] });
    assert.deepEqual([an.last().body.max_tokens, (an.last().body.thinking as { budget_tokens: number }).budget_tokens], [2048, 2047]);
    await openai.chat.completions.create({ model: 'an3/claude-sonnet-4', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(an.last().body.max_tokens, 2048, 'no max tokens asked: the cap, not the 4096 default');
    await openai.chat.completions.create({ model: 'an3/claude-sonnet-4', reasoning_effort: 'high', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(an.last().body.max_tokens, 2048, 'not the default plus a thinking budget');
    assert.ok(((an.last().body.thinking as { budget_tokens?: number } | undefined)?.budget_tokens ?? 0) < 2048);
    // Without the option, the provider's refusal reaches the client.
    await assert.rejects(anthropic.messages.create({ ...params, model: 'oa/gpt-4o' }), (e: InstanceType<typeof Anthropic.BadRequestError>) => {
      assert.equal(e.status, 400);
      assert.match(e.message, /max_tokens is too large/);
      return true;
    });
  });

  test('a server\'s own parameters (extra_body) reach a provider that passes them, and no other', async () => {
    const own = { chat_template_kwargs: { enable_thinking: false }, top_k: 20, provider: { order: ['elsewhere'] } };
    const params = { model: 'vllm/qwen3-32b', messages: [{ role: 'user' as const, content: 'Hi' }], ...own } as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
    await openai.chat.completions.create(params);
    const body = oa.last().body;
    assert.deepEqual(body.chat_template_kwargs, { enable_thinking: false });
    assert.equal(body.top_k, 20);
    assert.equal(body.provider, undefined, 'a field the provider does not pass stays behind');
    await openai.chat.completions.create({ ...params, model: 'oa/gpt-4o' });
    assert.deepEqual(Object.keys(oa.last().body).filter((k) => k in own), [], 'a provider without pass_params gets none');
  });

  test('GET /v1/models lists configured models and aliases in OpenAI list shape', async () => {
    const ids: string[] = [];
    for await (const m of openai.models.list()) {
      assert.equal(m.object, 'model');
      ids.push(m.id);
    }
    for (const id of ['gpt-4o', 'oa/gpt-4o', 'an/claude-sonnet-4', 'gm/gemini-2.5-flash', 'fast']) {
      assert.ok(ids.includes(id), `${id} listed (got ${ids.join(', ')})`);
    }
    assert.ok(!ids.includes('claude-sonnet-4'), 'only weight-0 providers serve it and no rule routes it: not usable bare');
    const also = await openai.models.list({ query: {} });
    assert.ok(also.data.length > 0);
  });

  test('GET /v1/models/{id} retrieves one model as the SDK asks for it, slashes and all; an unknown one is a 404 in OpenAI\'s shape', async () => {
    for (const id of ['gpt-4o', 'an/claude-sonnet-4', 'fast']) {
      const m = await openai.models.retrieve(id);
      assert.deepEqual([m.id, m.object], [id, 'model']);
    }
    assert.equal((await openai.models.retrieve('oa/gpt-4o')).owned_by, 'oa');
    await assert.rejects(openai.models.retrieve('no-such-model'), (e: InstanceType<typeof OpenAI.NotFoundError>) => {
      assert.equal(e.status, 404);
      assert.equal((e.error as { code?: string }).code, 'SY_ERR_UNKNOWN_MODEL');
      return true;
    });
  });

  test('GET /anthropic/v1/models lists the same models in Anthropic\'s shape, paged as Anthropic pages', async () => {
    const all: string[] = [];
    for await (const m of anthropic.models.list({ limit: 2 })) {
      assert.equal(m.type, 'model');
      all.push(m.id);
    }
    const openaiIds: string[] = [];
    for await (const m of openai.models.list()) openaiIds.push(m.id);
    assert.deepEqual(all, openaiIds, 'every page, in order, nothing twice');
    const first = await anthropic.models.list({ limit: 2 });
    assert.equal(first.data.length, 2);
    assert.equal(first.has_more, true);
    const back = await anthropic.models.list({ limit: 1, before_id: first.data[1].id });
    assert.deepEqual(back.data.map((m) => m.id), [first.data[0].id]);
    assert.equal(back.has_more, false);
    const one = await anthropic.models.retrieve('an/claude-sonnet-4');
    assert.deepEqual([one.id, one.type], ['an/claude-sonnet-4', 'model']);
    await assert.rejects(anthropic.models.retrieve('no-such-model'), (e: InstanceType<typeof Anthropic.NotFoundError>) => e.status === 404);
    await assert.rejects(anthropic.models.list({ limit: 0 }), (e: InstanceType<typeof Anthropic.BadRequestError>) => e.status === 400);
  });

  test('the same endpoints answer under /openai/v1', async () => {
    const alt = new OpenAI({ baseURL: `${e2e.url}/openai/v1`, apiKey: OPENAI_CLIENT_KEY, maxRetries: 0, timeout: REQUEST_TIMEOUT_MS });
    const res = await alt.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.choices[0].message.content, 'hello from oa');
    const models = await alt.models.list();
    assert.ok(models.data.some((m) => m.id === 'gpt-4o'));
  });
});

test('client credentials never went upstream in any of the above', () => {
  assertNeverUpstream([oa, an, gm], OPENAI_CLIENT_KEY, 'the OpenAI client key');
  assertNeverUpstream([oa, an, gm], ANTHROPIC_CLIENT_KEY, 'the Anthropic client key');
});
