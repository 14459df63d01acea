/** The client-dialect stream encoders, frame by frame; extended thinking from an Anthropic stream to each. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StreamEvent } from '../../src/canonical.js';
import { AnthropicStreamDecoder } from '../../src/wire/anthropic/stream-decoder.js';
import { renderAnthropicResponse } from '../../src/wire/anthropic/response.js';
import { createAnthropicStreamEncoder } from '../../src/wire/anthropic/stream-encoder.js';
import { parseOpenAIChatResponse, renderOpenAIChatResponse } from '../../src/wire/openai/response.js';
import { OpenAIStreamDecoder } from '../../src/wire/openai/stream-decoder.js';
import { createOpenAIStreamEncoder } from '../../src/wire/openai/stream-encoder.js';
import { renderResponsesResponse } from '../../src/wire/responses/response.js';
import { createResponsesStreamEncoder } from '../../src/wire/responses/stream-encoder.js';
import { JsonEnd } from '../../src/wire/json-end.js';
import { sealReasoning } from '../../src/wire/sealed.js';
import { seeded } from './fixtures.js';

const EVENTS: StreamEvent[] = [
  { type: 'start', id: 'chatcmpl-1', model: 'gpt-4o' },
  { type: 'text', text: 'Hi "there"' },
  { type: 'tool_call_start', index: 0, id: 'call_1', name: 'f' },
  { type: 'tool_call_delta', index: 0, arguments: '{"a":' },
  { type: 'tool_call_delta', index: 0, arguments: '1}' },
  { type: 'finish', finishReason: 'tool_calls' },
  { type: 'usage', usage: { inputTokens: 12, outputTokens: 5, cachedInputTokens: 2 } },
  { type: 'end' },
];

const encode = (enc: { push(e: StreamEvent): string }, events: StreamEvent[]): string[] => events.map((e) => enc.push(e));
/** A Responses API stream's events, parsed. */
const parseResponses = (frames: string[]): any[] => frames.join('').split('\n\n').filter(Boolean).map((f) => JSON.parse(f.split('\ndata: ')[1]));

describe('OpenAI stream encoder', () => {
  const head = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o","choices":[';

  it('emits chat.completion.chunk frames, the usage chunk and [DONE]', () => {
    const frames = encode(createOpenAIStreamEncoder({ includeUsage: true, created: 1718000000 }), EVENTS);
    assert.deepEqual(frames, [
      `data: ${head}{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`,
      `data: ${head}{"index":0,"delta":{"content":"Hi \\"there\\""},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`,
      `data: ${head}{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`,
      `data: ${head}{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"a\\":"}}]},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`,
      `data: ${head}{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}\n\n`,
      `data: ${head}{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}\n\n`,
      `data: ${head}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":2}}}\n\n`,
      'data: [DONE]\n\n',
    ]);
    for (const f of frames.slice(0, -1)) JSON.parse(f.slice(6));
  });

  it('without include_usage: no usage field and no usage chunk', () => {
    const frames = encode(createOpenAIStreamEncoder({ includeUsage: false, created: 1718000000, model: 'alias' }), EVENTS);
    assert.equal(frames[1], 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1718000000,"model":"alias","choices":[{"index":0,"delta":{"content":"Hi \\"there\\""},"logprobs":null,"finish_reason":null}]}\n\n');
    assert.equal(frames[6], '');
    assert.equal(frames[7], 'data: [DONE]\n\n');
  });

  it('an error goes in-band, without [DONE], and closes the stream', () => {
    const enc = createOpenAIStreamEncoder({ includeUsage: true, created: 1 });
    enc.push(EVENTS[0]);
    enc.push(EVENTS[1]);
    const err = enc.push({ type: 'error', message: 'upstream stream ended without terminator' });
    assert.equal(err, 'data: {"error":{"message":"upstream stream ended without terminator","type":"server_error","param":null,"code":"SY_ERR_STREAM_INTERRUPTED"}}\n\n');
    assert.equal(enc.closed, true);
    assert.equal(enc.push({ type: 'end' }), '');
    assert.equal(enc.push({ type: 'text', text: 'late' }), '');
  });

  it('opens the stream itself if the first event is not start', () => {
    const out = createOpenAIStreamEncoder({ includeUsage: false, created: 1 }).push({ type: 'text', text: 'x' });
    assert.equal(out.split('\n\n').length, 3);
    assert.match(out, /"role":"assistant"/);
  });
});

describe('Anthropic stream encoder', () => {
  const ev = (name: string, data: string) => `event: ${name}\ndata: ${data}\n\n`;

  it('emits message_start, content blocks, message_delta with usage and message_stop', () => {
    const out = encode(createAnthropicStreamEncoder({ includeUsage: true, created: 1 }), EVENTS).join('');
    assert.equal(out, [
      ev('message_start', '{"type":"message_start","message":{"id":"chatcmpl-1","type":"message","role":"assistant","model":"gpt-4o","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}'),
      ev('content_block_start', '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}'),
      ev('content_block_delta', '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi \\"there\\""}}'),
      ev('content_block_stop', '{"type":"content_block_stop","index":0}'),
      ev('content_block_start', '{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_1","name":"f","input":{}}}'),
      ev('content_block_delta', '{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"a\\":"}}'),
      ev('content_block_delta', '{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}}'),
      ev('content_block_stop', '{"type":"content_block_stop","index":1}'),
      ev('message_delta', '{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":2,"output_tokens":5}}'),
      ev('message_stop', '{"type":"message_stop"}'),
    ].join(''));
  });

  it('keeps consecutive text in one block and opens a new one after a tool call', () => {
    const enc = createAnthropicStreamEncoder({ includeUsage: true, created: 1 });
    const out = encode(enc, [
      { type: 'start', id: 'm', model: 'x' },
      { type: 'text', text: 'a' }, { type: 'text', text: 'b' },
      { type: 'tool_call_start', index: 0, id: 't', name: 'f' },
      { type: 'text', text: 'c' },
      { type: 'finish', finishReason: 'length' },
      { type: 'end' },
    ]).join('');
    assert.equal((out.match(/event: content_block_start/g) ?? []).length, 3);
    assert.equal((out.match(/event: content_block_stop/g) ?? []).length, 3);
    assert.match(out, /"stop_reason":"max_tokens"/);
    assert.match(out, /"usage":\{"output_tokens":0\}/);
  });

  it('an error goes in-band as event: error, without message_stop', () => {
    const enc = createAnthropicStreamEncoder({ includeUsage: true, created: 1 });
    enc.push(EVENTS[0]);
    enc.push(EVENTS[1]);
    assert.equal(enc.push({ type: 'error', message: 'Overloaded', errorType: 'overloaded_error', status: 529 }),
      ev('error', '{"type":"error","error":{"type":"overloaded_error","code":"SY_ERR_STREAM_INTERRUPTED","message":"Overloaded"}}'));
    assert.equal(enc.closed, true);
    assert.equal(enc.push({ type: 'end' }), '');
  });

  it('reports a provider error type the client does not know as api_error', () => {
    const enc = createAnthropicStreamEncoder({ includeUsage: true, created: 1 });
    assert.match(enc.push({ type: 'error', message: 'x', errorType: 'UNAVAILABLE' }), /"type":"api_error"/);
  });
});

/** Canonical events of an Anthropic SSE stream given as [event, data] pairs. */
function decodeAnthropic(frames: readonly (readonly [string, object])[]): StreamEvent[] {
  const sse = frames.map(([type, data]) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`).join('');
  return new AnthropicStreamDecoder('claude').push(sse);
}

describe('extended thinking in streams', () => {
  // An Anthropic stream with interleaved thinking, as Claude Code gets it: a signed thinking
  // block, a redacted one, text, a tool call.
  const upstream = [
    ['message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', content: [], usage: { input_tokens: 9, output_tokens: 1 } } }],
    ['content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }],
    ['content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'Weather, ' } }],
    ['content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'so a tool.' } }],
    ['content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'sig-1' } }],
    ['content_block_stop', { index: 0 }],
    ['content_block_start', { index: 1, content_block: { type: 'redacted_thinking', data: 'opaque==' } }],
    ['content_block_stop', { index: 1 }],
    ['content_block_start', { index: 2, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { index: 2, delta: { type: 'text_delta', text: 'Checking.' } }],
    ['content_block_stop', { index: 2 }],
    ['content_block_start', { index: 3, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } }],
    ['content_block_delta', { index: 3, delta: { type: 'input_json_delta', partial_json: '{"city":"Oslo"}' } }],
    ['content_block_stop', { index: 3 }],
    ['message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 30 } }],
    ['message_stop', {}],
  ] as const;
  const events = decodeAnthropic(upstream);

  it('decode into thinking, signature and redacted events in order', () => {
    assert.deepEqual(events.filter((e) => e.type.includes('thinking')), [
      { type: 'thinking', text: 'Weather, ' },
      { type: 'thinking', text: 'so a tool.' },
      { type: 'thinking_signature', signature: 'sig-1' },
      { type: 'redacted_thinking', data: 'opaque==' },
    ]);
  });

  it('re-encode for an Anthropic client as the same content blocks', () => {
    const out = encode(createAnthropicStreamEncoder({ includeUsage: true, created: 1 }), events).join('');
    const blocks: Record<string, unknown>[] = [];
    for (const frame of out.split('\n\n').filter(Boolean)) {
      const data = JSON.parse(frame.split('\ndata: ')[1]);
      if (data.type === 'content_block_start') blocks[data.index] = { ...data.content_block };
      if (data.type === 'content_block_delta') {
        const b = blocks[data.index] as Record<string, string>;
        const d = data.delta;
        if (d.type === 'thinking_delta') b.thinking += d.thinking;
        else if (d.type === 'signature_delta') b.signature = d.signature;
        else if (d.type === 'text_delta') b.text += d.text;
        else if (d.type === 'input_json_delta') b.json = (b.json ?? '') + d.partial_json;
      }
    }
    assert.deepEqual(blocks, [
      { type: 'thinking', thinking: 'Weather, so a tool.', signature: 'sig-1' },
      { type: 'redacted_thinking', data: 'opaque==' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {}, json: '{"city":"Oslo"}' },
    ]);
  });

  it('a second thinking block after a signed one is a new block', () => {
    const enc = createAnthropicStreamEncoder({ includeUsage: true, created: 1 });
    const out = encode(enc, [
      { type: 'start', id: 'm', model: 'c' },
      { type: 'thinking', text: 'a' }, { type: 'thinking_signature', signature: 's1' },
      { type: 'thinking', text: 'b' }, { type: 'thinking_signature', signature: 's2' },
    ]).join('');
    assert.equal(out.match(/"content_block_start"/g)?.length, 2);
    assert.match(out, /"index":1,"delta":\{"type":"signature_delta","signature":"s2"\}/);
  });

  it('a thinking block with no text still reaches the client, with its signature', () => {
    const out = encode(createAnthropicStreamEncoder({ includeUsage: true, created: 1 }), [
      { type: 'start', id: 'm', model: 'c' }, { type: 'thinking_signature', signature: 's1' }, { type: 'text', text: 'Hi' },
    ]).join('');
    assert.match(out, /"index":0,"content_block":\{"type":"thinking","thinking":"","signature":""\}/);
    assert.match(out, /"index":0,"delta":\{"type":"signature_delta","signature":"s1"\}/);
    assert.match(out, /"index":1,"content_block":\{"type":"text"/);
  });

  it('reach an OpenAI client as reasoning_content, without the signature or the redacted block', () => {
    const out = encode(createOpenAIStreamEncoder({ includeUsage: true, created: 1 }), events).join('');
    assert.doesNotMatch(out, /thinking|sig-1|opaque/);
    assert.match(out, /"delta":\{"reasoning_content":"Weather, "\}/);
    assert.match(out, /Checking\./);
  });
});

describe('reasoning text of OpenAI-format servers in streams', () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
    `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'deepseek-v4', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  // DeepSeek streams its reasoning as reasoning_content deltas before the answer.
  const upstream = [
    chunk({ role: 'assistant', content: null, reasoning_content: '' }),
    chunk({ reasoning_content: 'Tokyo, ' }), chunk({ reasoning_content: 'so a tool.' }),
    chunk({ content: 'Checking.' }),
    chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' } }] }),
    chunk({}, 'tool_calls'), 'data: [DONE]\n\n',
  ].join('');
  const events = new OpenAIStreamDecoder('m').push(upstream);

  it('decode into thinking events; `reasoning` (OpenRouter, Groq, Ollama) too, and reasoning_content wins when both come', () => {
    assert.deepEqual(events.filter((e) => e.type === 'thinking'), [{ type: 'thinking', text: 'Tokyo, ' }, { type: 'thinking', text: 'so a tool.' }]);
    assert.deepEqual(new OpenAIStreamDecoder('m').push(chunk({ reasoning: 'Hmm.' })).filter((e) => e.type === 'thinking'), [{ type: 'thinking', text: 'Hmm.' }]);
    assert.deepEqual(new OpenAIStreamDecoder('m').push(chunk({ reasoning_content: 'A', reasoning: 'A' })).filter((e) => e.type === 'thinking'), [{ type: 'thinking', text: 'A' }]);
  });

  it('reach an OpenAI client as the same reasoning_content deltas, before the answer', () => {
    const deltas = encode(createOpenAIStreamEncoder({ includeUsage: false, created: 1 }), events).filter(Boolean)
      .filter((f) => f !== 'data: [DONE]\n\n').map((f) => JSON.parse(f.slice(6)).choices[0].delta);
    assert.deepEqual(deltas.slice(1, 4), [{ reasoning_content: 'Tokyo, ' }, { reasoning_content: 'so a tool.' }, { content: 'Checking.' }]);
  });

  it('reach an Anthropic client with thinking on as a thinking block without a signature; with thinking off, not at all', () => {
    const blocks = (thinking: boolean): unknown[] => {
      const out = encode(createAnthropicStreamEncoder({ includeUsage: true, created: 1, thinking }), events).join('');
      const found: Record<string, unknown>[] = [];
      for (const frame of out.split('\n\n').filter(Boolean)) {
        const data = JSON.parse(frame.split('\ndata: ')[1]);
        if (data.type === 'content_block_start') found[data.index] = { ...data.content_block };
        if (data.type === 'content_block_delta' && data.delta.type === 'thinking_delta') (found[data.index] as { thinking: string }).thinking += data.delta.thinking;
      }
      return found.map((b) => b.type === 'thinking' ? b : b.type);
    };
    assert.deepEqual(blocks(true), [{ type: 'thinking', thinking: 'Tokyo, so a tool.', signature: '' }, 'text', 'tool_use']);
    assert.deepEqual(blocks(false), ['text', 'tool_use']);
  });

  it('reach a Responses client as a reasoning item with reasoning_text, closed before the message opens', () => {
    const out = encode(createResponsesStreamEncoder({ includeUsage: true, created: 1 }), events).join('');
    const seen = out.split('\n\n').filter(Boolean).map((f) => JSON.parse(f.split('\ndata: ')[1]));
    assert.deepEqual(seen.map((e) => e.type).slice(2, 9), [
      'response.output_item.added', 'response.content_part.added', 'response.reasoning_text.delta', 'response.reasoning_text.delta',
      'response.reasoning_text.done', 'response.content_part.done', 'response.output_item.done',
    ]);
    const done = seen.at(-1).response;
    assert.deepEqual(done.output.map((i: { type: string }) => i.type), ['reasoning', 'message', 'function_call']);
    assert.deepEqual(done.output[0], { type: 'reasoning', id: 'rs_c1_0', summary: [], content: [{ type: 'reasoning_text', text: 'Tokyo, so a tool.' }], status: 'completed' });
  });

  it('reasoning alone still answers a Responses client with an (empty) message', () => {
    const out = encode(createResponsesStreamEncoder({ includeUsage: true, created: 1 }), [
      { type: 'start', id: 'x', model: 'm' }, { type: 'thinking', text: 'Hmm.' }, { type: 'finish', finishReason: 'length' }, { type: 'end' },
    ]).join('');
    const last = JSON.parse(out.split('\n\n').filter(Boolean).at(-1)!.split('\ndata: ')[1]);
    assert.deepEqual(last.response.output.map((i: { type: string }) => i.type), ['reasoning', 'message']);
  });
});

describe('server tools and citations in streams', () => {
  const upstream = [
    ['message_start', { message: { id: 'msg_2', type: 'message', role: 'assistant', model: 'claude', content: [], usage: { input_tokens: 9, output_tokens: 1 } } }],
    ['content_block_start', { index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} } }],
    ['content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"query":"oslo weather"}' } }],
    ['content_block_stop', { index: 0 }],
    ['content_block_start', { index: 1, content_block: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [{ type: 'web_search_result', url: 'https://example.com', title: 'W', encrypted_content: 'e' }] } }],
    ['content_block_stop', { index: 1 }],
    ['content_block_start', { index: 2, content_block: { type: 'text', text: '' } }],
    ['content_block_delta', { index: 2, delta: { type: 'citations_delta', citation: { type: 'web_search_result_location', url: 'https://example.com', cited_text: 'Snow' } } }],
    ['content_block_delta', { index: 2, delta: { type: 'text_delta', text: 'It snows.' } }],
    ['content_block_stop', { index: 2 }],
    ['message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 30 } }],
    ['message_stop', {}],
  ] as const;
  const events = decodeAnthropic(upstream);

  it('reach an Anthropic client as the same blocks and deltas, the citation on its text block', () => {
    const out = encode(createAnthropicStreamEncoder({ includeUsage: true, created: 1 }), events).join('');
    const frames = out.split('\n\n').filter(Boolean).map((f) => JSON.parse(f.split('\ndata: ')[1]));
    const starts = frames.filter((f) => f.type === 'content_block_start').map((f) => [f.index, f.content_block.type]);
    assert.deepEqual(starts, [[0, 'server_tool_use'], [1, 'web_search_tool_result'], [2, 'text']]);
    const deltas = frames.filter((f) => f.type === 'content_block_delta').map((f) => [f.index, f.delta.type]);
    assert.deepEqual(deltas, [[0, 'input_json_delta'], [2, 'citations_delta'], [2, 'text_delta']]);
    assert.deepEqual(frames.find((f) => f.index === 1 && f.type === 'content_block_start').content_block, upstream[4][1].content_block);
  });

  it('are left out for an OpenAI client, which gets the text', () => {
    const out = encode(createOpenAIStreamEncoder({ includeUsage: true, created: 1 }), events).join('');
    assert.doesNotMatch(out, /srvtoolu|web_search|citation/);
    assert.match(out, /It snows\./);
  });
});

describe('Responses API stream encoder', () => {
  /** The events a stream sent, parsed: [type, data] with the SSE event name checked against `type`. */
  const parse = (frames: string[]): [string, any][] => frames.join('').split('\n\n').filter(Boolean).map((f) => {
    const [event, data] = f.split('\n');
    const body = JSON.parse(data.slice('data: '.length));
    assert.equal(event, `event: ${body.type}`);
    return [body.type, body];
  });
  const opts = { includeUsage: true, created: 1718000000 };

  it('text then a call: the message closes before the call opens, both close before response.completed, whose output holds both', () => {
    const events = parse(encode(createResponsesStreamEncoder(opts), EVENTS));
    assert.deepEqual(events.map(([t]) => t), [
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
      'response.function_call_arguments.done', 'response.output_item.done', 'response.completed',
    ]);
    assert.deepEqual(events.map(([, d]) => d.sequence_number), events.map((_e, i) => i));
    const done = events.at(-1)![1].response;
    assert.equal(done.id, 'resp_chatcmpl-1');
    assert.equal(done.status, 'completed');
    assert.equal(done.created_at, 1718000000);
    assert.deepEqual(done.output, [
      { type: 'message', id: 'msg_chatcmpl-1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hi "there"', annotations: [] }] },
      { type: 'function_call', id: 'fc_chatcmpl-1_0', call_id: 'call_1', name: 'f', arguments: '{"a":1}', status: 'completed' },
    ]);
    assert.deepEqual(done.usage, { input_tokens: 12, input_tokens_details: { cached_tokens: 2 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 17 });
    assert.deepEqual(events[0][1].response.output, []);
    assert.equal(events[0][1].response.usage, null);
  });

  it("an OpenAI model's encrypted reasoning goes out as the item it came in, before the answer; an Anthropic client with thinking on gets it sealed as a signature; OpenAI clients see nothing of it", () => {
    const sealed: StreamEvent[] = [EVENTS[0], { type: 'encrypted_reasoning', id: 'rs_up_1', data: 'gAAAAB' }, ...EVENTS.slice(1)];
    const events = parse(encode(createResponsesStreamEncoder(opts), sealed));
    const item = { type: 'reasoning', id: 'rs_up_1', summary: [], encrypted_content: 'gAAAAB' };
    assert.deepEqual(events.slice(2, 4).map(([t, d]) => [t, d.output_index, d.item]), [['response.output_item.added', 0, item], ['response.output_item.done', 0, item]]);
    assert.deepEqual(events.at(-1)![1].response.output.map((i: { type: string }) => i.type), ['reasoning', 'message', 'function_call']);
    for (const enc of [createOpenAIStreamEncoder(opts), createAnthropicStreamEncoder({ ...opts, thinking: false })]) {
      assert.equal(enc.push(sealed[0]) !== '', true);
      assert.equal(enc.push(sealed[1]), '');
    }
    const anthropic = parse(encode(createAnthropicStreamEncoder({ ...opts, thinking: true }), sealed));
    assert.deepEqual(anthropic.slice(1, 4).map(([t, d]) => [t, d.content_block ?? d.delta]), [
      ['content_block_start', { type: 'thinking', thinking: '', signature: '' }],
      ['content_block_delta', { type: 'signature_delta', signature: sealReasoning({ type: 'encrypted_reasoning', id: 'rs_up_1', data: 'gAAAAB' }) }],
      ['content_block_stop', undefined],
    ]);
  });

  it('a summary of reasoning streams as a summary part, in its own reasoning item, with the events OpenAI sends', () => {
    const events = parse(encode(createResponsesStreamEncoder(opts), [EVENTS[0], { type: 'thinking', text: 'Sum', summary: true }, { type: 'thinking', text: 'med.', summary: true }, { type: 'thinking', text: 'Raw.' }, ...EVENTS.slice(1)]));
    assert.deepEqual(events.slice(2, 12).map(([t]) => t), [
      'response.output_item.added', 'response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta', 'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.content_part.added', 'response.reasoning_text.delta',
    ]);
    assert.equal(events[4][1].summary_index, 0);
    const done = events.at(-1)![1].response.output;
    assert.deepEqual(done.slice(0, 2).map((i: Record<string, unknown>) => [i.id, i.summary]), [['rs_chatcmpl-1_0', [{ type: 'summary_text', text: 'Summed.' }]], ['rs_chatcmpl-1_1', []]]);
  });

  it('a cut answer ends in response.incomplete with its reason; an empty one still has a message', () => {
    const events = parse(encode(createResponsesStreamEncoder(opts), [{ type: 'start', id: 'x', model: 'm' }, { type: 'finish', finishReason: 'length' }, { type: 'end' }]));
    const [type, last] = events.at(-1)!;
    assert.equal(type, 'response.incomplete');
    assert.equal(last.response.status, 'incomplete');
    assert.deepEqual(last.response.incomplete_details, { reason: 'max_output_tokens' });
    assert.deepEqual(last.response.output.map((i: { type: string }) => i.type), ['message']);
  });

  it('the last event waits for what onResponse returns: held back, then given once, in sequence, with the response as it was left', async () => {
    let keep!: () => void;
    const kept = new Promise<void>((r) => { keep = r; });
    const enc = createResponsesStreamEncoder({ ...opts, onResponse: async (response) => {
      await kept;
      response.conversation = null;
    } });
    const frames = encode(enc, EVENTS);
    assert.ok(!frames.join('').includes('response.completed'), 'not before what it keeps is kept');
    const held = enc.held!()!;
    assert.equal(enc.held!(), null, 'given once');
    keep();
    const events = parse([...frames, await held]);
    assert.deepEqual(events.map(([, d]) => d.sequence_number), events.map((_e, i) => i));
    const [type, last] = events.at(-1)!;
    assert.equal(type, 'response.completed');
    assert.equal(last.response.conversation, null);
    assert.equal(createResponsesStreamEncoder(opts).held!(), null, 'nothing held without a promise');
  });

  it('an error goes in-band as an error event and closes the stream, with no response.completed', () => {
    const enc = createResponsesStreamEncoder(opts);
    const events = parse(encode(enc, [EVENTS[0], EVENTS[1], { type: 'error', message: 'upstream went away' }, { type: 'end' }]));
    const [type, data] = events.at(-1)!;
    assert.equal(type, 'error');
    assert.equal(data.code, 'SY_ERR_STREAM_INTERRUPTED');
    assert.equal(data.message, 'upstream went away');
    assert.ok(enc.closed);
    assert.ok(!events.some(([t]) => t === 'response.completed'));
  });

  it('text after a call opens a second message item after the call', () => {
    const events = parse(encode(createResponsesStreamEncoder(opts), [
      EVENTS[0], EVENTS[2], EVENTS[3], EVENTS[4], { type: 'text', text: 'done' }, { type: 'finish', finishReason: 'stop' }, { type: 'end' },
    ]));
    const output = events.at(-1)![1].response.output;
    assert.deepEqual(output.map((i: { type: string }) => i.type), ['function_call', 'message']);
    const added = events.filter(([t]) => t === 'response.output_item.added').map(([, d]) => [d.output_index, d.item.type]);
    assert.deepEqual(added, [[0, 'function_call'], [1, 'message']]);
    assert.deepEqual(output.map((i: { id: string }) => i.id), ['fc_chatcmpl-1_0', 'msg_chatcmpl-1']);
  });

  it('a message after a call after a message is a new item with its own id', () => {
    const events = parse(encode(createResponsesStreamEncoder(opts), [
      EVENTS[0], EVENTS[1], EVENTS[2], EVENTS[3], EVENTS[4], { type: 'text', text: 'more' }, { type: 'finish', finishReason: 'stop' }, { type: 'end' },
    ]));
    const ids = events.at(-1)![1].response.output.map((i: { id: string }) => i.id);
    assert.deepEqual(ids, ['msg_chatcmpl-1', 'fc_chatcmpl-1_0', 'msg_chatcmpl-1_1']);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe("an OpenAI model's refusal in streams", () => {
  const REFUSAL = "I'm sorry, I can't help with that.";
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
    `data: ${JSON.stringify({ id: 'chatcmpl-r1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  // A structured output the model refuses: the refusal streams instead of content, as OpenAI sends it.
  const upstream = [
    chunk({ role: 'assistant', content: null, refusal: '' }),
    chunk({ refusal: "I'm sorry, " }), chunk({ refusal: "I can't help" }), chunk({ refusal: ' with that.' }),
    chunk({}, 'stop'), 'data: [DONE]\n\n',
  ].join('');
  const events = new OpenAIStreamDecoder('gpt-4o').push(upstream);
  // The same answer whole, as the provider parses it for a client of another dialect.
  const whole = parseOpenAIChatResponse({
    id: 'chatcmpl-r1', object: 'chat.completion', created: 1, model: 'gpt-4o',
    choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: REFUSAL }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
  }, 'gpt-4o');
  const opts = { includeUsage: true, created: 1 };
  const data = (frames: string): any[] => frames.split('\n\n').filter((f) => f !== '' && f !== 'data: [DONE]').map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)));

  it('decode into text marked as a refusal', () => {
    assert.deepEqual(events.filter((e) => e.type === 'text'), [
      { type: 'text', text: "I'm sorry, ", refusal: true }, { type: 'text', text: "I can't help", refusal: true }, { type: 'text', text: ' with that.', refusal: true },
    ]);
  });

  it('reach an OpenAI client as refusal deltas: the message is the one the whole answer gives', () => {
    const chunks = data(encode(createOpenAIStreamEncoder(opts), events).join(''));
    assert.deepEqual(chunks.slice(1, 4).map((c) => c.choices[0].delta), [{ refusal: "I'm sorry, " }, { refusal: "I can't help" }, { refusal: ' with that.' }]);
    // Put together as the OpenAI SDK does: empty pieces add nothing.
    const message: Record<string, string | null> = { content: null, refusal: null };
    for (const c of chunks) {
      for (const k of ['content', 'refusal'] as const) if (c.choices[0]?.delta[k]) message[k] = (message[k] ?? '') + c.choices[0].delta[k];
    }
    const rendered = renderOpenAIChatResponse(whole, { created: 1 }) as { choices: { message: Record<string, unknown> }[] };
    assert.deepEqual(message, { content: null, refusal: REFUSAL });
    assert.deepEqual(message, { content: rendered.choices[0].message.content, refusal: rendered.choices[0].message.refusal });
  });

  it('reach an Anthropic client as text, the same content as the whole answer', () => {
    const blocks: Record<string, unknown>[] = [];
    for (const f of data(encode(createAnthropicStreamEncoder(opts), events).join(''))) {
      if (f.type === 'content_block_start') blocks[f.index] = { ...f.content_block };
      if (f.type === 'content_block_delta') (blocks[f.index] as { text: string }).text += f.delta.text;
    }
    assert.deepEqual(blocks, [{ type: 'text', text: REFUSAL }]);
    assert.deepEqual(blocks, renderAnthropicResponse(whole, { created: 1 }).content);
  });

  it('reach a Responses client as the message text, the same output as the whole answer', () => {
    const frames = data(encode(createResponsesStreamEncoder(opts), events).join(''));
    assert.deepEqual(frames.filter((f) => f.type === 'response.output_text.delta').map((f) => f.delta), ["I'm sorry, ", "I can't help", ' with that.']);
    const output = frames.at(-1).response.output;
    assert.equal(output[0].content[0].text, REFUSAL);
    assert.deepEqual(output, renderResponsesResponse(whole, { created: 1 }).output);
  });
});

describe('log probabilities in streams', () => {
  const lp = (token: string, field: 'content' | 'refusal' = 'content') => ({ [field]: [{ token, logprob: -0.25, bytes: [...Buffer.from(token)], top_logprobs: [] }], [field === 'content' ? 'refusal' : 'content']: null });
  const chunk = (delta: Record<string, unknown>, logprobs: unknown, finish: string | null = null): string =>
    `data: ${JSON.stringify({ id: 'chatcmpl-l1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta, logprobs, finish_reason: finish }] })}\n\n`;
  // OpenAI's chunks with `logprobs: true`; a reasoning server's (sglang, vLLM) also on reasoning
  // chunks and on a trailing chunk with no delta of its own.
  const upstream: [Record<string, unknown>, unknown, string | null][] = [
    [{ role: 'assistant', content: '' }, null, null],
    [{ reasoning_content: 'Hm.' }, lp('Hm.'), null],
    [{ content: 'Hello' }, lp('Hello'), null],
    [{ content: ' there' }, lp(' there'), null],
    [{}, lp('!'), null],
    [{}, null, 'stop'],
  ];
  const events = new OpenAIStreamDecoder('gpt-4o').push(upstream.map(([d, l, f]) => chunk(d, l, f)).join('') + 'data: [DONE]\n\n');
  const choices = (frames: string[]): { delta: unknown; logprobs: unknown; finish_reason: unknown }[] => frames.join('').split('\n\n')
    .filter((f) => f !== '' && f !== 'data: [DONE]').map((f) => JSON.parse(f.slice(6)).choices[0]).filter(Boolean)
    .map(({ delta, logprobs, finish_reason }: Record<string, unknown>) => ({ delta, logprobs, finish_reason }));

  it('decode into a logprobs event ahead of what they go with, and into nothing when a chunk has none', () => {
    assert.deepEqual(events.map((e) => e.type), ['start', 'logprobs', 'thinking', 'logprobs', 'text', 'logprobs', 'text', 'logprobs', 'finish', 'end']);
    assert.deepEqual(events[3], { type: 'logprobs', logprobs: lp('Hello') });
  });

  it('reach an OpenAI client on the chunk they came with; those of a chunk with nothing else, on the next', () => {
    const got = choices(encode(createOpenAIStreamEncoder({ includeUsage: false, created: 1 }), events));
    const sent = upstream.map(([delta, logprobs, finish_reason]) => ({ delta, logprobs, finish_reason }));
    assert.deepEqual(got, [...sent.slice(0, 4), { delta: {}, logprobs: lp('!'), finish_reason: 'stop' }]);
  });

  it('a chunk without them still says null, at no cost to the chunks around them', () => {
    const enc = createOpenAIStreamEncoder({ includeUsage: true, created: 1 });
    const frames = encode(enc, [
      { type: 'start', id: 'c', model: 'm' }, { type: 'logprobs', logprobs: lp('a') }, { type: 'text', text: 'a' }, { type: 'text', text: 'b' },
      { type: 'logprobs', logprobs: lp('c') }, { type: 'finish', finishReason: 'stop' }, { type: 'logprobs', logprobs: lp('d') }, { type: 'end' },
    ]);
    assert.deepEqual(choices(frames).map((c) => c.logprobs), [null, lp('a'), null, lp('c'), lp('d')]);
    assert.match(frames.at(-1)!, /data: \[DONE\]\n\n$/);
  });

  it('reach no other dialect, which has no place for them', () => {
    for (const enc of [createAnthropicStreamEncoder({ includeUsage: true, created: 1 }), createResponsesStreamEncoder({ includeUsage: true, created: 1 })]) {
      const out = encode(enc, events);
      assert.equal(out[1], '');
      assert.doesNotMatch(out.join(''), /logprob"|-0\.25/);
    }
  });

  it('a whole answer keeps them for an OpenAI client, re-rendered as passed through', () => {
    const logprobs = { content: [lp('Hello').content![0], lp(' there').content![0]], refusal: null };
    const res = parseOpenAIChatResponse({
      id: 'chatcmpl-l1', object: 'chat.completion', created: 1, model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, logprobs, finish_reason: 'stop' }],
    }, 'gpt-4o');
    assert.deepEqual(res.logprobs, logprobs);
    assert.deepEqual((renderOpenAIChatResponse(res, { created: 1 }) as { choices: { logprobs: unknown }[] }).choices[0].logprobs, logprobs);
    assert.equal((renderOpenAIChatResponse({ ...res, logprobs: undefined }, { created: 1 }) as { choices: { logprobs: unknown }[] }).choices[0].logprobs, null);
  });
});

describe('parallel tool calls whose arguments an upstream interleaves', () => {
  type Frame = { type: string; index?: number; content_block?: { type: string; id?: string; name?: string }; delta?: { partial_json?: string } };
  const anthropicFrames = (out: string): Frame[] => out.split('\n\n').filter(Boolean).map((f) => JSON.parse(f.split('\ndata: ')[1]));
  /** What is wrong with a stream's blocks ('' when nothing): a start while one is open, a delta or stop for a block not open. */
  const misframed = (frames: Frame[]): string => {
    let open = -1;
    let bad = '';
    for (const f of frames) {
      if (f.type === 'content_block_start') { if (open >= 0) bad += `start ${f.index} while ${open} open; `; open = f.index!; }
      if (f.type === 'content_block_delta' && f.index !== open) bad += `delta for ${f.index} while ${open} open; `;
      if (f.type === 'content_block_stop') { if (f.index !== open) bad += `stop ${f.index} while ${open} open; `; open = -1; }
    }
    return open >= 0 ? `${bad}${open} never stopped` : bad;
  };
  /** Each tool_use block as [id, its arguments], in block order. */
  const calls = (frames: Frame[]): [string, string][] => {
    const out: [string, string][] = [];
    for (const f of frames) {
      if (f.type === 'content_block_start' && f.content_block?.type === 'tool_use') out[f.index!] = [f.content_block.id!, ''];
      if (f.type === 'content_block_delta' && f.delta?.partial_json !== undefined) out[f.index!][1] += f.delta.partial_json;
    }
    return out.filter(Boolean);
  };
  const start: StreamEvent = { type: 'start', id: 'm', model: 'x' };
  const tail: StreamEvent[] = [{ type: 'finish', finishReason: 'tool_calls' }, { type: 'end' }];
  const begin = (index: number): StreamEvent => ({ type: 'tool_call_start', index, id: `call_${index}`, name: `f${index}` });
  const args = (index: number, a: string): StreamEvent => ({ type: 'tool_call_delta', index, arguments: a });

  it('announced together, then alternating: each call is one whole block, never a delta after its stop', () => {
    const enc = createAnthropicStreamEncoder({ includeUsage: true, created: 1 });
    const events = [start, begin(0), begin(1), args(0, '{"city":'), args(1, '{"tz":'), args(0, '"Paris"}'), args(1, '"Europe/Paris"}'), ...tail];
    const frames = anthropicFrames(encode(enc, events).join(''));
    assert.equal(misframed(frames), '');
    assert.deepEqual(frames.filter((f) => f.type.startsWith('content_block')).map((f) => `${f.type.slice('content_block_'.length)}:${f.index}`), [
      'start:0', 'delta:0', 'delta:0', 'stop:0', 'start:1', 'delta:1', 'delta:1', 'stop:1',
    ]);
    assert.deepEqual(calls(frames), [['call_0', '{"city":"Paris"}'], ['call_1', '{"tz":"Europe/Paris"}']]);
  });

  it("each announced with its first piece, then alternating: a held call goes out once the open one's arguments are whole, and streams on", () => {
    const enc = createAnthropicStreamEncoder({ includeUsage: true, created: 1 });
    const out = encode(enc, [start, begin(0), args(0, '{"a":'), begin(1), args(1, '{"b":'), begin(2), args(2, '{"c":3}'), args(0, '1}'), args(1, '2'), args(1, '}'), ...tail]);
    const frames = anthropicFrames(out.join(''));
    assert.equal(misframed(frames), '');
    assert.deepEqual(calls(frames), [['call_0', '{"a":1}'], ['call_1', '{"b":2}'], ['call_2', '{"c":3}']]);
    // Call 1 opens when call 0 is whole, with what it had, and then takes its pieces as they come.
    assert.deepEqual(anthropicFrames(out[7]).map((f) => `${f.type}:${f.index}`), [
      'content_block_delta:0', 'content_block_stop:0', 'content_block_start:1', 'content_block_delta:1',
    ]);
    assert.deepEqual(anthropicFrames(out[8]).map((f) => `${f.type}:${f.index}`), ['content_block_delta:1']);
  });

  it('calls one after the other are never held: every piece goes out as it comes', () => {
    const enc = createAnthropicStreamEncoder({ includeUsage: true, created: 1 });
    const events = [start, begin(0), args(0, '{"s":"}{\\"'), args(0, '"}'), begin(1), args(1, '{}'), begin(2), args(2, '[1]'), ...tail];
    const out = encode(enc, events);
    events.forEach((e, i) => { if (e.type === 'tool_call_start' || e.type === 'tool_call_delta') assert.notEqual(out[i], '', `event ${i} went out`); });
    const frames = anthropicFrames(out.join(''));
    assert.equal(misframed(frames), '');
    assert.deepEqual(calls(frames), [['call_0', '{"s":"}{\\""}'], ['call_1', '{}'], ['call_2', '[1]']]);
  });

  it('calls held to the end (arguments never whole, text between) still go out whole, in order', () => {
    const enc = createAnthropicStreamEncoder({ includeUsage: true, created: 1 });
    const out = encode(enc, [start, begin(0), begin(1), args(1, '{"x":'), { type: 'text', text: 'and' }, args(1, '1}'), begin(2), args(2, '{}'), ...tail]).join('');
    const frames = anthropicFrames(out);
    assert.equal(misframed(frames), '');
    assert.deepEqual(frames.filter((f) => f.type === 'content_block_start').map((f) => f.content_block!.type), ['tool_use', 'text', 'tool_use', 'tool_use']);
    assert.deepEqual(calls(frames), [['call_0', ''], ['call_1', '{"x":1}'], ['call_2', '{}']]);
  });

  it('any interleaving of any number of calls is well framed and loses nothing (seeded)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = seeded(seed);
      const n = 1 + Math.floor(rng() * 4);
      const whole = Array.from({ length: n }, (_x, i) => JSON.stringify({ n: i, s: `a"}{[${'x'.repeat(Math.floor(rng() * 9))}` }));
      const pieces = whole.map((w) => {
        const cut: string[] = [];
        for (let at = 0; at < w.length;) { const len = 1 + Math.floor(rng() * 6); cut.push(w.slice(at, at + len)); at += len; }
        return cut;
      });
      // Each call starts before its first piece; the calls' pieces are shuffled together, each call's kept in order.
      const events: StreamEvent[] = [start];
      const next = pieces.map(() => -1);
      for (;;) {
        const left = next.map((k, i) => (k < pieces[i].length ? i : -1)).filter((i) => i >= 0 && (i === 0 || next[i - 1] >= 0));
        if (left.length === 0) break;
        const i = left[Math.floor(rng() * left.length)];
        events.push(next[i] < 0 ? begin(i) : args(i, pieces[i][next[i]]));
        next[i]++;
      }
      const frames = anthropicFrames(encode(createAnthropicStreamEncoder({ includeUsage: true, created: 1 }), [...events, ...tail]).join(''));
      assert.equal(misframed(frames), '', `seed ${seed}`);
      assert.deepEqual(calls(frames), whole.map((w, i) => [`call_${i}`, w]), `seed ${seed}`);
    }
  });

  it('from an OpenAI-format upstream that interleaves, an Anthropic client gets both calls whole', () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const upstream = [
      chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_A', type: 'function', function: { name: 'get_weather', arguments: '' } }, { index: 1, id: 'call_B', type: 'function', function: { name: 'get_time', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }), chunk({ tool_calls: [{ index: 1, function: { arguments: '{"tz":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }), chunk({ tool_calls: [{ index: 1, function: { arguments: '"Europe/Paris"}' } }] }),
      chunk({}, 'tool_calls'), 'data: [DONE]\n\n',
    ].join('');
    const frames = anthropicFrames(encode(createAnthropicStreamEncoder({ includeUsage: true, created: 1 }), new OpenAIStreamDecoder('m').push(upstream)).join(''));
    assert.equal(misframed(frames), '');
    assert.deepEqual(calls(frames), [['call_A', '{"city":"Paris"}'], ['call_B', '{"tz":"Europe/Paris"}']]);
  });

  it('a Responses client gets each call as its own item, which takes no delta after it is done', () => {
    const events = parseResponses(encode(createResponsesStreamEncoder({ includeUsage: true, created: 1 }), [start, begin(0), begin(1), args(0, '{"a":'), args(1, '{"b":'), args(0, '1}'), args(1, '2}'), ...tail]));
    const done = new Set<string>();
    for (const e of events) {
      if (e.type === 'response.function_call_arguments.delta') assert.ok(!done.has(e.item_id), `delta for ${e.item_id} after it was done`);
      if (e.type === 'response.output_item.done') done.add(e.item.id);
    }
    assert.deepEqual(events.at(-1).response.output.map((i: { call_id: string; arguments: string }) => [i.call_id, i.arguments]), [['call_0', '{"a":1}'], ['call_1', '{"b":2}']]);
  });
});

describe('JsonEnd', () => {
  it('tells when streamed JSON has closed its top-level object or array, strings and escapes aside', () => {
    const at = (...pieces: string[]): boolean[] => {
      const end = new JsonEnd();
      return pieces.map((p) => { end.feed(p); return end.whole; });
    };
    assert.deepEqual(at('{"a":', '{"b":"}"}', '}'), [false, false, true]);
    assert.deepEqual(at('{"q":"\\"}', '"}'), [false, true]);
    assert.deepEqual(at('{"q":"\\\\"', '}'), [false, true]);
    assert.deepEqual(at('[1,', '[2]]'), [false, true]);
    assert.deepEqual(at('', '"just a string"', '42'), [false, false, false]);
    const end = new JsonEnd();
    end.feed('{}');
    end.reset();
    assert.equal(end.whole, false);
  });
});
