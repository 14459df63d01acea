/**
 * The mock upstream: a deterministic, in-process fake of the OpenAI API. Given the
 * request dispatch would send, it builds the reply an OpenAI server would give —
 * derived only from the request, the provider options and the injected RNG/clock.
 *
 * Failure injection (request headers): `x-mock-fail: <status>` answers that status
 * (429 with `retry-after`, from `x-mock-retry-after`, default 1); `x-mock-fail-after-chunks: N`
 * cuts a stream after N content chunks without finish or `[DONE]`. `options.fail_rate`
 * fails that share of requests with `options.fail_status` (default 500).
 */
import { setTimeout as sleepMs } from 'node:timers/promises';
import type { ChatResponse, StreamEvent, ToolCall } from '../../canonical.js';
import { headerValue } from '../../wire/upstream-error.js';
import { createOpenAIStreamEncoder } from '../../wire/openai/stream-encoder.js';
import { renderOpenAIChatResponse } from '../../wire/openai/response.js';
import { isRecord } from '../../wire/validate.js';
import type { HttpRequestSpec } from '../types.js';
import { fnv1a, hashVector } from './hash.js';
import { mockBehaviour, type MockBehaviour } from './options.js';

export interface MockContext {
  /** Provider `options` from config: latency_ms, chunk_delay_ms, chunks, output_tokens, dimensions, fail_rate, fail_status, models. */
  options?: Record<string, unknown>;
  /** Draws in [0, 1) for `fail_rate`; default Math.random. */
  rng?: () => number;
  /** Clock (ms) for `created`; default Date.now. */
  now?: () => number;
  /** Waits between stream chunks; default node's timers/promises setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

export interface MockReply {
  status: number;
  headers: Record<string, string>;
  /** `latency_ms`: the transport waits this long before answering. */
  delayMs: number;
  /** Full JSON body (non-stream answers and errors). */
  body?: string;
  /** SSE text chunks in OpenAI format (stream answers); waits `chunk_delay_ms` between chunks. */
  stream?: AsyncIterable<string>;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
const SNIPPET = 40;
const FILLER = ' lorem ipsum dolor sit amet consectetur adipiscing elit';

const ERROR_TYPES: Record<number, [type: string, code: string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  403: ['invalid_request_error', 'permission_denied'],
  404: ['invalid_request_error', 'model_not_found'],
  429: ['requests', 'rate_limit_exceeded'],
  529: ['overloaded_error', 'overloaded'],
};

function json(status: number, body: unknown, delayMs: number, headers: Record<string, string> = JSON_HEADERS): MockReply {
  return { status, headers, delayMs, body: JSON.stringify(body) };
}

function failure(status: number, spec: HttpRequestSpec, delayMs: number): MockReply {
  const [type, code] = ERROR_TYPES[status] ?? (status >= 500 ? ['server_error', null] : ['invalid_request_error', null]);
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (status === 429) headers['retry-after'] = headerValue(spec.headers, 'x-mock-retry-after') ?? '1';
  return json(status, { error: { message: `mock: injected HTTP ${status}`, type, param: null, code } }, delayMs, headers);
}

function textOfContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const p of content) if (isRecord(p) && typeof p.text === 'string') out += p.text;
  return out;
}

interface Prompt { lastUser: string; lastRole: unknown; chars: number }

function readPrompt(messages: unknown[]): Prompt {
  let lastUser = '';
  let chars = 0;
  for (const m of messages) {
    if (!isRecord(m)) continue;
    const text = textOfContent(m.content);
    chars += text.length;
    if (m.role === 'user') lastUser = text;
  }
  const last = messages[messages.length - 1];
  return { lastUser, lastRole: isRecord(last) ? last.role : undefined, chars };
}

/** The tool to call, if the request offers tools and asks for one (by tool_choice or by naming a tool). */
function chosenTool(body: Record<string, unknown>, prompt: Prompt): string | undefined {
  if (!Array.isArray(body.tools) || body.tools.length === 0 || prompt.lastRole === 'tool') return undefined;
  const choice = body.tool_choice;
  if (choice === 'none') return undefined;
  if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') return choice.function.name;
  const names: string[] = [];
  for (const t of body.tools) if (isRecord(t) && isRecord(t.function) && typeof t.function.name === 'string') names.push(t.function.name);
  const mentioned = names.find((n) => prompt.lastUser.includes(n));
  if (mentioned) return mentioned;
  return choice === 'required' ? names[0] : undefined;
}

/**
 * A call's arguments: an object fitting the tool's parameter schema, its strings the
 * prompt (as a model filling the schema might), or `{"input": …}` for a tool that
 * declares no object schema.
 */
function toolArguments(body: Record<string, unknown>, name: string, text: string): string {
  const tool = (body.tools as unknown[]).find((t) => isRecord(t) && isRecord(t.function) && t.function.name === name);
  const params = isRecord(tool) && isRecord(tool.function) ? tool.function.parameters : undefined;
  const args = isRecord(params) && params.type === 'object' ? schemaExample(params, text) : undefined;
  return JSON.stringify(isRecord(args) && Object.keys(args).length > 0 ? args : { input: text });
}

function replyText(prompt: Prompt, b: MockBehaviour): string {
  const base = `Mock reply to: ${prompt.lastRole === 'tool' ? 'tool result' : prompt.lastUser.slice(0, SNIPPET)}`;
  if (b.outputTokens === undefined) return base;
  const want = b.outputTokens * 4;
  let text = base;
  while (text.length < want) text += FILLER;
  return text.length > want && want > base.length ? text.slice(0, want) : text;
}

/** Strings that fit the formats schemas name (zod's `.uuid()`, `.email()`, `.datetime()`, pydantic's types). */
const FORMAT_EXAMPLES: Readonly<Record<string, string>> = {
  'date-time': '2025-01-01T00:00:00Z', date: '2025-01-01', time: '00:00:00Z', duration: 'P1D',
  email: 'mock@example.com', uuid: '00000000-0000-4000-8000-000000000000', uri: 'https://example.com/', hostname: 'example.com',
  ipv4: '192.0.2.1', ipv6: '2001:db8::1',
};

/** Past this depth, arrays are empty and objects hold only what they require: a recursive schema ends. */
const EXAMPLE_DEPTH = 8;
/**
 * Most values one example holds; past them, what is left is the text. A schema of a few
 * hundred bytes asked for gigabytes: six required properties each `{"$ref": "#"}` (every
 * level six times the last), or `minItems` of a hundred million.
 */
const MAX_EXAMPLE_VALUES = 10_000;

/** The node a local reference (`#/$defs/Address`, `#`) names in `root`. */
function referenced(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let node = root;
  for (const key of ref.slice(2).split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))) node = isRecord(node) ? node[key] : undefined;
  return node;
}

/**
 * A value that fits a JSON schema, its strings `text`: what a model constrained to the
 * schema might answer (a `const` or an enum's first value, a union's first branch that is
 * not null, numbers 42 within any bounds, arrays one item or as many as required, strings
 * in the format named). References are followed, as pydantic and zod write them.
 */
export function schemaExample(schema: unknown, text: string, root: unknown = schema, depth = 0, budget = { left: MAX_EXAMPLE_VALUES }): unknown {
  if (!isRecord(schema) || depth > 2 * EXAMPLE_DEPTH || --budget.left < 0) return text;
  const next = (s: unknown): unknown => schemaExample(s, text, root, depth + 1, budget);
  if (typeof schema.$ref === 'string') {
    const target = referenced(root, schema.$ref);
    if (target !== undefined) return next(target);
  }
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  const union = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (Array.isArray(union) && union.length) return next(union.find((s) => !(isRecord(s) && s.type === 'null')) ?? union[0]);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') ?? 'null' : schema.type;
  switch (type ?? (isRecord(schema.properties) ? 'object' : undefined)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const required = Array.isArray(schema.required) ? schema.required : [];
      if (isRecord(schema.properties)) {
        for (const [k, v] of Object.entries(schema.properties)) if (depth < EXAMPLE_DEPTH || required.includes(k)) out[k] = next(v);
      }
      return out;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const n = Math.min(depth < EXAMPLE_DEPTH ? Math.max(1, min) : min, Math.max(0, budget.left));
      return Array.from({ length: n }, () => next(schema.items));
    }
    case 'integer': case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : undefined;
      const max = typeof schema.maximum === 'number' ? schema.maximum : typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - 1 : undefined;
      if (min !== undefined && min > 42) return type === 'integer' ? Math.ceil(min) : min;
      if (max !== undefined && max < 42) return type === 'integer' ? Math.floor(max) : max;
      return 42;
    }
    case 'boolean': return true;
    case 'null': return null;
    default: return typeof schema.format === 'string' && FORMAT_EXAMPLES[schema.format] !== undefined ? FORMAT_EXAMPLES[schema.format] : text;
  }
}

/** The reply as the request's `response_format` wants it: JSON fitting its schema, any JSON object, or the text. */
function formatted(body: Record<string, unknown>, text: string): string {
  const f = body.response_format;
  if (!isRecord(f)) return text;
  if (f.type === 'json_schema') return JSON.stringify(schemaExample(isRecord(f.json_schema) ? f.json_schema.schema : undefined, text));
  if (f.type === 'json_object') return JSON.stringify({ reply: text });
  return text;
}

function pieces(text: string, n: number): string[] {
  if (n <= 1 || text.length <= 1) return [text];
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

async function* paced(frames: string[], delayMs: number, sleep: (ms: number) => Promise<void>): AsyncGenerator<string> {
  for (let i = 0; i < frames.length; i++) {
    if (i > 0 && delayMs > 0) await sleep(delayMs);
    yield frames[i];
  }
}

function chat(spec: HttpRequestSpec, body: Record<string, unknown>, b: MockBehaviour, ctx: MockContext): MockReply {
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return json(400, { error: { message: 'mock: `messages` must be a non-empty array', type: 'invalid_request_error', param: 'messages', code: null } }, b.latencyMs);
  }
  const prompt = readPrompt(body.messages);
  const model = typeof body.model === 'string' ? body.model : 'mock-model';
  const id = `chatcmpl-mock-${fnv1a(prompt.lastUser).toString(16)}`;
  const tool = chosenTool(body, prompt);
  const toolCalls: ToolCall[] = tool ? [{ id: `call_mock_${fnv1a(tool + prompt.lastUser).toString(16)}`, name: tool, arguments: toolArguments(body, tool, prompt.lastUser.slice(0, SNIPPET)) }] : [];
  const text = tool ? '' : formatted(body, replyText(prompt, b));
  const inputTokens = Math.ceil(prompt.chars / 4);
  const outputTokens = b.outputTokens ?? Math.ceil((text.length + (toolCalls[0]?.arguments.length ?? 0)) / 4);
  const created = Math.floor((ctx.now ?? Date.now)() / 1000);

  if (body.stream !== true) {
    const res: ChatResponse = { id, model, text, toolCalls, finishReason: tool ? 'tool_calls' : 'stop', usage: { inputTokens, outputTokens, cachedInputTokens: 0 } };
    return json(200, renderOpenAIChatResponse(res, { created }), b.latencyMs);
  }

  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  const enc = createOpenAIStreamEncoder({ includeUsage, created });
  const cutAfter = Number(headerValue(spec.headers, 'x-mock-fail-after-chunks') ?? NaN);
  const events: StreamEvent[] = [{ type: 'start', id, model }];
  if (tool) {
    const args = toolCalls[0].arguments;
    const half = Math.ceil(args.length / 2);
    events.push({ type: 'tool_call_start', index: 0, id: toolCalls[0].id, name: tool });
    events.push({ type: 'tool_call_delta', index: 0, arguments: args.slice(0, half) }, { type: 'tool_call_delta', index: 0, arguments: args.slice(half) });
  } else {
    for (const t of pieces(text, b.chunks)) events.push({ type: 'text', text: t });
  }
  if (Number.isInteger(cutAfter) && cutAfter >= 0) {
    events.length = Math.min(events.length, cutAfter + 1);
  } else {
    events.push({ type: 'finish', finishReason: tool ? 'tool_calls' : 'stop' }, { type: 'usage', usage: { inputTokens, outputTokens, cachedInputTokens: 0 } }, { type: 'end' });
  }
  const frames: string[] = [];
  for (const ev of events) {
    const f = enc.push(ev);
    if (f) frames.push(f);
  }
  return { status: 200, headers: SSE_HEADERS, delayMs: b.latencyMs, stream: paced(frames, b.chunkDelayMs, ctx.sleep ?? sleepMs) };
}

/** The largest embedding a request may ask for (real models stop at 3072). */
const MAX_DIMENSIONS = 4096;

function embeddings(body: Record<string, unknown>, b: MockBehaviour): MockReply {
  const input = typeof body.input === 'string' ? [body.input] : body.input;
  if (!Array.isArray(input) || input.length === 0 || !input.every((x) => typeof x === 'string')) {
    return json(400, { error: { message: 'mock: `input` must be a string or an array of strings', type: 'invalid_request_error', param: 'input', code: null } }, b.latencyMs);
  }
  const asked = body.dimensions;
  if (asked !== undefined && !(typeof asked === 'number' && Number.isInteger(asked) && asked >= 1 && asked <= MAX_DIMENSIONS)) {
    // As providers do: a size the model cannot produce is the client's error.
    return json(400, { error: { message: `mock: \`dimensions\` must be an integer from 1 to ${MAX_DIMENSIONS}`, type: 'invalid_request_error', param: 'dimensions', code: null } }, b.latencyMs);
  }
  const dims = typeof asked === 'number' ? asked : b.dimensions;
  let tokens = 0;
  const data = (input as string[]).map((text, index) => {
    tokens += Math.ceil(text.length / 4);
    return { object: 'embedding', index, embedding: hashVector(text, dims) };
  });
  return json(200, { object: 'list', data, model: typeof body.model === 'string' ? body.model : 'mock-model', usage: { prompt_tokens: tokens, total_tokens: tokens } }, b.latencyMs);
}

/**
 * Answers one request as a fake OpenAI server would.
 * @example
 * const reply = handleMockRequest(adapter.buildChatRequest(req, target), { options: target.provider.options });
 * await sleep(reply.delayMs); // then read reply.body or iterate reply.stream
 */
export function handleMockRequest(spec: HttpRequestSpec, ctx: MockContext = {}): MockReply {
  const b = mockBehaviour(ctx.options);
  const q = spec.path.indexOf('?');
  const path = q < 0 ? spec.path : spec.path.slice(0, q);
  if (spec.method === 'GET' && path.endsWith('/models')) {
    return json(200, { object: 'list', data: b.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'switchyard-mock' })) }, b.latencyMs);
  }
  const forced = headerValue(spec.headers, 'x-mock-fail');
  if (forced !== undefined) {
    const status = Number(forced);
    if (Number.isInteger(status) && status >= 400 && status <= 599) return failure(status, spec, b.latencyMs);
  }
  if (b.failRate > 0 && (ctx.rng ?? Math.random)() < b.failRate) return failure(b.failStatus, spec, b.latencyMs);

  let body: unknown;
  try {
    body = JSON.parse(spec.body ?? '');
  } catch {
    return json(400, { error: { message: 'mock: body is not JSON', type: 'invalid_request_error', param: null, code: null } }, b.latencyMs);
  }
  if (!isRecord(body)) return json(400, { error: { message: 'mock: body must be an object', type: 'invalid_request_error', param: null, code: null } }, b.latencyMs);
  if (spec.method === 'POST' && path.endsWith('/chat/completions')) return chat(spec, body, b, ctx);
  if (spec.method === 'POST' && path.endsWith('/embeddings')) return embeddings(body, b);
  return json(404, { error: { message: `mock: no route for ${spec.method} ${path}`, type: 'invalid_request_error', param: null, code: 'not_found' } }, b.latencyMs);
}
