/**
 * OpenAI chat completions body (client dialect) → canonical, validating as it goes.
 * One pass over the body; every rejection is SY_ERR_BAD_REQUEST naming the field.
 */
import type { ChatMessage, ChatRequest, ContentPart, KnownPart, ResponseFormat, ToolCall, ToolChoice, ToolDefinition } from '../../canonical.js';
import type { ParsedChatRequest } from '../client.js';
import { parseDataUrl, unsignedThinking } from '../content.js';
import { freeformNames, freeformTool, wrapInput } from '../freeform.js';
import {
  badRequest, isRecord, optionalBoolean, optionalNumber, optionalPositiveInt, optionalString, optionalStringList, pickExtras,
  requireArray, requireModelName, requireNonEmptyString, requireRecord, requireString, withCacheControl, wrongType,
} from '../validate.js';
import { effortOf } from '../reasoning.js';
import { detailsOf, reasoningFromOpenAI, signCalls } from './mapping.js';

const ROLES = 'system, developer, user, assistant, tool';

function imagePart(part: Record<string, unknown>, param: string): KnownPart {
  const ref = part.image_url;
  const url = typeof ref === 'string' ? ref : requireString(requireRecord(ref, `${param}.image_url`).url, `${param}.image_url.url`);
  return imageAt(url, `${param}.image_url.url`);
}

/** An image by URL (`param` names it): inline when a base64 data URL, else an http(s) URL. */
export function imageAt(url: string, param: string): KnownPart {
  if (url.startsWith('data:')) {
    const inline = parseDataUrl(url);
    if (!inline) throw badRequest(param, `\`${param}\` must be a base64 data URL (data:<media type>;base64,<data>) or an http(s) URL`);
    return { type: 'image', mediaType: inline.mediaType, data: inline.data };
  }
  if (!url.startsWith('https://') && !url.startsWith('http://')) throw badRequest(param, `\`${param}\` must be a base64 data URL or an http(s) URL`);
  return { type: 'image_url', url };
}

/** A file sent inline: `f.file_data` (a base64 data URL) and `f.filename`, at `param`. */
export function inlineDocument(f: Record<string, unknown>, param: string): KnownPart {
  const inline = parseDataUrl(requireString(f.file_data, `${param}.file_data`));
  if (!inline) throw badRequest(`${param}.file_data`, `\`${param}.file_data\` must be a base64 data URL (data:<media type>;base64,<data>)`);
  const doc: KnownPart = { type: 'document', mediaType: inline.mediaType, data: inline.data };
  const name = optionalString(f.filename, `${param}.filename`);
  if (name) doc.filename = name;
  return doc;
}

/**
 * A `file` part given inline (`file_data`, a base64 data URL). A `file_id` names a file
 * uploaded to one OpenAI account, which no other provider (nor another key) can read.
 */
function filePart(part: Record<string, unknown>, param: string): KnownPart {
  const f = requireRecord(part.file, `${param}.file`);
  if (f.file_id !== undefined && f.file_data === undefined) {
    throw badRequest(`${param}.file.file_id`, `\`${param}.file.file_id\`: uploaded files cannot be routed; send the file inline as \`file_data\` (a base64 data URL)`);
  }
  return inlineDocument(f, `${param}.file`);
}

/** `content` as a string or an array of parts; images and files only where `images` is true. */
function content(v: unknown, param: string, images: boolean): KnownPart[] {
  if (typeof v === 'string') return [{ type: 'text', text: v }];
  if (!Array.isArray(v)) throw wrongType(param, 'a string or an array of content parts', v);
  if (v.length === 0) throw badRequest(param, `\`${param}\` must not be an empty array`);
  const out: KnownPart[] = new Array(v.length);
  for (let j = 0; j < v.length; j++) {
    const p = `${param}[${j}]`;
    const part = requireRecord(v[j], p);
    switch (part.type) {
      case 'text':
        // cache_control on a part (the convention OpenAI-format gateways share) reaches Anthropic.
        out[j] = withCacheControl<KnownPart>({ type: 'text', text: requireString(part.text, `${p}.text`) }, part, p);
        break;
      case 'refusal':
        out[j] = { type: 'text', text: requireString(part.refusal, `${p}.refusal`) };
        break;
      case 'image_url':
        if (!images) throw badRequest(`${p}.type`, `\`${p}.type\`: images are allowed in user messages only`);
        out[j] = withCacheControl(imagePart(part, p), part, p);
        break;
      case 'file':
        if (!images) throw badRequest(`${p}.type`, `\`${p}.type\`: files are allowed in user messages only`);
        out[j] = withCacheControl(filePart(part, p), part, p);
        break;
      default:
        throw typeof part.type === 'string'
          ? badRequest(`${p}.type`, `\`${p}.type\` "${part.type}" is not supported (supported: text, image_url, file)`)
          : wrongType(`${p}.type`, 'a string', part.type);
    }
  }
  return out;
}

/** Marks `m` (client index `i`) and its tool calls with their places in the client's `messages`. */
function shifted(m: ChatMessage, i: number): void {
  m.from = `messages[${i}].content`;
  if (m.role === 'assistant' && m.toolCalls) m.toolCalls.forEach((c, k) => { c.from = `messages[${i}].tool_calls[${k}].function.arguments`; });
}

function toolCalls(v: unknown, param: string): ToolCall[] | undefined {
  if (v === undefined || v === null) return undefined;
  const arr = requireArray(v, param);
  const out: ToolCall[] = new Array(arr.length);
  for (let j = 0; j < arr.length; j++) {
    const p = `${param}[${j}]`;
    const c = requireRecord(arr[j], p);
    const id = requireNonEmptyString(c.id, `${p}.id`);
    if (c.type === 'custom') {
      // A custom tool's call goes upstream in its function form (see wire/freeform).
      const custom = requireRecord(c.custom, `${p}.custom`);
      out[j] = { id, name: requireNonEmptyString(custom.name, `${p}.custom.name`), arguments: wrapInput(requireString(custom.input, `${p}.custom.input`)) };
      continue;
    }
    if (c.type !== undefined && c.type !== 'function') throw badRequest(`${p}.type`, `\`${p}.type\` must be "function" or "custom"`);
    const fn = requireRecord(c.function, `${p}.function`);
    out[j] = withCacheControl<ToolCall>({
      id,
      name: requireNonEmptyString(fn.name, `${p}.function.name`),
      arguments: requireString(fn.arguments, `${p}.function.arguments`),
    }, c, p);
  }
  return out.length ? out : undefined;
}

/**
 * `cache_control` on a message rather than on its parts (the Vercel AI SDK's
 * openai-compatible provider puts it there, which is how opencode asks Claude to cache):
 * a breakpoint at the end of the message, which Anthropic marks on its last block. A
 * part's own mark wins.
 */
function cachedAtEnd(blocks: readonly (KnownPart | ToolCall)[], m: Record<string, unknown>, param: string): void {
  const last = blocks.at(-1);
  if (last !== undefined && last.cacheControl === undefined) withCacheControl(last, m, param);
}

function message(v: unknown, i: number, system: ContentPart[]): ChatMessage | undefined {
  const param = `messages[${i}]`;
  const m = requireRecord(v, param);
  switch (m.role) {
    case 'system':
    case 'developer': {
      const parts = content(m.content, `${param}.content`, false);
      cachedAtEnd(parts, m, param);
      for (const part of parts) system.push(part);
      return undefined;
    }
    case 'user': {
      const parts = content(m.content, `${param}.content`, true);
      cachedAtEnd(parts, m, param);
      return { role: 'user', content: parts };
    }
    case 'assistant': {
      const calls = toolCalls(m.tool_calls, `${param}.tool_calls`);
      const parts = m.content === undefined || m.content === null ? [] : content(m.content, `${param}.content`, false);
      // Anthropic puts the tool calls after the text: the last of them ends the message.
      cachedAtEnd(calls ?? parts, m, param);
      // The answer's reasoning, as the client got it: some servers need it back in a tool loop.
      const reasoning = reasoningFromOpenAI(m);
      if (!calls && parts.length === 0 && reasoning === '') throw badRequest(`${param}.content`, `\`${param}.content\` is required unless \`${param}.tool_calls\` is given`);
      const turn: ChatMessage & { role: 'assistant' } = { role: 'assistant', content: parts };
      // A client that keeps OpenRouter's reasoning_details gives Gemini's signatures back there.
      if (calls) turn.toolCalls = signCalls(calls, m.reasoning_details);
      if (reasoning !== '') turn.thinking = unsignedThinking(reasoning);
      const details = detailsOf(m);
      if (details !== undefined) (turn.thinking ??= []).push(details);
      return turn;
    }
    case 'tool':
      // A mark on the message is the result block's (Anthropic's tool_result).
      return withCacheControl<ChatMessage & { role: 'tool' }>({
        role: 'tool',
        toolCallId: requireNonEmptyString(m.tool_call_id, `${param}.tool_call_id`),
        content: content(m.content, `${param}.content`, false),
      }, m, param);
    default:
      if (typeof m.role !== 'string') throw wrongType(`${param}.role`, `one of ${ROLES}`, m.role);
      throw badRequest(`${param}.role`, `\`${param}.role\` must be one of ${ROLES}, got "${m.role}"`);
  }
}

/** Function and custom tools. */
function tools(v: unknown): ToolDefinition[] | undefined {
  if (v === undefined || v === null) return undefined;
  const arr = requireArray(v, 'tools');
  const out: ToolDefinition[] = new Array(arr.length);
  for (let j = 0; j < arr.length; j++) {
    const p = `tools[${j}]`;
    const t = requireRecord(arr[j], p);
    if (t.type === 'custom') out[j] = freeformTool(requireRecord(t.custom, `${p}.custom`), `${p}.custom`);
    else if (t.type === 'function') out[j] = functionTool(requireRecord(t.function, `${p}.function`), `${p}.function`);
    else throw badRequest(`${p}.type`, `\`${p}.type\` must be "function" or "custom"`);
  }
  return out.length ? out : undefined;
}

/**
 * A function tool's `name`, `description`, `parameters` (an empty object schema when
 * absent) and `strict`, from `fn` at `param`: chat completions nests them in `function`,
 * the Responses API puts them on the tool itself.
 */
export function functionTool(fn: Record<string, unknown>, param: string): ToolDefinition {
  const def: ToolDefinition = {
    name: requireNonEmptyString(fn.name, `${param}.name`),
    parameters: fn.parameters === undefined || fn.parameters === null ? { type: 'object', properties: {} } : requireRecord(fn.parameters, `${param}.parameters`),
  };
  const description = optionalString(fn.description, `${param}.description`);
  if (description !== undefined) def.description = description;
  const strict = optionalBoolean(fn.strict, `${param}.strict`);
  if (strict !== undefined) def.strict = strict;
  return def;
}

/** A JSON schema answer format (`name`, `schema`, `strict`) from `f` at `param`. */
export function jsonSchemaFormat(f: Record<string, unknown>, param: string): ResponseFormat {
  const out: ResponseFormat = {
    type: 'json_schema',
    name: requireNonEmptyString(f.name, `${param}.name`),
    schema: f.schema === undefined || f.schema === null ? {} : requireRecord(f.schema, `${param}.schema`),
  };
  const strict = optionalBoolean(f.strict, `${param}.strict`);
  if (strict !== undefined) out.strict = strict;
  return out;
}

function toolChoice(v: unknown): ToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 'auto' || v === 'none' || v === 'required') return v;
  if (isRecord(v) && (v.type === 'function' || v.type === 'custom')) {
    const fn = requireRecord(v[v.type], `tool_choice.${v.type}`);
    return { name: requireNonEmptyString(fn.name, `tool_choice.${v.type}.name`) };
  }
  throw badRequest('tool_choice', '`tool_choice` must be "auto", "none", "required" or {"type":"function","function":{"name":...}}');
}

function responseFormat(v: unknown): ResponseFormat | undefined {
  if (v === undefined || v === null) return undefined;
  const f = requireRecord(v, 'response_format');
  switch (f.type) {
    case 'text':
    case 'json_object':
      return { type: f.type };
    case 'json_schema':
      return jsonSchemaFormat(requireRecord(f.json_schema, 'response_format.json_schema'), 'response_format.json_schema');
    default:
      throw badRequest('response_format.type', '`response_format.type` must be "text", "json_object" or "json_schema"');
  }
}

/**
 * OpenAI chat fields with no canonical counterpart that an OpenAI-format provider gets as
 * sent (ChatRequest.extras). None changes the shape of the answer; `n` (several choices)
 * is refused instead.
 */
const OPENAI_EXTRAS: ReadonlySet<string> = new Set([
  'seed', 'presence_penalty', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs',
  'service_tier', 'reasoning_effort', 'metadata', 'store', 'prediction',
  'verbosity', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier',
]);

/**
 * Parses and validates an OpenAI `POST /v1/chat/completions` body.
 * @example
 * const { request, clientOptions } = parseOpenAIChatRequest(JSON.parse(body));
 * // request.kind === 'chat'; clientOptions.includeUsage from stream_options
 */
export function parseOpenAIChatRequest(body: unknown): ParsedChatRequest {
  const b = requireRecord(body, 'body');
  const model = requireModelName(b.model);
  const raw = requireArray(b.messages, 'messages');
  if (raw.length === 0) throw badRequest('messages', '`messages` must contain at least one message');
  const system: ContentPart[] = [];
  const messages: ChatMessage[] = [];
  for (let i = 0; i < raw.length; i++) {
    const m = message(raw[i], i, system);
    if (!m) continue;
    // System messages are lifted out, so later indexes shift: errors name the client's.
    if (messages.length !== i) shifted(m, i);
    messages.push(m);
  }
  if (b.n !== undefined && b.n !== null && b.n !== 1) throw badRequest('n', '`n` other than 1 is not supported');
  // Left out, they would leave the model without the functions, unasked.
  for (const legacy of ['functions', 'function_call'] as const) {
    if (b[legacy] !== undefined && b[legacy] !== null) throw badRequest(legacy, `\`${legacy}\` (OpenAI's deprecated function calling) is not supported; declare \`tools\` and use \`tool_choice\``);
  }
  // Audio answers have no canonical form; left out, the client would get text instead, unasked.
  const modalities = optionalStringList(b.modalities, 'modalities');
  if (modalities?.some((m) => m !== 'text') || (b.audio !== undefined && b.audio !== null)) {
    throw badRequest(b.audio !== undefined && b.audio !== null ? 'audio' : 'modalities', 'audio output (`modalities: ["audio"]`, `audio`) is not supported; ask for text');
  }

  const stream = optionalBoolean(b.stream, 'stream') ?? false;
  let includeUsage = false;
  if (b.stream_options !== undefined && b.stream_options !== null) {
    includeUsage = optionalBoolean(requireRecord(b.stream_options, 'stream_options').include_usage, 'stream_options.include_usage') ?? false;
  }
  const maxTokens = optionalPositiveInt(b.max_completion_tokens, 'max_completion_tokens') ?? optionalPositiveInt(b.max_tokens, 'max_tokens');
  const request: ChatRequest = {
    kind: 'chat',
    model,
    system,
    messages,
    tools: tools(b.tools),
    toolChoice: toolChoice(b.tool_choice),
    parallelToolCalls: optionalBoolean(b.parallel_tool_calls, 'parallel_tool_calls'),
    maxTokens,
    temperature: optionalNumber(b.temperature, 'temperature', 0, 2),
    topP: optionalNumber(b.top_p, 'top_p', 0, 1),
    stop: optionalStringList(b.stop, 'stop'),
    stream,
    responseFormat: responseFormat(b.response_format),
    user: optionalString(b.user, 'user'),
  };
  const extras = pickExtras(b, 'openai', OPENAI_EXTRAS);
  if (extras !== undefined) request.extras = extras;
  request.clientBody = { dialect: 'openai', fields: b };
  const effort = effortOf(b.reasoning_effort);
  if (effort !== undefined) {
    request.reasoning = { effort };
    request.showsReasoning = true;
  }
  const freeform = freeformNames(request.tools);
  return { request, clientOptions: freeform === undefined ? { includeUsage } : { includeUsage, freeform } };
}
