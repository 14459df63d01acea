/** What only one provider does: URLs, auth variants, defaults and error details. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_BASE_URLS, PROVIDER_TYPES, getAdapter } from '../../src/providers/index.js';
import { authOptionProblem } from '../../src/config/providers.js';
import { REASONING_NONE_HINT } from '../../src/wire/openai/errors.js';
import { richRequest, settings, target } from './fixtures.js';
import { CHAT_DIALECTS, RESPONSES_API } from '../../src/wire/dialects.js';
import { geminiSchema } from '../../src/wire/gemini/schema.js';

const body = (spec: { body?: string }): Record<string, unknown> => JSON.parse(spec.body ?? '') as Record<string, unknown>;

describe('provider registry', () => {
  it('knows exactly the provider types the gateway schema allows', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schema/gateway.schema.json', import.meta.url), 'utf8')) as {
      definitions: { ProviderConfig: { properties: { type: { enum: string[] } } } };
    };
    assert.deepEqual([...PROVIDER_TYPES].sort(), [...schema.definitions.ProviderConfig.properties.type.enum].sort());
    for (const t of PROVIDER_TYPES) assert.equal(getAdapter(t).type, t);
  });

  it('throws for an unknown type', () => {
    assert.throws(() => getAdapter('bedrock'), /unknown provider type "bedrock"/);
    assert.throws(() => getAdapter('__proto__'), /unknown provider type/);
  });

  it('has default base URLs for the hosted APIs', () => {
    assert.equal(DEFAULT_BASE_URLS.openai, 'https://api.openai.com/v1');
    assert.equal(DEFAULT_BASE_URLS.anthropic, 'https://api.anthropic.com');
    assert.equal(DEFAULT_BASE_URLS.gemini, 'https://generativelanguage.googleapis.com');
  });
});

describe('openai', () => {
  const a = getAdapter('openai');
  it('leaves out the body fields options.drop_params names, per model glob or for every model', () => {
    const perModel = settings('openai', { options: { drop_params: { 'gpt-5*': ['temperature', 'top_p'], 'gpt-5-mini': ['stop'] } } });
    const b = (s: ReturnType<typeof settings>, model: string) => body(a.buildChatRequest(richRequest({ temperature: 0.3, topP: 0.9, stop: ['END'] }), target(s, model)));
    const mini = b(perModel, 'gpt-5-mini');
    assert.deepEqual([mini.temperature, mini.top_p, mini.stop], [undefined, undefined, undefined]);
    const four = b(perModel, 'gpt-4o');
    assert.deepEqual([four.temperature, four.top_p, four.stop], [0.3, 0.9, ['END']]);
    const everyModel = b(settings('openai-compatible', { baseUrl: 'https://h.test/v1', options: { drop_params: ['top_p', 'model'] } }), 'llama');
    assert.deepEqual([everyModel.top_p, everyModel.temperature, everyModel.model], [undefined, 0.3, 'llama'], 'model is never dropped');
  });

  it("holds a strict tool to OpenAI's strict mode only when the client spoke another dialect", () => {
    const t = target(settings('openai'), 'gpt-4o');
    const closed = { type: 'object', properties: { city: { type: 'string' }, days: { type: 'array', items: { type: 'object', properties: { d: { type: 'string' } }, required: ['d'], additionalProperties: false } } }, required: ['city', 'days'], additionalProperties: false };
    const strictOf = (parameters: Record<string, unknown>, dialect: 'openai' | 'anthropic') => {
      const req = richRequest({ tools: [{ name: 'f', parameters, strict: true }], clientBody: { dialect, fields: {} } });
      return ((body(a.buildChatRequest(req, t)).tools as { function: { strict?: boolean } }[])[0]).function.strict;
    };
    assert.equal(strictOf(closed, 'anthropic'), true);
    const optional = { ...closed, required: ['city'] };
    const open = { ...closed, properties: { ...closed.properties, days: { type: 'array', items: { type: 'object', properties: { d: { type: 'string' } }, required: ['d'] } } } };
    const union = { ...closed, properties: { ...closed.properties, city: { oneOf: [{ type: 'string' }, { type: 'null' }] } } };
    for (const s of [optional, open, union]) {
      assert.equal(strictOf(s, 'anthropic'), false, JSON.stringify(s));
      assert.equal(strictOf(s, 'openai'), true, "an OpenAI client's own strict tool goes as it sent it");
    }
  });

  it('keeps the reasoning tokens a reasoning model reports, for the client to see', () => {
    const res = a.parseChatResponse({
      id: 'c', object: 'chat.completion', created: 0, model: 'o3', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 4, completion_tokens: 20, total_tokens: 24, completion_tokens_details: { reasoning_tokens: 18 } },
    }, target(settings('openai'), 'o3'));
    assert.equal(res.usage.reasoningTokens, 18);
    assert.deepEqual((RESPONSES_API.renderChatResponse(res, { created: 0 }).usage as { output_tokens_details: unknown }).output_tokens_details, { reasoning_tokens: 18 });
  });

  it('cuts a tool call id OpenAI would refuse (over 40 characters) to 40, alike on the call and its result', () => {
    const long = 'toolu_vrtx_01AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
    const b = body(a.buildChatRequest(richRequest({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        { role: 'assistant', content: [], toolCalls: [{ id: long, name: 'get_weather', arguments: '{}' }, { id: `${long}x`, name: 'get_weather', arguments: '{}' }] },
        { role: 'tool', toolCallId: long, content: [{ type: 'text', text: 'sunny' }] },
      ],
    }), target(settings('openai'), 'gpt-4o'))) as { messages: { tool_calls?: { id: string }[]; tool_call_id?: string }[] };
    const [call, other] = b.messages[2].tool_calls!;
    assert.equal(call.id.length, 40);
    assert.ok(call.id.startsWith(long.slice(0, 23)));
    assert.notEqual(other.id, call.id, 'ids that share a prefix stay apart');
    assert.equal(b.messages[3].tool_call_id, call.id);
  });

  it('honours a configured base URL (a proxy) and max_tokens_field', () => {
    const t = target(settings('openai', { baseUrl: 'https://proxy.internal:8443/openai/v1', options: { max_tokens_field: 'max_tokens' } }), 'gpt-4o');
    const spec = a.buildChatRequest(richRequest(), t);
    assert.equal(spec.origin, 'https://proxy.internal:8443');
    assert.equal(spec.path, '/openai/v1/chat/completions');
    assert.equal(body(spec).max_tokens, 256);
    assert.equal(body(spec).max_completion_tokens, undefined);
  });

  it('stream_usage: false leaves stream_options out', () => {
    const t = target(settings('openai', { options: { stream_usage: false } }), 'gpt-4o');
    assert.equal(body(a.buildChatRequest(richRequest({ stream: true }), t)).stream_options, undefined);
  });

  it('reads retry-after-ms and the x-ratelimit-reset durations', () => {
    assert.equal(a.classifyError(429, { 'retry-after-ms': '250' }, '{}').retryAfterMs, 250);
    assert.equal(a.classifyError(429, { 'x-ratelimit-reset-requests': '1m30s' }, '{}').retryAfterMs, 90_000);
    assert.equal(a.classifyError(429, { 'x-ratelimit-reset-tokens': '20ms' }, '{}').retryAfterMs, 20);
    assert.equal(a.classifyError(429, { 'Retry-After': '3' }, '{}').retryAfterMs, 3000);
    assert.equal(a.classifyError(429, { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }, '{}').retryAfterMs, undefined);
  });

  it("says how to leave reasoning out when a model that does not reason refuses it, and nothing on other refusals", () => {
    const refusal = (message: string, param: string | null) => a.classifyError(400, {}, JSON.stringify({ error: { message, type: 'invalid_request_error', param, code: null } })).message;
    for (const [message, param] of [
      ["Unsupported parameter: 'reasoning_effort' is not supported with this model.", 'reasoning_effort'],
      ["Unsupported parameter: 'reasoning.effort' is not supported with this model.", 'reasoning.effort'],
      ['Encrypted content is not supported with this model.', 'include'],
      ['Reasoning input items can only be provided to a reasoning or computer use model. Remove reasoning items from your input and try again.', 'input'],
    ]) assert.equal(refusal(message, param), message + REASONING_NONE_HINT);
    const unverified = 'Your organization must be verified to generate reasoning summaries.';
    assert.equal(refusal(unverified, 'reasoning.summary'), unverified);
    assert.equal(a.classifyError(500, {}, JSON.stringify({ error: { message: 'Reasoning input items can only be provided to a reasoning or computer use model.' } })).message.includes('Switchyard'), false);
  });

  it("says which option to set when a reasoning model refuses max_tokens, a temperature or a top_p (as Azure's o-series and gpt-5 do)", () => {
    const refusal = (message: string, param: string) => getAdapter('azure').classifyError(400, {}, JSON.stringify({ error: { message, type: 'invalid_request_error', param, code: 'unsupported_parameter' } })).message;
    const maxTokens = "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.";
    assert.equal(refusal(maxTokens, 'max_tokens'), `${maxTokens} (Switchyard: set options.max_tokens_field: max_completion_tokens on this provider.)`);
    const temperature = "Unsupported value: 'temperature' does not support 0.7 with this model. Only the default (1) value is supported.";
    assert.equal(refusal(temperature, 'temperature'), `${temperature} (Switchyard: options.drop_params can leave temperature out for this model.)`);
    const topP = "Unsupported parameter: 'top_p' is not supported with this model.";
    assert.equal(refusal(topP, 'top_p'), `${topP} (Switchyard: options.drop_params can leave top_p out for this model.)`);
    const other = "Unsupported parameter: 'logit_bias' is not supported with this model.";
    assert.equal(refusal(other, 'logit_bias'), other);
  });

  it("sends a tool result's images in a user message after the turn's last result: a tool message takes text only", () => {
    const png = { type: 'image' as const, mediaType: 'image/png', data: 'AA==' };
    const req = richRequest({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Screenshots?' }] },
        { role: 'assistant', content: [], toolCalls: [{ id: 'c1', name: 'shot', arguments: '{}' }, { id: 'c2', name: 'shot', arguments: '{}' }, { id: 'c3', name: 'shot', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'c1', content: [png] },
        { role: 'tool', toolCallId: 'c2', content: [{ type: 'text', text: 'two' }, png, png] },
        { role: 'tool', toolCallId: 'c3', content: [{ type: 'text', text: 'no picture' }] },
        { role: 'user', content: [{ type: 'text', text: 'Which is better?' }] },
      ],
    });
    const b = body(a.buildChatRequest(req, target(settings('openai'), 'gpt-4o'))) as { messages: { role: string; content: unknown }[] };
    const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } };
    assert.deepEqual(b.messages.slice(3), [
      { role: 'tool', tool_call_id: 'c1', content: '[an attachment of this result follows in the next user message]' },
      { role: 'tool', tool_call_id: 'c2', content: 'two\n[2 attachments of this result follow in the next user message]' },
      { role: 'tool', tool_call_id: 'c3', content: 'no picture' },
      { role: 'user', content: [{ type: 'text', text: 'Attached to the result of tool call c1:' }, image, { type: 'text', text: 'Attached to the result of tool call c2:' }, image, image] },
      { role: 'user', content: 'Which is better?' },
    ]);
  });
});

describe("the providers' own model lists (GET …/models)", () => {
  it('are asked for where each provider keeps them, with its key, and read as ids; a malformed list is an error naming the provider', () => {
    const cases = [
      ['openai', settings('openai'), { object: 'list', data: [{ id: 'gpt-4o' }, { id: '' }, 'x', { id: 'o3' }] }, ['gpt-4o', 'o3'], '/v1/models', 'authorization'],
      ['anthropic', settings('anthropic'), { data: [{ type: 'model', id: 'claude-sonnet-4-5' }], has_more: false }, ['claude-sonnet-4-5'], '/v1/models?limit=1000', 'x-api-key'],
      ['gemini', settings('gemini'), { models: [{ name: 'models/gemini-2.5-pro', supportedGenerationMethods: ['generateContent'] }, { name: 'models/imagen-4', supportedGenerationMethods: ['predict'] }] }, ['gemini-2.5-pro'], '/v1beta/models?pageSize=1000', 'x-goog-api-key'],
    ] as const;
    for (const [type, s, body, ids, path, auth] of cases) {
      const a = getAdapter(type);
      const t = target(s, '', 'sk-list');
      const spec = a.buildModelsRequest!(t);
      assert.deepEqual([spec.method, spec.path, spec.body], ['GET', path, undefined], type);
      assert.match(spec.headers[auth], /sk-list/);
      assert.deepEqual(a.parseModelsResponse!(body, t), ids, type);
      assert.throws(() => a.parseModelsResponse!({ error: 'nope' }, t), new RegExp(type), type);
    }
    for (const type of ['azure', 'mock']) assert.equal(getAdapter(type).buildModelsRequest, undefined, type);
  });
});

describe('openai: token counting (POST /responses/input_tokens)', () => {
  const a = getAdapter('openai');

  it('counts any model over the request as the Responses API takes it, less generation settings and stop sequences', () => {
    for (const model of ['gpt-4o', 'gpt-5.1-codex']) {
      const t = target(settings('openai', { options: { api: { '*codex*': 'responses' } } }), model);
      const spec = a.buildCountTokensRequest!(richRequest({ stream: true, stop: ['END'], maxTokens: 100, temperature: 0.2 }), t);
      assert.equal(spec.path, '/v1/responses/input_tokens', model);
      assert.equal(spec.headers.authorization, `Bearer ${t.keyValue}`);
      const b = body(spec);
      assert.ok(Object.keys(b).every((k) => ['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'text'].includes(k)), Object.keys(b).join());
      assert.equal(b.model, model);
      assert.deepEqual(b.input, body(a.buildChatRequest(richRequest({ stop: undefined }), target(settings('openai', { options: { api: 'responses' } }), model))).input);
    }
    assert.deepEqual(a.parseCountTokensResponse!({ object: 'response.input_tokens', input_tokens: 321 }, target(settings('openai'), 'gpt-4o')), { inputTokens: 321 });
    for (const bad of [{}, { input_tokens: 1.5 }, { input_tokens: '3' }, null]) {
      assert.throws(() => a.parseCountTokensResponse!(bad, target(settings('openai'), 'gpt-4o')), /input_tokens/);
    }
  });

  it('counts on openai unless options.count_tokens is false; on openai-compatible only when it is true', () => {
    assert.equal(a.countsTokens?.(settings('openai')), true);
    assert.equal(a.countsTokens?.(settings('openai', { options: { count_tokens: false } })), false);
    const oc = getAdapter('openai-compatible');
    assert.equal(oc.countsTokens?.(settings('openai-compatible', { baseUrl: 'https://proxy.example.com/v1' })), false);
    const on = settings('openai-compatible', { baseUrl: 'https://proxy.example.com/v1', options: { count_tokens: true } });
    assert.equal(oc.countsTokens?.(on), true);
    assert.equal(oc.buildCountTokensRequest!(richRequest(), target(on, 'qwen3')).path, '/v1/responses/input_tokens');
  });
});

describe('openai: options.api responses', () => {
  const a = getAdapter('openai');
  const s = settings('openai', { options: { api: { '*codex*': 'responses', 'gpt-5*': 'chat' } } });
  const codex = target(s, 'gpt-5.1-codex');
  const build = (over: Parameters<typeof richRequest>[0] = {}, t = codex) => a.buildChatRequest(richRequest({ stop: undefined, ...over }), t);

  it('sends the models its globs name to /v1/responses and the others to chat completions', () => {
    assert.equal(build().path, '/v1/responses');
    assert.equal(build({}, target(s, 'gpt-5.1')).path, '/v1/chat/completions');
    assert.equal(build({}, target(s, 'gpt-4o')).path, '/v1/chat/completions');
    const all = target(settings('openai', { options: { api: 'responses' } }), 'gpt-4o');
    assert.equal(build({}, all).path, '/v1/responses');
    assert.equal(a.passesAnswer?.(codex), false, 'a Responses answer is not a chat completion');
    assert.equal(a.passesAnswer?.(target(s, 'gpt-4o')), true);
  });

  it('refuses stop sequences, which the Responses API lacks, as the client\'s error', () => {
    assert.throws(() => build({ stop: ['END'] }), (e: { code?: string; message?: string }) => e.code === 'SY_ERR_BAD_REQUEST' && /stop/.test(e.message ?? ''));
    // ... unless the provider drops them, as it may any field.
    const dropping = target(settings('openai', { options: { api: 'responses', drop_params: { '*codex*': ['stop', 'temperature'] } } }), 'gpt-5.1-codex');
    const b = body(build({ stop: ['END'] }, dropping));
    assert.deepEqual([b.stop, b.temperature, b.top_p], [undefined, undefined, 0.9]);
  });

  it('raises a max output below the API\'s minimum of 16, and leaves tools non-strict unless the client said strict', () => {
    assert.equal(body(build({ maxTokens: 1 })).max_output_tokens, 16);
    assert.equal(body(build({ maxTokens: 300 })).max_output_tokens, 300);
    const strict = body(build({ tools: [{ name: 't', parameters: { type: 'object', properties: {}, additionalProperties: false }, strict: true }] })).tools as Record<string, unknown>[];
    assert.equal(strict[0].strict, true);
    assert.equal((body(build()).tools as Record<string, unknown>[])[0].strict, false);
  });

  it("maps an OpenAI client's own fields: reasoning effort, verbosity, service tier, cache key; drops what the API lacks", () => {
    const b = body(build({ extras: { dialect: 'openai', fields: { reasoning_effort: 'high', verbosity: 'low', service_tier: 'flex', prompt_cache_key: 'k1', seed: 7, logit_bias: { 1: 2 } } } }));
    assert.deepEqual(b.reasoning, { effort: 'high' });
    assert.deepEqual(b.text, { format: { type: 'json_schema', name: 'weather', schema: { type: 'object', properties: { summary: { type: 'string' } } }, strict: true }, verbosity: 'low' });
    assert.equal(b.service_tier, 'flex');
    assert.equal(b.prompt_cache_key, 'k1');
    assert.equal(b.seed, undefined);
    assert.equal(b.logit_bias, undefined);
    assert.equal(b.store, false, 'the provider keeps nothing either');
  });

  it("asks another dialect's reasoning setting as an effort only where options.reasoning says effort", () => {
    const req = { reasoning: { effort: 'medium' as const, budgetTokens: 16384 }, extras: { dialect: 'anthropic' as const, fields: { top_k: 5 } } };
    assert.equal(body(build(req)).reasoning, undefined);
    const withStyle = target(settings('openai', { options: { api: 'responses', reasoning: 'effort' } }), 'gpt-5.1-codex');
    const b = body(build(req, withStyle));
    assert.deepEqual(b.reasoning, { effort: 'medium' });
    assert.equal(b.top_k, undefined);
  });

  it('sends images, files and image tool outputs as input parts; system turns as developer messages; no reasoning history', () => {
    const b = body(build({
      messages: [
        { role: 'user', content: [{ type: 'image_url', url: 'https://example.com/a.png' }, { type: 'document', mediaType: 'application/pdf', data: 'JVBE', filename: 'a.pdf' }] },
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'assistant', content: [], thinking: [{ type: 'thinking', thinking: 'hmm', signature: '' }], toolCalls: [{ id: 'toolu_01' + 'x'.repeat(40), name: 'shot', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'toolu_01' + 'x'.repeat(40), content: [{ type: 'text', text: 'here' }, { type: 'image', mediaType: 'image/png', data: 'AAAA' }] },
      ],
      tools: undefined,
    }));
    const input = b.input as Record<string, unknown>[];
    assert.deepEqual(input[0].content, [
      { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'auto' },
      { type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBE' },
    ]);
    assert.deepEqual(input[1], { type: 'message', role: 'developer', content: 'Be brief.' });
    assert.equal(input[2].type, 'function_call');
    assert.ok(String(input[2].call_id).length <= 40);
    assert.equal(input[3].call_id, input[2].call_id);
    assert.deepEqual(input[3].output, [{ type: 'input_text', text: 'here' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'auto' }]);
    assert.equal(input.length, 4, 'the unsigned reasoning is not sent');
  });

  it("declares a client's custom tool as such, with its own description and grammar, and replays its calls as custom", () => {
    const { request } = RESPONSES_API.parseChatRequest({
      model: 'gpt-5.1-codex',
      tools: [{ type: 'custom', name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', syntax: 'lark', definition: 'start: /.+/' } }, { type: 'function', name: 'shell', parameters: { type: 'object', properties: {} } }],
      tool_choice: { type: 'custom', name: 'apply_patch' },
      input: [
        { role: 'user', content: 'Fix it.' },
        { type: 'custom_tool_call', call_id: 'call_p', name: 'apply_patch', input: '*** Begin Patch' },
        { type: 'custom_tool_call_output', call_id: 'call_p', output: 'Done.' },
        { type: 'function_call', call_id: 'call_s', name: 'shell', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_s', output: 'ok' },
      ],
    });
    const b = body(a.buildChatRequest(request, codex));
    assert.deepEqual(b.tools, [
      { type: 'custom', name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', syntax: 'lark', definition: 'start: /.+/' } },
      { type: 'function', name: 'shell', parameters: { type: 'object', properties: {} }, strict: false },
    ]);
    assert.deepEqual(b.tool_choice, { type: 'custom', name: 'apply_patch' });
    assert.deepEqual((b.input as Record<string, unknown>[]).slice(1), [
      { type: 'custom_tool_call', call_id: 'call_p', name: 'apply_patch', input: '*** Begin Patch' },
      { type: 'custom_tool_call_output', call_id: 'call_p', output: 'Done.' },
      { type: 'function_call', call_id: 'call_s', name: 'shell', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_s', output: 'ok' },
    ]);
    // Through chat completions the same tool is a function with one string parameter, its grammar in the description.
    const chat = body(a.buildChatRequest(request, target(s, 'gpt-4o'))).tools as { function: { name: string; description: string; parameters: unknown } }[];
    assert.equal(chat[0].function.name, 'apply_patch');
    assert.match(chat[0].function.description, /^Edit files\.\n\nThe input must match this lark grammar:\nstart: \/\.\+\//);
  });

  it('reads reasoning summaries as thinking, a custom tool call in its function form, and a failed response as an upstream error', () => {
    const res = a.parseChatResponse({
      id: 'resp_1', object: 'response', status: 'completed', model: 'gpt-5.1-codex',
      output: [
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Patch it.' }] },
        { type: 'custom_tool_call', id: 'ctc_1', call_id: 'call_1', name: 'apply_patch', input: '*** Begin Patch\n"x"' },
      ],
      usage: { input_tokens: 10, output_tokens: 8, output_tokens_details: { reasoning_tokens: 5 } },
    }, codex);
    assert.deepEqual(res.thinking, [{ type: 'thinking', thinking: 'Patch it.', signature: '', summary: true }]);
    assert.deepEqual(res.toolCalls, [{ id: 'call_1', name: 'apply_patch', arguments: JSON.stringify({ input: '*** Begin Patch\n"x"' }) }]);
    assert.equal(res.finishReason, 'tool_calls');
    assert.deepEqual(res.usage, { inputTokens: 10, outputTokens: 8, reasoningTokens: 5 });
    assert.throws(() => a.parseChatResponse({ id: 'resp_2', status: 'failed', output: [], error: { code: 'server_error', message: 'boom' } }, codex), { code: 'SY_ERR_UPSTREAM_ERROR', message: /boom/ });
  });

  it('streams a custom tool call as escaped arguments of its function form, and a failed response as an error event', () => {
    const d = a.createStreamDecoder(codex);
    const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const events = d.push([
      ev('response.created', { response: { id: 'resp_s', model: 'gpt-5.1-codex' } }),
      ev('response.reasoning_summary_text.delta', { output_index: 0, delta: 'Plan.' }),
      ev('response.output_item.added', { output_index: 1, item: { type: 'custom_tool_call', id: 'ctc_1', call_id: 'call_9', name: 'apply_patch', input: '' } }),
      ev('response.custom_tool_call_input.delta', { output_index: 1, delta: 'line "1"\n' }),
      ev('response.custom_tool_call_input.delta', { output_index: 1, delta: 'line 2' }),
      ev('response.output_item.done', { output_index: 1, item: { type: 'custom_tool_call', id: 'ctc_1', call_id: 'call_9', name: 'apply_patch', input: 'line "1"\nline 2' } }),
      ev('response.incomplete', { response: { id: 'resp_s', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { input_tokens: 3, output_tokens: 4 } } }),
    ].join(''));
    assert.deepEqual(events.map((e) => e.type), ['start', 'thinking', 'tool_call_start', 'tool_call_delta', 'tool_call_delta', 'tool_call_delta', 'tool_call_delta', 'finish', 'usage', 'end']);
    const args = events.filter((e) => e.type === 'tool_call_delta').map((e) => (e.type === 'tool_call_delta' ? e.arguments : '')).join('');
    assert.deepEqual(JSON.parse(args), { input: 'line "1"\nline 2' });
    assert.deepEqual(events.find((e) => e.type === 'finish'), { type: 'finish', finishReason: 'length' });

    const failed = a.createStreamDecoder(codex).push(ev('response.created', { response: { id: 'r', model: 'm' } }) + ev('response.failed', { response: { id: 'r', status: 'failed', error: { code: 'rate_limit_exceeded', message: 'slow down' } } }));
    assert.deepEqual(failed[failed.length - 1], { type: 'error', message: 'slow down', errorType: 'rate_limit_exceeded' });
  });

  it("asks for encrypted reasoning for a client that takes it back, reads it whole and streamed, and replays it before the turn's items", () => {
    assert.equal(body(build()).include, undefined);
    const replay = body(build({
      encryptedReasoning: true, tools: undefined,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Calling.' }], thinking: [{ type: 'thinking', thinking: 'other model', signature: '' }, { type: 'encrypted_reasoning', id: 'rs_1', data: 'gAAA' }], toolCalls: [{ id: 'call_1', name: 'f', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: 'ok' }] },
      ],
    }));
    assert.deepEqual(replay.include, ['reasoning.encrypted_content']);
    assert.deepEqual((replay.input as Record<string, unknown>[]).map((i) => i.type), ['message', 'reasoning', 'message', 'function_call', 'function_call_output']);
    assert.deepEqual((replay.input as Record<string, unknown>[])[1], { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAA' });

    const whole = a.parseChatResponse({ id: 'r', status: 'completed', output: [{ type: 'reasoning', id: 'rs_2', summary: [{ type: 'summary_text', text: 'Plan.' }], encrypted_content: 'gBBB' }, { type: 'message', content: [{ type: 'output_text', text: 'Hi' }] }] }, codex);
    assert.deepEqual(whole.thinking, [{ type: 'thinking', thinking: 'Plan.', signature: '', summary: true }, { type: 'encrypted_reasoning', id: 'rs_2', data: 'gBBB' }]);
    const ev = (type: string, data: Record<string, unknown>) => `data: ${JSON.stringify({ type, ...data })}\n\n`;
    const streamed = a.createStreamDecoder(codex).push(ev('response.created', { response: { id: 'r', model: 'm' } })
      + ev('response.output_item.done', { output_index: 0, item: { type: 'reasoning', id: 'rs_3', summary: [], encrypted_content: 'gCCC' } }));
    assert.deepEqual(streamed[1], { type: 'encrypted_reasoning', id: 'rs_3', data: 'gCCC' });
    // Anthropic never gets it, and a tool turn with only it counts as not signed by Anthropic.
    const an = getAdapter('anthropic');
    const toAnthropic = body(an.buildChatRequest(richRequest({
      stop: undefined, tools: undefined, toolChoice: undefined,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }, { role: 'assistant', content: [{ type: 'text', text: 'Yes.' }], thinking: [{ type: 'encrypted_reasoning', id: 'rs_1', data: 'gAAA' }] }],
    }), target(settings('anthropic'), 'claude-sonnet-4')));
    assert.deepEqual((toAnthropic.messages as { content: unknown }[])[1].content, [{ type: 'text', text: 'Yes.' }]);
  });

  it("asks for the summaries a Responses client asks for, and tells them from reasoning text, whole and streamed", () => {
    assert.deepEqual(body(build({ reasoningSummary: 'auto' })).reasoning, { summary: 'auto' });
    assert.deepEqual(body(build({ reasoningSummary: 'detailed', extras: { dialect: 'openai', fields: { reasoning_effort: 'low' } } })).reasoning, { effort: 'low', summary: 'detailed' });
    const whole = a.parseChatResponse({ id: 'r', status: 'completed', output: [{ type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Sum.' }], content: [{ type: 'reasoning_text', text: 'Raw.' }] }, { type: 'message', content: [{ type: 'output_text', text: 'Hi' }] }] }, codex);
    assert.deepEqual(whole.thinking, [{ type: 'thinking', thinking: 'Raw.', signature: '' }, { type: 'thinking', thinking: 'Sum.', signature: '', summary: true }]);
    const ev = (type: string, data: Record<string, unknown>) => `data: ${JSON.stringify({ type, ...data })}\n\n`;
    const streamed = a.createStreamDecoder(codex).push(ev('response.reasoning_summary_text.delta', { delta: 'Sum.' }) + ev('response.reasoning_text.delta', { delta: 'Raw.' }));
    assert.deepEqual(streamed.filter((e) => e.type === 'thinking'), [{ type: 'thinking', text: 'Sum.', summary: true }, { type: 'thinking', text: 'Raw.' }]);
    // A Responses client gets a summary as a summary part; the other dialects as reasoning, Anthropic's blocks without the mark.
    const shown = RESPONSES_API.renderChatResponse(whole, { created: 1 }) as { output: Record<string, unknown>[] };
    assert.deepEqual(shown.output.slice(0, 2).map((o) => [o.content, o.summary]), [[[{ type: 'reasoning_text', text: 'Raw.' }], []], [undefined, [{ type: 'summary_text', text: 'Sum.' }]]]);
    assert.equal((CHAT_DIALECTS.openai.renderChatResponse(whole, { created: 1 }) as { choices: { message: { reasoning_content: string } }[] }).choices[0].message.reasoning_content, 'Raw.\n\nSum.');
    assert.deepEqual((CHAT_DIALECTS.anthropic.renderChatResponse(whole, { created: 1, thinking: true }) as { content: unknown[] }).content.slice(0, 2), [
      { type: 'thinking', thinking: 'Raw.', signature: '' }, { type: 'thinking', thinking: 'Sum.', signature: '' },
    ]);
  });

  it('takes arguments a server sends whole on the item, once', () => {
    const d = a.createStreamDecoder(codex);
    const ev = (type: string, data: Record<string, unknown>) => `data: ${JSON.stringify({ type, ...data })}\n\n`;
    const item = { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{"a":1}' };
    const events = d.push(ev('response.output_item.added', { output_index: 0, item }) + ev('response.output_item.done', { output_index: 0, item }) + ev('response.completed', { response: { status: 'completed' } }));
    assert.deepEqual(events.filter((e) => e.type === 'tool_call_delta'), [{ type: 'tool_call_delta', index: 0, arguments: '{"a":1}' }]);
    assert.deepEqual(events.find((e) => e.type === 'finish'), { type: 'finish', finishReason: 'tool_calls' });
  });
});

describe("OpenRouter's reasoning_details (Gemini 3's thought signatures)", () => {
  const a = getAdapter('openai-compatible');
  const t = target(settings('openai-compatible', { id: 'or', baseUrl: 'https://openrouter.ai/api/v1', options: { send_reasoning: true } }), 'google/gemini-3-pro');
  const sig = Buffer.from('sig-1').toString('base64');
  const detail = (id: string, format = 'google-gemini-v1') => ({ type: 'reasoning.encrypted', id, data: sig, format, index: 0 });
  const chunk = (delta: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'c', model: 'm', choices: [{ index: 0, delta }] })}\n\n`;
  const call = (id: string) => ({ index: 0, id, type: 'function', function: { name: 'f', arguments: '{}' } });

  it('a Gemini detail signs the call with its id, whole or streamed with the call; another format does not', () => {
    const whole = a.parseChatResponse({ id: 'c', choices: [{ message: { role: 'assistant', content: null, tool_calls: [call('call_1'), { ...call('call_2'), index: 1 }], reasoning_details: [detail('call_1'), detail('call_2', 'openai-responses-v1')] }, finish_reason: 'tool_calls' }] }, t);
    assert.match(whole.toolCalls[0].id, /^call_1__sig_/);
    assert.equal(whole.toolCalls[1].id, 'call_2');
    const streamed = a.createStreamDecoder(t).push(chunk({ reasoning_details: [detail('call_1')], tool_calls: [call('call_1')] }));
    assert.match((streamed.find((e) => e.type === 'tool_call_start') as { id: string }).id, /^call_1__sig_/);
    // A signature that comes after its call cannot change an id already sent.
    const late = a.createStreamDecoder(t).push(chunk({ tool_calls: [call('call_1')] }) + chunk({ reasoning_details: [detail('call_1')] }));
    assert.equal((late.find((e) => e.type === 'tool_call_start') as { id: string }).id, 'call_1');
  });

  it("OpenRouter's reasoning details reach an OpenAI client as sent, whole and streamed, and go back unmodified; Anthropic never gets them", () => {
    const text = { type: 'reasoning.text', text: 'Think.', signature: 'sig', format: 'anthropic-claude-v1', index: 0 };
    const res = a.parseChatResponse({ id: 'c', choices: [{ message: { role: 'assistant', content: 'Hi', reasoning_details: [text] } }] }, t);
    assert.deepEqual(res.thinking, [{ type: 'reasoning_details', details: [text] }]);
    const shown = CHAT_DIALECTS.openai.renderChatResponse(res, { created: 1 }) as { choices: { message: Record<string, unknown> }[] };
    assert.deepEqual(shown.choices[0].message.reasoning_details, [text]);
    assert.deepEqual(a.createStreamDecoder(t).push(chunk({ reasoning_details: [text] })).filter((e) => e.type === 'reasoning_details'), [{ type: 'reasoning_details', details: [text] }]);
    const { request } = CHAT_DIALECTS.openai.parseChatRequest({ model: 'm', messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Yes.', reasoning_details: [text] }, { role: 'user', content: 'And?' }] });
    assert.deepEqual((body(a.buildChatRequest(request, t)).messages as Record<string, unknown>[])[1].reasoning_details, [text]);
    const an = body(getAdapter('anthropic').buildChatRequest(request, target(settings('anthropic'), 'claude-sonnet-4')));
    assert.deepEqual((an.messages as { content: unknown }[])[1].content, [{ type: 'text', text: 'Yes.' }]);
    const rendered = CHAT_DIALECTS.anthropic.renderChatResponse(res, { created: 1, thinking: true }) as { content: { type: string }[] };
    assert.deepEqual(rendered.content.map((b) => b.type), ['text']);
  });

  it('a signed call goes back with its detail, with send_reasoning only; a native Gemini signature the same way', () => {
    const signed = a.parseChatResponse({ id: 'c', choices: [{ message: { role: 'assistant', content: null, tool_calls: [call('call_1')], reasoning_details: [detail('call_1')] } }] }, t).toolCalls;
    const req = richRequest({ stop: undefined, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }, { role: 'assistant', content: [], toolCalls: signed }, { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: 'ok' }] }] });
    const sent = (body(a.buildChatRequest(req, t)).messages as Record<string, any>[])[2];
    assert.deepEqual(sent.tool_calls[0].id, 'call_1');
    assert.deepEqual(sent.reasoning_details, [detail('call_1')]);
    const off = target(settings('openai-compatible', { id: 'or', baseUrl: 'https://openrouter.ai/api/v1' }), 'google/gemini-3-pro');
    assert.equal((body(a.buildChatRequest(req, off)).messages as Record<string, any>[])[2].reasoning_details, undefined);
  });
});

describe('azure', () => {
  const a = getAdapter('azure');
  it('uses the model as deployment when unmapped, a configured api-version, and a base URL ending in /openai', () => {
    const t = target(settings('azure', { baseUrl: 'https://r.openai.azure.com/openai', options: { api_version: '2025-01-01-preview' } }), 'gpt-4o-mini');
    assert.equal(a.buildChatRequest(richRequest(), t).path, '/openai/deployments/gpt-4o-mini/chat/completions?api-version=2025-01-01-preview');
  });

  it('refuses to build without a base URL', () => {
    assert.throws(() => a.buildChatRequest(richRequest(), target(settings('azure'), 'gpt-4o')), { code: 'SY_ERR_INTERNAL' });
  });

  it('a model named . or .. stays one path segment, not a step up the resource', () => {
    const s = settings('azure', { baseUrl: 'https://r.openai.azure.com', options: { api_version: '2024-10-21' } });
    assert.equal(a.buildChatRequest(richRequest(), target(s, '..')).path, '/openai/deployments/%2E%2E/chat/completions?api-version=2024-10-21');
    assert.equal(a.buildChatRequest(richRequest(), target(s, '.')).path, '/openai/deployments/%2E/chat/completions?api-version=2024-10-21');
    assert.equal(a.buildChatRequest(richRequest(), target(s, 'a.b')).path, '/openai/deployments/a.b/chat/completions?api-version=2024-10-21');
  });

  it('api_version v1: /openai/v1 paths with no version query, the deployment as the body model, max_completion_tokens', () => {
    for (const baseUrl of ['https://r.openai.azure.com', 'https://r.openai.azure.com/openai', 'https://r.openai.azure.com/openai/v1/']) {
      const t = target(settings('azure', { baseUrl, options: { api_version: 'v1', deployments: { 'gpt-5': 'gpt5-prod' } } }), 'gpt-5', 'az-key');
      const spec = a.buildChatRequest(richRequest(), t);
      assert.equal(spec.path, '/openai/v1/chat/completions', baseUrl);
      assert.equal(spec.headers['api-key'], 'az-key');
      const body = JSON.parse(spec.body as string);
      assert.equal(body.model, 'gpt5-prod');
      assert.equal(body.max_completion_tokens, richRequest().maxTokens);
      assert.equal(body.max_tokens, undefined);
      assert.equal(a.buildEmbeddingsRequest!({ kind: 'embeddings', model: 'gpt-5', input: ['x'] }, t).path, '/openai/v1/embeddings');
    }
    // Classic paths keep the body's model as the client's (Azure reads the deployment from the path).
    const classic = target(settings('azure', { baseUrl: 'https://r.openai.azure.com', options: { api_version: '2024-10-21', deployments: { 'gpt-5': 'gpt5-prod' } } }), 'gpt-5');
    assert.equal(JSON.parse(a.buildChatRequest(richRequest(), classic).body as string).model, 'gpt-5');
  });

  it('api responses (v1 API): /openai/v1/responses with the deployment as the body model', () => {
    const t = target(settings('azure', { baseUrl: 'https://r.openai.azure.com', options: { api_version: 'v1', api: 'responses', deployments: { 'gpt-5.1-codex': 'codex-prod' } } }), 'gpt-5.1-codex', 'az-key');
    const spec = a.buildChatRequest(richRequest({ stop: undefined }), t);
    assert.equal(spec.path, '/openai/v1/responses');
    assert.equal(spec.headers['api-key'], 'az-key');
    const body = JSON.parse(spec.body as string);
    assert.equal(body.model, 'codex-prod');
    assert.ok(Array.isArray(body.input));
  });
});

describe('openai-compatible', () => {
  const a = getAdapter('openai-compatible');
  const withAuth = (auth: unknown, key = 'k-1') =>
    a.buildChatRequest(richRequest(), target(settings('openai-compatible', { id: 'x', baseUrl: 'http://localhost:11434/v1', options: auth === undefined ? {} : { auth } }), 'llama3.2', key)).headers;

  it('auth bearer (default), header:<name>, none', () => {
    assert.equal(withAuth(undefined).authorization, 'Bearer k-1');
    assert.equal(withAuth('bearer').authorization, 'Bearer k-1');
    const h = withAuth('header:X-Api-Key');
    assert.equal(h['x-api-key'], 'k-1');
    assert.equal(h.authorization, undefined);
    assert.equal(withAuth('none').authorization, undefined);
    assert.equal(withAuth('bearer', '').authorization, undefined);
  });

  describe('options.tool_loop: mistral', () => {
    const mistral = settings('openai-compatible', { baseUrl: 'https://api.mistral.ai/v1', options: { tool_loop: 'mistral' } });
    const loop = (...ids: string[]) => richRequest({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        { role: 'assistant', content: [], toolCalls: ids.map((id) => ({ id, name: 'get_weather', arguments: '{}' })) },
        ...ids.map((id) => ({ role: 'tool' as const, toolCallId: id, content: [{ type: 'text' as const, text: 'sunny' }] })),
      ],
    });
    type Wire = { messages: { tool_calls?: { id: string }[]; tool_call_id?: string }[] };
    const wire = (s: ReturnType<typeof settings>, model: string, ...ids: string[]) => body(a.buildChatRequest(loop(...ids), target(s, model))) as Wire;

    it("gives another provider's tool call ids as nine letters and digits, alike on the call and its result; Mistral's own go as they are", () => {
      const gemini = `abc123${'__sig_'}${Buffer.from('sig').toString('base64url')}`;
      const ids = ['toolu_01AbCdEfGhIjKlMnOpQrStUv', 'call_Xy12', 'Mf0000010', gemini, 'abc123'];
      const b = wire(mistral, 'mistral-large-latest', ...ids);
      const sent = b.messages[2].tool_calls!.map((c) => c.id);
      for (const id of sent) assert.match(id, /^[A-Za-z0-9]{9}$/);
      assert.deepEqual(b.messages.slice(3).map((m) => m.tool_call_id), sent, 'each result names its call');
      assert.equal(sent[2], 'Mf0000010', 'an id Mistral gave goes back unchanged');
      assert.equal(new Set(sent).size, ids.length - 1, 'different ids stay apart');
      assert.equal(sent[3], sent[4], "a Gemini call's signature is not part of its id");
      assert.deepEqual(wire(mistral, 'mistral-large-latest', ...ids).messages[2].tool_calls!.map((c) => c.id), sent, 'the same ids every turn');
    });

    it('puts an assistant message between tool results and what the user says beside them; nothing else moves', () => {
      const png = { type: 'image' as const, mediaType: 'image/png', data: 'iVBORw0KGgo=' };
      const req = richRequest({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
          { role: 'assistant', content: [], toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{}' }, { id: 'toolu_2', name: 'shot', arguments: '{}' }] },
          { role: 'tool', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'sunny' }] },
          { role: 'tool', toolCallId: 'toolu_2', content: [png] },
          { role: 'user', content: [{ type: 'text', text: '<system-reminder>be brief</system-reminder>' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'Sunny.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
        ],
      });
      const roles = (s: ReturnType<typeof settings>) => (body(a.buildChatRequest(req, target(s, 'mistral-large-latest'))).messages as { role: string; content: unknown }[]);
      const sent = roles(mistral);
      assert.deepEqual(sent.map((m) => m.role), ['system', 'user', 'assistant', 'tool', 'tool', 'assistant', 'user', 'user', 'assistant', 'user']);
      assert.equal(sent[5].content, 'Tool results received.');
      assert.match(JSON.stringify(sent[6].content), /Attached to the result of tool call [A-Za-z0-9]{9}:/);
      assert.equal(sent[7].content, '<system-reminder>be brief</system-reminder>');
      const plain = roles(settings('openai-compatible', { baseUrl: 'https://api.mistral.ai/v1' }));
      assert.deepEqual(plain.map((m) => m.role), ['system', 'user', 'assistant', 'tool', 'tool', 'user', 'user', 'assistant', 'user'], 'without the option, as before');
    });

    it('applies per model glob, and nothing changes without it', () => {
      const perModel = settings('openai-compatible', { baseUrl: 'https://openrouter.ai/api/v1', options: { tool_loop: { 'mistralai/*': 'mistral' } } });
      assert.match(wire(perModel, 'mistralai/devstral-medium', 'call_Xy12').messages[2].tool_calls![0].id, /^[A-Za-z0-9]{9}$/);
      assert.equal(wire(perModel, 'deepseek/deepseek-chat', 'call_Xy12').messages[2].tool_calls![0].id, 'call_Xy12');
      const plain = wire(settings('openai-compatible', { baseUrl: 'https://api.mistral.ai/v1' }), 'mistral-large-latest', 'call_Xy12');
      assert.deepEqual([plain.messages[2].tool_calls![0].id, plain.messages[3].tool_call_id], ['call_Xy12', 'call_Xy12']);
    });
  });

  it('rejects a malformed auth option clearly', () => {
    assert.equal(authOptionProblem('basic'), 'options.auth must be "bearer", "none" or "header:<header name>"');
    assert.equal(authOptionProblem('header:'), 'options.auth must be "bearer", "none" or "header:<header name>"');
    assert.equal(authOptionProblem('header:x-key'), undefined);
    assert.throws(() => withAuth('basic'), { code: 'SY_ERR_INTERNAL', message: /provider "x": options.auth/ });
  });

  it('requires a base URL and sends max_tokens', () => {
    assert.throws(() => a.buildChatRequest(richRequest(), target(settings('openai-compatible'), 'm')), { code: 'SY_ERR_INTERNAL' });
    const spec = a.buildChatRequest(richRequest(), target(settings('openai-compatible', { baseUrl: 'https://api.mistral.ai/v1' }), 'mistral-large-latest'));
    assert.equal(spec.origin, 'https://api.mistral.ai');
    assert.equal(body(spec).max_tokens, 256);
  });

  it("says what a server's error body says, in the shapes Mistral, FastAPI servers and OpenRouter send", () => {
    const said = (status: number, b: unknown) => a.classifyError(status, {}, JSON.stringify(b)).message;
    // Mistral's 422: the validation details in place of a message.
    const extra = { type: 'extra_forbidden', loc: ['body', 'stream_options', 'include_usage'], msg: 'Extra inputs are not permitted', input: true };
    assert.equal(said(422, { object: 'error', message: { detail: [extra] }, type: 'invalid_request_error', param: null, code: null }), 'stream_options.include_usage: Extra inputs are not permitted');
    assert.equal(said(422, { object: 'Error', detail: [extra], message: [extra, { ...extra, loc: ['body', 'seed'] }], type: 'invalid_request_error', code: 3001 }),
      'stream_options.include_usage: Extra inputs are not permitted; seed: Extra inputs are not permitted');
    // FastAPI's own (a vLLM or a local server's route or validation error).
    assert.equal(said(404, { detail: 'Not Found' }), 'Not Found');
    assert.equal(said(422, { detail: [{ type: 'missing', loc: ['body', 'messages'], msg: 'Field required', input: {} }] }), 'messages: Field required');
    // OpenRouter's: what the provider said behind "Provider returned error".
    const raw = JSON.stringify({ object: 'error', message: "Unexpected role 'user' after role 'tool'", type: 'invalid_request_message_order', param: null, code: '3230' });
    assert.equal(said(400, { error: { code: 400, message: 'Provider returned error', metadata: { raw, provider_name: 'Mistral' } } }), "Provider returned error (Mistral: Unexpected role 'user' after role 'tool')");
    assert.equal(said(429, { error: { code: 429, message: 'Provider returned error', metadata: { raw: 'model is temporarily rate-limited upstream' } } }), 'Provider returned error (model is temporarily rate-limited upstream)');
    assert.equal(said(400, { error: { message: 'plain', metadata: {} } }), 'plain');
  });

  it("reads OpenRouter's error in a 200 answer as the upstream's error, with its message", () => {
    const t = target(settings('openai-compatible', { baseUrl: 'https://openrouter.ai/api/v1' }), 'deepseek/deepseek-chat');
    const answer = { error: { code: 502, message: 'Provider returned error', metadata: { raw: 'upstream connect error', provider_name: 'DeepInfra' } }, user_id: 'u' };
    assert.throws(() => a.parseChatResponse(answer, t), { code: 'SY_ERR_UPSTREAM_ERROR', message: 'upstream answered with an error: Provider returned error (DeepInfra: upstream connect error)' });
    assert.throws(() => a.parseChatResponse({ id: 'x' }, t), { code: 'SY_ERR_UPSTREAM_ERROR', message: /`choices\[0\]` missing/ });
  });

  it("reads the usage Groq streams in x_groq on its last chunk, once: a usage chunk sent too is the one", () => {
    const t = target(settings('openai-compatible', { baseUrl: 'https://api.groq.com/openai/v1', options: { stream_usage: false } }), 'llama-3.3-70b-versatile');
    const chunk = (o: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'llama-3.3-70b-versatile', ...o })}\n\n`;
    const groqUsage = { queue_time: 0.02, prompt_tokens: 23, prompt_time: 0.006, completion_tokens: 19, completion_time: 0.02, total_tokens: 42, total_time: 0.03 };
    const stream = chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }], x_groq: { id: 'req_1' } })
      + chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], x_groq: { id: 'req_1', usage: groqUsage } });
    const usages = (text: string) => a.createStreamDecoder(t).push(text).filter((e) => e.type === 'usage');
    assert.deepEqual(usages(stream + 'data: [DONE]\n\n'), [{ type: 'usage', usage: { inputTokens: 23, outputTokens: 19 } }]);
    const asked = usages(stream + chunk({ choices: [], usage: { prompt_tokens: 23, completion_tokens: 19, total_tokens: 42, prompt_tokens_details: { cached_tokens: 3 } } }) + 'data: [DONE]\n\n');
    assert.deepEqual(asked, [{ type: 'usage', usage: { inputTokens: 23, outputTokens: 19, cachedInputTokens: 3 } }]);
    // Cut before the terminator: no usage from x_groq, and the stream ends in an error as before.
    assert.deepEqual(usages(stream), []);
  });
});

describe('anthropic', () => {
  const a = getAdapter('anthropic');
  const t = target(settings('anthropic'), 'claude-sonnet-4-20250514');

  it('defaults max_tokens to 4096 and leaves JSON mode out', () => {
    const b = body(a.buildChatRequest(richRequest({ maxTokens: undefined }), t));
    assert.equal(b.max_tokens, 4096);
    assert.equal(b.response_format, undefined);
  });

  it('holds strict tools and JSON outputs to the schema subset Claude takes: refused keywords go into descriptions', () => {
    // What zod gives for z.object({ days: z.number().int().min(1), city: z.string().min(2), tags: z.array(z.string()).min(2) }).
    const zod = {
      type: 'object',
      properties: {
        days: { type: 'integer', minimum: 1, maximum: 9007199254740991 },
        city: { type: 'string', minLength: 2, description: 'City name' },
        when: { type: 'string', format: 'date' },
        site: { type: 'string', format: 'iri' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
        one: { type: 'array', items: { anyOf: [{ type: 'number', multipleOf: 0.5 }, { type: 'null' }] }, minItems: 1 },
      },
      required: ['days', 'city', 'when', 'site', 'tags', 'one'],
      additionalProperties: false,
    };
    const held = {
      type: 'object',
      properties: {
        days: { type: 'integer', description: '{"minimum":1,"maximum":9007199254740991}' },
        city: { type: 'string', description: 'City name\n\n{"minLength":2}' },
        when: { type: 'string', format: 'date' },
        site: { type: 'string', description: '{"format":"iri"}' },
        tags: { type: 'array', items: { type: 'string' }, description: '{"minItems":2}' },
        one: { type: 'array', items: { anyOf: [{ type: 'number', description: '{"multipleOf":0.5}' }, { type: 'null' }] }, minItems: 1 },
      },
      required: ['days', 'city', 'when', 'site', 'tags', 'one'],
      additionalProperties: false,
    };
    const tool = (strict?: boolean) => ({ name: 'plan', parameters: zod, ...(strict === undefined ? {} : { strict }) });
    const b = body(a.buildChatRequest(richRequest({ tools: [tool(true), { ...tool(), name: 'loose' }], responseFormat: { type: 'json_schema', name: 'plan', schema: zod, strict: true } }), t)) as {
      tools: { input_schema: unknown }[]; output_config: { format: { schema: unknown } };
    };
    assert.deepEqual(b.tools[0].input_schema, held);
    assert.deepEqual(b.tools[1].input_schema, zod, 'a tool that is not strict is sent as the client wrote it');
    assert.deepEqual(b.output_config.format.schema, held);
    assert.equal(zod.properties.days.minimum, 1, "the client's schema is left as it was");
  });

  it("caps an OpenAI client's temperature (0–2) at Anthropic's highest (1)", () => {
    assert.equal(body(a.buildChatRequest(richRequest({ temperature: 1.7 }), t)).temperature, 1);
    assert.equal(body(a.buildChatRequest(richRequest({ temperature: 0.3 }), t)).temperature, 0.3);
  });

  it("rewrites tool call ids Anthropic would refuse, alike on the call and its result", () => {
    const b = body(a.buildChatRequest(richRequest({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        { role: 'assistant', content: [], toolCalls: [{ id: 'functions.get_weather:0', name: 'get_weather', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'functions.get_weather:0', content: [{ type: 'text', text: 'sunny' }] },
      ],
    }), t)) as { messages: { content: Record<string, string>[] }[] };
    assert.equal(b.messages[1].content[0].id, 'functions_get_weather_0');
    assert.equal(b.messages[2].content[0].tool_use_id, 'functions_get_weather_0');
  });

  it('leaves out the sampling parameters on API version 2026-10-21 and later, and what drop_params names', () => {
    const sampled = richRequest({ temperature: 0.3, extras: { dialect: 'anthropic', fields: { top_k: 5 } } });
    const old = body(a.buildChatRequest(sampled, t));
    assert.deepEqual([old.temperature, old.top_k], [0.3, 5]);
    const v2 = target(settings('anthropic', { options: { anthropic_version: '2026-10-21' } }), 'claude-sonnet-5');
    const spec = a.buildChatRequest(sampled, v2);
    assert.equal(spec.headers['anthropic-version'], '2026-10-21');
    const now = body(spec);
    assert.deepEqual([now.temperature, now.top_p, now.top_k], [undefined, undefined, undefined]);
    const perModel = target(settings('anthropic', { options: { drop_params: { 'claude-opus-4-7*': ['temperature', 'top_k'] } } }), 'claude-opus-4-7');
    assert.deepEqual([body(a.buildChatRequest(sampled, perModel)).temperature, body(a.buildChatRequest(sampled, perModel)).top_k], [undefined, undefined]);
  });

  it('sends temperature or top_p, never both (current Claude models refuse the pair)', () => {
    const both = body(a.buildChatRequest(richRequest({ temperature: 0.3, topP: 0.9 }), t));
    assert.deepEqual([both.temperature, both.top_p], [0.3, undefined]);
    const alone = body(a.buildChatRequest(richRequest({ temperature: undefined, topP: 0.9 }), t));
    assert.deepEqual([alone.temperature, alone.top_p], [undefined, 0.9]);
  });

  it('merges parallel tool results and the user text after them into one user turn', () => {
    const b = body(a.buildChatRequest(richRequest({
      system: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
        { role: 'assistant', content: [{ type: 'text', text: '' }], toolCalls: [{ id: 't1', name: 'get_weather', arguments: '{"city":"Paris"}' }, { id: 't2', name: 'get_weather', arguments: '' }] },
        { role: 'tool', toolCallId: 't1', content: [{ type: 'text', text: '21C' }] },
        { role: 'tool', toolCallId: 't2', content: [{ type: 'text', text: 'no such city' }], isError: true },
        { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
      ],
    }), t));
    assert.deepEqual(b.system, [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }]);
    assert.deepEqual(b.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'get_weather', input: { city: 'Paris' } }, { type: 'tool_use', id: 't2', name: 'get_weather', input: {} }] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: '21C' }] },
        { type: 'tool_result', tool_use_id: 't2', content: [{ type: 'text', text: 'no such city' }], is_error: true },
        { type: 'text', text: 'Thanks' },
      ] },
    ]);
  });

  it('sends image URLs as url sources', () => {
    const b = body(a.buildChatRequest(richRequest({ messages: [{ role: 'user', content: [{ type: 'image_url', url: 'https://example.com/cat.png' }] }] }), t));
    assert.deepEqual(b.messages, [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } }] }]);
  });

  it('rejects tool-call arguments in the history that are not a JSON object', () => {
    for (const args of ['{bad', '[1,2]']) {
      const req = richRequest({ messages: [{ role: 'assistant', content: [], toolCalls: [{ id: 'c', name: 'f', arguments: args }] }] });
      assert.throws(() => a.buildChatRequest(req, t), { code: 'SY_ERR_BAD_REQUEST', message: /messages\[0\]\.tool_calls\[0\]/ });
    }
  });

  it('honours anthropic_version and a base URL ending in /v1', () => {
    const spec = a.buildChatRequest(richRequest(), target(settings('anthropic', { baseUrl: 'https://gw.example.com/anthropic/v1', options: { anthropic_version: '2024-01-01' } }), 'claude'));
    assert.equal(spec.origin, 'https://gw.example.com');
    assert.equal(spec.path, '/anthropic/v1/messages');
    assert.equal(spec.headers['anthropic-version'], '2024-01-01');
  });

  it('classifies overloaded_error as overloaded whatever the status', () => {
    const overloaded = JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    assert.equal(a.classifyError(500, {}, overloaded).kind, 'overloaded');
    assert.equal(a.classifyError(529, {}, overloaded).providerCode, 'overloaded_error');
  });

  it('counts cache reads and writes into input tokens, and keeps both apart (with the one-hour writes)', () => {
    const res = a.parseChatResponse({ id: 'm', model: 'c', content: [], stop_reason: 'end_turn', usage: { input_tokens: 3, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 7 } }, t);
    assert.deepEqual(res.usage, { inputTokens: 1103, outputTokens: 7, cachedInputTokens: 1000, cacheWriteTokens: 100 });
    const usage = { input_tokens: 3, cache_creation_input_tokens: 100, cache_creation: { ephemeral_5m_input_tokens: 60, ephemeral_1h_input_tokens: 40 }, cache_read_input_tokens: 1000, output_tokens: 7 };
    const hour = a.parseChatResponse({ id: 'm', model: 'c', content: [], stop_reason: 'end_turn', usage }, t);
    assert.deepEqual(hour.usage, { inputTokens: 1103, outputTokens: 7, cachedInputTokens: 1000, cacheWriteTokens: 100, cacheWrite1hTokens: 40 });
    // Rendered back for an Anthropic client, the usage is what Anthropic sent.
    assert.deepEqual(CHAT_DIALECTS.anthropic.renderChatResponse(hour, { created: 0 }).usage, usage);
    // Thinking tokens (output_tokens_details) are reasoning tokens, for every client.
    const thought = a.parseChatResponse({ id: 'm', model: 'c', content: [], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 50, output_tokens_details: { thinking_tokens: 40 } } }, t);
    assert.equal(thought.usage.reasoningTokens, 40);
    assert.deepEqual((CHAT_DIALECTS.anthropic.renderChatResponse(thought, { created: 0 }).usage as { output_tokens_details: unknown }).output_tokens_details, { thinking_tokens: 40 });
    assert.deepEqual((CHAT_DIALECTS.openai.renderChatResponse(thought, { created: 0 }).usage as { completion_tokens_details: unknown }).completion_tokens_details, { reasoning_tokens: 40 });
  });

  it('counts tokens at /v1/messages/count_tokens with only the fields it accepts', () => {
    const spec = a.buildCountTokensRequest!(richRequest({ stream: true, extras: { dialect: 'anthropic', fields: { top_k: 5 } } }), t);
    assert.equal(spec.path, '/v1/messages/count_tokens');
    assert.equal(spec.headers['x-api-key'], t.keyValue);
    const b = body(spec);
    assert.ok(Object.keys(b).every((k) => ['model', 'system', 'messages', 'tools', 'tool_choice', 'thinking'].includes(k)), Object.keys(b).join());
    assert.equal(b.model, 'claude-sonnet-4-20250514');
    assert.deepEqual(b.messages, body(a.buildChatRequest(richRequest(), t)).messages);
    assert.deepEqual(a.parseCountTokensResponse!({ input_tokens: 321 }, t), { inputTokens: 321 });
    for (const bad of [{}, { input_tokens: -1 }, { input_tokens: '3' }, null]) {
      assert.throws(() => a.parseCountTokensResponse!(bad, t), /input_tokens/);
    }
  });

  it('counts tokens, as Gemini and OpenAI do; Azure and the mock cannot', () => {
    for (const type of ['azure', 'mock']) assert.equal(getAdapter(type).buildCountTokensRequest, undefined, type);
  });
});

describe('gemini', () => {
  const a = getAdapter('gemini');
  const t = target(settings('gemini'), 'models/gemini-2.5-pro', 'AIza');

  describe('thought signatures (Gemini 3 wants a replayed call signed)', () => {
    const g3 = target(settings('gemini'), 'gemini-3-flash', 'AIza');
    const sig = Buffer.from('opaque signature bytes \u0000\u00ff+/').toString('base64');
    const answer = {
      responseId: 'r1',
      candidates: [{ content: { role: 'model', parts: [
        { functionCall: { name: 'f1', args: {} }, thoughtSignature: sig },
        { functionCall: { name: 'f2', args: { x: 1 } } },
      ] }, finishReason: 'STOP' }],
    };
    const turn = (calls: { id: string; name: string; arguments: string }[]) => richRequest({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'go' }] },
        { role: 'assistant', content: [], toolCalls: calls },
        ...calls.map((c) => ({ role: 'tool' as const, toolCallId: c.id, content: [{ type: 'text' as const, text: 'ok' }] })),
      ],
    });
    const modelTurn = (target: typeof t, calls: { id: string; name: string; arguments: string }[]) =>
      ((body(a.buildChatRequest(turn(calls), target)).contents as { parts: Record<string, unknown>[] }[])[1]).parts.map((p) => p.thoughtSignature);

    it('ride in the tool call id, whole or streamed, and go back to Gemini unchanged', () => {
      const calls = a.parseChatResponse(answer, g3).toolCalls;
      assert.match(calls[0].id, /^call_r1_0__sig_[A-Za-z0-9_-]+$/);
      assert.equal(calls[1].id, 'call_r1_1', 'only the first of parallel calls is signed');
      const streamed = a.createStreamDecoder(g3).push(`data: ${JSON.stringify(answer)}\r\n\r\n`).filter((e) => e.type === 'tool_call_start');
      assert.deepEqual(streamed.map((e) => e.type === 'tool_call_start' && e.id), calls.map((c) => c.id));
      assert.deepEqual(modelTurn(g3, calls), [sig, undefined]);
      assert.deepEqual(modelTurn(t, calls), [sig, undefined], 'a real signature goes back to any Gemini model');
    });

    it('a call Gemini did not sign gets Google\'s stand-in on Gemini 3, nothing on 2.x', () => {
      const foreign = [{ id: 'toolu_1', name: 'f1', arguments: '{}' }, { id: 'toolu_2', name: 'f2', arguments: '{}' }];
      assert.deepEqual(modelTurn(g3, foreign), ['skip_thought_signature_validator', undefined]);
      assert.deepEqual(modelTurn(t, foreign), [undefined, undefined]);
    });

    it('other providers get the ids without the signature, paired as before', () => {
      const calls = a.parseChatResponse(answer, g3).toolCalls;
      const openai = body(getAdapter('openai').buildChatRequest(turn(calls), target(settings('openai'), 'gpt-4o')));
      const msgs = openai.messages as Record<string, any>[];
      assert.deepEqual(msgs.find((m) => m.role === 'assistant')!.tool_calls.map((c: { id: string }) => c.id), ['call_r1_0', 'call_r1_1']);
      assert.deepEqual(msgs.filter((m) => m.role === 'tool').map((m) => m.tool_call_id), ['call_r1_0', 'call_r1_1']);
      const anthropic = body(getAdapter('anthropic').buildChatRequest(turn(calls), target(settings('anthropic'), 'claude')));
      assert.doesNotMatch(JSON.stringify(anthropic), /__sig_/);
      assert.match(JSON.stringify(anthropic), /"tool_use_id":"call_r1_0"/);
    });
  });

  it('counts tokens with countTokens over the whole request, system and tools included', () => {
    const spec = a.buildCountTokensRequest!(richRequest({ stream: true }), t);
    assert.equal(spec.path, '/v1beta/models/gemini-2.5-pro:countTokens');
    const inner = (body(spec) as { generateContentRequest: Record<string, unknown> }).generateContentRequest;
    const whole = body(a.buildChatRequest(richRequest({ stream: true }), t));
    assert.equal(inner.model, 'models/gemini-2.5-pro');
    for (const k of ['contents', 'systemInstruction', 'tools']) {
      assert.ok(whole[k] !== undefined, k);
      assert.deepEqual(inner[k], whole[k], k);
    }
    assert.deepEqual(a.parseCountTokensResponse!({ totalTokens: 77, promptTokensDetails: [] }, t), { inputTokens: 77 });
    assert.throws(() => a.parseCountTokensResponse!({ total: 1 }, t), /totalTokens/);
  });

  it('strips a models/ prefix and keeps a versioned base URL', () => {
    assert.equal(a.buildChatRequest(richRequest(), t).path, '/v1beta/models/gemini-2.5-pro:generateContent');
    const v1 = target(settings('gemini', { baseUrl: 'https://generativelanguage.googleapis.com/v1' }), 'gemini-2.5-pro');
    assert.equal(a.buildChatRequest(richRequest(), v1).path, '/v1/models/gemini-2.5-pro:generateContent');
  });

  it('inlines schema references Gemini cannot read, bounded: cycles stay references into $defs, shared definitions stop growing', () => {
    const plain = { type: 'object', properties: { a: { type: 'string' } } };
    assert.equal(geminiSchema(plain), plain, 'a schema without references goes as it came');
    // A → B → A, and a root that refers to itself (zod-to-json-schema writes "#").
    const mutual = {
      type: 'object',
      properties: { a: { $ref: '#/$defs/A', title: 'first' }, self: { anyOf: [{ $ref: '#' }, { type: 'null' }] } },
      $defs: { A: { type: 'object', properties: { b: { $ref: '#/$defs/B' } } }, B: { type: 'object', properties: { a: { $ref: '#/$defs/A', description: 'back' } } } },
    };
    const copy = structuredClone(mutual);
    const back = { type: 'object', properties: { a: { $ref: '#/$defs/A', description: 'back' } } };
    assert.deepEqual(geminiSchema(mutual), {
      type: 'object',
      properties: { a: { type: 'object', properties: { b: back }, title: 'first' }, self: { anyOf: [{ $ref: '#' }, { type: 'null' }] } },
      $defs: { A: { type: 'object', properties: { b: back } } },
    });
    assert.deepEqual(mutual, copy, "the client's schema is left as it was");
    // Each level refers twice to the next: inlined whole it would have 2^40 nodes.
    const defs: Record<string, unknown> = { L40: { type: 'string' } };
    for (let i = 0; i < 40; i++) defs[`L${i}`] = { type: 'object', properties: { x: { $ref: `#/$defs/L${i + 1}` }, y: { $ref: `#/$defs/L${i + 1}` } } };
    const wide = geminiSchema({ $ref: '#/$defs/L0', $defs: defs });
    const size = JSON.stringify(wide).length;
    assert.ok(size < 10_000_000, `${size}`);
    assert.ok(Object.keys(wide.$defs as object).length > 0, 'past the bound, references stay references');
    // A reference to nothing the schema holds goes as it came.
    assert.deepEqual(geminiSchema({ type: 'object', properties: { u: { $ref: 'https://example.com/u.json' } } }), { type: 'object', properties: { u: { $ref: 'https://example.com/u.json' } } });
  });

  it('converts schemas built to be slow in linear time: a long chain of definitions, and thousands named alike', () => {
    // Each definition names the next: inlined link by link, 15,000 overflowed the stack.
    const chain: Record<string, unknown> = { d15000: { type: 'string' } };
    for (let i = 0; i < 15_000; i++) chain[`d${i}`] = { $ref: `#/$defs/d${i + 1}` };
    const linked = geminiSchema({ type: 'object', properties: { x: { $ref: '#/$defs/d0' } }, $defs: chain });
    assert.equal(JSON.stringify(linked).includes('"type":"string"'), true);
    // Past the node bound every reference is kept, and `aé`, `aè`, ... all take the name a_: each
    // new name was checked against every one before it, for every suffix tried.
    const pad: Record<string, unknown> = {};
    for (let i = 0; i <= 20_000; i++) pad[`p${i}`] = {};
    const alike: Record<string, unknown> = {};
    const refs: Record<string, unknown> = {};
    for (let i = 0; i < 3000; i++) {
      const name = `a${String.fromCharCode(0x4e00 + i)}`;
      alike[name] = { type: 'string' };
      refs[`r${i}`] = { $ref: `#/$defs/${name}` };
    }
    const started = performance.now();
    const named = geminiSchema({ type: 'object', properties: { pad: { type: 'object', properties: pad }, refs: { type: 'object', properties: refs } }, $defs: alike });
    const ms = performance.now() - started;
    assert.equal(Object.keys(named.$defs as object).length, 3000, 'each definition kept under a name of its own');
    assert.ok(ms < 3000, `${Math.round(ms)} ms`);
  });

  it('json_object asks for JSON without a schema; text adds nothing', () => {
    const gen = (f: 'json_object' | 'text') => body(a.buildChatRequest(richRequest({ responseFormat: { type: f }, maxTokens: undefined, temperature: undefined, topP: undefined, stop: undefined }), t)).generationConfig;
    assert.deepEqual(gen('json_object'), { responseMimeType: 'application/json' });
    assert.equal(gen('text'), undefined);
  });

  it('answers a tool result by function name, and an error result under "error"', () => {
    const b = body(a.buildChatRequest(richRequest({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'go' }] },
        { role: 'assistant', content: [], toolCalls: [{ id: 'a', name: 'f1', arguments: '{}' }, { id: 'b', name: 'f2', arguments: '{"x":1}' }] },
        { role: 'tool', toolCallId: 'a', content: [{ type: 'text', text: 'ok' }] },
        { role: 'tool', toolCallId: 'b', content: [{ type: 'text', text: 'boom' }], isError: true },
      ],
    }), t));
    assert.deepEqual((b.contents as unknown[]).slice(1), [
      { role: 'model', parts: [{ functionCall: { name: 'f1', args: {} } }, { functionCall: { name: 'f2', args: { x: 1 } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'f1', response: { output: 'ok' } } }, { functionResponse: { name: 'f2', response: { error: 'boom' } } }] },
    ]);
  });

  it('an image URL becomes fileData, typed by its extension (Gemini fetches public URLs itself)', () => {
    const image = (url: string) => richRequest({ messages: [{ role: 'user', content: [{ type: 'text', text: 'what is it?' }, { type: 'image_url', url }] }] });
    const b = body(a.buildChatRequest(image('https://cdn.example.com/photos/Cat.JPG?w=800#x'), t)) as Record<string, any>;
    assert.deepEqual(b.contents[0].parts, [{ text: 'what is it?' }, { fileData: { mimeType: 'image/jpeg', fileUri: 'https://cdn.example.com/photos/Cat.JPG?w=800#x' } }]);
    for (const [ext, type] of [['png', 'image/png'], ['webp', 'image/webp'], ['gif', 'image/gif'], ['heic', 'image/heic']]) {
      assert.equal((body(a.buildChatRequest(image(`http://img.example/a.${ext}`), t)) as any).contents[0].parts[1].fileData.mimeType, type);
    }
  });

  it('rejects what Gemini cannot take as client errors', () => {
    for (const url of ['https://example.com/render?id=7', 'https://example.com/a.svg', 'ftp://example.com/a.png']) {
      const req = richRequest({ messages: [{ role: 'user', content: [{ type: 'image_url', url }] }] });
      assert.throws(() => a.buildChatRequest(req, t), { code: 'SY_ERR_BAD_REQUEST', message: /type shows in the path .*send this image inline as a base64 data URL/ }, url);
    }
    const orphan = richRequest({ messages: [{ role: 'tool', toolCallId: 'nope', content: [] }] });
    assert.throws(() => a.buildChatRequest(orphan, t), { code: 'SY_ERR_BAD_REQUEST', message: /matches no earlier tool call/ });
  });

  it('a blocked prompt is a content_filter finish', () => {
    const res = a.parseChatResponse({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } }, t);
    assert.equal(res.finishReason, 'content_filter');
    assert.equal(res.usage.inputTokens, 4);
  });

  it('a candidate Gemini failed to produce (a malformed call, a missing signature, ...) is an upstream error, whole and streamed, never an empty answer', () => {
    for (const reason of ['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS', 'MISSING_THOUGHT_SIGNATURE', 'MALFORMED_RESPONSE']) {
      const answer = {
        candidates: [{ finishReason: reason, finishMessage: 'Malformed function call: print(default_api.get_weather(city=Paris))', index: 0 }],
        usageMetadata: { promptTokenCount: 40, totalTokenCount: 40 }, modelVersion: 'gemini-2.5-flash', responseId: 'r1',
      };
      assert.throws(() => a.parseChatResponse(answer, t), { code: 'SY_ERR_UPSTREAM_ERROR', message: new RegExp(`^Gemini produced no answer \\(finishReason ${reason}\\): Malformed function call: print`) }, reason);
      const events = a.createStreamDecoder(t).push(`data: ${JSON.stringify(answer)}\r\n\r\n`);
      assert.deepEqual(events.map((e) => e.type), ['start', 'error'], reason);
      assert.match((events[1] as { message: string }).message, new RegExp(`finishReason ${reason}`));
    }
    // What streamed before the failure reaches the client, then the error.
    const d = a.createStreamDecoder(t);
    const text = d.push(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Let me check.' }] }, index: 0 }], responseId: 'r2' })}\r\n\r\n`);
    const failed = d.push(`data: ${JSON.stringify({ candidates: [{ finishReason: 'MALFORMED_FUNCTION_CALL', index: 0 }], responseId: 'r2' })}\r\n\r\n`);
    assert.deepEqual([...text, ...failed].map((e) => e.type), ['start', 'text', 'error']);
    assert.deepEqual(d.end(), []);
  });

  it('OTHER with nothing written (thoughts at most) is an upstream error; after text or a call it is a stop', () => {
    const chunk = (parts: unknown[], finishReason?: string): string => `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), index: 0 }], responseId: 'r3' })}\r\n\r\n`;
    const empty = { candidates: [{ finishReason: 'OTHER', index: 0 }], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } };
    assert.throws(() => a.parseChatResponse(empty, t), { code: 'SY_ERR_UPSTREAM_ERROR', message: /finishReason OTHER/ });
    const thoughtOnly = { candidates: [{ content: { role: 'model', parts: [{ text: 'Planning.', thought: true }] }, finishReason: 'OTHER', index: 0 }] };
    assert.throws(() => a.parseChatResponse(thoughtOnly, t), { code: 'SY_ERR_UPSTREAM_ERROR', message: /finishReason OTHER/ });
    assert.deepEqual(a.createStreamDecoder(t).push(chunk([{ text: 'Planning.', thought: true }]) + chunk([], 'OTHER')).map((e) => e.type), ['start', 'thinking', 'error']);
    // Text or a call came: that is the answer, cut short.
    const cut = a.parseChatResponse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Paris is' }] }, finishReason: 'OTHER', index: 0 }] }, t);
    assert.deepEqual([cut.text, cut.finishReason], ['Paris is', 'stop']);
    const d = a.createStreamDecoder(t);
    const events = [...d.push(chunk([{ text: 'Paris is' }]) + chunk([], 'OTHER')), ...d.end()];
    assert.deepEqual(events.map((e) => e.type), ['start', 'text', 'finish', 'end']);
  });

  it('counts thinking tokens as output (and as reasoning), and keeps thought parts out of the text, as thinking', () => {
    const res = a.parseChatResponse({
      candidates: [{ content: { role: 'model', parts: [{ text: 'hmm', thought: true }, { text: 'Hi' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2, thoughtsTokenCount: 30, totalTokenCount: 37 },
    }, t);
    assert.equal(res.text, 'Hi');
    assert.deepEqual(res.thinking, [{ type: 'thinking', thinking: 'hmm', signature: '' }]);
    assert.deepEqual(res.usage, { inputTokens: 5, outputTokens: 32, reasoningTokens: 30 });
    // An OpenAI or Responses API client sees them where OpenAI puts them.
    assert.deepEqual(CHAT_DIALECTS.openai.renderChatResponse(res, { created: 0 }).usage, {
      prompt_tokens: 5, completion_tokens: 32, total_tokens: 37, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 30 },
    });
    assert.deepEqual((RESPONSES_API.renderChatResponse(res, { created: 0 }).usage as { output_tokens_details: unknown }).output_tokens_details, { reasoning_tokens: 30 });
  });

  it('reads RetryInfo and treats API_KEY_INVALID as an auth error', () => {
    const quota = JSON.stringify({ error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED', details: [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' },
    ] } });
    const info = a.classifyError(429, {}, quota);
    assert.equal(info.retryAfterMs, 37_000);
    assert.equal(info.providerCode, 'RESOURCE_EXHAUSTED');
    const badKey = JSON.stringify([{ error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
    ] } }]);
    const auth = a.classifyError(400, {}, badKey);
    assert.equal(auth.kind, 'auth_error');
    assert.match(auth.message, /API key not valid/);
  });
});

describe('anthropic stream details', () => {
  it('a tool call without parameters gets "{}" as its arguments', () => {
    const ev = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    const d = getAdapter('anthropic').createStreamDecoder(target(settings('anthropic'), 'c'));
    const events = d.push([
      ev('message_start', { type: 'message_start', message: { id: 'm', model: 'c', usage: { input_tokens: 1, output_tokens: 0 } } }),
      ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't', name: 'now', input: {} } }),
      ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } }),
      ev('content_block_stop', { type: 'content_block_stop', index: 0 }),
    ].join(''));
    assert.deepEqual(events.slice(1), [{ type: 'tool_call_start', index: 0, id: 't', name: 'now' }, { type: 'tool_call_delta', index: 0, arguments: '{}' }]);
  });
});

describe("stop sequences past the provider's limit", () => {
  const stops = (n: number): string[] => Array.from({ length: n }, (_, i) => `END${i}`);
  const refusal = (param: string, limit: RegExp) => (e: { code?: string; message?: string; details?: { param?: string } }) =>
    e.code === 'SY_ERR_BAD_REQUEST' && e.details?.param === param && limit.test(e.message ?? '');
  const fromAnthropic = (n: number) => richRequest({ stop: stops(n), clientBody: { dialect: 'anthropic', fields: {} } });

  it("OpenAI and Azure chat completions: at most 4, refused naming the client's field unless drop_params drops stop", () => {
    const openai = target(settings('openai'), 'gpt-4o');
    const azure = target(settings('azure', { baseUrl: 'https://r.openai.azure.com', options: { api_version: '2024-10-21' } }), 'gpt-4o');
    for (const [name, t] of [['openai', openai], ['azure', azure]] as const) {
      const a = getAdapter(name);
      assert.deepEqual(body(a.buildChatRequest(fromAnthropic(4), t)).stop, stops(4));
      assert.throws(() => a.buildChatRequest(fromAnthropic(8), t), refusal('stop_sequences', /at most 4 stop sequences, and this request has 8/), name);
      assert.throws(() => a.buildChatRequest(richRequest({ stop: stops(5) }), t), refusal('stop', /at most 4/), name);
    }
    const dropping = target(settings('openai', { options: { drop_params: ['stop'] } }), 'gpt-4o');
    assert.equal(body(getAdapter('openai').buildChatRequest(fromAnthropic(8), dropping)).stop, undefined);
    // A server of OpenAI's format sets its own limit, if any.
    const vllm = target(settings('openai-compatible', { baseUrl: 'https://h.test/v1' }), 'llama');
    assert.deepEqual(body(getAdapter('openai-compatible').buildChatRequest(fromAnthropic(8), vllm)).stop, stops(8));
  });

  it("Anthropic: none empty or only whitespace (an OpenAI client's \"\\n\"), refused naming it unless drop_params drops stop_sequences", () => {
    const a = getAdapter('anthropic');
    const t = target(settings('anthropic'), 'claude-sonnet-4');
    const fromOpenAI = (stop: string[]) => richRequest({ stop, clientBody: { dialect: 'openai', fields: {} } });
    assert.deepEqual(body(a.buildChatRequest(fromOpenAI(['\n\nHuman:', ' END ']), t)).stop_sequences, ['\n\nHuman:', ' END ']);
    assert.throws(() => a.buildChatRequest(fromOpenAI(['END', '\n']), t), refusal('stop[1]', /Anthropic takes no stop sequence that is empty or only whitespace, and this one is "\\n"/));
    assert.throws(() => a.buildChatRequest(fromOpenAI(['']), t), refusal('stop[0]', /empty or only whitespace/));
    const dropping = target(settings('anthropic', { options: { drop_params: ['stop_sequences'] } }), 'claude-sonnet-4');
    assert.equal(body(a.buildChatRequest(fromOpenAI(['\n']), dropping)).stop_sequences, undefined);
  });

  it('Gemini: at most 5', () => {
    const a = getAdapter('gemini');
    const t = target(settings('gemini'), 'gemini-2.5-flash');
    const gen = (n: number) => body(a.buildChatRequest(fromAnthropic(n), t)).generationConfig as Record<string, unknown>;
    assert.deepEqual(gen(5).stopSequences, stops(5));
    assert.throws(() => a.buildChatRequest(fromAnthropic(6), t), refusal('stop_sequences', /Gemini takes at most 5 stop sequences, and this request has 6; send at most 5$/));
  });
});
