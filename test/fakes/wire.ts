/**
 * Fake provider upstreams for end-to-end tests: node:http servers on 127.0.0.1 (ephemeral
 * port) that speak the OpenAI chat/embeddings, Anthropic Messages (and count_tokens) or Gemini
 * generateContent wire format the way the real services do — JSON and SSE streams,
 * text and tool calls, usage, error bodies — and record everything they receive
 * (method, path, headers, raw and parsed body) plus whether the client hung up early.
 *
 * What a request gets: the next queued scenario (`enqueue`), else the default scenario
 * (`setDefault`), else automatic behaviour: a request carrying a tool result gets a text
 * answer quoting it; a request offering tools gets a call to the first tool with
 * `{"city":"Paris"}`; a request for structured output gets JSON that fits its schema;
 * anything else gets `hello from <name>`. An Anthropic request with a field the Messages
 * API does not take is refused, as Anthropic does. An Anthropic request with
 * extended thinking on gets a signed thinking block first, and one whose last tool-using
 * assistant turn does not start with its thinking block is refused, as Anthropic does. A
 * `deepseek-*` model on an OpenAI fake reasons first (`reasoning_content`) and refuses a tool
 * call sent back without it, as DeepSeek does in thinking mode. A `google/gemini-3*` model on
 * an OpenAI fake answers as Gemini 3 does behind OpenRouter: each call's thought signature in
 * `reasoning_details`, and a tool loop refused unless they come back. A Gemini 3 model signs the first function call of a turn and refuses a replay without it.
 * An Anthropic fake refuses a request without messages and a Gemini fake one without
 * contents, as both do.
 * A Gemini fake refuses a schema with a `$ref` Gemini cannot read, as Gemini does; an OpenAI
 * fake, a strict function whose schema OpenAI's strict mode cannot hold, either API.
 * An OpenAI fake also serves the Responses API (`POST /v1/responses`): it refuses chat-shaped
 * fields, items and tools as OpenAI does and answers with output items (a reasoning item first
 * for a reasoning model), whole or as typed SSE events; a `*codex*` model, served only there,
 * gets OpenAI's 404 on chat completions. A `gpt-4*` model, which does not reason, refuses a
 * reasoning effort (either API), the ask for encrypted reasoning and replayed reasoning items.
 * Each fake refuses a function name its provider does not take (toolNameRefusal).
 * An OpenAI chat request asking for `logprobs` gets them (with `top_logprobs` alternatives),
 * whole or streamed, one token a text chunk, as OpenAI sends them.
 * A Mistral model on an OpenAI fake (`mistral-*`, `devstral-*`, ..., or `mistralai/…` as
 * OpenRouter names them) holds a chat request to Mistral's rules, refusing it with a 400 in
 * Mistral's error shape as api.mistral.ai does: every tool call id nine letters and digits
 * (its own calls get such ids), nothing but a tool or assistant message right after a tool
 * message, and no assistant message without content or tool calls.
 *
 * @example
 * const fake = await startWireFake({ format: 'gemini' });
 * fake.enqueue({ error: { status: 429 } });
 * // providers: { gm: { type: 'gemini', base_url: fake.url, keys: [{ name: 'k', value: 'sk-up' }] } }
 * await fake.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { schemaExample } from '../../src/providers/mock/responder.js';

export type WireFormat = 'openai' | 'anthropic' | 'gemini';

export interface Scenario {
  /** Answer text (split into `chunks` pieces when streamed). */
  text?: string;
  /** Answer with a call to this tool instead of text. */
  toolCall?: { name: string; args: Record<string, unknown> };
  /** Answer with several parallel tool calls (wins over `toolCall`). */
  toolCalls?: { name: string; args: Record<string, unknown> }[];
  /**
   * OpenAI stream of `toolCalls`: every call announced in one chunk, then their arguments'
   * pieces in turn (call 0, call 1, call 0, ...), as some OpenAI-compatible servers stream
   * parallel calls.
   */
  interleave?: boolean;
  /**
   * OpenAI chat completions: the model refuses with this instead of answering, as a
   * structured output refuses (`message.refusal`; streamed as `delta.refusal` chunks).
   */
  refusal?: string;
  /**
   * Anthropic: this stop reason (and matched stop sequence) instead of end_turn / tool_use.
   * OpenAI chat completions: this finish_reason instead of stop / tool_calls (some
   * OpenAI-compatible servers say `stop` after tool calls).
   * OpenAI Responses: `max_output_tokens` or `content_filter` leaves the answer incomplete.
   * Gemini: this finishReason instead of STOP.
   */
  stop?: { reason: string; sequence?: string };
  /** Wait this long before sending anything (headers included). */
  delayMs?: number;
  /** Answer with this HTTP error in the provider's error format. */
  error?: { status: number; message?: string; retryAfter?: string };
  /** Content chunks in a stream. Default 3. */
  chunks?: number;
  /** Stream: the answer text in exactly these content chunks (instead of `text` in `chunks`), one SSE line each however long. */
  pieces?: string[];
  /** Pause before each content chunk (a `deepseek-*` model's reasoning chunks too). Default 0. */
  chunkDelayMs?: number;
  /** Stream: after this many content chunks, destroy the socket (no terminator). */
  cutAfter?: number;
  /** Stream: after all content chunks, keep the connection open and send nothing more. */
  hold?: boolean;
  /**
   * Usage reported. Default input 11, output 7. Anthropic also reports prompt-cache reads
   * and writes (outside `input`, as Anthropic counts), the writes split by lifetime.
   */
  usage?: { input: number; output: number; cacheRead?: number; cacheWrite5m?: number; cacheWrite1h?: number };
  /**
   * Embeddings: the vector for each input text (default `[0.5, -0.25, i + 0.125]` for the
   * call's i-th input). Gemini then also reports usage: one token per input.
   */
  embedding?: (text: string) => number[];
  /** Embeddings (Gemini): answer for every input but the last, as a misbehaving server might. */
  embeddingDropsOne?: boolean;
  /**
   * Web searches the model ran, by query: an OpenAI chat completions search
   * model cites what it found (`url_citation` annotations on the message, or on a delta).
   */
  searches?: string[];
}

export interface Received {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  /** Parsed JSON body, or undefined when it was not JSON. */
  body: any;
  /** performance.now() when the request had been read. */
  at: number;
  /** performance.now() of each content chunk written (streams). */
  chunkTimes: number[];
  /** performance.now() when the response was complete (null while running or if cut). */
  finishedAt: number | null;
  /** performance.now() when the connection closed before the response was complete. */
  closedEarlyAt: number | null;
  /** The whole (non-streamed) chat or Responses answer's body, as written. */
  sent?: string;
  /** The id the fake gave the request in a response header, as its provider does (Anthropic `request-id`, OpenAI `x-request-id`; Gemini sends none). */
  requestId?: string;
}

export interface WireFake {
  /** `http://127.0.0.1:<port>`: the provider's base_url (paths below are the official ones). */
  url: string;
  name: string;
  format: WireFormat;
  /** Requests since the last reset(). */
  received: Received[];
  /** Every request since start (reset() keeps it): for "never sent upstream" checks. */
  history: Received[];
  /** Most recent request. */
  last(): Received;
  enqueue(...s: Scenario[]): void;
  setDefault(s: Scenario | null): void;
  /** Resolves with the request once its connection closes before the response completed. */
  closedEarly(r: Received): Promise<number>;
  reset(): void;
  close(): Promise<void>;
}

export interface WireFakeOptions {
  format: WireFormat;
  name?: string;
  /** Model name reported when the request names none (Gemini puts it in the path). */
  model?: string;
  /** Serve https with this key and certificate (test/fixtures/tls); `url` is then https. */
  tls?: { key: string; cert: string };
}

const DEFAULT_USAGE = { input: 11, output: 7 };
/** The models each fake lists (`GET …/models`); Gemini's with the methods they serve. */
export const LISTED_MODELS = {
  openai: ['gpt-4o', 'gpt-4o-mini', 'gpt-5', 'o3', 'text-embedding-3-small', 'dall-e-3'],
  anthropic: ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5'],
  gemini: [['gemini-2.5-pro', ['generateContent', 'countTokens']], ['gemini-2.5-flash', ['generateContent']], ['text-embedding-004', ['embedContent']], ['imagen-4', ['predict']]] as [string, string[]][],
};
/** The page a fake OpenAI model cites after a web search (Responses API). */
export const SEARCH_CITATION = { url: 'https://weather.example/paris', title: 'Paris weather' };
/** What a fake Anthropic thinks when extended thinking is on, and a fake Gemini's thought summary (streamed in two pieces). */
export const THINKING = 'The user wants the weather; I should call the tool.';
/** How a fake OpenAI reasoning model on the Responses API sums up its reasoning, when asked (`reasoning.summary`). */
export const REASONING_SUMMARY = '**Checking the weather** I will look it up, then answer.';
/** What a fake DeepSeek model (`deepseek-*` on an OpenAI fake) reasons, as `reasoning_content` (streamed in two pieces). */
export const REASONING = 'Weather needs a tool; call it, then answer.';
/** Gemini 3 behind OpenRouter (`google/gemini-3*` on an OpenAI fake): it signs its calls in `reasoning_details` and wants the signatures back. */
const openRouterGemini = (model: unknown): boolean => /^google\/gemini-3/.test(String(model));
/** OpenRouter's detail carrying the thought signature of call `id`. */
const geminiDetail = (id: string, index: number): Record<string, unknown> => ({ type: 'reasoning.encrypted', data: Buffer.from(`fake signature of ${id}`).toString('base64'), id, format: 'google-gemini-v1', index });
/** A model that reasons in `reasoning_content` and, like DeepSeek in thinking mode, wants it back in a tool loop. */
const reasons = (model: unknown): boolean => typeof model === 'string' && model.startsWith('deepseek-');
/** OpenAI's reasoning models: they take only the default temperature, and on the Responses API show a reasoning item. */
const reasoningModel = (model: unknown): boolean => /^(o\d|gpt-5)/.test(String(model)) || String(model).includes('codex');
/** OpenAI's models that do not reason (gpt-4o, gpt-4.1, ...): they refuse every reasoning setting and replayed reasoning. */
const plainOpenAIModel = (model: unknown): boolean => /^gpt-(4|3\.5)/.test(String(model));
/** Mistral's models, as Mistral names them (or OpenRouter, `mistralai/…`). */
const mistralModel = (model: unknown): boolean => /^(mistralai\/)?(mistral|devstral|codestral|magistral|ministral|pixtral|open-mistral)/.test(String(model));
/** A tool call's id from the OpenAI fake: Mistral's are nine letters and digits. */
const chatCallId = (model: string, id: string, i: number): string => (mistralModel(model) ? `Mf${id.padStart(6, '0')}${i}` : `call_fake_${id}_${i}`);

/** Why Mistral refuses these chat messages (message, type, code), as api.mistral.ai words it; null when it takes them. */
function mistralRefusal(messages: any[]): { message: string; type: string; code: string } | null {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const ids = [...(Array.isArray(m?.tool_calls) ? m.tool_calls.map((c: any) => c?.id) : []), ...(m?.role === 'tool' ? [m.tool_call_id] : [])];
    const bad = ids.find((id) => typeof id !== 'string' || !/^[A-Za-z0-9]{9}$/.test(id));
    if (bad !== undefined) return { message: `Tool call id was ${bad} but must be a-z, A-Z, 0-9, with a length of 9.`, type: 'invalid_function_call', code: '3280' };
    const next = messages[i + 1]?.role;
    if (m?.role === 'tool' && next !== undefined && next !== 'tool' && next !== 'assistant') {
      return { message: `Unexpected role '${next}' after role 'tool'`, type: 'invalid_request_message_order', code: '3230' };
    }
    const empty = m?.content === null || m?.content === undefined || m?.content === '' || (Array.isArray(m?.content) && m.content.length === 0);
    if (m?.role === 'assistant' && empty && !(Array.isArray(m.tool_calls) && m.tool_calls.length)) {
      return { message: 'Assistant message must have either content or tool_calls, but not none.', type: 'invalid_request_error', code: '3230' };
    }
  }
  return null;
}

/** An OpenAI object id: `prefix_` and random hex (call ids are short, as OpenAI's are). */
const oid = (prefix: string, bytes = 24): string => `${prefix}_${randomBytes(bytes).toString('hex')}`;

/** The arguments as the fake sends them, so tests can compare. */
export const TOOL_ARGS = { city: 'Paris' };

/** `responses`: an OpenAI fake's Responses API request (`POST /v1/responses`). */
function lastToolResult(format: WireFormat | 'responses', body: any): string | null {
  if (!body || typeof body !== 'object') return null;
  if (format === 'responses') {
    const items: any[] = Array.isArray(body.input) ? body.input : [];
    const last = items[items.length - 1];
    if (last?.type === 'apply_patch_call_output') return `${last.status}${typeof last.output === 'string' ? `: ${last.output}` : ''}`;
    if (last?.type === 'shell_call_output') return last.output.map((o: any) => o.stdout).join('');
    if (last?.type !== 'function_call_output' && last?.type !== 'custom_tool_call_output') return null;
    const out = last.output;
    return typeof out === 'string' ? out : Array.isArray(out) ? out.map((p: any) => p?.text ?? '').join('') : JSON.stringify(out);
  }
  if (format === 'openai') {
    const msgs: any[] = Array.isArray(body.messages) ? body.messages : [];
    const last = msgs[msgs.length - 1];
    return last?.role === 'tool' ? String(typeof last.content === 'string' ? last.content : JSON.stringify(last.content)) : null;
  }
  if (format === 'anthropic') {
    const msgs: any[] = Array.isArray(body.messages) ? body.messages : [];
    const last = msgs[msgs.length - 1];
    const block = Array.isArray(last?.content) ? last.content.find((b: any) => b?.type === 'tool_result') : undefined;
    if (!block) return null;
    return typeof block.content === 'string' ? block.content : (block.content ?? []).map((b: any) => b.text ?? '').join('');
  }
  const contents: any[] = Array.isArray(body.contents) ? body.contents : [];
  const last = contents[contents.length - 1];
  const part = Array.isArray(last?.parts) ? last.parts.find((p: any) => p?.functionResponse) : undefined;
  if (!part) return null;
  const r = part.functionResponse.response ?? {};
  return String(r.output ?? r.error ?? JSON.stringify(r));
}

function firstToolName(format: WireFormat | 'responses', body: any): string | null {
  if (!body || !Array.isArray(body.tools) || body.tools.length === 0) return null;
  if (format === 'responses') return body.tools.find((t: any) => typeof t?.name === 'string')?.name ?? null;
  if (format === 'openai') return body.tools[0]?.function?.name ?? null;
  if (format === 'anthropic') return body.tools[0]?.name ?? null;
  return body.tools[0]?.functionDeclarations?.[0]?.name ?? null;
}

/** The JSON schema a request constrains its answer to (structured output), or null. */
function answerSchema(format: WireFormat | 'responses', body: any): Record<string, unknown> | null {
  if (format === 'responses') return body?.text?.format?.type === 'json_schema' ? body.text.format.schema ?? {} : null;
  if (format === 'openai') return body?.response_format?.type === 'json_schema' ? body.response_format.json_schema?.schema ?? {} : null;
  if (format === 'anthropic') return body?.output_config?.format?.type === 'json_schema' ? body.output_config.format.schema : null;
  return body?.generationConfig?.responseJsonSchema ?? null;
}


/** The top-level fields Anthropic's Messages API takes; it refuses any other. */
const ANTHROPIC_FIELDS = new Set([
  'model', 'messages', 'max_tokens', 'system', 'metadata', 'stop_sequences', 'stream', 'temperature', 'top_p', 'top_k',
  'tools', 'tool_choice', 'thinking', 'service_tier', 'output_config', 'output_format', 'container', 'mcp_servers', 'context_management',
]);

/** Anthropic's usage object for a scenario's usage; `output` overrides the output count (message_start says 1). */
function anthropicUsage(u: NonNullable<Scenario['usage']>, output = u.output): Record<string, unknown> {
  const [m5, h1] = [u.cacheWrite5m ?? 0, u.cacheWrite1h ?? 0];
  return {
    input_tokens: u.input, cache_creation_input_tokens: m5 + h1, cache_read_input_tokens: u.cacheRead ?? 0,
    cache_creation: { ephemeral_5m_input_tokens: m5, ephemeral_1h_input_tokens: h1 }, output_tokens: output,
  };
}

/**
 * Anthropic's refusal of a schema its structured outputs (strict tools, JSON outputs)
 * cannot hold: numeric bounds, string lengths, array bounds past minItems 1.
 */
function structuredOutputRefusal(body: any): string | null {
  const find = (schema: any, at: string): string | null => {
    if (typeof schema !== 'object' || schema === null) return null;
    if (Array.isArray(schema)) {
      for (const s of schema) { const hit = find(s, at); if (hit) return hit; }
      return null;
    }
    for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'maxItems']) {
      if (schema[k] !== undefined) return `${at}: For '${schema.type}' type, property '${k}' is not supported`;
    }
    if (typeof schema.minItems === 'number' && schema.minItems > 1) return `${at}: For 'array' type, 'minItems' values other than 0 or 1 are not supported`;
    for (const k of ['properties', '$defs', 'definitions']) {
      for (const v of Object.values(schema[k] ?? {})) { const hit = find(v, at); if (hit) return hit; }
    }
    for (const k of ['items', 'anyOf', 'allOf', 'oneOf']) { const hit = find(schema[k], at); if (hit) return hit; }
    return null;
  };
  const tools = Array.isArray(body?.tools) ? body.tools : [];
  for (let i = 0; i < tools.length; i++) {
    const hit = tools[i]?.strict === true ? find(tools[i].input_schema, `tools.${i}.custom.input_schema`) : null;
    if (hit) return hit;
  }
  return find(body?.output_config?.format?.schema, 'output_config.format.schema');
}

/**
 * Gemini's refusal of a schema it cannot read (`responseJsonSchema`, a function's
 * `parametersJsonSchema`): a `$ref` beside fields other than its description and default,
 * or naming anything but an entry of the root's `$defs`.
 */
function geminiSchemaRefusal(body: any): string | null {
  const check = (root: any, node: any, at: string): string | null => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) { const hit = check(root, node[i], `${at}.${i}`); if (hit) return hit; }
      return null;
    }
    if (typeof node !== 'object' || node === null) return null;
    if (typeof node.$ref === 'string') {
      const name = /^#\/\$defs\/([^/]+)$/.exec(node.$ref)?.[1];
      if (name === undefined || root.$defs?.[name] === undefined) return `reference to undefined schema at ${at}`;
      if (Object.keys(node).some((k) => !k.startsWith('$') && k !== 'description' && k !== 'default')) {
        return `Schema.ref '${name}' was set alongside unsupported fields.  If a schema node has Schema.ref set, then only description and default can be set alongside it; other fields they would be replaced by the expanded reference.`;
      }
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === 'enum' || k === 'const' || k === 'default' || k === 'required') continue;
      const hit = check(root, v, at === '' ? k : `${at}.${k}`);
      if (hit) return hit;
    }
    return null;
  };
  const schemas: unknown[] = [body?.generationConfig?.responseJsonSchema];
  for (const t of Array.isArray(body?.tools) ? body.tools : []) for (const f of Array.isArray(t?.functionDeclarations) ? t.functionDeclarations : []) schemas.push(f?.parametersJsonSchema);
  for (const s of schemas) { const hit = check(s, s, ''); if (hit) return hit; }
  return null;
}

/**
 * OpenAI's refusal of a strict function's schema (`strict: true`) its strict mode cannot
 * hold: an object with a property left out of `required`, or without
 * `additionalProperties: false`. `tools`: chat completions' (`function` inside) or the
 * Responses API's.
 */
function strictSchemaRefusal(tools: unknown): string | null {
  const find = (schema: any, context: string[]): string | null => {
    if (typeof schema !== 'object' || schema === null) return null;
    const at = `In context=(${context.map((c) => `'${c}'`).join(', ')}${context.length === 1 ? ',' : ''})`;
    if (schema.type === 'object' || schema.properties !== undefined) {
      if (schema.additionalProperties !== false) return `${at}, 'additionalProperties' is required to be supplied and to be false.`;
      const required: unknown[] = Array.isArray(schema.required) ? schema.required : [];
      const missing = Object.keys(schema.properties ?? {}).find((k) => !required.includes(k));
      if (missing !== undefined) return `${at}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`;
      for (const [k, v] of Object.entries(schema.properties ?? {})) { const hit = find(v, [...context, 'properties', k]); if (hit) return hit; }
    }
    if (schema.items !== undefined) { const hit = find(schema.items, [...context, 'items']); if (hit) return hit; }
    for (const [i, v] of (Array.isArray(schema.anyOf) ? schema.anyOf : []).entries()) { const hit = find(v, [...context, 'anyOf', String(i)]); if (hit) return hit; }
    return null;
  };
  for (const t of Array.isArray(tools) ? tools : []) {
    const fn = t?.type === 'function' && t.function !== undefined ? t.function : t;
    if (fn?.strict !== true) continue;
    const hit = find(fn.parameters, []);
    if (hit) return `Invalid schema for function '${fn.name}': ${hit}`;
  }
  return null;
}

/**
 * A provider's refusal of a function name it does not take, in its words: OpenAI's
 * (chat completions and the Responses API) letters, digits, `_` and `-`, at most 64;
 * Anthropic's the same, at most 128; Gemini's starting with a letter or `_`, then
 * letters, digits, `_ . : -`, at most 64. The names a request declares, calls in its
 * history and forces with `tool_choice` are held to it.
 */
function toolNameRefusal(format: WireFormat | 'responses', body: any): string | null {
  const tools: any[] = Array.isArray(body?.tools) ? body.tools : [];
  if (format === 'gemini') {
    const decls: any[] = tools.flatMap((t: any) => (Array.isArray(t?.functionDeclarations) ? t.functionDeclarations : []));
    const calls = (Array.isArray(body?.contents) ? body.contents : []).flatMap((c: any) => (Array.isArray(c?.parts) ? c.parts : []))
      .flatMap((p: any) => [p?.functionCall?.name, p?.functionResponse?.name]).filter((n: unknown) => n !== undefined);
    const forced: unknown[] = body?.toolConfig?.functionCallingConfig?.allowedFunctionNames ?? [];
    const i = decls.findIndex((d) => !/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(String(d?.name)));
    const bad = i >= 0 ? `tools[0].function_declarations[${i}].name` : [...calls, ...forced].some((n) => !/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(String(n))) ? 'contents[].parts[].function_call.name' : null;
    return bad === null ? null : `* GenerateContentRequest.${bad}: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes (-), with a maximum length of 64.\n`;
  }
  const max = format === 'anthropic' ? 128 : 64;
  const check = (name: unknown, param: string): string | null => {
    const n = String(name);
    if (format === 'anthropic') return /^[a-zA-Z0-9_-]{1,128}$/.test(n) ? null : `${param}: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`;
    if (n.length > max) return `Invalid '${param}': string too long. Expected a string with maximum length ${max}, but got a string with length ${n.length} instead.`;
    return /^[a-zA-Z0-9_-]+$/.test(n) ? null : `Invalid '${param}': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`;
  };
  for (const [i, t] of tools.entries()) {
    if (format === 'anthropic' && t?.type !== undefined && t.type !== 'custom') continue;
    if (format === 'responses' && t?.type !== 'function' && t?.type !== 'custom') continue;
    const hit = check(format === 'openai' ? (t?.function ?? t?.custom)?.name : t?.name, format === 'anthropic' ? `tools.${i}.custom.name` : format === 'openai' ? `tools[${i}].function.name` : `tools[${i}].name`);
    if (hit) return hit;
  }
  const choice = body?.tool_choice;
  const forced = format === 'openai' ? (choice?.function ?? choice?.custom)?.name : choice?.name;
  if (typeof forced === 'string') { const hit = check(forced, 'tool_choice.name'); if (hit) return hit; }
  if (format === 'responses') {
    for (const [i, item] of (Array.isArray(body?.input) ? body.input : []).entries()) {
      if (item?.type !== 'function_call' && item?.type !== 'custom_tool_call') continue;
      const hit = check(item.name, `input[${i}].name`);
      if (hit) return hit;
    }
    return null;
  }
  for (const [i, m] of (Array.isArray(body?.messages) ? body.messages : []).entries()) {
    const names = format === 'openai'
      ? (Array.isArray(m?.tool_calls) ? m.tool_calls : []).map((c: any) => (c?.function ?? c?.custom)?.name)
      : (Array.isArray(m?.content) ? m.content : []).filter((b: any) => b?.type === 'tool_use').map((b: any) => b.name);
    for (const n of names) { const hit = check(n, `messages[${i}].tool_calls[].function.name`); if (hit) return hit; }
  }
  return null;
}

/**
 * OpenAI's refusals of a tool turn: an assistant's calls must be followed at once by a
 * tool message for each, and a tool message holds no image.
 */
function toolTurnRefusal(messages: any[]): string | null {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (m?.role === 'tool' && Array.isArray(m.content) && m.content.some((p: any) => p?.type === 'image_url')) {
      return `Invalid 'messages[${i}]'. Image URLs are only allowed for messages with role 'user', but this message with role 'tool' contains an image URL.`;
    }
    if (m?.role !== 'assistant' || !Array.isArray(m.tool_calls) || m.tool_calls.length === 0) continue;
    const answered = new Set<string>();
    for (let j = i + 1; j < messages.length && messages[j]?.role === 'tool'; j++) answered.add(messages[j].tool_call_id);
    const missing = m.tool_calls.find((c: any) => !answered.has(c?.id));
    if (missing && i + 1 < messages.length) {
      return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${missing.id}`;
    }
  }
  return null;
}

/** The top-level fields OpenAI's Responses API takes; it refuses any other. */
const RESPONSES_FIELDS = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens', 'temperature', 'top_p',
  'stream', 'stream_options', 'text', 'reasoning', 'user', 'store', 'include', 'metadata', 'service_tier', 'prompt_cache_key',
  'prompt_cache_retention', 'safety_identifier', 'truncation', 'top_logprobs', 'max_tool_calls', 'previous_response_id', 'conversation', 'background',
]);
/** What OpenAI's input token counting (`POST /v1/responses/input_tokens`) takes. */
const COUNT_FIELDS = new Set(['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'text', 'truncation', 'conversation', 'previous_response_id']);
/** The Responses API's input item types (those the fake knows). */
const ITEM_TYPES = ['message', 'reasoning', 'function_call', 'function_call_output', 'custom_tool_call', 'custom_tool_call_output', 'apply_patch_call', 'apply_patch_call_output', 'shell_call', 'shell_call_output', 'tool_search_call', 'tool_search_output'];
/** The built-in tools' call items, with the field holding what a call asks for. */
const BUILTIN_CALL: Readonly<Record<string, string>> = { apply_patch_call: 'operation', shell_call: 'action' };
/** Every content part type a Responses message may hold (which ones depends on its role). */
const PART_TYPES = ['input_text', 'input_image', 'output_text', 'refusal', 'input_file', 'computer_screenshot', 'summary_text'];
/** The parts a user, system or developer message, and a tool call's output, may hold. */
const INPUT_PARTS = ['input_text', 'input_image', 'input_file'];

/** How OpenAI names a JSON value's type in its errors. */
const kind = (v: unknown): string => (Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object'
  : typeof v === 'string' ? 'a string' : typeof v === 'boolean' ? 'a boolean' : Number.isInteger(v) ? 'an integer' : 'a decimal');
/** OpenAI's list of allowed values: 'a', 'b', and 'c'. */
const oneOf = (vs: string[]): string => {
  const q = vs.map((v) => `'${v}'`);
  return q.length < 3 ? q.join(' and ') : `${q.slice(0, -1).join(', ')}, and ${q[q.length - 1]}`;
};

/**
 * Why OpenAI's Responses API refuses this body (a 400, naming the param), as api.openai.com
 * words it; null when it takes it. Shape first, then the model's limits, then tool outputs
 * answering no earlier call (unless the history lives upstream: previous_response_id, conversation).
 */
function responsesRefusal(body: any): { message: string; param: string } | null {
  const no = (message: string, param: string): { message: string; param: string } => ({ message, param });
  const missing = (param: string): { message: string; param: string } => no(`Missing required parameter: '${param}'.`, param);
  const extra = Object.keys(body).find((k) => !RESPONSES_FIELDS.has(k));
  if (extra === 'messages') return no("Unsupported parameter: 'messages'. In the Responses API, this parameter has moved to 'input'. Try again with the new parameter.", extra);
  if (extra !== undefined) return no(`Unsupported parameter: '${extra}'.`, extra);
  if (typeof body.model !== 'string') return missing('model');
  const input = body.input;
  if (input === undefined) return missing('input');
  if (typeof input !== 'string' && !Array.isArray(input)) return no(`Invalid type for 'input': expected one of a string or array of input items, but got ${kind(input)} instead.`, 'input');
  const unheld = strictSchemaRefusal(body.tools);
  if (unheld) return no(unheld, 'tools');
  const badName = toolNameRefusal('responses', body);
  if (badName) return no(badName, 'tools');
  const calls = new Set<string>();
  let orphan: string | null = null;
  for (const [i, it] of (Array.isArray(input) ? input : []).entries()) {
    const at = `input[${i}]`;
    if (!it || typeof it !== 'object' || Array.isArray(it)) return no(`Invalid type for '${at}': expected an input item, but got ${kind(it)} instead.`, at);
    const type = it.type ?? (it.role !== undefined ? 'message' : undefined);
    if (type === undefined) return missing(`${at}.type`);
    if (!ITEM_TYPES.includes(type)) return no(`Invalid value: '${type}'. Supported values are: ${oneOf(ITEM_TYPES)}.`, `${at}.type`);
    if (type === 'message') {
      if (it.role === undefined) return missing(`${at}.role`);
      const parts = it.role === 'assistant' ? ['output_text', 'refusal'] : ['user', 'system', 'developer'].includes(it.role) ? INPUT_PARTS : null;
      if (!parts) return no(`Invalid value: '${it.role}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`, `${at}.role`);
      if (typeof it.content === 'string') continue;
      if (!Array.isArray(it.content)) return no(`Invalid type for '${at}.content': expected one of a string or array of input items, but got ${kind(it.content)} instead.`, `${at}.content`);
      for (const [j, p] of it.content.entries()) {
        // A type no message takes (chat's `text`, `image_url`) is named against them all.
        if (!parts.includes(p?.type)) return no(`Invalid value: '${p?.type}'. Supported values are: ${oneOf(PART_TYPES.includes(p?.type) ? parts : PART_TYPES)}.`, `${at}.content[${j}].type`);
        if ((p.type === 'input_text' || p.type === 'output_text') && typeof p.text !== 'string') return missing(`${at}.content[${j}].text`);
      }
    } else if (type === 'function_call' || type === 'custom_tool_call') {
      const fields = ['call_id', 'name', type === 'function_call' ? 'arguments' : 'input'];
      const gone = fields.find((k) => it[k] === undefined);
      if (gone) return missing(`${at}.${gone}`);
      const bad = fields.find((k) => typeof it[k] !== 'string');
      if (bad) return no(`Invalid type for '${at}.${bad}': expected a string, but got ${kind(it[bad])} instead.`, `${at}.${bad}`);
      calls.add(it.call_id);
    } else if (BUILTIN_CALL[type] !== undefined) {
      const field = BUILTIN_CALL[type];
      if (typeof it.call_id !== 'string') return missing(`${at}.call_id`);
      if (!it[field] || typeof it[field] !== 'object') return missing(`${at}.${field}`);
      if (type === 'shell_call' && !Array.isArray(it.action.commands)) return missing(`${at}.action.commands`);
      if (type === 'apply_patch_call' && !['create_file', 'update_file', 'delete_file'].includes(it.operation.type)) return no(`Invalid value: '${it.operation.type}'. Supported values are: 'create_file', 'delete_file', and 'update_file'.`, `${at}.operation.type`);
      calls.add(it.call_id);
    } else if (type === 'apply_patch_call_output' || type === 'shell_call_output') {
      if (typeof it.call_id !== 'string') return missing(`${at}.call_id`);
      if (type === 'apply_patch_call_output' && !['completed', 'failed'].includes(it.status)) return no(`Invalid value: '${it.status}'. Supported values are: 'completed' and 'failed'.`, `${at}.status`);
      if (type === 'shell_call_output' && !Array.isArray(it.output)) return no(`Invalid type for '${at}.output': expected an array of shell call output contents, but got ${kind(it.output)} instead.`, `${at}.output`);
      if (!calls.has(it.call_id)) orphan ??= `No tool call found for ${type === 'apply_patch_call_output' ? 'apply patch' : 'shell'} call output with call_id ${it.call_id}.`;
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      if (it.call_id === undefined) return missing(`${at}.call_id`);
      if (typeof it.call_id !== 'string') return no(`Invalid type for '${at}.call_id': expected a string, but got ${kind(it.call_id)} instead.`, `${at}.call_id`);
      if (it.output === undefined) return missing(`${at}.output`);
      if (typeof it.output !== 'string' && !Array.isArray(it.output)) return no(`Invalid type for '${at}.output': expected one of a string or array of output content items, but got ${kind(it.output)} instead.`, `${at}.output`);
      const j = Array.isArray(it.output) ? it.output.findIndex((p: any) => !INPUT_PARTS.includes(p?.type)) : -1;
      if (j >= 0) return no(`Invalid value: '${it.output[j]?.type}'. Supported values are: ${oneOf(INPUT_PARTS)}.`, `${at}.output[${j}].type`);
      if (!calls.has(it.call_id)) orphan ??= `No tool call found for ${type === 'function_call_output' ? 'function' : 'custom tool'} call output with call_id ${it.call_id}.`;
    } else if (type === 'tool_search_call') {
      if (it.arguments === undefined) return missing(`${at}.arguments`);
      if (it.execution === 'client') calls.add(it.call_id);
    } else if (type === 'tool_search_output') {
      if (!Array.isArray(it.tools)) return it.tools === undefined ? missing(`${at}.tools`) : no(`Invalid type for '${at}.tools': expected an array, but got ${kind(it.tools)} instead.`, `${at}.tools`);
      if (it.execution === 'client' && !calls.has(it.call_id)) orphan ??= `No tool search call found for tool search output with call_id ${it.call_id}.`;
    } else {
      // Stateless replays leave the id out and carry the reasoning encrypted (the Vercel AI SDK
      // with store: false, as opencode runs it against OpenAI); without either it is nothing.
      if (it.id === undefined && typeof it.encrypted_content !== 'string') return missing(`${at}.id`);
      if (it.id !== undefined && (typeof it.id !== 'string' || !it.id.startsWith('rs_'))) return no(`Invalid '${at}.id': '${it.id}'. Expected an ID that begins with 'rs'.`, `${at}.id`);
      if (!Array.isArray(it.summary)) return it.summary === undefined ? missing(`${at}.summary`) : no(`Invalid type for '${at}.summary': expected an array, but got ${kind(it.summary)} instead.`, `${at}.summary`);
    }
  }
  const tools = body.tools ?? [];
  if (!Array.isArray(tools)) return no(`Invalid type for 'tools': expected an array, but got ${kind(tools)} instead.`, 'tools');
  for (const [i, t] of tools.entries()) {
    if (t?.type === undefined) return missing(`tools[${i}].type`);
    // OpenAI runs web search and tool search itself; the fake knows no other hosted tool. The client runs the built-in apply_patch and shell.
    if (t.type === 'web_search' || t.type === 'web_search_preview' || t.type === 'apply_patch') continue;
    if (t.type === 'tool_search') {
      if (t.execution !== undefined && t.execution !== 'server' && t.execution !== 'client') return no(`Invalid value: '${t.execution}'. Supported values are: 'server' and 'client'.`, `tools[${i}].execution`);
      continue;
    }
    if (t.type === 'shell') {
      if (t.environment?.type !== 'local') return no(`Invalid value: '${t.environment?.type}'. Supported values are: 'local'.`, `tools[${i}].environment.type`);
      continue;
    }
    if (t.type !== 'function' && t.type !== 'custom') return no(`Invalid value: '${t.type}'. Supported values are: 'function', 'custom', 'apply_patch', 'shell', 'tool_search', 'web_search' and 'web_search_preview'.`, `tools[${i}].type`);
    // Chat's nested form ({type: 'function', function: {name, ...}}) has no top-level name.
    if (typeof t.name !== 'string') return missing(`tools[${i}].name`);
  }
  const choice = body.tool_choice;
  if (typeof choice === 'string' && !['none', 'auto', 'required'].includes(choice)) return no(`Invalid value: '${choice}'. Supported values are: 'none', 'auto', and 'required'.`, 'tool_choice');
  if ((choice?.type === 'function' || choice?.type === 'custom') && typeof choice.name !== 'string') return missing('tool_choice.name');
  if ((choice?.type === 'apply_patch' || choice?.type === 'shell') && !tools.some((t: any) => t?.type === choice.type)) return no(`Tool choice '${choice.type}' not found in 'tools' parameter.`, 'tool_choice');
  const max = body.max_output_tokens;
  if (typeof max === 'number' && max < 16) return no(`Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${max} instead.`, 'max_output_tokens');
  const format = body.text?.format;
  if (format?.type === 'json_schema') {
    const gone = ['name', 'schema'].find((k) => format[k] === undefined);
    if (gone) return missing(`text.format.${gone}`);
  }
  const r = body.reasoning;
  if (r !== undefined && r !== null) {
    if (typeof r !== 'object' || Array.isArray(r)) return no(`Invalid type for 'reasoning': expected an object, but got ${kind(r)} instead.`, 'reasoning');
    const efforts = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'];
    if (r.effort !== undefined && r.effort !== null && !efforts.includes(r.effort)) return no(`Invalid value: '${r.effort}'. Supported values are: ${oneOf(efforts)}.`, 'reasoning.effort');
  }
  if (Array.isArray(body.include) && body.include.includes('reasoning.encrypted_content') && !reasoningModel(body.model)) return no('Encrypted content is not supported with this model.', 'include');
  if (plainOpenAIModel(body.model)) {
    if (r?.effort !== undefined && r?.effort !== null) return no("Unsupported parameter: 'reasoning.effort' is not supported with this model.", 'reasoning.effort');
    if (Array.isArray(input) && input.some((it: any) => it?.type === 'reasoning')) return no('Reasoning input items can only be provided to a reasoning or computer use model. Remove reasoning items from your input and try again.', 'input');
  }
  const t = body.temperature;
  if (reasoningModel(body.model) && t !== undefined && t !== null && t !== 1) return no(`Unsupported value: 'temperature' does not support ${t} with this model. Only the default (1) value is supported.`, 'temperature');
  if (orphan && body.previous_response_id == null && body.conversation == null) return no(orphan, 'input');
  return null;
}

/**
 * OpenAI's log probabilities of `pieces`, one token each, with `top` alternatives apiece
 * (the request's `top_logprobs`), under `field` (`content`, or `refusal` for a refusal).
 */
function logprobsOf(pieces: string[], top: number, field: 'content' | 'refusal' = 'content'): Record<string, unknown> {
  const token = (t: string, logprob: number) => ({ token: t, logprob, bytes: [...Buffer.from(t)] });
  const tokens = pieces.map((p) => ({ ...token(p, -0.25), top_logprobs: Array.from({ length: top }, (_x, i) => (i === 0 ? token(p, -0.25) : token(`${p}~${i}`, -2 - i))) }));
  return field === 'content' ? { content: tokens, refusal: null } : { content: null, refusal: tokens };
}

function split(text: string, n: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(text.slice(i * size, (i + 1) * size));
  return out;
}

export async function startWireFake(opts: WireFakeOptions): Promise<WireFake> {
  const { format } = opts;
  const name = opts.name ?? format;
  const received: Received[] = [];
  const history: Received[] = [];
  let queue: Scenario[] = [];
  let fallback: Scenario | null = null;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const closeWaiters = new Map<Received, ((t: number) => void)[]>();
  let seq = 0;
  /** Thought signatures this fake Gemini has handed out (Gemini 3 models sign the first call of a turn). */
  const signatures = new Set<string>();
  const sign = (model: string, i: number): { thoughtSignature?: string } => {
    if (!/^gemini-3/.test(model) || i > 0) return {};
    const sig = Buffer.from(`fake thought signature ${++seq}`).toString('base64');
    signatures.add(sig);
    return { thoughtSignature: sig };
  };

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const server = (opts.tls ? createHttpsServer.bind(null, opts.tls) : createServer)((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body: any;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const rec: Received = {
        method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers }, raw, body,
        at: performance.now(), chunkTimes: [], finishedAt: null, closedEarlyAt: null,
      };
      received.push(rec);
      history.push(rec);
      if (format !== 'gemini') {
        rec.requestId = `req_fake_${name}_${++seq}`;
        res.setHeader(format === 'anthropic' ? 'request-id' : 'x-request-id', rec.requestId);
      }
      res.on('finish', () => {
        rec.finishedAt = performance.now();
      });
      res.on('close', () => {
        if (!res.writableFinished) {
          rec.closedEarlyAt = performance.now();
          for (const w of closeWaiters.get(rec) ?? []) w(rec.closedEarlyAt);
          closeWaiters.delete(rec);
        }
      });
      try {
        handle(req, res, rec);
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake ${name} crashed: ${(e as Error).message}`);
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function scenarioFor(rec: Received): Scenario {
    const s = queue.shift() ?? fallback;
    if (s) return s;
    const wire = format === 'openai' && /^(?:\/openai)?\/v1\/responses$/.test(rec.path) ? 'responses' : format;
    const result = lastToolResult(wire, rec.body);
    if (result !== null) return { text: `The tool said: ${result}` };
    const tool = firstToolName(wire, rec.body);
    if (tool) return { toolCall: { name: tool, args: TOOL_ARGS } };
    const schema = answerSchema(wire, rec.body);
    if (schema) return { text: JSON.stringify(schemaExample(schema, 'fake')) };
    return {};
  }

  function handle(req: IncomingMessage, res: ServerResponse, rec: Received): void {
    const path = rec.path;
    if (req.method === 'GET') return modelList(req, res, rec);
    if (req.method !== 'POST') return sendError(res, 404, `fake ${name}: no route ${req.method} ${path}`);
    const picked = scenarioFor(rec);
    if (picked.delayMs) {
      const { delayMs, ...rest } = picked;
      later(delayMs, () => {
        if (!res.destroyed) handle2(req, res, rec, rest);
      });
      return;
    }
    handle2(req, res, rec, picked);
  }

  function handle2(req: IncomingMessage, res: ServerResponse, rec: Received, s: Scenario): void {
    const path = rec.path;
    if (s.error) return sendError(res, s.error.status, s.error.message ?? `fake ${name}: HTTP ${s.error.status}`, s.error.retryAfter);

    let model = typeof rec.body?.model === 'string' ? rec.body.model : (opts.model ?? 'fake-model');
    let stream = rec.body?.stream === true;
    let op: 'chat' | 'embeddings';
    if (format === 'openai') {
      // OpenAI's paths, and Azure OpenAI's: by deployment with an api-version, or its v1 API.
      const azure = /^\/openai\/(?:deployments\/[^/?]+|v1)\/(chat\/completions|embeddings|responses(?:\/input_tokens)?)(\?api-version=[\w-]+)?$/.exec(path);
      if (azure && path.startsWith('/openai/deployments/') !== (azure[2] !== undefined)) return sendError(res, 404, `fake ${name}: ${azure[2] ? 'the v1 API takes no api-version' : 'api-version is required'}`);
      const op0 = azure ? `/v1/${azure[1]}` : path;
      // Codex models are served by the Responses API only.
      if (op0 === '/v1/chat/completions' && String(rec.body?.model).includes('codex')) {
        return sendError(res, 404, 'This model is only supported in v1/responses and not in v1/chat/completions.', undefined, 'model');
      }
      if (op0 === '/v1/responses') return responses(res, rec, model, s);
      if (op0 === '/v1/responses/input_tokens') return inputTokens(res, rec, s);
      const longId = (Array.isArray(rec.body?.messages) ? rec.body.messages : []).flatMap((m: any) => [m?.tool_call_id, ...(Array.isArray(m?.tool_calls) ? m.tool_calls.map((c: any) => c?.id) : [])])
        .find((id: unknown) => typeof id === 'string' && id.length > 40);
      if (longId !== undefined) return sendError(res, 400, `Invalid 'messages[].tool_calls[].id': string too long. Expected a string with maximum length 40, but got a string with length ${longId.length} instead.`);
      // OpenRouter refuses, for Gemini 3, a tool-call turn sent back without the signature of its first call.
      if (openRouterGemini(rec.body?.model)) {
        const unsigned = (Array.isArray(rec.body?.messages) ? rec.body.messages : []).findIndex((m: any) => {
          if (m?.role !== 'assistant' || !Array.isArray(m.tool_calls) || m.tool_calls.length === 0) return false;
          const first = m.tool_calls[0]?.id;
          const d = Array.isArray(m.reasoning_details) ? m.reasoning_details.find((x: any) => x?.type === 'reasoning.encrypted' && x.id === first) : undefined;
          return d === undefined || d.data !== geminiDetail(first, 0).data || d.format !== 'google-gemini-v1';
        });
        if (unsigned >= 0) return sendError(res, 400, `Gemini models require OpenRouter reasoning details to be preserved in each request (messages[${unsigned}]: function call is missing a thought_signature).`);
      }
      // DeepSeek in thinking mode refuses a tool-call turn sent back without its reasoning.
      if (reasons(rec.body?.model)) {
        const bare = (Array.isArray(rec.body?.messages) ? rec.body.messages : [])
          .findIndex((m: any) => m?.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length && typeof m.reasoning_content !== 'string');
        if (bare >= 0) return sendError(res, 400, `The \`reasoning_content\` in the thinking mode must be passed back to the API (messages[${bare}]).`);
      }
      if (op0 === '/v1/chat/completions' && rec.body?.metadata !== undefined && rec.body?.store !== true) return sendError(res, 400, "The 'metadata' parameter is only allowed when 'store' is enabled.");
      if (op0 === '/v1/chat/completions' && mistralModel(rec.body?.model)) {
        const refused = mistralRefusal(Array.isArray(rec.body?.messages) ? rec.body.messages : []);
        if (refused) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ object: 'error', message: refused.message, type: refused.type, param: null, code: refused.code }));
          return;
        }
      }
      if (op0 === '/v1/chat/completions') {
        const refused = toolNameRefusal('openai', rec.body) ?? toolTurnRefusal(Array.isArray(rec.body?.messages) ? rec.body.messages : []) ?? strictSchemaRefusal(rec.body?.tools);
        if (refused) return sendError(res, 400, refused);
      }
      const user = rec.body?.user;
      if (typeof user === 'string' && user.length > 64) return sendError(res, 400, `Invalid 'user': string too long. Expected a string with maximum length 64, but got a string with length ${user.length} instead.`);
      // gpt-4o writes at most 16384 tokens and refuses to be asked for more.
      const asked = rec.body?.max_completion_tokens ?? rec.body?.max_tokens;
      if (/^gpt-4o/.test(String(rec.body?.model)) && asked > 16384) {
        return sendError(res, 400, `max_tokens is too large: ${asked}. This model supports at most 16384 completion tokens, whereas you provided ${asked}.`);
      }
      if (op0 === '/v1/chat/completions' && plainOpenAIModel(rec.body?.model) && rec.body?.reasoning_effort !== undefined) {
        return sendError(res, 400, "Unsupported parameter: 'reasoning_effort' is not supported with this model.", undefined, 'reasoning_effort');
      }
      // OpenAI's reasoning models take only the default temperature.
      const t = rec.body?.temperature;
      if (reasoningModel(rec.body?.model) && t !== undefined && t !== 1) {
        return sendError(res, 400, `Unsupported value: 'temperature' does not support ${t} with this model. Only the default (1) value is supported.`);
      }
      if (op0 === '/v1/chat/completions') op = 'chat';
      else if (op0 === '/v1/embeddings') op = 'embeddings';
      else return sendError(res, 404, `fake ${name}: unknown path ${path}`);
    } else if (format === 'anthropic') {
      if (path === '/v1/messages/count_tokens') return countTokens(req, res, rec, s);
      if (path !== '/v1/messages') return sendError(res, 404, `fake ${name}: unknown path ${path}`);
      if (typeof req.headers['anthropic-version'] !== 'string') return sendError(res, 400, 'anthropic-version header is required');
      if (typeof rec.body?.max_tokens !== 'number') return sendError(res, 400, 'max_tokens: Field required');
      if (rec.body.temperature > 1) return sendError(res, 400, 'temperature: Input should be less than or equal to 1');
      // API version 2026-10-21 removed the sampling parameters.
      const sampling = ['temperature', 'top_p', 'top_k'].find((k) => rec.body[k] !== undefined);
      if (sampling !== undefined && String(req.headers['anthropic-version']) >= '2026-10-21') return sendError(res, 400, `${sampling}: Extra inputs are not permitted`);
      if (rec.body.temperature !== undefined && rec.body.top_p !== undefined) return sendError(res, 400, '`temperature` and `top_p` cannot both be specified for this model. Please use only one.');
      if (Array.isArray(rec.body.messages) && rec.body.messages.length === 0) return sendError(res, 400, 'messages: at least one message is required');
      const badId = (Array.isArray(rec.body.messages) ? rec.body.messages : []).flatMap((m: any) => (Array.isArray(m?.content) ? m.content : []))
        .map((b: any) => (b?.type === 'tool_use' ? b.id : b?.type === 'tool_result' ? b.tool_use_id : undefined)).find((id: unknown) => typeof id === 'string' && !/^[a-zA-Z0-9_-]+$/.test(id));
      if (badId !== undefined) return sendError(res, 400, `messages: tool use id "${badId}": String should match pattern '^[a-zA-Z0-9_-]+$'`);
      const extra = Object.keys(rec.body).find((k) => !ANTHROPIC_FIELDS.has(k));
      if (extra !== undefined) return sendError(res, 400, `${extra}: Extra inputs are not permitted`);
      const badName = toolNameRefusal('anthropic', rec.body);
      if (badName) return sendError(res, 400, badName);
      const unheld = structuredOutputRefusal(rec.body);
      if (unheld) return sendError(res, 400, unheld);
      const refused = thinkingRefusal(rec.body);
      if (refused) return sendError(res, 400, refused);
      op = 'chat';
    } else {
      const m = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent\?alt=sse|batchEmbedContents|countTokens)$/.exec(path);
      if (!m) return sendError(res, 404, `fake ${name}: unknown path ${path}`);
      model = decodeURIComponent(m[1]);
      if (m[2] === 'countTokens') {
        const inner = rec.body?.generateContentRequest;
        if (inner?.model !== `models/${model}` || !Array.isArray(inner.contents)) return sendError(res, 400, 'generateContentRequest.model and contents are required');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ totalTokens: (s.usage ?? DEFAULT_USAGE).input }));
        return;
      }
      if (Array.isArray(rec.body?.contents) && rec.body.contents.length === 0) return sendError(res, 400, '* GenerateContentRequest.contents: contents is not specified\n');
      const unsigned = /^gemini-3/.test(model) ? unsignedCall(rec.body) : null;
      if (unsigned) return sendError(res, 400, unsigned);
      const badName = toolNameRefusal('gemini', rec.body);
      if (badName) return sendError(res, 400, badName);
      const unread = geminiSchemaRefusal(rec.body);
      if (unread) return sendError(res, 400, unread);
      stream = m[2].startsWith('stream');
      op = m[2] === 'batchEmbedContents' ? 'embeddings' : 'chat';
    }
    if (rec.body === undefined) return sendError(res, 400, 'body is not JSON');
    if (op === 'embeddings') return embeddings(res, rec, model, s);
    if (stream) return streamChat(res, rec, s, frames(model, s, thinks(rec), rec));
    return chat(res, rec, model, s);
  }

  /**
   * With extended thinking on, Anthropic refuses a budget under 1024 or not under max_tokens,
   * a temperature other than 1, a forced tool choice, and a final assistant turn that uses
   * a tool unless it starts with the thinking block it was given (signature and all).
   */
  function thinkingRefusal(body: any): string | null {
    const type = body?.thinking?.type;
    if (type !== 'enabled' && type !== 'adaptive') return null;
    if (type === 'enabled') {
      const budget = body.thinking.budget_tokens;
      if (typeof budget !== 'number' || budget < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
      if (budget >= body.max_tokens) return '`max_tokens` must be greater than `thinking.budget_tokens`.';
    }
    if (body.temperature !== undefined && body.temperature !== 1) return '`temperature` may only be set to 1 when thinking is enabled.';
    if (body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool') return 'Thinking may not be enabled when tool_choice forces tool use.';
    const turns: any[] = Array.isArray(body.messages) ? body.messages : [];
    const last = [...turns].reverse().find((m) => m?.role === 'assistant');
    if (!last || !Array.isArray(last.content) || !last.content.some((b: any) => b?.type === 'tool_use')) return null;
    const first = last.content[0];
    if (first?.type === 'redacted_thinking') return null;
    if (first?.type !== 'thinking') return `messages: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first?.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block.`;
    if (typeof first.signature !== 'string' || !first.signature.startsWith('sig_fake_')) return 'messages: Invalid `signature` in `thinking` block';
    return null;
  }

  /**
   * Gemini 3 refuses a replayed model turn whose first function call lacks the signature
   * it was given (or Google's documented stand-in for history from another model).
   */
  function unsignedCall(body: any): string | null {
    for (const c of Array.isArray(body?.contents) ? body.contents : []) {
      const call = c?.role === 'model' && Array.isArray(c.parts) ? c.parts.find((p: any) => p?.functionCall) : undefined;
      if (!call) continue;
      const sig = call.thoughtSignature;
      if (sig === undefined) return `Function call is missing a thought_signature in functionCall parts. Additional data, function call \`default_api:${call.functionCall.name}\``;
      if (sig !== 'skip_thought_signature_validator' && !signatures.has(sig)) return 'Corrupted thought signature.';
    }
    return null;
  }

  /** Anthropic's count_tokens: refuses what it does not count, as the real API does; answers `usage.input`. */
  function countTokens(req: IncomingMessage, res: ServerResponse, rec: Received, s: Scenario): void {
    if (typeof req.headers['anthropic-version'] !== 'string') return sendError(res, 400, 'anthropic-version header is required');
    if (rec.body === undefined) return sendError(res, 400, 'body is not JSON');
    const extra = Object.keys(rec.body).find((k) => !['model', 'system', 'messages', 'tools', 'tool_choice', 'thinking'].includes(k));
    if (extra !== undefined) return sendError(res, 400, `${extra}: Extra inputs are not permitted`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ input_tokens: (s.usage ?? DEFAULT_USAGE).input }));
  }

  /**
   * The provider's model list (LISTED_MODELS), at its path and in its shape: OpenAI's
   * `/v1/models` (Azure's v1 API's too), Anthropic's `/v1/models?limit=…`, Gemini's
   * `/v1beta/models?pageSize=…`. A queued error scenario answers instead; no key is a 401.
   */
  function modelList(req: IncomingMessage, res: ServerResponse, rec: Received): void {
    const url = new URL(rec.path, 'http://fake');
    const s = queue.shift();
    if (s?.error) return sendError(res, s.error.status, s.error.message ?? `fake ${name}: HTTP ${s.error.status}`, s.error.retryAfter);
    const keyed = req.headers.authorization ?? req.headers['x-api-key'] ?? req.headers['x-goog-api-key'];
    if (keyed === undefined) return sendError(res, 401, 'no API key');
    let body: unknown;
    if (format === 'openai' && /^(\/openai)?\/v1\/models$/.test(url.pathname)) {
      body = { object: 'list', data: LISTED_MODELS.openai.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'system' })) };
    } else if (format === 'anthropic' && url.pathname === '/v1/models') {
      if (typeof req.headers['anthropic-version'] !== 'string') return sendError(res, 400, 'anthropic-version header is required');
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const data = LISTED_MODELS.anthropic.slice(0, limit).map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' }));
      body = { data, has_more: LISTED_MODELS.anthropic.length > limit, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
    } else if (format === 'gemini' && url.pathname === '/v1beta/models') {
      body = { models: LISTED_MODELS.gemini.map(([id, methods]) => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: methods })) };
    } else return sendError(res, 404, `fake ${name}: no route GET ${rec.path}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  function sendError(res: ServerResponse, status: number, message: string, retryAfter?: string, param: string | null = null): void {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    let body: unknown;
    if (format === 'anthropic') {
      const type = status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : status === 401 ? 'authentication_error'
        : status === 403 ? 'permission_error' : status === 404 ? 'not_found_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
      body = { type: 'error', error: { type, message } };
    } else if (format === 'gemini') {
      const st = status === 429 ? 'RESOURCE_EXHAUSTED' : status === 400 ? 'INVALID_ARGUMENT' : status === 401 ? 'UNAUTHENTICATED'
        : status === 403 ? 'PERMISSION_DENIED' : status === 404 ? 'NOT_FOUND' : status === 503 ? 'UNAVAILABLE' : 'INTERNAL';
      body = { error: { code: status, message, status: st } };
    } else {
      const type = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
      body = { error: { message, type, param, code: status === 401 ? 'invalid_api_key' : null } };
    }
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  }

  /** Each provider's limit on inputs per call, refused as it refuses them: Gemini's batchEmbedContents 100, OpenAI's 2,048. */
  function embeddings(res: ServerResponse, rec: Received, model: string, s: Scenario): void {
    const vector = (text: unknown, i: number): number[] => (s.embedding ? s.embedding(String(text)) : [0.5, -0.25, i + 0.125]);
    if (format === 'gemini') {
      const reqs: any[] = rec.body.requests ?? [];
      if (reqs.length > 100) return sendError(res, 400, '* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n');
      res.writeHead(200, { 'content-type': 'application/json' });
      const usage = s.embedding ? { usageMetadata: { promptTokenCount: reqs.length } } : {};
      const answered = s.embeddingDropsOne ? reqs.slice(0, -1) : reqs;
      res.end(JSON.stringify({ embeddings: answered.map((r, i) => ({ values: vector(r?.content?.parts?.[0]?.text, i) })), ...usage }));
      return;
    }
    const inputs: string[] = Array.isArray(rec.body.input) ? rec.body.input : [rec.body.input];
    if (inputs.length > 2048) return sendError(res, 400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.");
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      object: 'list',
      data: inputs.map((t, i) => ({ object: 'embedding', index: i, embedding: vector(t, i) })),
      model,
      usage: { prompt_tokens: 3 * inputs.length, total_tokens: 3 * inputs.length },
    }));
  }

  function callsOf(s: Scenario): { name: string; args: Record<string, unknown> }[] {
    return s.toolCalls ?? (s.toolCall ? [s.toolCall] : []);
  }

  /** Anthropic with thinking on, or Gemini asked for thought summaries: the answer shows THINKING. */
  function thinks(rec: Received): boolean {
    if (format === 'anthropic') return rec.body?.thinking?.type === 'enabled' || rec.body?.thinking?.type === 'adaptive';
    return format === 'gemini' && rec.body?.generationConfig?.thinkingConfig?.includeThoughts === true;
  }

  function chat(res: ServerResponse, rec: Received, model: string, s: Scenario): void {
    const usage = s.usage ?? DEFAULT_USAGE;
    const text = s.text ?? `hello from ${name}`;
    const id = `${++seq}`;
    const calls = callsOf(s);
    let body: unknown;
    if (format === 'openai') {
      const message = calls.length
        ? { role: 'assistant', content: null, tool_calls: calls.map((c, i) => ({ id: chatCallId(model, id, i), type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } })), refusal: null }
        : s.refusal !== undefined ? { role: 'assistant', content: null, refusal: s.refusal } : { role: 'assistant', content: text, refusal: null };
      if (s.searches?.length && !calls.length) Object.assign(message, { annotations: [chatCitation(text)] });
      if (reasons(model)) Object.assign(message, { reasoning_content: REASONING });
      if (openRouterGemini(model) && calls.length) Object.assign(message, { reasoning_details: calls.map((_c, i) => geminiDetail(chatCallId(model, id, i), i)) });
      // Asked for, the log probabilities of the tokens the stream would send (one a chunk).
      const logprobs = rec.body.logprobs !== true || calls.length ? null
        : logprobsOf(split(s.refusal ?? text, s.chunks ?? 3), rec.body.top_logprobs ?? 0, s.refusal !== undefined ? 'refusal' : 'content');
      body = {
        id: `chatcmpl-fake${id}`, object: 'chat.completion', created: 1_700_000_000, model, system_fingerprint: 'fp_fake',
        choices: [{ index: 0, message, logprobs, finish_reason: s.stop?.reason ?? (calls.length ? 'tool_calls' : 'stop') }],
        usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output, prompt_tokens_details: { cached_tokens: 0 } },
      };
    } else if (format === 'anthropic') {
      const content: unknown[] = calls.length
        ? [{ type: 'text', text: 'Let me check.' }, ...calls.map((c, i) => ({ type: 'tool_use', id: `toolu_fake${id}_${i}`, name: c.name, input: c.args }))]
        : [{ type: 'text', text }];
      if (thinks(rec)) content.unshift({ type: 'thinking', thinking: THINKING, signature: `sig_fake_${id}` });
      body = {
        id: `msg_fake${id}`, type: 'message', role: 'assistant', model, content,
        stop_reason: s.stop?.reason ?? (calls.length ? 'tool_use' : 'end_turn'), stop_sequence: s.stop?.sequence ?? null,
        usage: anthropicUsage(usage),
      };
    } else {
      const parts: unknown[] = calls.length ? calls.map((c, i) => ({ functionCall: { name: c.name, args: c.args }, ...sign(model, i) })) : [{ text }];
      if (thinks(rec)) parts.unshift({ text: THINKING, thought: true });
      body = {
        candidates: [{ content: { role: 'model', parts }, finishReason: s.stop?.reason ?? 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: usage.input, candidatesTokenCount: usage.output, totalTokenCount: usage.input + usage.output },
        modelVersion: model, responseId: `resp_fake${id}`,
      };
    }
    rec.sent = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(rec.sent);
  }

  /**
   * Frames of a streamed answer: head, the content chunks (`cutAfter` and `chunkDelayMs`
   * count these), tail. Tool calls stream one after the other, each split in `chunks` pieces.
   */
  function frames(model: string, s: Scenario, thinking: boolean, rec: Received): { head: string[]; body: string[]; tail: string[] } {
    const usage = s.usage ?? DEFAULT_USAGE;
    const n = s.chunks ?? 3;
    const id = `${++seq}`;
    const calls = callsOf(s);
    if (format === 'openai') {
      const chunk = (delta: unknown, finish: string | null, logprobs: unknown = null): string =>
        `data: ${JSON.stringify({ id: `chatcmpl-fake${id}`, object: 'chat.completion.chunk', created: 1_700_000_000, model, system_fingerprint: 'fp_fake', choices: [{ index: 0, delta, logprobs, finish_reason: finish }] })}\n\n`;
      // Asked for, each text chunk carries the log probabilities of its token.
      const top = rec.body.logprobs === true ? rec.body.top_logprobs ?? 0 : -1;
      const withLogprobs = (field: 'content' | 'refusal') => (t: string): string => chunk({ [field]: t }, null, top < 0 ? null : logprobsOf([t], top, field));
      const pieces = calls.map((c) => split(JSON.stringify(c.args), n));
      let body: string[];
      if (calls.length && s.interleave) {
        body = [
          chunk({ tool_calls: calls.map((c, i) => ({ index: i, id: chatCallId(model, id, i), type: 'function', function: { name: c.name, arguments: '' } })) }, null),
          ...pieces[0].flatMap((_p, k) => pieces.flatMap((p, i) => (p[k] ? [chunk({ tool_calls: [{ index: i, function: { arguments: p[k] } }] }, null)] : []))),
        ];
      } else if (calls.length) {
        body = calls.flatMap((c, i) => [
          // OpenRouter sends a Gemini call's signature with the call.
          chunk({ ...(openRouterGemini(model) ? { reasoning_details: [geminiDetail(chatCallId(model, id, i), i)] } : {}), tool_calls: [{ index: i, id: chatCallId(model, id, i), type: 'function', function: { name: c.name, arguments: '' } }] }, null),
          ...pieces[i].map((a) => chunk({ tool_calls: [{ index: i, function: { arguments: a } }] }, null)),
        ]);
      } else if (s.refusal !== undefined) body = split(s.refusal, n).map(withLogprobs('refusal'));
      else body = textPieces(s).map(withLogprobs('content'));
      // A search model's citations come on a delta of their own, after the text.
      if (s.searches?.length && !calls.length && s.refusal === undefined) body.push(chunk({ annotations: [chatCitation(s.text ?? `hello from ${name}`)] }, null));
      // A reasoning model's reasoning comes first, paced as content is (chunkDelayMs).
      if (reasons(model)) body.unshift(...split(REASONING, 2).map((r) => chunk({ reasoning_content: r }, null)));
      return {
        head: [chunk(calls.length || s.refusal !== undefined ? { role: 'assistant', content: null, refusal: calls.length ? null : '' } : { role: 'assistant', content: '', refusal: null }, null)],
        body,
        tail: [
          chunk({}, s.stop?.reason ?? (calls.length ? 'tool_calls' : 'stop')),
          `data: ${JSON.stringify({ id: `chatcmpl-fake${id}`, object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } })}\n\n`,
          'data: [DONE]\n\n',
        ],
      };
    }
    if (format === 'anthropic') {
      const ev = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
      const head = [
        ev('message_start', { message: { id: `msg_fake${id}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: anthropicUsage(usage, 1) } }),
        ev('ping', {}),
      ];
      // Extended thinking streams first, as its own block: text in pieces, then the signature.
      const k = thinking ? 1 : 0;
      if (thinking) {
        head.push(ev('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }));
        for (const t of split(THINKING, 2)) head.push(ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: t } }));
        head.push(ev('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: `sig_fake_${id}` } }), ev('content_block_stop', { index: 0 }));
      }
      let body: string[];
      let last: number;
      if (calls.length) {
        body = calls.flatMap((c, i) => [
          ...(i > 0 ? [ev('content_block_stop', { index: k + i - 1 })] : []),
          ev('content_block_start', { index: k + i, content_block: { type: 'tool_use', id: `toolu_fake${id}_${i}`, name: c.name, input: {} } }),
          ...split(JSON.stringify(c.args), n).map((p) => ev('content_block_delta', { index: k + i, delta: { type: 'input_json_delta', partial_json: p } })),
        ]);
        last = k + calls.length - 1;
      } else {
        head.push(ev('content_block_start', { index: k, content_block: { type: 'text', text: '' } }));
        body = textPieces(s).map((t) => ev('content_block_delta', { index: k, delta: { type: 'text_delta', text: t } }));
        last = k;
      }
      const tail = [
        ev('content_block_stop', { index: last }),
        ev('message_delta', { delta: { stop_reason: s.stop?.reason ?? (calls.length ? 'tool_use' : 'end_turn'), stop_sequence: s.stop?.sequence ?? null }, usage: { output_tokens: usage.output } }),
        ev('message_stop', {}),
      ];
      return { head, body, tail };
    }
    // Gemini: every SSE message is a whole GenerateContentResponse; no terminator.
    const msg = (parts: unknown[], finish?: string, withUsage = false): string => `data: ${JSON.stringify({
      candidates: [{ content: { role: 'model', parts }, ...(finish ? { finishReason: finish } : {}), index: 0 }],
      usageMetadata: withUsage
        ? { promptTokenCount: usage.input, candidatesTokenCount: usage.output, totalTokenCount: usage.input + usage.output }
        : { promptTokenCount: usage.input, totalTokenCount: usage.input },
      modelVersion: model, responseId: `resp_fake${id}`,
    })}\r\n\r\n`;
    // Thought summaries come first, in messages of their own.
    const head = thinking ? split(THINKING, 2).map((t) => msg([{ text: t, thought: true }])) : [];
    if (calls.length) {
      return { head, body: calls.map((c, i) => msg([{ functionCall: { name: c.name, args: c.args }, ...sign(model, i) }])), tail: [msg([{ text: '' }], s.stop?.reason ?? 'STOP', true)] };
    }
    const pieces = textPieces(s);
    return { head, body: pieces.map((t) => msg([{ text: t }])), tail: [msg([{ text: '' }], s.stop?.reason ?? 'STOP', true)] };
  }

  /** The `url_citation` of a chat completions search model's answer. */
  function chatCitation(text: string): Record<string, unknown> {
    return { type: 'url_citation', url_citation: { start_index: 0, end_index: Math.min(5, text.length), url: SEARCH_CITATION.url, title: SEARCH_CITATION.title } };
  }

  /** A streamed text answer's content chunks. */
  function textPieces(s: Scenario): string[] {
    return s.pieces ?? split(s.text ?? `hello from ${name}`, s.chunks ?? 3);
  }

  function streamChat(res: ServerResponse, rec: Received, s: Scenario, f: { head: string[]; body: string[]; tail: string[] }): void {
    const delay = s.chunkDelayMs ?? 0;
    const body = s.cutAfter === undefined ? f.body : f.body.slice(0, s.cutAfter);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    for (const h of f.head) res.write(h);
    let i = 0;
    const step = (): void => {
      if (res.destroyed) return;
      if (i < body.length) {
        res.write(body[i++]);
        rec.chunkTimes.push(performance.now());
        if (delay > 0) later(delay, step);
        else step();
        return;
      }
      if (s.cutAfter !== undefined) {
        // Let the frames leave, then drop the connection with no terminator.
        later(20, () => res.socket?.destroy());
        return;
      }
      if (s.hold) return;
      for (const t of f.tail) res.write(t);
      res.end();
    };
    if (delay > 0) later(delay, step);
    else step();
  }

  /** OpenAI's input token counting: a Responses API body without generation settings; counts the scenario's input usage. */
  function inputTokens(res: ServerResponse, rec: Received, s: Scenario): void {
    const body = rec.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return sendError(res, 400, 'body is not a JSON object');
    const extra = Object.keys(body).find((k) => !COUNT_FIELDS.has(k));
    if (extra !== undefined) return sendError(res, 400, `Unknown parameter: '${extra}'.`, undefined, extra);
    const refused = responsesRefusal(body);
    if (refused) return sendError(res, 400, refused.message, undefined, refused.param);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'response.input_tokens', input_tokens: (s.usage ?? DEFAULT_USAGE).input }));
  }

  /** OpenAI's Responses API (`POST /v1/responses`): refuses what OpenAI refuses, else answers whole or streamed. */
  function responses(res: ServerResponse, rec: Received, model: string, s: Scenario): void {
    const body = rec.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return sendError(res, 400, 'body is not a JSON object');
    const refused = responsesRefusal(body);
    if (refused) return sendError(res, 400, refused.message, undefined, refused.param);
    const r = responseOf(body, model, s);
    if (body.stream === true) return streamChat(res, rec, s, responseFrames(r, s));
    rec.sent = JSON.stringify(r);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(rec.sent);
  }

  /**
   * The finished Response object: a reasoning model's reasoning item (encrypted content when
   * asked to `include` it), then the text as a message, or each tool call as a function call
   * (a custom tool call when the request declared that tool `custom`).
   */
  function responseOf(body: any, model: string, s: Scenario): Record<string, any> {
    const u = s.usage ?? DEFAULT_USAGE;
    const thinker = reasoningModel(model);
    const stop = s.stop?.reason === 'max_output_tokens' || s.stop?.reason === 'content_filter' ? s.stop.reason : null;
    const custom = new Set((Array.isArray(body.tools) ? body.tools : []).filter((t: any) => t?.type === 'custom').map((t: any) => t.name));
    // The built-in tools, which the model calls by their type.
    const builtin = new Set((Array.isArray(body.tools) ? body.tools : []).filter((t: any) => t?.type === 'apply_patch' || t?.type === 'shell').map((t: any) => t.type));
    const output: Record<string, unknown>[] = [];
    if (thinker) {
      const encrypted = Array.isArray(body.include) && body.include.includes('reasoning.encrypted_content');
      // Asked for (reasoning.summary), it sums up its reasoning.
      const summary = typeof body.reasoning?.summary === 'string' && body.reasoning.summary !== 'none' ? [{ type: 'summary_text', text: REASONING_SUMMARY }] : [];
      output.push({ type: 'reasoning', id: oid('rs'), summary, ...(encrypted ? { encrypted_content: `gAAAAA${randomBytes(96).toString('base64')}` } : {}) });
    }
    let calls = callsOf(s);
    // Offered web search and calling no tool of the client's, it searches first (OpenAI runs the search).
    const searches = !calls.length && (Array.isArray(body.tools) ? body.tools : []).some((t: any) => t?.type === 'web_search' || t?.type === 'web_search_preview');
    if (searches) output.push({ type: 'web_search_call', id: oid('ws'), status: 'completed', action: { type: 'search', query: 'weather Paris' } });
    // Calling deferred tools no search has loaded yet, it searches for them first: OpenAI
    // runs the search and loads them, or has the client run it, and the turn ends there.
    const search = (Array.isArray(body.tools) ? body.tools : []).find((t: any) => t?.type === 'tool_search');
    // The tools searches loaded, and the namespace each came in, if any (its calls name it).
    const loadedIn = new Map<string, string | undefined>();
    for (const i of Array.isArray(body.input) ? body.input : []) {
      if (i?.type !== 'tool_search_output') continue;
      for (const t of i.tools) {
        if (t?.type === 'namespace') for (const inner of t.tools ?? []) loadedIn.set(inner?.name, t.name);
        else loadedIn.set(t?.name, undefined);
      }
    }
    const loaded = new Set(loadedIn.keys());
    const unloaded = (Array.isArray(body.tools) ? body.tools : []).filter((t: any) => t?.defer_loading === true && calls.some((c) => c.name === t.name) && !loaded.has(t.name));
    let waits = false;
    if (search && unloaded.length) {
      const args = { paths: unloaded.map((t: any) => t.name) };
      if (search.execution === 'client') {
        output.push({ type: 'tool_search_call', id: oid('tsc'), call_id: oid('call', 12), execution: 'client', arguments: args, status: 'completed' });
        calls = [];
        waits = true;
      } else {
        output.push(
          { type: 'tool_search_call', id: oid('tsc'), call_id: null, execution: 'server', arguments: args, status: 'completed' },
          { type: 'tool_search_output', id: oid('tso'), call_id: null, execution: 'server', status: 'completed', tools: unloaded.map(({ defer_loading, ...t }: any) => t) },
        );
        // A reasoning model reasons again over what it found, as around OpenAI's hosted tools.
        if (output[0]?.type === 'reasoning') output.push({ ...output[0], id: oid('rs'), summary: [] });
      }
    }
    if (!calls.length && !waits) {
      const text = s.text ?? `hello from ${name}`;
      // What it searched for, it cites.
      const annotations = searches ? [{ type: 'url_citation', start_index: 0, end_index: Math.min(5, text.length), url: SEARCH_CITATION.url, title: SEARCH_CITATION.title }] : [];
      output.push({
        type: 'message', id: oid('msg'), status: stop ? 'incomplete' : 'completed', role: 'assistant',
        content: [{ type: 'output_text', text, annotations, logprobs: [] }],
      });
    }
    for (const c of calls) {
      if (builtin.has(c.name)) {
        output.push(c.name === 'apply_patch'
          ? { type: 'apply_patch_call', id: oid('apc'), call_id: oid('call', 12), status: 'completed', operation: c.args }
          : { type: 'shell_call', id: oid('sh'), call_id: oid('call', 12), status: 'completed', action: { timeout_ms: null, max_output_length: null, ...c.args }, environment: { type: 'local' } });
        continue;
      }
      output.push(custom.has(c.name)
        ? { type: 'custom_tool_call', id: oid('ctc'), call_id: oid('call', 12), name: c.name, input: typeof c.args.input === 'string' ? c.args.input : JSON.stringify(c.args), status: 'completed' }
        : { type: 'function_call', id: oid('fc'), call_id: oid('call', 12), name: c.name, ...(loadedIn.get(c.name) ? { namespace: loadedIn.get(c.name) } : {}), arguments: JSON.stringify(c.args), status: 'completed' });
    }
    return {
      id: oid('resp'), object: 'response', created_at: Math.floor(Date.now() / 1000), status: stop ? 'incomplete' : 'completed',
      background: false, error: null, incomplete_details: stop ? { reason: stop } : null, instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null, model, output, parallel_tool_calls: body.parallel_tool_calls ?? true,
      previous_response_id: body.previous_response_id ?? null,
      reasoning: { effort: body.reasoning?.effort ?? (thinker ? 'medium' : null), summary: body.reasoning?.summary ?? null },
      service_tier: 'default', store: body.store ?? true, temperature: body.temperature ?? 1,
      text: { format: body.text?.format ?? { type: 'text' }, verbosity: body.text?.verbosity ?? 'medium' },
      tool_choice: body.tool_choice ?? 'auto', tools: body.tools ?? [], top_p: body.top_p ?? 1, truncation: body.truncation ?? 'disabled',
      usage: {
        input_tokens: u.input, input_tokens_details: { cached_tokens: 0 }, output_tokens: u.output,
        output_tokens_details: { reasoning_tokens: thinker ? Math.min(5, u.output) : 0 }, total_tokens: u.input + u.output,
      },
      user: body.user ?? null, metadata: body.metadata ?? {},
    };
  }

  /**
   * A streamed Response's events, numbered in order: head (created, in_progress, reasoning,
   * the message opened), body (the text deltas, or each tool call's item and argument pieces:
   * `cutAfter` and `chunkDelayMs` count these), tail (the rest closed, then completed or incomplete).
   */
  function responseFrames(r: Record<string, any>, s: Scenario): { head: string[]; body: string[]; tail: string[] } {
    let n = 0;
    const ev = (type: string, data: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n++, ...data })}\n\n`;
    const pieces = s.chunks ?? 3;
    const open = { ...r, status: 'in_progress', output: [], usage: null, incomplete_details: null };
    const head = [ev('response.created', { response: open }), ev('response.in_progress', { response: open })];
    const body: string[] = [];
    const tail: string[] = [];
    r.output.forEach((item: any, i: number) => {
      if (item.type === 'reasoning') {
        head.push(ev('response.output_item.added', { output_index: i, item: { ...item, summary: [] } }));
        for (const [j, part] of item.summary.entries()) {
          const at = { item_id: item.id, output_index: i, summary_index: j };
          head.push(ev('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } }));
          for (const d of split(part.text, 2)) head.push(ev('response.reasoning_summary_text.delta', { ...at, delta: d }));
          head.push(ev('response.reasoning_summary_text.done', { ...at, text: part.text }), ev('response.reasoning_summary_part.done', { ...at, part }));
        }
        head.push(ev('response.output_item.done', { output_index: i, item }));
      } else if (item.type === 'tool_search_call' || item.type === 'tool_search_output') {
        head.push(ev('response.output_item.added', { output_index: i, item: { ...item, status: 'in_progress' } }), ev('response.output_item.done', { output_index: i, item }));
      } else if (item.type === 'web_search_call') {
        const at = { item_id: item.id, output_index: i };
        head.push(
          ev('response.output_item.added', { output_index: i, item: { ...item, status: 'in_progress' } }),
          ev('response.web_search_call.in_progress', at), ev('response.web_search_call.searching', at), ev('response.web_search_call.completed', at),
          ev('response.output_item.done', { output_index: i, item }),
        );
      } else if (item.type === 'message') {
        const at = { item_id: item.id, output_index: i, content_index: 0 };
        const text: string = item.content[0].text;
        head.push(
          ev('response.output_item.added', { output_index: i, item: { ...item, status: 'in_progress', content: [] } }),
          ev('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } }),
        );
        for (const d of split(text, pieces)) body.push(ev('response.output_text.delta', { ...at, delta: d, logprobs: [] }));
        tail.push(
          ...item.content[0].annotations.map((annotation: unknown, k: number) => ev('response.output_text.annotation.added', { ...at, annotation_index: k, annotation })),
          ev('response.output_text.done', { ...at, text, logprobs: [] }),
          ev('response.content_part.done', { ...at, part: item.content[0] }),
          ev('response.output_item.done', { output_index: i, item }),
        );
      } else if (BUILTIN_CALL[item.type] !== undefined) {
        // A built-in tool's call comes whole.
        body.push(ev('response.output_item.added', { output_index: i, item: { ...item, status: 'in_progress' } }));
        (i === r.output.length - 1 ? tail : body).push(ev('response.output_item.done', { output_index: i, item }));
      } else {
        const [field, event] = item.type === 'function_call' ? ['arguments', 'function_call_arguments'] : ['input', 'custom_tool_call_input'];
        body.push(ev('response.output_item.added', { output_index: i, item: { ...item, [field]: '', status: 'in_progress' } }));
        for (const d of split(item[field], Math.max(2, pieces))) body.push(ev(`response.${event}.delta`, { item_id: item.id, output_index: i, delta: d }));
        // The last call closes in the tail; `hold` and `cutAfter` stop before it.
        (i === r.output.length - 1 ? tail : body).push(
          ev(`response.${event}.done`, { item_id: item.id, output_index: i, [field]: item[field] }),
          ev('response.output_item.done', { output_index: i, item }),
        );
      }
    });
    tail.push(ev(r.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: r }));
    return { head, body, tail };
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    name,
    format,
    received,
    history,
    last() {
      const r = received[received.length - 1];
      if (!r) throw new Error(`fake ${name} received no request`);
      return r;
    },
    enqueue(...s) {
      queue.push(...s);
    },
    setDefault(s) {
      fallback = s;
    },
    closedEarly(r) {
      if (r.closedEarlyAt !== null) return Promise.resolve(r.closedEarlyAt);
      return new Promise((resolve) => {
        const list = closeWaiters.get(r) ?? [];
        list.push(resolve);
        closeWaiters.set(r, list);
      });
    },
    reset() {
      received.length = 0;
      queue = [];
      fallback = null;
    },
    close() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
