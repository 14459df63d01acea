/**
 * Anthropic Messages API body (client dialect) → canonical, validating as it goes.
 * A user turn's tool_result blocks become canonical `tool` messages placed before the
 * rest of that turn; an assistant turn's thinking blocks are kept, with their signatures.
 * Blocks and server tools this model does not describe are kept as sent, for an
 * Anthropic provider (see the `anthropic_block` content part).
 * `cache_control` breakpoints are kept on the parts, tool calls, results and tools that carry them.
 */
import type { ChatMessage, ChatRequest, ContentPart, DialectExtras, KnownPart, ReasoningSetting, ResponseFormat, ThinkingBlock, ToolCall, ToolChoice, ToolDefinition } from '../../canonical.js';
import type { ParsedChatRequest } from '../client.js';
import { effortForBudget, effortOf } from '../reasoning.js';
import {
  badRequest, isRecord, optionalBoolean, optionalNumber, optionalString, requireArray, requireModelName, requireNonEmptyString,
  pickExtras, requirePositiveInt, requireRecord, requireString, withCacheControl, wrongType,
} from '../validate.js';
import { unsealReasoning } from '../sealed.js';
import { anthropicDefinedTool } from './defined-tools.js';

function image(block: Record<string, unknown>, param: string): KnownPart {
  const source = requireRecord(block.source, `${param}.source`);
  switch (source.type) {
    case 'base64':
      return withCacheControl<KnownPart>({
        type: 'image',
        mediaType: requireNonEmptyString(source.media_type, `${param}.source.media_type`),
        data: requireString(source.data, `${param}.source.data`),
      }, block, param);
    case 'url':
      return withCacheControl<KnownPart>({ type: 'image_url', url: requireNonEmptyString(source.url, `${param}.source.url`) }, block, param);
    default:
      throw badRequest(`${param}.source.type`, `\`${param}.source.type\` must be "base64" or "url"`);
  }
}

function unsupported(type: unknown, param: string, allowed: string): never {
  if (typeof type !== 'string') throw wrongType(`${param}.type`, 'a string', type);
  throw badRequest(`${param}.type`, `\`${param}.type\` "${type}" is not supported here (supported: ${allowed})`);
}

function text(block: Record<string, unknown>, param: string): KnownPart {
  return withCacheControl<KnownPart>({ type: 'text', text: requireString(block.text, `${param}.text`) }, block, param);
}

/**
 * A `document` with a base64 source (a PDF) can go to any provider that reads files;
 * other sources (text, URL, content, file id) only to Anthropic.
 */
function document(b: Record<string, unknown>, p: string): ContentPart {
  const source = requireRecord(b.source, `${p}.source`);
  if (source.type !== 'base64') return anthropicBlock(b, p);
  const part: ContentPart = {
    type: 'document',
    mediaType: requireNonEmptyString(source.media_type, `${p}.source.media_type`),
    data: requireString(source.data, `${p}.source.data`),
    anthropic: b,
  };
  if (typeof b.title === 'string' && b.title) part.filename = b.title;
  return part;
}

/**
 * A block of a type this model does not describe (`document`, `search_result`,
 * `server_tool_use`, `web_search_tool_result`, ...): kept as sent, for an Anthropic
 * provider to judge.
 */
function anthropicBlock(b: Record<string, unknown>, p: string): ContentPart {
  if (typeof b.type !== 'string' || b.type === '') throw wrongType(`${p}.type`, 'a block type', b.type);
  return { type: 'anthropic_block', block: b };
}

/** The system prompt's text blocks, or a tool_result's content (which may hold any block). */
function plainBlocks(v: unknown, param: string, toolResult: boolean): ContentPart[] {
  if (typeof v === 'string') return [{ type: 'text', text: v }];
  const arr = requireArray(v, param);
  const out: ContentPart[] = new Array(arr.length);
  for (let j = 0; j < arr.length; j++) {
    const p = `${param}[${j}]`;
    const b = requireRecord(arr[j], p);
    if (b.type === 'text') out[j] = text(b, p);
    else if (!toolResult) unsupported(b.type, p, 'text');
    else if (b.type === 'image') out[j] = image(b, p);
    else if (b.type === 'document') out[j] = document(b, p);
    else out[j] = anthropicBlock(b, p);
  }
  return out;
}

/** A user turn (client index `index`) → its tool results, then the rest as one user message. */
function userTurn(v: unknown, param: string, out: ChatMessage[], index: number): void {
  if (typeof v === 'string') {
    out.push(out.length === index ? { role: 'user', content: [{ type: 'text', text: v }] } : { role: 'user', content: [{ type: 'text', text: v }], from: param });
    return;
  }
  const arr = requireArray(v, param);
  if (arr.length === 0) throw badRequest(param, `\`${param}\` must not be an empty array`);
  const parts: ContentPart[] = [];
  for (let j = 0; j < arr.length; j++) {
    const p = `${param}[${j}]`;
    const b = requireRecord(arr[j], p);
    switch (b.type) {
      case 'text':
        parts.push(text(b, p));
        break;
      case 'image':
        parts.push(image(b, p));
        break;
      case 'document':
        parts.push(document(b, p));
        break;
      case 'tool_result': {
        const msg = withCacheControl<ChatMessage & { role: 'tool' }>({
          role: 'tool',
          toolCallId: requireNonEmptyString(b.tool_use_id, `${p}.tool_use_id`),
          content: b.content === undefined || b.content === null ? [] : plainBlocks(b.content, `${p}.content`, true),
          from: `${p}.content`,
        }, b, p);
        if (optionalBoolean(b.is_error, `${p}.is_error`)) msg.isError = true;
        out.push(msg);
        break;
      }
      default:
        parts.push(anthropicBlock(b, p));
    }
  }
  // After tool results (each a message of its own) this one's index differs from the client's turn.
  if (parts.length) out.push(out.length === index ? { role: 'user', content: parts } : { role: 'user', content: parts, from: param });
}

function assistantTurn(v: unknown, param: string): ChatMessage {
  if (typeof v === 'string') return { role: 'assistant', content: [{ type: 'text', text: v }] };
  const arr = requireArray(v, param);
  const parts: ContentPart[] = [];
  const calls: ToolCall[] = [];
  const thinking: ThinkingBlock[] = [];
  for (let j = 0; j < arr.length; j++) {
    const p = `${param}[${j}]`;
    const b = requireRecord(arr[j], p);
    switch (b.type) {
      case 'text':
        parts.push(text(b, p));
        break;
      case 'tool_use':
        calls.push(withCacheControl<ToolCall>({
          id: requireNonEmptyString(b.id, `${p}.id`),
          name: requireNonEmptyString(b.name, `${p}.name`),
          arguments: JSON.stringify(requireRecord(b.input, `${p}.input`)),
        }, b, p));
        break;
      case 'thinking': {
        const signature = requireString(b.signature, `${p}.signature`);
        // An OpenAI model's reasoning, as the gateway sealed it (wire/sealed.ts); the text is only its summary.
        const sealed = unsealReasoning(signature, (why) => badRequest(`${p}.signature`, `\`${p}.signature\` ${why}`));
        thinking.push(sealed ?? { type: 'thinking', thinking: requireString(b.thinking, `${p}.thinking`), signature });
        break;
      }
      case 'redacted_thinking':
        thinking.push({ type: 'redacted_thinking', data: requireString(b.data, `${p}.data`) });
        break;
      default:
        parts.push(anthropicBlock(b, p));
    }
  }
  const msg: ChatMessage & { role: 'assistant' } = { role: 'assistant', content: parts };
  if (calls.length) msg.toolCalls = calls;
  if (thinking.length) msg.thinking = thinking;
  return msg;
}

/**
 * Client tools into `tools`, those Anthropic defines and the client runs among them (see
 * ./defined-tools); server tools (web search, ...) into `server` as sent.
 */
function tools(v: unknown, server: Record<string, unknown>[]): ToolDefinition[] | undefined {
  if (v === undefined || v === null) return undefined;
  const arr = requireArray(v, 'tools');
  const out: ToolDefinition[] = [];
  for (let j = 0; j < arr.length; j++) {
    const p = `tools[${j}]`;
    const t = requireRecord(arr[j], p);
    if (t.type !== undefined && t.type !== null && t.type !== 'custom') {
      if (typeof t.type !== 'string') throw wrongType(`${p}.type`, 'a string', t.type);
      // One Anthropic defines and the client runs (bash, the text editor, memory) has a
      // function form every provider takes; the rest run at Anthropic.
      const defined = anthropicDefinedTool(t, t.type, p);
      if (defined !== null) out.push(withCacheControl(defined, t, p));
      else {
        requireNonEmptyString(t.name, `${p}.name`);
        server.push(t);
      }
      continue;
    }
    const def: ToolDefinition = {
      name: requireNonEmptyString(t.name, `${p}.name`),
      parameters: requireRecord(t.input_schema, `${p}.input_schema`),
    };
    const description = optionalString(t.description, `${p}.description`);
    if (description !== undefined) def.description = description;
    const strict = optionalBoolean(t.strict, `${p}.strict`);
    if (strict !== undefined) def.strict = strict;
    let own: Record<string, unknown> | undefined;
    for (const k in t) if (!TOOL_FIELDS.has(k)) (own ??= {})[k] = t[k];
    if (own !== undefined) def.anthropic = own;
    out.push(withCacheControl(def, t, p));
  }
  return out.length ? out : undefined;
}

/** A client tool's fields every provider reads in some form; the others are Anthropic's alone (ToolDefinition.anthropic). */
const TOOL_FIELDS = new Set(['type', 'name', 'description', 'input_schema', 'strict', 'cache_control']);

/** `tool_choice`, and whether it allows parallel calls (`disable_parallel_tool_use`). */
function toolChoice(v: unknown): { choice?: ToolChoice; parallel?: boolean } {
  if (v === undefined || v === null) return {};
  const c = requireRecord(v, 'tool_choice');
  const disable = optionalBoolean(c.disable_parallel_tool_use, 'tool_choice.disable_parallel_tool_use');
  const parallel = disable === undefined ? undefined : !disable;
  switch (c.type) {
    case 'auto': return { choice: 'auto', parallel };
    case 'none': return { choice: 'none' };
    case 'any': return { choice: 'required', parallel };
    case 'tool': return { choice: { name: requireNonEmptyString(c.name, 'tool_choice.name') }, parallel };
    default: throw badRequest('tool_choice.type', '`tool_choice.type` must be "auto", "any", "tool" or "none"');
  }
}

/** A JSON outputs `format` ({"type": "json_schema", "schema": {...}}) as the canonical response format. */
function jsonOutputFormat(v: unknown, param: string): ResponseFormat {
  const f = requireRecord(v, param);
  if (f.type !== 'json_schema') throw badRequest(`${param}.type`, `\`${param}.type\` must be "json_schema"`);
  // Anthropic's format has no name; OpenAI's requires one.
  return { type: 'json_schema', name: 'response', schema: requireRecord(f.schema, `${param}.schema`) };
}

/**
 * JSON outputs: `output_config.format`, or the older top-level `output_format` (one of
 * the two). The rest of `output_config` (`effort`, ...) is Anthropic's own and goes to an
 * Anthropic provider as sent, beside the format.
 */
function outputConfig(b: Record<string, unknown>): { format?: ResponseFormat; rest?: Record<string, unknown> } {
  let format: ResponseFormat | undefined;
  let rest: Record<string, unknown> | undefined;
  if (b.output_config !== undefined && b.output_config !== null) {
    const { format: f, ...others } = requireRecord(b.output_config, 'output_config');
    if (f !== undefined && f !== null) format = jsonOutputFormat(f, 'output_config.format');
    if (Object.keys(others).length) rest = others;
  }
  if (b.output_format !== undefined && b.output_format !== null) {
    if (format !== undefined) throw badRequest('output_format', 'send the JSON output format once: `output_config.format` or `output_format`, not both');
    format = jsonOutputFormat(b.output_format, 'output_format');
  }
  return { format, rest };
}

/** `extras` with `output_config`'s own fields added (the format travels canonically). */
function withOutputConfig(extras: DialectExtras | undefined, rest: Record<string, unknown> | undefined): DialectExtras | undefined {
  if (rest === undefined) return extras;
  return { dialect: 'anthropic', fields: { ...extras?.fields, output_config: rest } };
}

function stopSequences(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const arr = requireArray(v, 'stop_sequences');
  for (let i = 0; i < arr.length; i++) requireString(arr[i], `stop_sequences[${i}]`);
  return arr.length ? (arr as string[]) : undefined;
}

/**
 * Anthropic message fields with no canonical counterpart that an Anthropic provider gets
 * as sent (ChatRequest.extras). With `thinking`, the answer's thinking blocks reach an
 * Anthropic client (streamed as thinking events) and come back in its history.
 * `context_management` (server-side context editing) and `container` (the code execution
 * container to reuse) only matter to Anthropic; `mcp_servers` gives the model tools that
 * only Anthropic calls, so another provider refuses it (refuseAnthropicOnly).
 */
const ANTHROPIC_EXTRAS: ReadonlySet<string> = new Set(['top_k', 'service_tier', 'thinking', 'context_management', 'container', 'mcp_servers']);
/** What count_tokens takes of them: thinking changes the count. */
const COUNTED_EXTRAS: ReadonlySet<string> = new Set(['thinking']);

/**
 * Parses and validates an Anthropic `POST /v1/messages` body.
 * @example
 * const { request } = parseAnthropicMessagesRequest(JSON.parse(body));
 */
export function parseAnthropicMessagesRequest(body: unknown): ParsedChatRequest {
  const request = parseBody(body, false);
  // As from Anthropic, reasoning is shown only with thinking on: other providers reason unasked.
  const thinking = request.extras?.fields.thinking;
  const thinkingOn = isRecord(thinking) && thinking.type !== 'disabled';
  // With thinking on, a reasoning model served through the Responses API gives its reasoning encrypted, to be carried back (sealReasoning).
  if (thinkingOn) request.encryptedReasoning = 'reasoning';
  if (thinkingOn && thinking.display !== 'omitted') request.showsReasoning = true;
  return { request, clientOptions: { includeUsage: true, thinking: thinkingOn } };
}

/**
 * Parses and validates an Anthropic `POST /v1/messages/count_tokens` body: a messages body
 * without `max_tokens`. Generation settings (`max_tokens`, `temperature`, `stream`, ...)
 * are not counted and are ignored when present; `thinking` is kept.
 * @example
 * const request = parseAnthropicCountTokensRequest(JSON.parse(body));
 */
export function parseAnthropicCountTokensRequest(body: unknown): ChatRequest {
  return parseBody(body, true);
}

function parseBody(body: unknown, counting: boolean): ChatRequest {
  const b = requireRecord(body, 'body');
  const model = requireModelName(b.model);
  const maxTokens = counting ? undefined : requirePositiveInt(b.max_tokens, 'max_tokens');
  const raw = requireArray(b.messages, 'messages');
  if (raw.length === 0) throw badRequest('messages', '`messages` must contain at least one message');
  const messages: ChatMessage[] = [];
  for (let i = 0; i < raw.length; i++) {
    const param = `messages[${i}]`;
    const m = requireRecord(raw[i], param);
    if (m.role === 'user') userTurn(m.content, `${param}.content`, messages, i);
    else if (m.role === 'assistant') {
      const turn = assistantTurn(m.content, `${param}.content`);
      if (messages.length !== i) turn.from = `${param}.content`;
      messages.push(turn);
    }
    else if (m.role === 'system') {
      // A system message in the conversation (newer Claude models take them mid-conversation).
      const sys: ChatMessage = { role: 'system', content: plainBlocks(m.content, `${param}.content`, false) };
      if (messages.length !== i) sys.from = `${param}.content`;
      messages.push(sys);
    } else if (typeof m.role !== 'string') throw wrongType(`${param}.role`, '"user", "assistant" or "system"', m.role);
    else throw badRequest(`${param}.role`, `\`${param}.role\` must be "user", "assistant" or "system", got "${m.role}"`);
  }
  let user: string | undefined;
  if (b.metadata !== undefined && b.metadata !== null) {
    user = optionalString(requireRecord(b.metadata, 'metadata').user_id, 'metadata.user_id');
  }
  const system = b.system === undefined || b.system === null ? [] : plainBlocks(b.system, 'system', false);
  const server: Record<string, unknown>[] = [];
  const clientTools = tools(b.tools, server);
  const serverTools = server.length ? server : undefined;
  const choice = toolChoice(b.tool_choice);
  if (counting) {
    const counted: ChatRequest = { kind: 'chat', model, system, messages, tools: clientTools, serverTools, toolChoice: choice.choice, stream: false };
    // Thinking changes the count (its budget and kept blocks): count_tokens takes it too.
    const thinking = pickExtras(b, 'anthropic', COUNTED_EXTRAS);
    if (thinking !== undefined) counted.extras = thinking;
    return counted;
  }
  const request: ChatRequest = {
    kind: 'chat',
    model,
    system,
    messages,
    tools: clientTools,
    toolChoice: choice.choice,
    maxTokens,
    temperature: optionalNumber(b.temperature, 'temperature', 0, 1),
    topP: optionalNumber(b.top_p, 'top_p', 0, 1),
    stop: stopSequences(b.stop_sequences),
    stream: optionalBoolean(b.stream, 'stream') ?? false,
    user,
  };
  if (serverTools) request.serverTools = serverTools;
  if (choice.parallel !== undefined) request.parallelToolCalls = choice.parallel;
  const output = outputConfig(b);
  if (output.format !== undefined) request.responseFormat = output.format;
  const extras = withOutputConfig(pickExtras(b, 'anthropic', ANTHROPIC_EXTRAS), output.rest);
  if (extras !== undefined) request.extras = extras;
  request.clientBody = { dialect: 'anthropic', fields: b };
  const reasoning = reasoningSetting(b.thinking, output.rest?.effort);
  if (reasoning !== undefined) request.reasoning = reasoning;
  return request;
}

/**
 * `thinking` as one reasoning setting: a budget (`enabled`) with its effort, or adaptive
 * thinking at `output_config.effort` (Anthropic's default: high). Disabled or malformed:
 * none; Anthropic itself says what is wrong with a malformed one.
 */
function reasoningSetting(thinking: unknown, effort: unknown): ReasoningSetting | undefined {
  if (!isRecord(thinking)) return undefined;
  if (thinking.type === 'enabled' && typeof thinking.budget_tokens === 'number' && thinking.budget_tokens > 0) {
    return { effort: effortForBudget(thinking.budget_tokens), budgetTokens: Math.floor(thinking.budget_tokens) };
  }
  if (thinking.type === 'adaptive') return { effort: effortOf(effort) ?? 'high' };
  return undefined;
}
