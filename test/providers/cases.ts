/**
 * One case per adapter for the shared contract suite: the wire shapes each provider
 * documents, for the same conversation. Every case describes the same stream (text
 * "Hello, world", a get_weather call for Paris, finish tool_calls, usage 20 in / 10 out /
 * 5 cached), so the suite can compare all of them with one expectation.
 */
import type { ChatRequest, FinishReason, ToolChoice } from '../../src/canonical.js';
import { getAdapter } from '../../src/providers/index.js';
import type { AttemptTarget, ProviderAdapter } from '../../src/providers/types.js';
import { PNG_B64, WEATHER_TOOL_SCHEMA, settings, target } from './fixtures.js';

export type ErrorKind = 'rate' | 'server' | 'overloaded' | 'auth' | 'invalid';

export interface AdapterCase {
  name: string;
  adapter: ProviderAdapter;
  target: AttemptTarget;
  origin: string;
  path: string;
  streamPath: string;
  /** Headers the request must carry (auth, version). */
  headers: Record<string, string>;
  /** The provider's body for richRequest(). */
  richBody: Record<string, unknown>;
  /** Reads the tool choice out of a built body, and what each canonical choice must become. */
  toolChoiceOf(body: Record<string, unknown>): unknown;
  toolChoices: [ToolChoice, unknown][];
  /** Response: text "Hello, world", finish stop, usage 20/10/5 cached. */
  textResponse: unknown;
  /** Response: text "Let me check." and a get_weather call for Paris with this id. */
  toolResponse: unknown;
  toolCallId: string;
  finishResponse(reason: string): unknown;
  finishes: [string, FinishReason][];
  stream: string;
  /** The final frame of `stream`, whose absence makes the stream truncated. */
  terminator: string;
  streamStart: { id: string; model: string; toolCallId: string };
  /** A stream that reports an error after some text. */
  errorStream: string;
  errorStreamMessage: string;
  errorBody(kind: ErrorKind): string;
  embeddings?: { path: string; body: Record<string, unknown>; response: unknown };
  /** What richRequest() lacks for this provider (a field its API does not have). */
  richOverrides?: Partial<ChatRequest>;
  /** Body fields a stream request carries besides `stream: true`; default OpenAI's `stream_options`. */
  streamFields?: Record<string, unknown>;
}

const sse = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;
const event = (name: string, data: unknown): string => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

// ---------------------------------------------------------------- OpenAI family

function openAIRichBody(model: string, maxField: string): Record<string, unknown> {
  return {
    model,
    messages: [
      { role: 'system', content: 'You are a weather bot.' },
      { role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } }] },
      { role: 'assistant', content: 'A cloud.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c":21}' },
    ],
    tools: [{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: WEATHER_TOOL_SCHEMA } }],
    tool_choice: 'auto',
    [maxField]: 256,
    temperature: 0.2,
    top_p: 0.9,
    stop: ['END'],
    response_format: { type: 'json_schema', json_schema: { name: 'weather', schema: { type: 'object', properties: { summary: { type: 'string' } } }, strict: true } },
    user: 'user-42',
  };
}

const OA_USAGE = { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30, prompt_tokens_details: { cached_tokens: 5, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };

function openAIResponse(message: Record<string, unknown>, finish: string): unknown {
  return {
    id: 'chatcmpl-abc123', object: 'chat.completion', created: 1718000000, model: 'gpt-4o-2024-08-06', system_fingerprint: 'fp_1',
    choices: [{ index: 0, message: { role: 'assistant', refusal: null, ...message }, logprobs: null, finish_reason: finish }],
    usage: OA_USAGE,
  };
}

function openAIChunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return sse({ id: 'chatcmpl-s1', object: 'chat.completion.chunk', created: 1718000000, model: 'gpt-4o-2024-08-06', system_fingerprint: 'fp_1', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
}

const OPENAI_STREAM = [
  openAIChunk({ role: 'assistant', content: '', refusal: null }),
  openAIChunk({ content: 'Hello' }),
  openAIChunk({ content: ', world' }),
  openAIChunk({ tool_calls: [{ index: 0, id: 'call_s1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  openAIChunk({ tool_calls: [{ index: 0, function: { arguments: '{"city"' } }] }),
  openAIChunk({ tool_calls: [{ index: 0, function: { arguments: ': "Paris"}' } }] }),
  openAIChunk({}, 'tool_calls'),
  sse({ id: 'chatcmpl-s1', object: 'chat.completion.chunk', created: 1718000000, model: 'gpt-4o-2024-08-06', choices: [], usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30, prompt_tokens_details: { cached_tokens: 5 } } }),
].join('');

const OPENAI_ERRORS: Record<ErrorKind, unknown> = {
  rate: { error: { message: 'Rate limit reached for gpt-4o on requests per min (RPM)', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
  server: { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } },
  overloaded: { error: { message: 'The engine is currently overloaded.', type: 'server_error', param: null, code: null } },
  auth: { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
  invalid: { error: { message: "Invalid value for 'temperature'.", type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } },
};

function openAIFamilyCase(name: string, t: AttemptTarget, origin: string, path: string, headers: Record<string, string>, maxField: string, embeddingsPath: string): AdapterCase {
  return {
    name,
    adapter: getAdapter(t.provider.type),
    target: t,
    origin,
    path,
    streamPath: path,
    headers,
    richBody: openAIRichBody(t.model, maxField),
    toolChoiceOf: (b) => b.tool_choice,
    toolChoices: [['auto', 'auto'], ['none', 'none'], ['required', 'required'], [{ name: 'get_weather' }, { type: 'function', function: { name: 'get_weather' } }]],
    textResponse: openAIResponse({ content: 'Hello, world' }, 'stop'),
    toolResponse: openAIResponse({ content: 'Let me check.', tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }, 'tool_calls'),
    toolCallId: 'call_abc',
    finishResponse: (r) => openAIResponse({ content: 'x' }, r),
    finishes: [['stop', 'stop'], ['length', 'length'], ['tool_calls', 'tool_calls'], ['content_filter', 'content_filter']],
    stream: (t.provider.type === 'azure'
      ? sse({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' } } }] })
      : '') + OPENAI_STREAM + 'data: [DONE]\n\n',
    terminator: 'data: [DONE]\n\n',
    streamStart: { id: 'chatcmpl-s1', model: 'gpt-4o-2024-08-06', toolCallId: 'call_s1' },
    errorStream: openAIChunk({ role: 'assistant', content: '' }) + openAIChunk({ content: 'Hel' }) + sse(OPENAI_ERRORS.server),
    errorStreamMessage: 'The server had an error while processing your request.',
    errorBody: (k) => JSON.stringify(OPENAI_ERRORS[k]),
    embeddings: {
      path: embeddingsPath,
      body: { model: t.model, input: ['alpha', 'beta'], encoding_format: 'float', dimensions: 3 },
      response: { object: 'list', data: [{ object: 'embedding', index: 1, embedding: [0.4, 0.5, 0.6] }, { object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }], model: t.model, usage: { prompt_tokens: 4, total_tokens: 4 } },
    },
  };
}

// ---------------------------------------------------------------- OpenAI Responses API (options.api: responses)

const RS_USAGE = { input_tokens: 20, input_tokens_details: { cached_tokens: 5 }, output_tokens: 10, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 30 };
const RS_MODEL = 'gpt-5.1-codex';

function responsesAnswer(output: unknown[], status = 'completed', incomplete: unknown = null): unknown {
  return { id: 'resp_abc123', object: 'response', created_at: 1718000000, status, incomplete_details: incomplete, model: RS_MODEL, output, usage: RS_USAGE, error: null };
}

const rsMessage = (text: string, id = 'msg_1'): Record<string, unknown> => ({ type: 'message', id, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] });
const rsCall = (callId: string, args: string): Record<string, unknown> => ({ type: 'function_call', id: `fc_${callId}`, call_id: callId, name: 'get_weather', arguments: args, status: 'completed' });
const rsEvent = (() => {
  let n = 0;
  return (type: string, data: Record<string, unknown>): string => event(type, { type, sequence_number: n++, ...data });
})();

const RS_CREATED = rsEvent('response.created', { response: { id: 'resp_s1', object: 'response', status: 'in_progress', model: RS_MODEL, output: [], usage: null } });
const RS_STREAM = [
  RS_CREATED,
  rsEvent('response.in_progress', { response: { id: 'resp_s1', object: 'response', status: 'in_progress', model: RS_MODEL, output: [], usage: null } }),
  rsEvent('response.output_item.added', { output_index: 0, item: { type: 'reasoning', id: 'rs_s1', summary: [] } }),
  rsEvent('response.output_item.done', { output_index: 0, item: { type: 'reasoning', id: 'rs_s1', summary: [] } }),
  rsEvent('response.output_item.added', { output_index: 1, item: { type: 'message', id: 'msg_s1', status: 'in_progress', role: 'assistant', content: [] } }),
  rsEvent('response.content_part.added', { item_id: 'msg_s1', output_index: 1, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }),
  rsEvent('response.output_text.delta', { item_id: 'msg_s1', output_index: 1, content_index: 0, delta: 'Hello' }),
  rsEvent('response.output_text.delta', { item_id: 'msg_s1', output_index: 1, content_index: 0, delta: ', world' }),
  rsEvent('response.output_text.done', { item_id: 'msg_s1', output_index: 1, content_index: 0, text: 'Hello, world' }),
  rsEvent('response.content_part.done', { item_id: 'msg_s1', output_index: 1, content_index: 0, part: { type: 'output_text', text: 'Hello, world', annotations: [] } }),
  rsEvent('response.output_item.done', { output_index: 1, item: rsMessage('Hello, world', 'msg_s1') }),
  rsEvent('response.output_item.added', { output_index: 2, item: { ...rsCall('call_s1', ''), status: 'in_progress' } }),
  rsEvent('response.function_call_arguments.delta', { item_id: 'fc_call_s1', output_index: 2, delta: '{"city"' }),
  rsEvent('response.function_call_arguments.delta', { item_id: 'fc_call_s1', output_index: 2, delta: ': "Paris"}' }),
  rsEvent('response.function_call_arguments.done', { item_id: 'fc_call_s1', output_index: 2, arguments: '{"city": "Paris"}' }),
  rsEvent('response.output_item.done', { output_index: 2, item: rsCall('call_s1', '{"city": "Paris"}') }),
].join('');
const RS_COMPLETED = rsEvent('response.completed', { response: { id: 'resp_s1', object: 'response', status: 'completed', model: RS_MODEL, output: [rsMessage('Hello, world', 'msg_s1'), rsCall('call_s1', '{"city": "Paris"}')], usage: RS_USAGE } });

function responsesCase(): AdapterCase {
  const t = target(settings('openai', { options: { api: { '*codex*': 'responses' } } }), RS_MODEL);
  const base = openAIFamilyCase('openai (Responses API)', t, 'https://api.openai.com', '/v1/responses', { authorization: 'Bearer sk-test', 'content-type': 'application/json' }, '', '/v1/embeddings');
  return {
    ...base,
    richOverrides: { stop: undefined },
    streamFields: {},
    richBody: {
      model: RS_MODEL,
      store: false,
      instructions: 'You are a weather bot.',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is in this picture?' }, { type: 'input_image', image_url: `data:image/png;base64,${PNG_B64}`, detail: 'auto' }] },
        { type: 'message', role: 'assistant', content: 'A cloud.' },
        { type: 'message', role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '{"temp_c":21}' },
      ],
      tools: [{ type: 'function', name: 'get_weather', description: 'Current weather', parameters: WEATHER_TOOL_SCHEMA, strict: false }],
      tool_choice: 'auto',
      max_output_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      text: { format: { type: 'json_schema', name: 'weather', schema: { type: 'object', properties: { summary: { type: 'string' } } }, strict: true } },
      user: 'user-42',
    },
    toolChoices: [['auto', 'auto'], ['none', 'none'], ['required', 'required'], [{ name: 'get_weather' }, { type: 'function', name: 'get_weather' }]],
    textResponse: responsesAnswer([{ type: 'reasoning', id: 'rs_1', summary: [] }, rsMessage('Hello, world')]),
    toolResponse: responsesAnswer([rsMessage('Let me check.'), rsCall('call_abc', '{"city":"Paris"}')]),
    toolCallId: 'call_abc',
    finishResponse: (r) => (r === 'function_call' ? responsesAnswer([rsCall('call_x', '{}')])
      : r === 'completed' ? responsesAnswer([rsMessage('x')]) : responsesAnswer([rsMessage('x')], 'incomplete', { reason: r })),
    finishes: [['completed', 'stop'], ['max_output_tokens', 'length'], ['content_filter', 'content_filter'], ['function_call', 'tool_calls']],
    stream: RS_STREAM + RS_COMPLETED,
    terminator: RS_COMPLETED,
    streamStart: { id: 'resp_s1', model: RS_MODEL, toolCallId: 'call_s1' },
    errorStream: RS_CREATED + rsEvent('response.output_text.delta', { item_id: 'msg_s1', output_index: 0, content_index: 0, delta: 'Hel' })
      + rsEvent('error', { code: 'server_error', message: 'The server had an error while processing your request.', param: null }),
    errorStreamMessage: 'The server had an error while processing your request.',
  };
}

// ---------------------------------------------------------------- Anthropic

const ANTHROPIC_USAGE = { input_tokens: 15, cache_creation_input_tokens: 0, cache_read_input_tokens: 5, output_tokens: 10 };

function anthropicMessage(content: unknown[], stop: string): unknown {
  return { id: 'msg_01abc', type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514', content, stop_reason: stop, stop_sequence: null, usage: ANTHROPIC_USAGE };
}

const ANTHROPIC_STREAM = [
  event('message_start', { type: 'message_start', message: { id: 'msg_s1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-20250514', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 15, cache_creation_input_tokens: 0, cache_read_input_tokens: 5, output_tokens: 1 } } }),
  event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  event('ping', { type: 'ping' }),
  event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
  event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ', world' } }),
  event('content_block_stop', { type: 'content_block_stop', index: 0 }),
  event('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_s1', name: 'get_weather', input: {} } }),
  event('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } }),
  event('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city": ' } }),
  event('content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }),
  event('content_block_stop', { type: 'content_block_stop', index: 1 }),
  event('message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 10 } }),
].join('');

const ANTHROPIC_ERRORS: Record<ErrorKind, unknown> = {
  rate: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' } },
  server: { type: 'error', error: { type: 'api_error', message: 'Internal server error' } },
  overloaded: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
  auth: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
  invalid: { type: 'error', error: { type: 'invalid_request_error', message: 'messages: roles must alternate' } },
};

function anthropicCase(): AdapterCase {
  const t = target(settings('anthropic'), 'claude-sonnet-4-20250514', 'sk-ant-test');
  return {
    name: 'anthropic',
    adapter: getAdapter('anthropic'),
    target: t,
    origin: 'https://api.anthropic.com',
    path: '/v1/messages',
    streamPath: '/v1/messages',
    headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    richBody: {
      model: 'claude-sonnet-4-20250514',
      max_tokens: 256,
      system: 'You are a weather bot.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is in this picture?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } }] },
        { role: 'assistant', content: [{ type: 'text', text: 'A cloud.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: '{"temp_c":21}' }] }] },
      ],
      tools: [{ name: 'get_weather', description: 'Current weather', input_schema: WEATHER_TOOL_SCHEMA }],
      tool_choice: { type: 'auto' },
      temperature: 0.2,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-42' },
      output_config: { format: { type: 'json_schema', schema: { type: 'object', properties: { summary: { type: 'string' } }, additionalProperties: false } } },
    },
    toolChoiceOf: (b) => b.tool_choice,
    toolChoices: [['auto', { type: 'auto' }], ['none', { type: 'none' }], ['required', { type: 'any' }], [{ name: 'get_weather' }, { type: 'tool', name: 'get_weather' }]],
    textResponse: anthropicMessage([{ type: 'text', text: 'Hello, world' }], 'end_turn'),
    toolResponse: anthropicMessage([{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } }], 'tool_use'),
    toolCallId: 'toolu_01A',
    finishResponse: (r) => anthropicMessage([{ type: 'text', text: 'x' }], r),
    finishes: [['end_turn', 'stop'], ['max_tokens', 'length'], ['tool_use', 'tool_calls'], ['stop_sequence', 'stop'], ['refusal', 'content_filter']],
    stream: ANTHROPIC_STREAM + event('message_stop', { type: 'message_stop' }),
    terminator: event('message_stop', { type: 'message_stop' }),
    streamStart: { id: 'msg_s1', model: 'claude-sonnet-4-20250514', toolCallId: 'toolu_s1' },
    errorStream: ANTHROPIC_STREAM.slice(0, ANTHROPIC_STREAM.indexOf('event: content_block_stop')) + event('error', ANTHROPIC_ERRORS.overloaded),
    errorStreamMessage: 'Overloaded',
    errorBody: (k) => JSON.stringify(ANTHROPIC_ERRORS[k]),
  };
}

// ---------------------------------------------------------------- Gemini

const GEMINI_USAGE = { promptTokenCount: 20, candidatesTokenCount: 10, totalTokenCount: 30, cachedContentTokenCount: 5 };

function geminiResponse(parts: unknown[], finish: string): unknown {
  return {
    candidates: [{ content: { parts, role: 'model' }, finishReason: finish, index: 0 }],
    usageMetadata: GEMINI_USAGE,
    modelVersion: 'gemini-2.5-flash',
    responseId: 'resp-abc',
  };
}

function geminiChunk(parts: unknown[], extra: Record<string, unknown> = {}): string {
  return sse({ candidates: [{ content: { parts, role: 'model' }, index: 0, ...extra }], usageMetadata: { promptTokenCount: 20, totalTokenCount: 20 }, modelVersion: 'gemini-2.5-flash', responseId: 'resp-s1' });
}

const GEMINI_FINAL = sse({
  candidates: [{ content: { parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }], role: 'model' }, finishReason: 'STOP', index: 0 }],
  usageMetadata: GEMINI_USAGE, modelVersion: 'gemini-2.5-flash', responseId: 'resp-s1',
});

const GEMINI_ERRORS: Record<ErrorKind, unknown> = {
  rate: { error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } },
  server: { error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } },
  overloaded: { error: { code: 529, message: 'The model is overloaded.', status: 'UNAVAILABLE' } },
  auth: { error: { code: 403, message: 'Permission denied.', status: 'PERMISSION_DENIED' } },
  invalid: { error: { code: 400, message: 'Invalid JSON payload received.', status: 'INVALID_ARGUMENT' } },
};

function geminiCase(): AdapterCase {
  const t = target(settings('gemini'), 'gemini-2.5-flash', 'AIza-test');
  return {
    name: 'gemini',
    adapter: getAdapter('gemini'),
    target: t,
    origin: 'https://generativelanguage.googleapis.com',
    path: '/v1beta/models/gemini-2.5-flash:generateContent',
    streamPath: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    headers: { 'x-goog-api-key': 'AIza-test', 'content-type': 'application/json' },
    richBody: {
      systemInstruction: { parts: [{ text: 'You are a weather bot.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'What is in this picture?' }, { inlineData: { mimeType: 'image/png', data: PNG_B64 } }] },
        { role: 'model', parts: [{ text: 'A cloud.' }] },
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: '{"temp_c":21}' } } }] },
      ],
      tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Current weather', parametersJsonSchema: WEATHER_TOOL_SCHEMA }] }],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
      generationConfig: {
        maxOutputTokens: 256, temperature: 0.2, topP: 0.9, stopSequences: ['END'],
        responseMimeType: 'application/json', responseJsonSchema: { type: 'object', properties: { summary: { type: 'string' } } },
      },
    },
    toolChoiceOf: (b) => b.toolConfig,
    toolChoices: [
      ['auto', { functionCallingConfig: { mode: 'AUTO' } }],
      ['none', { functionCallingConfig: { mode: 'NONE' } }],
      ['required', { functionCallingConfig: { mode: 'ANY' } }],
      [{ name: 'get_weather' }, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } }],
    ],
    textResponse: geminiResponse([{ text: 'Hello, ' }, { text: 'world' }], 'STOP'),
    toolResponse: geminiResponse([{ text: 'Let me check.' }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } } }], 'STOP'),
    toolCallId: 'call_resp-abc_0',
    finishResponse: (r) => geminiResponse([{ text: 'x' }], r),
    finishes: [['STOP', 'stop'], ['MAX_TOKENS', 'length'], ['SAFETY', 'content_filter'], ['RECITATION', 'content_filter'], ['IMAGE_PROHIBITED_CONTENT', 'content_filter'], ['IMAGE_RECITATION', 'content_filter']],
    stream: geminiChunk([{ text: 'Hello' }]) + geminiChunk([{ text: 'Thinking about greetings', thought: true }]) + geminiChunk([{ text: ', world' }]) + GEMINI_FINAL,
    terminator: GEMINI_FINAL,
    streamStart: { id: 'resp-s1', model: 'gemini-2.5-flash', toolCallId: 'call_resp-s1_0' },
    errorStream: geminiChunk([{ text: 'Hel' }]) + sse({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } }),
    errorStreamMessage: 'The model is overloaded. Please try again later.',
    errorBody: (k) => JSON.stringify(GEMINI_ERRORS[k]),
    embeddings: {
      path: '/v1beta/models/gemini-2.5-flash:batchEmbedContents',
      body: { requests: [
        { model: 'models/gemini-2.5-flash', content: { parts: [{ text: 'alpha' }] }, outputDimensionality: 3 },
        { model: 'models/gemini-2.5-flash', content: { parts: [{ text: 'beta' }] }, outputDimensionality: 3 },
      ] },
      response: { embeddings: [{ values: [0.1, 0.2, 0.3] }, { values: [0.4, 0.5, 0.6] }] },
    },
  };
}

export function adapterCases(): AdapterCase[] {
  return [
    openAIFamilyCase('openai', target(settings('openai'), 'gpt-4o'), 'https://api.openai.com', '/v1/chat/completions',
      { authorization: 'Bearer sk-test', 'content-type': 'application/json' }, 'max_completion_tokens', '/v1/embeddings'),
    openAIFamilyCase('azure', target(settings('azure', { baseUrl: 'https://my-resource.openai.azure.com', options: { deployments: { 'gpt-4o': 'gpt4o-prod' } } }), 'gpt-4o', 'az-key'),
      'https://my-resource.openai.azure.com', '/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21',
      { 'api-key': 'az-key', 'content-type': 'application/json' }, 'max_tokens', '/openai/deployments/gpt4o-prod/embeddings?api-version=2024-10-21'),
    openAIFamilyCase('azure (v1 API)', target(settings('azure', { baseUrl: 'https://my-resource.openai.azure.com', options: { api_version: 'v1' } }), 'gpt-4o', 'az-key'),
      'https://my-resource.openai.azure.com', '/openai/v1/chat/completions',
      { 'api-key': 'az-key', 'content-type': 'application/json' }, 'max_completion_tokens', '/openai/v1/embeddings'),
    openAIFamilyCase('openai-compatible (groq)', target(settings('openai-compatible', { id: 'groq', baseUrl: 'https://api.groq.com/openai/v1' }), 'llama-3.3-70b-versatile', 'gsk-test'),
      'https://api.groq.com', '/openai/v1/chat/completions', { authorization: 'Bearer gsk-test', 'content-type': 'application/json' }, 'max_tokens', '/openai/v1/embeddings'),
    openAIFamilyCase('mock', target(settings('mock'), 'mock-model', ''), 'mock://local', '/v1/chat/completions',
      { 'content-type': 'application/json' }, 'max_tokens', '/v1/embeddings'),
    responsesCase(),
    anthropicCase(),
    geminiCase(),
  ];
}
