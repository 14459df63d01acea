/** Client dialects end to end: client JSON → canonical → every provider's wire, and back. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAdapter } from '../../src/providers/index.js';
import { parseAnthropicCountTokensRequest, parseAnthropicMessagesRequest } from '../../src/wire/anthropic/intake.js';
import { toAnthropicBody, toAnthropicCountTokensBody, withAnthropicReasoning } from '../../src/wire/anthropic/request.js';
import { CHAT_DIALECTS, RESPONSES_API, parseOpenAIEmbeddingsRequest, renderOpenAIEmbeddingsResponse } from '../../src/wire/dialects.js';
import { toGeminiBody, withGeminiReasoning } from '../../src/wire/gemini/request.js';
import { parseOpenAIChatRequest } from '../../src/wire/openai/intake.js';
import { parseResponsesRequest } from '../../src/wire/responses/intake.js';
import { toOpenAIChatBody } from '../../src/wire/openai/request.js';
import { adapterCases } from './cases.js';
import { decodeAll, digest, settings, target } from './fixtures.js';

const LOOKUP_SCHEMA = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] };
const WEATHER_SCHEMA = { type: 'object', properties: { city: { type: 'string' } } };
const OPENAI_OPTS = { maxTokensField: 'max_completion_tokens', streamUsage: true } as const;

const openaiClientBody = {
  model: 'gpt-4o',
  messages: [
    { role: 'developer', content: 'Answer in French.' },
    { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
    { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg==', detail: 'low' } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } }] },
    { role: 'tool', tool_call_id: 'call_a', content: 'A cat.' },
    { role: 'user', content: 'Thanks!', name: 'bob' },
  ],
  tools: [{ type: 'function', function: { name: 'lookup', description: 'Look things up', parameters: LOOKUP_SCHEMA } }],
  tool_choice: { type: 'function', function: { name: 'lookup' } },
  max_completion_tokens: 300,
  temperature: 0.5,
  top_p: 1,
  stop: 'STOP',
  stream: true,
  stream_options: { include_usage: true },
  response_format: { type: 'json_object' },
  user: 'u1',
  n: 1,
  seed: 7,
};

const anthropicClientBody = {
  model: 'claude-sonnet-4-20250514',
  max_tokens: 1024,
  system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
  messages: [
    { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }, { type: 'text', text: 'Describe it, then check the weather.' }] },
    { role: 'assistant', content: [
      { type: 'thinking', thinking: 'The user wants…', signature: 'sig' },
      { type: 'text', text: 'A chart.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
    ] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'Snow', cache_control: { type: 'ephemeral', ttl: '1h' } }, { type: 'text', text: 'And tomorrow?', cache_control: { type: 'ephemeral' } }] },
  ],
  tools: [{ name: 'get_weather', description: 'Weather now', input_schema: WEATHER_SCHEMA, cache_control: { type: 'ephemeral' } }],
  tool_choice: { type: 'any' },
  stop_sequences: ['\n\nHuman:'],
  temperature: 0.7,
  top_k: 40,
  thinking: { type: 'enabled', budget_tokens: 2048 },
  metadata: { user_id: 'abc' },
};

describe('OpenAI client dialect', () => {
  const { request, clientOptions } = parseOpenAIChatRequest(structuredClone(openaiClientBody));

  it('parses into canonical, with include_usage as a client option', () => {
    assert.deepEqual(clientOptions, { includeUsage: true });
    assert.deepEqual(request.system, [{ type: 'text', text: 'Answer in French.' }, { type: 'text', text: 'Be brief.' }]);
    // The system messages are lifted out: the message remembers where the client put it.
    assert.deepEqual(request.messages[0], { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', mediaType: 'image/jpeg', data: '/9j/4AAQSkZJRg==' }], from: 'messages[2].content' });
    assert.equal(request.messages[1].role === 'assistant' && request.messages[1].toolCalls![0].from, 'messages[3].tool_calls[0].function.arguments');
    assert.deepEqual(request.toolChoice, { name: 'lookup' });
    assert.equal(request.maxTokens, 300);
    assert.deepEqual(request.stop, ['STOP']);
    assert.equal(request.stream, true);
    assert.deepEqual(request.responseFormat, { type: 'json_object' });
  });

  it('→ Anthropic wire', () => {
    assert.deepEqual(toAnthropicBody(request, 'claude-sonnet-4-20250514'), {
      model: 'claude-sonnet-4-20250514',
      max_tokens: 300,
      system: [{ type: 'text', text: 'Answer in French.' }, { type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_a', name: 'lookup', input: { q: 'cat' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_a', content: [{ type: 'text', text: 'A cat.' }] }, { type: 'text', text: 'Thanks!' }] },
      ],
      tools: [{ name: 'lookup', description: 'Look things up', input_schema: LOOKUP_SCHEMA }],
      tool_choice: { type: 'tool', name: 'lookup' },
      temperature: 0.5,
      stop_sequences: ['STOP'],
      metadata: { user_id: 'u1' },
      stream: true,
    });
  });

  it('→ Gemini wire', () => {
    assert.deepEqual(toGeminiBody(request, 'gemini-2.5-flash'), {
      contents: [
        { role: 'user', parts: [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } }] },
        { role: 'model', parts: [{ functionCall: { name: 'lookup', args: { q: 'cat' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { output: 'A cat.' } } }, { text: 'Thanks!' }] },
      ],
      systemInstruction: { parts: [{ text: 'Answer in French.' }, { text: 'Be brief.' }] },
      tools: [{ functionDeclarations: [{ name: 'lookup', description: 'Look things up', parametersJsonSchema: LOOKUP_SCHEMA }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] } },
      generationConfig: { maxOutputTokens: 300, temperature: 0.5, topP: 1, stopSequences: ['STOP'], responseMimeType: 'application/json' },
    });
  });

  it('→ OpenAI wire keeps the request intact (system prompts joined)', () => {
    const wire = toOpenAIChatBody(request, 'gpt-4o', OPENAI_OPTS);
    const expected = structuredClone(openaiClientBody) as Record<string, unknown>;
    const msgs = (expected.messages as Record<string, unknown>[]).slice(2);
    delete msgs[msgs.length - 1].name;
    (msgs[0].content as Record<string, unknown>[])[1] = { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg==' } };
    expected.messages = [{ role: 'system', content: 'Answer in French.\n\nBe brief.' }, ...msgs];
    expected.stop = ['STOP'];
    delete expected.n;
    // seed has no canonical counterpart: an OpenAI-format provider gets it as sent (the
    // Anthropic and Gemini bodies above have none).
    assert.deepEqual(wire, expected);
  });

  it('accepts the minimal body and image URLs given as a string', () => {
    const { request: r, clientOptions: o } = parseOpenAIChatRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'https://x.test/a.png' }] }] });
    assert.deepEqual(o, { includeUsage: false });
    assert.equal(r.stream, false);
    assert.deepEqual(r.messages[0].content, [{ type: 'image_url', url: 'https://x.test/a.png' }]);
  });
});

describe('Anthropic client dialect', () => {
  const { request, clientOptions } = parseAnthropicMessagesRequest(structuredClone(anthropicClientBody));

  it('parses into canonical: tool_result first, thinking kept with its signature, usage always on', () => {
    // Thinking is on, so the answer shows it.
    assert.deepEqual(clientOptions, { includeUsage: true, thinking: true });
    assert.equal(parseAnthropicMessagesRequest({ ...structuredClone(anthropicClientBody), thinking: undefined }).clientOptions.thinking, false);
    assert.equal(parseAnthropicMessagesRequest({ ...structuredClone(anthropicClientBody), thinking: { type: 'disabled' } }).clientOptions.thinking, false);
    assert.equal(parseAnthropicMessagesRequest({ ...structuredClone(anthropicClientBody), thinking: { type: 'adaptive' } }).clientOptions.thinking, true);
    assert.deepEqual(request.messages.map((m) => m.role), ['user', 'assistant', 'tool', 'user']);
    assert.deepEqual(request.messages[1], {
      role: 'assistant', content: [{ type: 'text', text: 'A chart.' }], toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      thinking: [{ type: 'thinking', thinking: 'The user wants…', signature: 'sig' }],
    });
    assert.equal(request.toolChoice, 'required');
    assert.equal(request.user, 'abc');
  });

  it('→ OpenAI wire', () => {
    assert.deepEqual(toOpenAIChatBody(request, 'gpt-4o', OPENAI_OPTS), {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }, { type: 'text', text: 'Describe it, then check the weather.' }] },
        { role: 'assistant', content: 'A chart.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'Snow' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: WEATHER_SCHEMA } }],
      tool_choice: 'required',
      max_completion_tokens: 1024,
      temperature: 0.7,
      stop: ['\n\nHuman:'],
      user: 'abc',
    });
  });

  it('→ Gemini wire', () => {
    assert.deepEqual(toGeminiBody(request, 'gemini-2.5-flash'), {
      contents: [
        { role: 'user', parts: [{ inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }, { text: 'Describe it, then check the weather.' }] },
        { role: 'model', parts: [{ text: 'A chart.' }, { functionCall: { name: 'get_weather', args: { city: 'Oslo' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: 'Snow' } } }, { text: 'And tomorrow?' }] },
      ],
      systemInstruction: { parts: [{ text: 'You are terse.' }] },
      tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather now', parametersJsonSchema: WEATHER_SCHEMA }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
      generationConfig: { maxOutputTokens: 1024, temperature: 0.7, stopSequences: ['\n\nHuman:'] },
    });
  });

  it('→ Anthropic wire reproduces the conversation, prompt-cache breakpoints where the client put them', () => {
    const wire = toAnthropicBody(request, 'claude-sonnet-4-20250514');
    assert.deepEqual(wire.messages, [
      anthropicClientBody.messages[0],
      anthropicClientBody.messages[1],
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'Snow' }], cache_control: { type: 'ephemeral', ttl: '1h' } },
        { type: 'text', text: 'And tomorrow?', cache_control: { type: 'ephemeral' } },
      ] },
    ]);
    assert.deepEqual(wire.system, anthropicClientBody.system, 'a lone system block with a breakpoint stays a block');
    assert.deepEqual(wire.tools, anthropicClientBody.tools);
    assert.deepEqual(wire.tool_choice, { type: 'any' });
    assert.equal(wire.max_tokens, 1024);
    assert.equal(wire.top_k, 40, 'top_k has no canonical counterpart: an Anthropic provider gets it as sent');
    assert.deepEqual(wire.thinking, anthropicClientBody.thinking, 'and so does thinking');
  });
});

describe('prompt-cache breakpoints (cache_control)', () => {
  it('reach Anthropic from an Anthropic client on images and tool calls too, and a count_tokens body', () => {
    const body = {
      model: 'c', max_tokens: 5,
      messages: [
        { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' }, cache_control: { type: 'ephemeral' } }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {}, cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'ok', cache_control: { type: 'ephemeral' } }] }] },
      ],
    };
    const expected = [
      { role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' }, cache_control: { type: 'ephemeral' } }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {}, cache_control: { type: 'ephemeral' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'ok', cache_control: { type: 'ephemeral' } }] }] },
    ];
    assert.deepEqual(toAnthropicBody(parseAnthropicMessagesRequest(structuredClone(body)).request, 'c').messages, expected);
    assert.deepEqual(toAnthropicCountTokensBody(parseAnthropicCountTokensRequest(structuredClone(body)), 'c').messages, expected);
  });

  it('reach Anthropic from an OpenAI client that puts them on content parts', () => {
    const { request } = parseOpenAIChatRequest({
      model: 'c',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Long policy.', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }] },
      ],
    });
    const wire = toAnthropicBody(request, 'c');
    assert.deepEqual(wire.system, [{ type: 'text', text: 'Long policy.', cache_control: { type: 'ephemeral' } }]);
    assert.deepEqual(wire.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hi', cache_control: { type: 'ephemeral' } }] }]);
  });

  it('never reach a provider without explicit caching (nor do thinking blocks or the thinking setting)', () => {
    const { request } = parseAnthropicMessagesRequest(structuredClone(anthropicClientBody));
    assert.doesNotMatch(JSON.stringify(toOpenAIChatBody(request, 'gpt-4o', OPENAI_OPTS)), /cache|thinking|sig/);
    assert.doesNotMatch(JSON.stringify(toGeminiBody(request, 'gemini-2.5-flash')), /cache|thinking|sig/);
  });

  it('a malformed one is the client\'s error, named', () => {
    const bad = (cc: unknown) => ({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: cc }] }] });
    assert.throws(() => parseAnthropicMessagesRequest(bad({ type: 'persistent' })), { code: 'SY_ERR_BAD_REQUEST', message: /messages\[0\]\.content\[0\]\.cache_control\.type/ });
    assert.throws(() => parseAnthropicMessagesRequest(bad('ephemeral')), { code: 'SY_ERR_BAD_REQUEST', message: /cache_control/ });
    assert.throws(() => parseAnthropicMessagesRequest(bad({ type: 'ephemeral', ttl: 5 })), { code: 'SY_ERR_BAD_REQUEST', message: /cache_control\.ttl/ });
  });
});

describe('Anthropic blocks and server tools with no counterpart elsewhere', () => {
  const pdf = { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' }, citations: { enabled: true }, cache_control: { type: 'ephemeral' } };
  const searchResult = { type: 'search_result', source: 'https://example.com', title: 'Doc', content: [{ type: 'text', text: 'Found.' }] };
  const serverUse = { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'weather' } };
  const serverResult = { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', url: 'https://example.com', title: 'W', encrypted_content: 'e' }] };
  const webSearch = { type: 'web_search_20250305', name: 'web_search', max_uses: 3 };
  const body = {
    model: 'c', max_tokens: 10,
    tools: [{ name: 'lookup', input_schema: { type: 'object' } }, webSearch],
    messages: [
      { role: 'user', content: [pdf, { type: 'text', text: 'Summarize, then search.' }] },
      { role: 'assistant', content: [serverUse, serverResult, { type: 'tool_use', id: 't1', name: 'lookup', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [searchResult] }] },
    ],
  };
  const { request } = parseAnthropicMessagesRequest(structuredClone(body));

  it('reach an Anthropic provider exactly as sent, server tools after the client tools', () => {
    const wire = toAnthropicBody(request, 'c');
    assert.deepEqual(wire.messages, body.messages);
    assert.deepEqual(wire.tools, body.tools);
  });

  it('are refused for any other provider, naming the block and where it is', () => {
    for (const build of [() => toOpenAIChatBody(request, 'gpt-4o', OPENAI_OPTS), () => toGeminiBody(request, 'gemini-2.5-flash')]) {
      assert.throws(build, { code: 'SY_ERR_BAD_REQUEST', message: /the server tool "web_search" can only be sent to an Anthropic provider/ });
    }
    const noServerTools = { ...request, serverTools: undefined };
    assert.throws(() => toOpenAIChatBody(noServerTools, 'gpt-4o', OPENAI_OPTS), { code: 'SY_ERR_BAD_REQUEST', message: /messages\[0\]\.content: a "document" block can only be sent to an Anthropic provider/ });
    assert.throws(() => toGeminiBody(noServerTools, 'gemini-2.5-flash'), { code: 'SY_ERR_BAD_REQUEST', message: /a "document" block can only be sent to an Anthropic provider/ });
  });

  it('in an assistant turn, are left out for other providers: history they could not read', () => {
    const history = parseAnthropicMessagesRequest({ model: 'c', max_tokens: 10, messages: [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: [serverUse, serverResult, { type: 'text', text: 'Sunny.' }] },
      { role: 'user', content: 'Thanks' },
    ] }).request;
    assert.deepEqual((toOpenAIChatBody(history, 'gpt-4o', OPENAI_OPTS).messages as unknown[])[1], { role: 'assistant', content: 'Sunny.' });
    assert.deepEqual((toGeminiBody(history, 'gemini-2.5-flash').contents as unknown[])[1], { role: 'model', parts: [{ text: 'Sunny.' }] });
  });
});

describe('documents (a PDF inline) between dialects', () => {
  const PDF = 'JVBERi0xLjQK';
  const anthropicPdf = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, title: 'report.pdf', citations: { enabled: true } };
  const fromAnthropic = parseAnthropicMessagesRequest({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [anthropicPdf, { type: 'text', text: 'Summarize.' }] }] }).request;
  const fromOpenAI = parseOpenAIChatRequest({ model: 'g', messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'report.pdf', file_data: `data:application/pdf;base64,${PDF}` } }, { type: 'text', text: 'Summarize.' }] }] }).request;

  it('an Anthropic client\'s document reaches Anthropic unchanged, OpenAI as a file part, Gemini inline', () => {
    assert.deepEqual((toAnthropicBody(fromAnthropic, 'c').messages as { content: unknown[] }[])[0].content[0], anthropicPdf);
    assert.deepEqual((toOpenAIChatBody(fromAnthropic, 'gpt-4o', OPENAI_OPTS).messages as { content: unknown[] }[])[0].content[0], { type: 'file', file: { filename: 'report.pdf', file_data: `data:application/pdf;base64,${PDF}` } });
    assert.deepEqual((toGeminiBody(fromAnthropic, 'gemini-2.5-flash').contents as { parts: unknown[] }[])[0].parts[0], { inlineData: { mimeType: 'application/pdf', data: PDF } });
  });

  it('an OpenAI client\'s file part reaches Anthropic as a base64 document, OpenAI as sent, Gemini inline', () => {
    assert.deepEqual((toAnthropicBody(fromOpenAI, 'c').messages as { content: unknown[] }[])[0].content[0], { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, title: 'report.pdf' });
    assert.deepEqual((toOpenAIChatBody(fromOpenAI, 'gpt-4o', OPENAI_OPTS).messages as { content: unknown[] }[])[0].content[0], { type: 'file', file: { filename: 'report.pdf', file_data: `data:application/pdf;base64,${PDF}` } });
    assert.deepEqual((toGeminiBody(fromOpenAI, 'gemini-2.5-flash').contents as { parts: unknown[] }[])[0].parts[0], { inlineData: { mimeType: 'application/pdf', data: PDF } });
  });

  it('an uploaded file id or a bad data URL is refused, named', () => {
    const file = (f: unknown) => () => parseOpenAIChatRequest({ model: 'g', messages: [{ role: 'user', content: [{ type: 'file', file: f }] }] });
    assert.throws(file({ file_id: 'file-abc' }), { code: 'SY_ERR_BAD_REQUEST', message: /messages\[0\]\.content\[0\]\.file\.file_id.*file_data/ });
    assert.throws(file({ file_data: 'JVBERi0=' }), { code: 'SY_ERR_BAD_REQUEST', message: /file_data` must be a base64 data URL/ });
    assert.throws(() => parseOpenAIChatRequest({ model: 'g', messages: [{ role: 'system', content: [{ type: 'file', file: { file_data: `data:application/pdf;base64,${PDF}` } }] }] }), { code: 'SY_ERR_BAD_REQUEST', message: /user messages only/ });
  });
});

describe('Anthropic count_tokens dialect', () => {
  it('is a messages body without max_tokens; generation settings are ignored', () => {
    const { max_tokens: _m, ...body } = structuredClone(anthropicClientBody);
    const counted = parseAnthropicCountTokensRequest({ ...body, stream: true });
    const { request } = parseAnthropicMessagesRequest(structuredClone(anthropicClientBody));
    assert.deepEqual(counted.messages, request.messages);
    assert.deepEqual(counted.system, request.system);
    assert.deepEqual(counted.tools, request.tools);
    assert.equal(counted.toolChoice, request.toolChoice);
    assert.equal(counted.maxTokens, undefined);
    assert.equal(counted.stream, false);
    assert.deepEqual(counted.extras, { dialect: 'anthropic', fields: { thinking: anthropicClientBody.thinking } }, 'thinking is counted; top_k is not sent');
    assert.deepEqual(toAnthropicCountTokensBody(counted, 'c').thinking, anthropicClientBody.thinking);
    assert.equal(toAnthropicCountTokensBody(counted, 'c').top_k, undefined);
  });

  it('validates the conversation as messages does', () => {
    assert.throws(() => parseAnthropicCountTokensRequest({ model: 'c', messages: [] }), { code: 'SY_ERR_BAD_REQUEST' });
    assert.throws(() => parseAnthropicCountTokensRequest({ model: 'c', messages: [{ role: 'robot', content: 'x' }] }), { code: 'SY_ERR_BAD_REQUEST', message: /"user", "assistant" or "system"/ });
    assert.throws(() => parseAnthropicCountTokensRequest({ messages: [{ role: 'user', content: 'x' }] }), { code: 'SY_ERR_BAD_REQUEST', message: /model/ });
  });
});

describe('responses rendered in the client dialect', () => {
  const cases = Object.fromEntries(adapterCases().map((c) => [c.name, c]));

  it('Anthropic upstream → OpenAI chat.completion, cached tokens included', () => {
    const c = cases.anthropic;
    const res = c.adapter.parseChatResponse(c.toolResponse, c.target);
    assert.deepEqual(CHAT_DIALECTS.openai.renderChatResponse(res, { created: 1718000000, model: 'claude-sonnet-4' }), {
      id: 'msg_01abc',
      object: 'chat.completion',
      created: 1718000000,
      model: 'claude-sonnet-4',
      choices: [{
        index: 0,
        message: { role: 'assistant', content: 'Let me check.', refusal: null, tool_calls: [{ id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        logprobs: null,
        finish_reason: 'tool_calls',
      }],
      usage: { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30, prompt_tokens_details: { cached_tokens: 5 } },
    });
  });

  it('OpenAI upstream → Anthropic message, cache reads split out of input_tokens', () => {
    const c = cases.openai;
    const res = c.adapter.parseChatResponse(c.toolResponse, c.target);
    assert.deepEqual(CHAT_DIALECTS.anthropic.renderChatResponse(res, { created: 0 }), {
      id: 'chatcmpl-abc123',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4o-2024-08-06',
      content: [{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', id: 'call_abc', name: 'get_weather', input: { city: 'Paris' } }],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 15, cache_creation_input_tokens: 0, cache_read_input_tokens: 5, output_tokens: 10 },
    });
  });

  it('maps finish reasons across dialects', () => {
    const c = cases.gemini;
    const pairs: [string, string, string][] = [['STOP', 'stop', 'end_turn'], ['MAX_TOKENS', 'length', 'max_tokens'], ['SAFETY', 'content_filter', 'refusal'], ['IMAGE_PROHIBITED_CONTENT', 'content_filter', 'refusal']];
    for (const [wire, oa, an] of pairs) {
      const res = c.adapter.parseChatResponse(c.finishResponse(wire), c.target);
      const o = CHAT_DIALECTS.openai.renderChatResponse(res, { created: 1 }) as { choices: { finish_reason: string }[] };
      assert.equal(o.choices[0].finish_reason, oa);
      assert.equal(CHAT_DIALECTS.anthropic.renderChatResponse(res, { created: 1 }).stop_reason, an);
    }
  });

  it("an OpenAI model's refusal is the answer's text, marked: an OpenAI client gets it back as the refusal, the others as text", () => {
    const c = cases.openai;
    const refusal = "I'm sorry, I can't help with that.";
    const body = { id: 'chatcmpl-r', object: 'chat.completion', created: 1, model: 'gpt-4o', choices: [{ index: 0, message: { role: 'assistant', content: null, refusal }, logprobs: null, finish_reason: 'stop' }] };
    const res = c.adapter.parseChatResponse(body, c.target);
    assert.equal(res.text, refusal);
    assert.equal(res.refusal, true);
    const o = CHAT_DIALECTS.openai.renderChatResponse(res, { created: 1 }) as { choices: { message: Record<string, unknown> }[] };
    assert.deepEqual(o.choices[0].message, { role: 'assistant', content: null, refusal });
    assert.deepEqual(CHAT_DIALECTS.anthropic.renderChatResponse(res, { created: 1 }).content, [{ type: 'text', text: refusal }]);
    // Content wins over a refusal that came with it; an empty refusal is none.
    const both = c.adapter.parseChatResponse({ ...body, choices: [{ ...body.choices[0], message: { role: 'assistant', content: 'Paris.', refusal: '' } }] }, c.target);
    assert.deepEqual([both.text, both.refusal], ['Paris.', undefined]);
  });

  it('an empty reply still has a text block / string content', () => {
    const res = { id: 'x', model: 'm', text: '', toolCalls: [], finishReason: 'stop' as const, usage: { inputTokens: 1, outputTokens: 0 } };
    assert.deepEqual(CHAT_DIALECTS.anthropic.renderChatResponse(res, { created: 1 }).content, [{ type: 'text', text: '' }]);
    const o = CHAT_DIALECTS.openai.renderChatResponse(res, { created: 1 }) as { choices: { message: { content: unknown } }[] };
    assert.equal(o.choices[0].message.content, '');
  });
});

describe('reasoning between dialects', () => {
  // A DeepSeek answer in thinking mode: its reasoning, then a tool call.
  const deepseek = {
    id: 'ds-1', object: 'chat.completion', created: 1, model: 'deepseek-v4',
    choices: [{ index: 0, message: { role: 'assistant', content: '', reasoning_content: 'Tokyo, so a tool.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' } }] }, finish_reason: 'tool_calls' }],
    usage: { prompt_tokens: 10, completion_tokens: 20, completion_tokens_details: { reasoning_tokens: 12 } },
  };
  const openai = getAdapter('openai-compatible');
  const res = openai.parseChatResponse(deepseek, target(settings('openai-compatible', { baseUrl: 'http://ds.test/v1' }), 'deepseek-v4'));

  it('an OpenAI-format answer\'s reasoning_content (or reasoning) is thinking without a signature', () => {
    assert.deepEqual(res.thinking, [{ type: 'thinking', thinking: 'Tokyo, so a tool.', signature: '' }]);
    const { reasoning_content: _r, ...message } = deepseek.choices[0].message;
    const viaReasoning = openai.parseChatResponse({ ...deepseek, choices: [{ ...deepseek.choices[0], message: { ...message, reasoning: 'Hmm.' } }] }, target(settings('openai-compatible', { baseUrl: 'http://ds.test/v1' }), 'm'));
    assert.deepEqual(viaReasoning.thinking, [{ type: 'thinking', thinking: 'Hmm.', signature: '' }]);
    assert.equal(openai.parseChatResponse({ ...deepseek, choices: [{ ...deepseek.choices[0], message }] }, target(settings('openai-compatible', { baseUrl: 'http://ds.test/v1' }), 'm')).thinking, undefined);
  });

  it('reaches an OpenAI client as reasoning_content, an Anthropic client with thinking on as a first block, a Responses client as a reasoning item', () => {
    const o = CHAT_DIALECTS.openai.renderChatResponse(res, { created: 1 }) as { choices: { message: Record<string, unknown> }[] };
    assert.equal(o.choices[0].message.reasoning_content, 'Tokyo, so a tool.');
    const a = CHAT_DIALECTS.anthropic.renderChatResponse(res, { created: 1, thinking: true }).content as { type: string }[];
    assert.deepEqual(a[0], { type: 'thinking', thinking: 'Tokyo, so a tool.', signature: '' });
    assert.deepEqual(a.map((b) => b.type), ['thinking', 'tool_use']);
    // As from Anthropic: no thinking blocks unless the client turned thinking on.
    const off = CHAT_DIALECTS.anthropic.renderChatResponse(res, { created: 1, thinking: false }).content as { type: string }[];
    assert.deepEqual(off.map((b) => b.type), ['tool_use']);
    const r = RESPONSES_API.renderChatResponse(res, { created: 1, id: 'resp_x' }).output as Record<string, unknown>[];
    assert.deepEqual(r[0], { type: 'reasoning', id: 'rs_x_0', summary: [], content: [{ type: 'reasoning_text', text: 'Tokyo, so a tool.' }], status: 'completed' });
    assert.deepEqual(r.map((i) => i.type), ['reasoning', 'function_call']);
  });

  it('Anthropic\'s thinking reaches an OpenAI client as reasoning_content, without signature or redacted data', () => {
    const anthropic = getAdapter('anthropic');
    const fromClaude = anthropic.parseChatResponse({
      id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 2 },
      content: [{ type: 'thinking', thinking: 'First.', signature: 'sig-1' }, { type: 'redacted_thinking', data: 'opaque' }, { type: 'thinking', thinking: 'Second.', signature: 'sig-2' }, { type: 'text', text: 'Hi.' }],
    }, target(settings('anthropic'), 'claude'));
    assert.deepEqual(fromClaude.thinking, [{ type: 'thinking', thinking: 'First.', signature: 'sig-1' }, { type: 'redacted_thinking', data: 'opaque' }, { type: 'thinking', thinking: 'Second.', signature: 'sig-2' }]);
    const o = CHAT_DIALECTS.openai.renderChatResponse(fromClaude, { created: 1 }) as { choices: { message: Record<string, unknown> }[] };
    assert.equal(o.choices[0].message.reasoning_content, 'First.\n\nSecond.');
    assert.doesNotMatch(JSON.stringify(o), /sig-|opaque/);
  });

  // The client sends the turn back, as DeepSeek requires in a tool loop.
  const history = [
    { role: 'user', content: 'Weather in Tokyo?' },
    { role: 'assistant', content: null, reasoning_content: 'Tokyo, so a tool.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'Rain' },
  ];

  it('an OpenAI client\'s reasoning_content goes back to OpenAI-format servers that take it, never to Anthropic', () => {
    const { request } = parseOpenAIChatRequest({ model: 'deepseek-v4', messages: history });
    assert.deepEqual((request.messages[1] as { thinking?: unknown }).thinking, [{ type: 'thinking', thinking: 'Tokyo, so a tool.', signature: '' }]);
    const sent = (opts: object): Record<string, unknown> => (toOpenAIChatBody(request, 'deepseek-v4', { ...OPENAI_OPTS, ...opts }).messages as Record<string, unknown>[])[1];
    assert.equal(sent({ sendReasoning: true }).reasoning_content, 'Tokyo, so a tool.');
    assert.equal(sent({}).reasoning_content, undefined);
    // An unsigned block would be refused by Anthropic: it is left out, signed ones stay.
    const mixed = structuredClone(request);
    (mixed.messages[1] as { thinking?: unknown[] }).thinking!.push({ type: 'thinking', thinking: 'Claude', signature: 'sig' }, { type: 'redacted_thinking', data: 'r' });
    const claude = (toAnthropicBody(mixed, 'claude').messages as { content: { type: string; signature?: string }[] }[])[1].content;
    assert.deepEqual(claude.filter((b) => b.type.includes('thinking')), [{ type: 'thinking', thinking: 'Claude', signature: 'sig' }, { type: 'redacted_thinking', data: 'r' }]);
  });

  it('goes back only to providers with options.send_reasoning: strict servers (Groq) refuse the field', () => {
    // Groq answers with `reasoning`, which a client sends back as it got it.
    const groq = structuredClone(history) as Record<string, unknown>[];
    const { reasoning_content: r, ...turn } = groq[1];
    groq[1] = { ...turn, reasoning: r };
    for (const messages of [history, groq]) {
      const { request } = parseOpenAIChatRequest({ model: 'm', messages });
      const sent = (type: 'openai' | 'openai-compatible', options: Record<string, unknown> = {}): Record<string, unknown> => {
        const spec = getAdapter(type).buildChatRequest(request, target(settings(type, { baseUrl: 'http://p.test/v1', options }), 'm'));
        return JSON.parse(spec.body as string).messages[1];
      };
      assert.deepEqual(Object.keys(sent('openai-compatible')), ['role', 'content', 'tool_calls']);
      assert.deepEqual(Object.keys(sent('openai')), ['role', 'content', 'tool_calls']);
      assert.equal(sent('openai-compatible', { send_reasoning: true }).reasoning_content, 'Tokyo, so a tool.');
      assert.equal(sent('openai', { send_reasoning: true }).reasoning_content, 'Tokyo, so a tool.');
    }
  });

  it('a Responses client\'s reasoning items open the assistant turn: text, and an OpenAI model\'s encrypted reasoning (a summary alone is left out)', () => {
    const { request } = parseResponsesRequest({
      model: 'm',
      input: [
        { role: 'user', content: 'Weather in Tokyo?' },
        { type: 'reasoning', id: 'rs_1', summary: [], content: [{ type: 'reasoning_text', text: 'Tokyo, so a tool.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'Rain' },
        { type: 'reasoning', id: 'rs_2', summary: [{ type: 'summary_text', text: 'OpenAI summary' }], encrypted_content: 'gAAA' },
        { type: 'reasoning', id: 'rs_3', summary: [], content: [{ type: 'reasoning_text', text: 'Rain, so an umbrella.' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Take an umbrella.' }] },
        { role: 'user', content: 'Thanks' },
      ],
    });
    assert.deepEqual(request.messages.map((m) => m.role), ['user', 'assistant', 'tool', 'assistant', 'user']);
    assert.deepEqual(request.messages[1], {
      role: 'assistant', content: [], thinking: [{ type: 'thinking', thinking: 'Tokyo, so a tool.', signature: '' }],
      toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Tokyo"}', from: 'input[2].arguments' }],
    });
    assert.deepEqual(request.messages[3], {
      role: 'assistant', content: [{ type: 'text', text: 'Take an umbrella.' }], from: 'input[6].content',
      thinking: [{ type: 'encrypted_reasoning', id: 'rs_2', data: 'gAAA' }, { type: 'thinking', thinking: 'Rain, so an umbrella.', signature: '' }],
    });
    const summaryOnly = parseResponsesRequest({ model: 'm', input: [{ role: 'user', content: 'Hi' }, { type: 'reasoning', id: 'rs_9', summary: [{ type: 'summary_text', text: 'S' }] }, { role: 'user', content: 'Again' }] });
    assert.deepEqual(summaryOnly.request.messages.map((m) => m.role), ['user', 'user']);
    assert.equal(summaryOnly.request.encryptedReasoning, undefined);
    assert.equal(parseResponsesRequest({ model: 'm', input: 'Hi', include: ['message.output_text.logprobs', 'reasoning.encrypted_content'] }).request.encryptedReasoning, true);
    assert.throws(() => parseResponsesRequest({ model: 'm', input: 'Hi', include: 'reasoning.encrypted_content' }), { code: 'SY_ERR_BAD_REQUEST', message: /include/ });
    assert.throws(() => parseResponsesRequest({ model: 'm', input: [{ type: 'reasoning', content: [{ type: 'reasoning_text', text: 7 }] }] }), { code: 'SY_ERR_BAD_REQUEST', message: /input\[0\]\.content\[0\]\.text/ });
  });

  it("an empty assistant message between a turn's reasoning and its calls (LangChain's) is no message", () => {
    const { request } = parseResponsesRequest({
      model: 'm',
      include: ['reasoning.encrypted_content'],
      input: [
        { role: 'user', content: 'Weather in Tokyo?' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'S' }], encrypted_content: 'gAAA' },
        { type: 'message', role: 'assistant', content: [] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'Rain' },
        { type: 'message', role: 'assistant', content: [] },
        { role: 'user', content: 'Thanks' },
      ],
    });
    assert.deepEqual(request.messages.map((m) => [m.role, m.content.length]), [['user', 1], ['assistant', 0], ['tool', 1], ['user', 1]]);
    assert.deepEqual(request.messages[1].role === 'assistant' && [request.messages[1].thinking, request.messages[1].toolCalls?.length], [[{ type: 'encrypted_reasoning', id: 'rs_1', data: 'gAAA' }], 1]);
    // A user message still needs content.
    assert.throws(() => parseResponsesRequest({ model: 'm', input: [{ role: 'user', content: [] }] }), { code: 'SY_ERR_BAD_REQUEST', message: /input\[0\]\.content/ });
  });
});

describe('a reasoning setting between dialects', () => {
  const user = [{ role: 'user', content: 'Hi' }];
  const openaiEffort = (v: unknown): unknown => parseOpenAIChatRequest({ model: 'm', messages: user, reasoning_effort: v }).request.reasoning;
  const anthropicThinking = (thinking: unknown, effort?: string): unknown =>
    parseAnthropicMessagesRequest({ model: 'm', max_tokens: 9, messages: user, thinking, ...(effort ? { output_config: { effort } } : {}) }).request.reasoning;

  it('each dialect\'s setting is one effort, with the budget when the client gave one; none and disabled are no setting', () => {
    assert.deepEqual(openaiEffort('high'), { effort: 'high' });
    assert.deepEqual(openaiEffort('xhigh'), { effort: 'high' });
    assert.equal(openaiEffort('none'), undefined);
    assert.equal(openaiEffort(undefined), undefined);
    assert.deepEqual(parseResponsesRequest({ model: 'm', input: 'Hi', reasoning: { effort: 'low' } }).request.reasoning, { effort: 'low' });
    assert.deepEqual(anthropicThinking({ type: 'enabled', budget_tokens: 1024 }), { effort: 'minimal', budgetTokens: 1024 });
    assert.deepEqual(anthropicThinking({ type: 'enabled', budget_tokens: 10000 }), { effort: 'medium', budgetTokens: 10000 });
    assert.deepEqual(anthropicThinking({ type: 'enabled', budget_tokens: 31999 }), { effort: 'high', budgetTokens: 31999 });
    assert.deepEqual(anthropicThinking({ type: 'adaptive' }), { effort: 'high' });
    assert.deepEqual(anthropicThinking({ type: 'adaptive' }, 'low'), { effort: 'low' });
    assert.equal(anthropicThinking({ type: 'disabled' }), undefined);
  });

  const claude = (body: Record<string, unknown>, style: 'budget' | 'adaptive' = 'budget'): Record<string, unknown> => {
    const { request } = parseOpenAIChatRequest({ model: 'claude', reasoning_effort: 'medium', ...body });
    return withAnthropicReasoning(toAnthropicBody(request, 'claude'), request, style);
  };

  it('to Anthropic: left out with a forced tool choice, kept in a tool loop whose last turn Anthropic signed', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: {} } }];
    assert.ok(claude({ messages: user, tools, tool_choice: 'auto' }).thinking);
    assert.equal(claude({ messages: user, tools, tool_choice: 'required' }).thinking, undefined);
    assert.equal(claude({ messages: user, tools, tool_choice: { type: 'function', function: { name: 'f' } } }).thinking, undefined);
    // An Anthropic client's loop, signed, sent on with an OpenAI client's setting (the setting itself is the client's own there).
    const { request } = parseAnthropicMessagesRequest(structuredClone(anthropicClientBody));
    const signed = { ...request, extras: undefined, toolChoice: 'auto' as const, maxTokens: 20000, reasoning: { effort: 'low' as const } };
    assert.deepEqual(withAnthropicReasoning(toAnthropicBody(signed, 'claude'), signed, 'budget').thinking, { type: 'enabled', budget_tokens: 4096 });
    const unsigned = structuredClone(signed);
    (unsigned.messages[1] as { thinking?: unknown[] }).thinking = [{ type: 'thinking', thinking: 'x', signature: '' }];
    assert.equal(withAnthropicReasoning(toAnthropicBody(unsigned, 'claude'), unsigned, 'budget').thinking, undefined);
  });

  it('to Anthropic: top_p stays only where thinking allows it (0.95 and up)', () => {
    assert.equal(claude({ messages: user, top_p: 0.9 }).top_p, undefined);
    assert.equal(claude({ messages: user, top_p: 0.97 }).top_p, 0.97);
  });

  it('to Gemini: a budget within maxOutputTokens and Gemini\'s range, or a level; thought summaries on', () => {
    const gemini = (effortOrBudget: Record<string, unknown>, style: 'budget' | 'level', maxTokens?: number): unknown => {
      const { request } = parseAnthropicMessagesRequest({ model: 'g', max_tokens: maxTokens ?? 100000, messages: user, ...effortOrBudget });
      return (withGeminiReasoning(toGeminiBody(request, 'g'), request, style).generationConfig as Record<string, unknown>).thinkingConfig;
    };
    assert.deepEqual(gemini({ thinking: { type: 'enabled', budget_tokens: 60000 } }, 'budget'), { thinkingBudget: 24576, includeThoughts: true });
    assert.deepEqual(gemini({ thinking: { type: 'enabled', budget_tokens: 60000 } }, 'budget', 5000), { thinkingBudget: 2500, includeThoughts: true });
    assert.deepEqual(gemini({ thinking: { type: 'enabled', budget_tokens: 60000 } }, 'budget', 100), { thinkingBudget: 128, includeThoughts: true });
    assert.deepEqual(gemini({ thinking: { type: 'enabled', budget_tokens: 2000 } }, 'level'), { thinkingLevel: 'low', includeThoughts: true });
    assert.deepEqual(gemini({ thinking: { type: 'adaptive' } }, 'level'), { thinkingLevel: 'high', includeThoughts: true });
  });

  it('Gemini\'s thought summaries are thinking, whole or streamed', () => {
    const gm = getAdapter('gemini');
    const t = target(settings('gemini'), 'gemini-2.5-flash');
    const parts = [{ text: 'Pondering.', thought: true }, { text: 'Hi.' }];
    const res = gm.parseChatResponse({ candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP' }] }, t);
    assert.deepEqual(res.thinking, [{ type: 'thinking', thinking: 'Pondering.', signature: '' }]);
    assert.equal(res.text, 'Hi.');
    const events = gm.createStreamDecoder(t).push(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts } }] })}\r\n\r\n`);
    assert.deepEqual(events.filter((e) => e.type === 'thinking' || e.type === 'text'), [{ type: 'thinking', text: 'Pondering.' }, { type: 'text', text: 'Hi.' }]);
  });
});

describe('custom tools (free-text input) between dialects', () => {
  it('a custom tool is a function with one string parameter, its grammar in the description; a bad format is the client\'s error, named', () => {
    const grammar = { type: 'grammar', syntax: 'regex', definition: '^\\d+$' };
    const { request, clientOptions } = parseResponsesRequest({ model: 'm', input: 'Hi', tools: [{ type: 'custom', name: 'digits', format: grammar }, { type: 'custom', name: 'free' }] });
    assert.deepEqual(request.tools!.map((t) => [t.name, t.description]), [['digits', 'The input must match this regex grammar:\n^\\d+$'], ['free', undefined]]);
    assert.deepEqual(request.tools![1].parameters.required, ['input']);
    assert.deepEqual([...clientOptions.freeform!], ['digits', 'free']);
    const chat = parseOpenAIChatRequest({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], tools: [{ type: 'custom', custom: { name: 'digits', description: 'Digits.', format: { type: 'grammar', grammar: { syntax: 'regex', definition: '^\\d+$' } } } }] });
    assert.equal(chat.request.tools![0].description, 'Digits.\n\nThe input must match this regex grammar:\n^\\d+$');
    assert.equal(parseOpenAIChatRequest({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }).clientOptions.freeform, undefined);
    assert.throws(() => parseResponsesRequest({ model: 'm', input: 'Hi', tools: [{ type: 'custom', name: 'x', format: { type: 'json' } }] }), { code: 'SY_ERR_BAD_REQUEST', message: /tools\[0\]\.format\.type/ });
    assert.throws(() => parseResponsesRequest({ model: 'm', input: 'Hi', tools: [{ type: 'custom', name: 'x', format: { type: 'grammar', definition: 'a' } }] }), { code: 'SY_ERR_BAD_REQUEST', message: /tools\[0\]\.format\.syntax/ });
    // A tool OpenAI runs itself is not the client's: web search is kept aside for a model served
    // through the Responses API, the others are left out; one the client would run but the
    // gateway cannot route is refused.
    const hosted = parseResponsesRequest({ model: 'm', input: 'Hi', tools: [{ type: 'web_search', external_web_access: false }, { type: 'file_search', vector_store_ids: ['vs_1'] }, { type: 'custom', name: 'x' }] }).request;
    assert.deepEqual(hosted.tools!.map((t) => t.name), ['x']);
    assert.deepEqual(hosted.hostedTools, [{ type: 'web_search', external_web_access: false }]);
    assert.throws(() => parseResponsesRequest({ model: 'm', input: 'Hi', tools: [{ type: 'local_shell' }] }), { code: 'SY_ERR_BAD_REQUEST', message: /tools\[0\]\.type` "local_shell" is not supported/ });
  });

  it('a custom call in the history goes up as its function form; an answer\'s call comes back custom, input unwrapped', () => {
    const { request } = parseResponsesRequest({
      model: 'm', tools: [{ type: 'custom', name: 'apply_patch' }],
      input: [{ role: 'user', content: 'Hi' }, { type: 'custom_tool_call', call_id: 'c1', name: 'apply_patch', input: 'PATCH' }, { type: 'custom_tool_call_output', call_id: 'c1', output: 'ok' }],
    });
    assert.deepEqual((request.messages[1] as { toolCalls: unknown[] }).toolCalls, [{ id: 'c1', name: 'apply_patch', arguments: '{"input":"PATCH"}', from: 'input[1].input' }]);
    assert.deepEqual(request.messages[2], { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'ok' }], from: 'input[2].output' });
    const res = { id: 'r', model: 'm', text: '', finishReason: 'tool_calls' as const, usage: { inputTokens: 1, outputTokens: 1 }, toolCalls: [{ id: 'c2', name: 'apply_patch', arguments: '{"input":"NEXT"}' }, { id: 'c3', name: 'shell', arguments: '{"a":1}' }] };
    const freeform = new Set(['apply_patch']);
    assert.deepEqual(RESPONSES_API.renderChatResponse(res, { created: 1, id: 'resp_x', freeform }).output, [
      { type: 'custom_tool_call', id: 'ctc_x_0', call_id: 'c2', name: 'apply_patch', input: 'NEXT', status: 'completed' },
      { type: 'function_call', id: 'fc_x_1', call_id: 'c3', name: 'shell', arguments: '{"a":1}', status: 'completed' },
    ]);
    const chat = CHAT_DIALECTS.openai.renderChatResponse(res, { created: 1, freeform }) as { choices: { message: { tool_calls: unknown[] } }[] };
    assert.deepEqual(chat.choices[0].message.tool_calls[0], { id: 'c2', type: 'custom', custom: { name: 'apply_patch', input: 'NEXT' } });
  });
});

describe('Responses API namespaces', () => {
  it('a namespaced tool is <namespace>__<name>, with a digest past 64 characters; its calls and tool_choice find it, and it renders in its namespace', () => {
    const ns = 'a_namespace_with_a_rather_long_name_for_its_tools';
    const fn = (name: string) => ({ type: 'function', name, parameters: {} });
    const { request, clientOptions } = parseResponsesRequest({
      model: 'm',
      tools: [{ type: 'namespace', name: 'multi_agent_v1', description: 'Sub-agents', tools: [fn('spawn_agent')] }, { type: 'namespace', name: ns, description: 'Long', tools: [fn('do_the_thing_now')] }],
      tool_choice: { type: 'function', namespace: ns, name: 'do_the_thing_now' },
      input: [{ role: 'user', content: 'Hi' }, { type: 'function_call', call_id: 'c1', namespace: ns, name: 'do_the_thing_now', arguments: '{}' }, { type: 'function_call_output', call_id: 'c1', output: 'ok' }],
    });
    const [short, long] = request.tools!.map((t) => t.name);
    assert.equal(short, 'multi_agent_v1__spawn_agent');
    assert.equal(long.length, 64);
    assert.match(long, /^a_namespace_with_a_rather_long_name_for_its_too_[A-Za-z0-9_-]{16}$/);
    assert.deepEqual(request.toolChoice, { name: long });
    assert.equal((request.messages[1] as { toolCalls: { name: string }[] }).toolCalls[0].name, long);
    const res = { id: 'r', model: 'm', text: '', finishReason: 'tool_calls' as const, usage: { inputTokens: 1, outputTokens: 1 }, toolCalls: [{ id: 'c2', name: long, arguments: '{}' }] };
    assert.deepEqual(RESPONSES_API.renderChatResponse(res, { created: 1, id: 'resp_x', namespaced: clientOptions.namespaced }).output, [
      { type: 'function_call', id: 'fc_x_0', call_id: 'c2', name: 'do_the_thing_now', arguments: '{}', status: 'completed', namespace: ns },
    ]);
  });
});

describe('options.pass_params', () => {
  it('passes the named fields of a client of the provider\'s dialect, never one the gateway builds, nor over what it built', () => {
    const { request } = parseAnthropicMessagesRequest({ model: 'c', max_tokens: 9, messages: [{ role: 'user', content: 'Hi' }], future_field: { a: 1 }, temperature: 0.5, top_p: 0.9 });
    const build = (type: 'anthropic' | 'openai-compatible', pass: string[]): Record<string, unknown> =>
      JSON.parse(getAdapter(type).buildChatRequest(request, target(settings(type, { baseUrl: 'http://p.test/v1', options: { pass_params: pass } }), 'c')).body as string);
    assert.deepEqual(build('anthropic', ['future_field']).future_field, { a: 1 });
    assert.equal(build('anthropic', []).future_field, undefined);
    // The gateway's own fields are never taken from the client's body as sent: it leaves
    // top_p out next to a temperature (current Claude models refuse the pair).
    assert.equal(build('anthropic', ['top_p']).top_p, undefined);
    assert.deepEqual(build('anthropic', ['top_p', 'future_field']).future_field, { a: 1 });
    // An Anthropic client's field does not reach an OpenAI-format provider.
    assert.equal(build('openai-compatible', ['future_field']).future_field, undefined);
  });
});

describe('streams transcoded between dialects', () => {
  for (const c of adapterCases()) {
    for (const dialect of ['openai', 'anthropic'] as const) {
      it(`${c.name} upstream → ${dialect} client frames → decodes to the same stream`, () => {
        const upstream = decodeAll(c.adapter.createStreamDecoder(c.target), [c.stream]);
        const enc = CHAT_DIALECTS[dialect].createStreamEncoder({ includeUsage: true, created: 1718000000 });
        const frames = upstream.map((e) => enc.push(e)).join('');
        const back = getAdapter(dialect).createStreamDecoder(target(settings(dialect), 'x'));
        const round = decodeAll(back, [frames]);
        assert.deepEqual(digest(round), digest(upstream));
      });
    }
  }
});

describe('OpenAI embeddings dialect', () => {
  it('parses input as string or list, and renders floats or base64', () => {
    const { request, clientOptions } = parseOpenAIEmbeddingsRequest({ model: 'text-embedding-3-small', input: 'hi', encoding_format: 'base64', dimensions: 2 });
    assert.deepEqual(request, { kind: 'embeddings', model: 'text-embedding-3-small', input: ['hi'], dimensions: 2 });
    const res = { model: 'text-embedding-3-small', data: [[0.5, -0.25]], usage: { inputTokens: 1, outputTokens: 0 } };
    const out = renderOpenAIEmbeddingsResponse(res, clientOptions) as { data: { embedding: string }[]; usage: unknown };
    const bytes = Buffer.from(out.data[0].embedding, 'base64');
    assert.deepEqual([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)], [0.5, -0.25]);
    assert.deepEqual(out.usage, { prompt_tokens: 1, total_tokens: 1 });
    const floats = renderOpenAIEmbeddingsResponse(res, { encodingFormat: 'float' }) as { data: { object: string; index: number; embedding: number[] }[] };
    assert.deepEqual(floats.data, [{ object: 'embedding', index: 0, embedding: [0.5, -0.25] }]);
  });

  it('places vectors by their index, and refuses an index out of range or repeated', () => {
    const parse = getAdapter('openai').parseEmbeddingsResponse!;
    const target = { provider: { id: 'oa', type: 'openai' }, model: 'e' } as never;
    const answer = (...index: unknown[]) => ({ data: index.map((i, n) => ({ index: i, embedding: [n] })) });
    assert.deepEqual(parse(answer(1, 0), target).data, [[1], [0]]);
    assert.deepEqual(parse(answer(undefined, null), target).data, [[0], [1]], 'no index (or null) is the position');
    for (const bad of [[1e9], [0, 0], [-1], [0.5], ['0']]) {
      assert.throws(() => parse(answer(...bad), target), /index/, JSON.stringify(bad));
    }
  });
});

describe("an error about a message names the client's place for it", () => {
  /** The `param` a build refused the request with. */
  const refusedAt = (build: () => unknown): string => {
    try {
      build();
    } catch (e) {
      return String((e as { details?: { param?: string } }).details?.param);
    }
    return 'built';
  };
  const openaiBody = (args: string) => ({
    model: 'm',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: args } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
    ],
  });

  it('OpenAI client: past its system messages, tool call arguments at their own index', () => {
    const { request } = parseOpenAIChatRequest(openaiBody('not json'));
    assert.equal(refusedAt(() => toAnthropicBody(request, 'c')), 'messages[2].tool_calls[0].function.arguments');
    assert.equal(refusedAt(() => toGeminiBody(request, 'g')), 'messages[2].tool_calls[0].function.arguments');
  });

  it('Anthropic client: a tool result inside a user turn, and the text after it', () => {
    const { request } = parseAnthropicMessagesRequest({
      model: 'c', max_tokens: 10,
      messages: [
        { role: 'user', content: 'Look' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA==' } }] }, { type: 'text', text: 'and?' }] },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'search_result', source: 'https://x', title: 't', content: [] }] },
      ],
    });
    assert.equal(refusedAt(() => toOpenAIChatBody(request, 'm', { maxTokensField: 'max_tokens', streamUsage: true })), 'messages[4].content');
    request.messages.splice(2, 1); // without the tool result, the next refusal is the Anthropic-only block, two turns on
    assert.equal(refusedAt(() => toGeminiBody(request, 'g')), 'messages[4].content');
  });

  it('Responses client: items of `input`', () => {
    const { request } = parseResponsesRequest({
      model: 'm', instructions: 'Be brief.',
      input: [
        { role: 'developer', content: 'Use tools.' },
        { role: 'user', content: 'Weather?' },
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{oops' },
        { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_image', image_url: 'https://x/y.png' }] },
      ],
    });
    assert.equal(refusedAt(() => toAnthropicBody(request, 'c')), 'input[2].arguments');
    const fixed = parseResponsesRequest({ model: 'm', input: [{ role: 'user', content: 'Weather?' }, { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' }, { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] }).request;
    assert.equal(refusedAt(() => toOpenAIChatBody(fixed, 'm', { maxTokensField: 'max_tokens', streamUsage: true })), 'built');
  });
});

describe('extras a client sends', () => {
  const base = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
  it('are none when the body sends none, or only nulls', () => {
    assert.equal(parseOpenAIChatRequest(base).request.extras, undefined);
    assert.equal(parseOpenAIChatRequest({ ...base, seed: null, store: null }).request.extras, undefined);
  });
  it('are taken in the gateway\'s order of them, whatever the body\'s order, without its nulls', () => {
    const { request } = parseOpenAIChatRequest({ store: false, ...base, metadata: null, seed: 7, logit_bias: { 50256: -100 } });
    assert.deepEqual(request.extras, { dialect: 'openai', fields: { seed: 7, logit_bias: { 50256: -100 }, store: false } });
    assert.deepEqual(Object.keys(request.extras!.fields), ['seed', 'logit_bias', 'store']);
  });
  it('of an Anthropic client are taken the same way', () => {
    const body = { model: 'claude-sonnet-4', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    assert.equal(parseAnthropicMessagesRequest(body).request.extras, undefined);
    const { request } = parseAnthropicMessagesRequest({ container: 'c1', ...body, top_k: 5 });
    assert.deepEqual(Object.keys(request.extras!.fields), ['top_k', 'container']);
  });
});
