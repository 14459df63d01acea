/**
 * Client intake rejects malformed bodies with SY_ERR_BAD_REQUEST naming the field,
 * and never with anything else — including under seeded random mutation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchyardError } from '../../src/errors.js';
import { PROVIDER_TYPES, getAdapter } from '../../src/providers/index.js';
import { parseAnthropicMessagesRequest } from '../../src/wire/anthropic/intake.js';
import { parseOpenAIEmbeddingsRequest } from '../../src/wire/openai/embeddings.js';
import { parseOpenAIChatRequest } from '../../src/wire/openai/intake.js';
import { toAnthropicBody } from '../../src/wire/anthropic/request.js';
import { toOpenAIChatBody } from '../../src/wire/openai/request.js';
import { parseResponsesRequest } from '../../src/wire/responses/intake.js';
import { seeded, settings, target } from './fixtures.js';

type Corpus = [body: unknown, param: string][];

const user = (content: unknown) => ({ model: 'm', messages: [{ role: 'user', content }] });
const msgs = (...messages: unknown[]) => ({ model: 'm', messages });
const oa = (extra: Record<string, unknown>) => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra });

const OPENAI_CHAT: Corpus = [
  [null, 'body'], [[], 'body'], ['{"model":"m"}', 'body'], [{}, 'model'], [{ model: '' }, 'model'], [{ model: 5, messages: [] }, 'model'],
  [{ model: 'm' }, 'messages'], [{ model: 'm', messages: {} }, 'messages'], [{ model: 'm', messages: [] }, 'messages'],
  [msgs(null), 'messages[0]'], [msgs({ content: 'x' }), 'messages[0].role'], [msgs({ role: 'robot', content: 'x' }), 'messages[0].role'],
  [msgs({ role: 'user' }), 'messages[0].content'], [user(5), 'messages[0].content'], [user([]), 'messages[0].content'],
  [user([{ type: 'input_audio', input_audio: {} }]), 'messages[0].content[0].type'], [user([{ text: 'x' }]), 'messages[0].content[0].type'],
  [user([{ type: 'text' }]), 'messages[0].content[0].text'], [user(['x']), 'messages[0].content[0]'],
  [user([{ type: 'image_url', image_url: {} }]), 'messages[0].content[0].image_url.url'],
  [user([{ type: 'image_url' }]), 'messages[0].content[0].image_url'],
  [user([{ type: 'image_url', image_url: { url: 'data:image/png,abc' } }]), 'messages[0].content[0].image_url.url'],
  [user([{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }]), 'messages[0].content[0].image_url.url'],
  [msgs({ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/a.png' } }] }), 'messages[0].content[0].type'],
  [msgs({ role: 'assistant' }), 'messages[0].content'],
  [msgs({ role: 'assistant', content: null, tool_calls: 'x' }), 'messages[0].tool_calls'],
  [msgs({ role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }), 'messages[0].tool_calls[0].id'],
  [msgs({ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: {} } }] }), 'messages[0].tool_calls[0].function.arguments'],
  [msgs({ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function' }] }), 'messages[0].tool_calls[0].function'],
  [msgs({ role: 'tool', content: 'x' }), 'messages[0].tool_call_id'],
  [msgs({ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 7 }), 'messages[2].content'],
  [oa({ tools: 'x' }), 'tools'], [oa({ tools: [{ type: 'code_interpreter' }] }), 'tools[0].type'],
  [oa({ tools: [{ type: 'function', function: {} }] }), 'tools[0].function.name'],
  [oa({ tools: [{ type: 'function', function: { name: 'f', parameters: 'x' } }] }), 'tools[0].function.parameters'],
  [oa({ tools: [{ type: 'function', function: { name: 'f', description: 3 } }] }), 'tools[0].function.description'],
  [oa({ tool_choice: 'sometimes' }), 'tool_choice'], [oa({ tool_choice: { type: 'function', function: {} } }), 'tool_choice.function.name'],
  [oa({ temperature: 'hot' }), 'temperature'], [oa({ temperature: 3 }), 'temperature'], [oa({ top_p: 2 }), 'top_p'],
  [oa({ max_tokens: 0 }), 'max_tokens'], [oa({ max_tokens: 1.5 }), 'max_tokens'], [oa({ max_completion_tokens: '100' }), 'max_completion_tokens'],
  [oa({ stop: 5 }), 'stop'], [oa({ stop: ['a', 1] }), 'stop[1]'], [oa({ stream: 'yes' }), 'stream'],
  [oa({ stream_options: 'x' }), 'stream_options'], [oa({ stream_options: { include_usage: 'yes' } }), 'stream_options.include_usage'],
  [oa({ response_format: 'json' }), 'response_format'], [oa({ response_format: { type: 'xml' } }), 'response_format.type'],
  [oa({ response_format: { type: 'json_schema' } }), 'response_format.json_schema'],
  [oa({ response_format: { type: 'json_schema', json_schema: {} } }), 'response_format.json_schema.name'],
  [oa({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: [] } } }), 'response_format.json_schema.schema'],
  [oa({ n: 2 }), 'n'], [oa({ user: 5 }), 'user'],
  [oa({ tools: [{ type: 'function', function: { name: 'f', strict: 'yes' } }] }), 'tools[0].function.strict'], [oa({ parallel_tool_calls: 0 }), 'parallel_tool_calls'],
  [oa({ modalities: ['text', 'audio'] }), 'modalities'], [oa({ modalities: [1] }), 'modalities[0]'], [oa({ audio: { voice: 'alloy', format: 'wav' } }), 'audio'],
  [oa({ functions: [{ name: 'f', parameters: {} }] }), 'functions'], [oa({ function_call: 'auto' }), 'function_call'],
  [oa({ tools: [{ type: 'custom', custom: { name: 'x', format: { type: 'regex' } } }] }), 'tools[0].custom.format.type'],
  [msgs({ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'custom', custom: { name: 'f' } }] }), 'messages[0].tool_calls[0].custom.input'],
];

const an = (extra: Record<string, unknown>) => ({ model: 'c', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], ...extra });
const anUser = (content: unknown) => an({ messages: [{ role: 'user', content }] });

const ANTHROPIC: Corpus = [
  [undefined, 'body'], [{}, 'model'], [{ model: 'c' }, 'max_tokens'], [{ model: 'c', max_tokens: 0 }, 'max_tokens'], [{ model: 'c', max_tokens: '5' }, 'max_tokens'],
  [{ model: 'c', max_tokens: 5 }, 'messages'], [an({ messages: [] }), 'messages'], [an({ messages: [5] }), 'messages[0]'],
  [an({ messages: [{ role: 'robot', content: 'x' }] }), 'messages[0].role'], [an({ messages: [{ role: 7, content: 'x' }] }), 'messages[0].role'],
  [an({ messages: [{ role: 'system', content: 5 }] }), 'messages[0].content'],
  [anUser(5), 'messages[0].content'], [anUser([]), 'messages[0].content'], [anUser([{ source: {} }]), 'messages[0].content[0].type'],
  [anUser([{ type: 'text', text: null }]), 'messages[0].content[0].text'],
  [anUser([{ type: 'image' }]), 'messages[0].content[0].source'],
  [anUser([{ type: 'image', source: { type: 'file', file_id: 'f' } }]), 'messages[0].content[0].source.type'],
  [anUser([{ type: 'image', source: { type: 'base64', data: 'AA==' } }]), 'messages[0].content[0].source.media_type'],
  [anUser([{ type: 'tool_result', content: 'x' }]), 'messages[0].content[0].tool_use_id'],
  [anUser([{ type: 'tool_result', tool_use_id: 't', content: 5 }]), 'messages[0].content[0].content'],
  [anUser([{ type: 'tool_result', tool_use_id: 't', content: [{ type: 7 }] }]), 'messages[0].content[0].content[0].type'],
  [anUser([{ type: 'tool_result', tool_use_id: 't', is_error: 'yes' }]), 'messages[0].content[0].is_error'],
  [an({ messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: 'x' }] }] }), 'messages[0].content[0].input'],
  [an({ messages: [{ role: 'assistant', content: [{ type: 'tool_use', name: 'f', input: {} }] }] }), 'messages[0].content[0].id'],
  [an({ messages: [{ role: 'assistant', content: [{ type: '' }] }] }), 'messages[0].content[0].type'],
  [an({ system: 5 }), 'system'], [an({ system: [{ type: 'image' }] }), 'system[0].type'],
  [an({ tools: [{ name: 'f' }] }), 'tools[0].input_schema'], [an({ tools: [{ type: 'web_search_20250305' }] }), 'tools[0].name'], [an({ tools: [{ type: 5, name: 'x' }] }), 'tools[0].type'],
  [an({ tools: {} }), 'tools'], [an({ tool_choice: 'auto' }), 'tool_choice'], [an({ tool_choice: { type: 'maybe' } }), 'tool_choice.type'],
  [an({ tool_choice: { type: 'tool' } }), 'tool_choice.name'], [an({ stop_sequences: 'x' }), 'stop_sequences'], [an({ stop_sequences: [1] }), 'stop_sequences[0]'],
  [an({ temperature: 1.5 }), 'temperature'], [an({ top_p: -1 }), 'top_p'], [an({ metadata: 'x' }), 'metadata'], [an({ metadata: { user_id: 5 } }), 'metadata.user_id'],
  [an({ stream: 1 }), 'stream'],
  [an({ tools: [{ name: 'f', input_schema: {}, strict: 1 }] }), 'tools[0].strict'],
  [an({ tool_choice: { type: 'auto', disable_parallel_tool_use: 'yes' } }), 'tool_choice.disable_parallel_tool_use'],
  [an({ output_config: 'json' }), 'output_config'], [an({ output_config: { format: 'json' } }), 'output_config.format'],
  [an({ output_config: { format: { type: 'json_object' } } }), 'output_config.format.type'],
  [an({ output_config: { format: { type: 'json_schema' } } }), 'output_config.format.schema'],
  [an({ output_format: { type: 'json_schema', schema: [] } }), 'output_format.schema'],
  [an({ output_config: { format: { type: 'json_schema', schema: {} } }, output_format: { type: 'json_schema', schema: {} } }), 'output_format'],
];

const rs = (extra: Record<string, unknown>) => ({ model: 'm', input: 'hi', ...extra });
const rsItem = (item: unknown) => rs({ input: [item] });

const RESPONSES: Corpus = [
  [null, 'body'], [{ input: 'x' }, 'model'], [{ model: 'm' }, 'input'], [rs({ input: 5 }), 'input'], [rs({ input: [] }), 'input'],
  [rs({ input: [{ role: 'system', content: 'only instructions' }] }), 'input'], [rsItem(7), 'input[0]'], [rsItem({ content: 'x' }), 'input[0].type'],
  [rsItem({ role: 'robot', content: 'x' }), 'input[0].role'], [rsItem({ role: 'user' }), 'input[0].content'], [rsItem({ role: 'user', content: [] }), 'input[0].content'],
  [rsItem({ type: 'custom_tool_call', call_id: 'c', name: 'apply_patch' }), 'input[0].input'], [rsItem({ type: 'custom_tool_call_output', output: 'x' }), 'input[0].call_id'],
  [rsItem({ type: 'reasoning', content: 'x' }), 'input[0].content'], [rs({ tools: [{ type: 'custom' }] }), 'tools[0].name'],
  [rs({ tools: [{ type: 'namespace', tools: [] }] }), 'tools[0].name'], [rs({ tools: [{ type: 'namespace', name: 'n' }] }), 'tools[0].tools'],
  [rs({ tools: [{ type: 'namespace', name: 'n', tools: [{ type: 'web_search' }] }] }), 'tools[0].tools[0].type'],
  [rsItem({ type: 'function_call', call_id: 'c', name: 'f', arguments: '{}', namespace: 5 }), 'input[0].namespace'],
  [rsItem({ role: 'user', content: [{ type: 'text', text: 'x' }] }), 'input[0].content[0].type'], [rsItem({ role: 'user', content: [{ type: 'input_text' }] }), 'input[0].content[0].text'],
  [rsItem({ role: 'user', content: [{ type: 'input_image', image_url: 'ftp://x/y.png' }] }), 'input[0].content[0].image_url'],
  [rsItem({ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }), 'input[0].content[0].file_id'],
  [rsItem({ role: 'user', content: [{ type: 'input_file', file_url: 'https://x/y.pdf' }] }), 'input[0].content[0].file_url'],
  [rsItem({ role: 'user', content: [{ type: 'input_file', file_data: 'AAAA' }] }), 'input[0].content[0].file_data'],
  [rsItem({ role: 'assistant', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }), 'input[0].content[0].type'],
  [rsItem({ type: 'function_call', name: 'f', arguments: '{}' }), 'input[0].call_id'], [rsItem({ type: 'function_call', call_id: 'c', arguments: '{}' }), 'input[0].name'],
  [rsItem({ type: 'function_call', call_id: 'c', name: 'f', arguments: {} }), 'input[0].arguments'],
  [rsItem({ type: 'function_call_output', output: 'x' }), 'input[0].call_id'], [rsItem({ type: 'function_call_output', call_id: 'c', output: 5 }), 'input[0].output'],
  [rsItem({ type: 'item_reference', id: 'msg_1' }), 'input[0].type'], [rsItem({ type: 'file_search_call', id: 'fs_1' }), 'input[0].type'], [rsItem({ type: 'web_search_call', id: 'ws_1' }), 'input'],
  [rs({ instructions: 5 }), 'instructions'], [rs({ conversation: 'conv_1' }), 'conversation'],
  [rs({ background: true }), 'background'], [rs({ tools: {} }), 'tools'], [rs({ tools: [{ type: 'local_shell' }] }), 'tools[0].type'], [rs({ tools: [{ name: 'f' }] }), 'tools[0].type'],
  [rs({ tools: [{ type: 'function' }] }), 'tools[0].name'], [rs({ tools: [{ type: 'function', name: 'f', parameters: 'x' }] }), 'tools[0].parameters'],
  [rs({ tools: [{ type: 'function', name: 'f', strict: 'yes' }] }), 'tools[0].strict'], [rs({ tool_choice: 'sometimes' }), 'tool_choice'],
  [rs({ tool_choice: { type: 'function' } }), 'tool_choice.name'], [rs({ text: 'json' }), 'text'], [rs({ text: { format: { type: 'xml' } } }), 'text.format.type'],
  [rs({ text: { format: { type: 'json_schema', schema: {} } } }), 'text.format.name'], [rs({ text: { format: { type: 'json_schema', name: 'n', schema: [] } } }), 'text.format.schema'],
  [rs({ text: { verbosity: 1 } }), 'text.verbosity'], [rs({ max_output_tokens: 0 }), 'max_output_tokens'], [rs({ temperature: 3 }), 'temperature'], [rs({ top_p: 2 }), 'top_p'],
  [rs({ stream: 'yes' }), 'stream'], [rs({ parallel_tool_calls: 'no' }), 'parallel_tool_calls'], [rs({ reasoning: 'high' }), 'reasoning'], [rs({ reasoning: { effort: 3 } }), 'reasoning.effort'],
  [rs({ user: 5 }), 'user'], [rs({ prompt_cache_key: 5 }), 'prompt_cache_key'],
];

const EMBEDDINGS: Corpus = [
  [5, 'body'], [{ input: 'x' }, 'model'], [{ model: 'e' }, 'input'], [{ model: 'e', input: [] }, 'input'], [{ model: 'e', input: [1, 2] }, 'input'],
  [{ model: 'e', input: [[1]] }, 'input'], [{ model: 'e', input: ['a', {}] }, 'input[1]'], [{ model: 'e', input: 'a', encoding_format: 'int8' }, 'encoding_format'],
  [{ model: 'e', input: 'a', dimensions: 0 }, 'dimensions'], [{ model: 'e', input: 'a', user: [] }, 'user'],
];

function expectBadRequest(parse: (b: unknown) => unknown, body: unknown, param: string): void {
  try {
    parse(body);
  } catch (err) {
    assert.ok(err instanceof SwitchyardError, `${JSON.stringify(body)}: threw ${String(err)}`);
    assert.equal(err.code, 'SY_ERR_BAD_REQUEST');
    assert.equal(err.details?.param, param, `${JSON.stringify(body)}: ${err.message}`);
    assert.ok(err.message.includes(param), `message "${err.message}" names ${param}`);
    return;
  }
  assert.fail(`${JSON.stringify(body)} was accepted; expected an error on ${param}`);
}

describe('intake validation: a corpus of bad bodies', () => {
  it(`OpenAI chat (${OPENAI_CHAT.length} bodies)`, () => {
    for (const [body, param] of OPENAI_CHAT) expectBadRequest(parseOpenAIChatRequest, body, param);
  });
  it(`Anthropic messages (${ANTHROPIC.length} bodies)`, () => {
    for (const [body, param] of ANTHROPIC) expectBadRequest(parseAnthropicMessagesRequest, body, param);
  });
  it(`OpenAI responses (${RESPONSES.length} bodies)`, () => {
    for (const [body, param] of RESPONSES) expectBadRequest(parseResponsesRequest, body, param);
  });
  it('OpenAI responses: a previous response where none are kept, with the code OpenAI gives a previous response not found', () => {
    assert.throws(() => parseResponsesRequest(rs({ previous_response_id: 'resp_1' })), (err: SwitchyardError) => {
      assert.deepEqual([err.code, err.details?.param], ['SY_ERR_PREVIOUS_RESPONSE_NOT_FOUND', 'previous_response_id']);
      return true;
    });
  });
  it('an empty string is called one, not "a string"', () => {
    assert.throws(() => parseOpenAIChatRequest({ model: '', messages: [] }), { message: '`model` must be a non-empty string, got an empty string' });
    assert.throws(() => parseAnthropicMessagesRequest({ model: '', max_tokens: 1, messages: [] }), { message: '`model` must be a non-empty string, got an empty string' });
  });
  it(`OpenAI embeddings (${EMBEDDINGS.length} bodies)`, () => {
    for (const [body, param] of EMBEDDINGS) expectBadRequest(parseOpenAIEmbeddingsRequest, body, param);
  });
  it('OpenAI embeddings: more than the 2,048 inputs OpenAI takes in one request is refused, naming the limit', () => {
    const input: string[] = new Array(2049).fill('x');
    assert.throws(() => parseOpenAIEmbeddingsRequest({ model: 'm', input }), (err: SwitchyardError) => {
      assert.deepEqual([err.code, err.status, err.details?.param], ['SY_ERR_BAD_REQUEST', 400, 'input']);
      assert.equal(err.message, '`input` holds 2049 items; at most 2048 may be sent in one request');
      return true;
    });
    assert.equal(parseOpenAIEmbeddingsRequest({ model: 'm', input: input.slice(1) }).request.input.length, 2048);
  });
  it('a system message in an Anthropic conversation is kept in its place, and goes back to Anthropic as one', () => {
    const { request } = parseAnthropicMessagesRequest(an({ system: 'top', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'yo' }, { role: 'system', content: 'Now answer in French.' }, { role: 'user', content: 'bye' }] }));
    assert.deepEqual(request.messages.map((m) => m.role), ['user', 'assistant', 'system', 'user']);
    const wire = toAnthropicBody(request, 'c') as { system: unknown; messages: { role: string; content: { text: string }[] }[] };
    assert.equal(wire.system, 'top');
    assert.deepEqual(wire.messages.map((m) => [m.role, m.content[0].text]), [['user', 'hi'], ['assistant', 'yo'], ['system', 'Now answer in French.'], ['user', 'bye']]);
    // Other providers have a place for it too: OpenAI a system message, Gemini the user turn.
    const oa = toOpenAIChatBody(request, 'm', { maxTokensField: 'max_tokens', streamUsage: true }) as { messages: { role: string }[] };
    assert.deepEqual(oa.messages.map((m) => m.role), ['system', 'user', 'assistant', 'system', 'user']);
  });
});

// ------------------------------------------------------------------ mutation fuzz

const VALID_OPENAI = {
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'sys' },
    { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'ok' },
  ],
  tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
  tool_choice: 'auto', max_tokens: 10, temperature: 1, stop: ['x'], stream: true, stream_options: { include_usage: true },
  response_format: { type: 'json_schema', json_schema: { name: 'n', schema: { type: 'object' } } },
};

const VALID_ANTHROPIC = {
  model: 'claude', max_tokens: 10, system: [{ type: 'text', text: 'sys' }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'ok' }] }] },
  ],
  tools: [{ name: 'f', input_schema: { type: 'object' } }], tool_choice: { type: 'auto' }, stop_sequences: ['x'], metadata: { user_id: 'u' },
};

const VALID_RESPONSES = {
  model: 'gpt-5', instructions: 'sys',
  input: [
    { role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] },
    { type: 'reasoning', id: 'rs_1', summary: [] },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'calling', annotations: [] }] },
    { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{"a":1}' },
    { type: 'function_call_output', call_id: 'c1', output: 'ok' },
  ],
  tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: true }], tool_choice: 'auto', max_output_tokens: 10, stream: true,
  text: { format: { type: 'json_schema', name: 'n', schema: { type: 'object' } } }, reasoning: { effort: 'low' },
};

const JUNK: unknown[] = [null, 0, -1, 1.5, '', 'x', 'data:', true, [], [null], {}, { type: 'text' }, { type: 'image_url', image_url: 'ftp://x' }, '{"a":', 'function', 'user', 'tool'];

/** Replaces or deletes one randomly chosen node of a JSON value. */
function mutate(value: unknown, rng: () => number): unknown {
  const root = structuredClone(value) as Record<string, unknown>;
  const containers: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => { containers.push([v, i]); walk(x); });
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) { containers.push([v as Record<string, unknown>, k]); walk((v as Record<string, unknown>)[k]); }
  };
  walk(root);
  const [parent, key] = containers[Math.floor(rng() * containers.length)];
  if (rng() < 0.2 && !Array.isArray(parent)) delete parent[key as string];
  else (parent as Record<string | number, unknown>)[key] = JUNK[Math.floor(rng() * JUNK.length)];
  return root;
}

describe('intake validation: seeded mutation fuzz', () => {
  const adapters = PROVIDER_TYPES.map((t) => [getAdapter(t), target(settings(t, { baseUrl: t === 'azure' || t === 'openai-compatible' ? 'https://h.test/v1' : '' }), 'model-x')] as const);

  for (const [name, parse, valid] of [['OpenAI', parseOpenAIChatRequest, VALID_OPENAI], ['Anthropic', parseAnthropicMessagesRequest, VALID_ANTHROPIC], ['Responses', parseResponsesRequest, VALID_RESPONSES]] as const) {
    it(`${name}: 3000 mutated bodies either parse or fail with SY_ERR_BAD_REQUEST, and every adapter can build what parses`, () => {
      parse(valid);
      const rng = seeded(name.length * 7919);
      let rejected = 0;
      for (let i = 0; i < 3000; i++) {
        const body = mutate(rng() < 0.3 ? mutate(valid, rng) : valid, rng);
        let parsed;
        try {
          parsed = parse(body);
        } catch (err) {
          assert.ok(err instanceof SwitchyardError && err.code === 'SY_ERR_BAD_REQUEST', `${JSON.stringify(body)} threw ${String(err)}`);
          rejected++;
          continue;
        }
        for (const [adapter, t] of adapters) {
          try {
            const spec = adapter.buildChatRequest(parsed.request, t);
            JSON.parse(spec.body ?? '');
          } catch (err) {
            assert.ok(err instanceof SwitchyardError && err.code === 'SY_ERR_BAD_REQUEST', `${adapter.type} on ${JSON.stringify(body)} threw ${String(err)}`);
          }
        }
      }
      assert.ok(rejected > 300, `only ${rejected} rejected: the fuzz is not exercising validation`);
    });
  }
});
