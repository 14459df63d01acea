/** Canonical ChatRequest → OpenAI chat completions body (OpenAI, Azure, OpenAI-compatible, mock). */
import type { ChatMessage, ChatRequest, ContentPart, ResponseFormat, ToolChoice } from '../../canonical.js';
import { createHash } from 'node:crypto';
import { SwitchyardError } from '../../errors.js';
import { callDetails, detailsIn } from './mapping.js';
import { openAIStrict } from './strict.js';
import { addExtras, anthropicOnly, hasNonText, plainToolCallId, reasoningOf, refuseAnthropicOnly, searchOnly, textOf, toDataUrl, toolResultForOthers } from '../content.js';

/** OpenAI refuses a tool call id longer than this. */
const MAX_TOOL_ID = 40;

/**
 * A tool call's id as OpenAI takes it: at most 40 characters. A longer one (another
 * provider's) is cut and given a digest of the whole, the same on the call and on its
 * result, so the two still pair.
 */
export function openAIToolId(id: string): string {
  const plain = plainToolCallId(id);
  if (plain.length <= MAX_TOOL_ID) return plain;
  return `${plain.slice(0, 23)}_${createHash('sha256').update(plain).digest('base64url').slice(0, 16)}`;
}

/** The only tool call ids Mistral takes: nine letters and digits. */
const MISTRAL_TOOL_ID = /^[A-Za-z0-9]{9}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A tool call's id as Mistral takes it (options.tool_loop: mistral): nine letters and
 * digits. Its own ids (and any other that fits) go as they are; another provider's
 * (`toolu_…`, `call_…`) go as nine base-62 digits of a digest of the whole, the same on
 * the call and on its result, so the two still pair.
 */
export function mistralToolId(id: string): string {
  const plain = plainToolCallId(id);
  if (MISTRAL_TOOL_ID.test(plain)) return plain;
  let n = createHash('sha256').update(plain).digest().readBigUInt64BE(0);
  let out = '';
  for (let i = 0; i < 9; i++) {
    out += BASE62[Number(n % 62n)];
    n /= 62n;
  }
  return out;
}

/** OpenAI refuses a `user` longer than this. */
const MAX_USER = 64;

/**
 * The end-user id as OpenAI takes it: at most 64 characters. A longer one (Claude Code's
 * `metadata.user_id` is a JSON object of about 150) goes as its SHA-256 in hex, 64
 * characters, so one end-user is still one id for OpenAI's abuse monitoring.
 */
export function openAIUser(user: string): string {
  return user.length <= MAX_USER ? user : createHash('sha256').update(user).digest('hex');
}

export interface OpenAIRequestOptions {
  /** OpenAI's reasoning models accept only `max_completion_tokens`; most compatible servers only `max_tokens`. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Ask for usage in streams (`stream_options.include_usage`): the gateway needs it for accounting. */
  streamUsage: boolean;
  /**
   * Send an assistant turn's reasoning back as `reasoning_content`: DeepSeek and Kimi refuse
   * a tool loop whose turns lack it, while strict servers (Groq, Mistral) refuse the field.
   */
  sendReasoning?: boolean;
  /**
   * The rules a server holds tool loops to beyond OpenAI's (options.tool_loop): `mistral`,
   * tool call ids of nine letters and digits, and an assistant message between a tool
   * message and a user message (see withToolTurnsClosed).
   */
  toolLoop?: 'mistral';
}

type WirePart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string } }
  | { type: 'file'; file: { filename: string; file_data: string } };

function wirePart(p: ContentPart, param: string): WirePart {
  switch (p.type) {
    case 'text': return { type: 'text', text: p.text };
    case 'image': return { type: 'image_url', image_url: { url: toDataUrl(p.mediaType, p.data) } };
    case 'image_url': return { type: 'image_url', image_url: { url: p.url } };
    case 'document': return { type: 'file', file: { filename: p.filename ?? 'document', file_data: toDataUrl(p.mediaType, p.data) } };
    case 'anthropic_block': throw anthropicOnly(`a "${String(p.block.type)}" block`, param);
  }
}

/** A lone text part goes as a plain string: every OpenAI-compatible server accepts that. */
function userContent(parts: ContentPart[], param: string): string | WirePart[] {
  if (parts.length === 0) return '';
  if (parts.length === 1 && parts[0].type === 'text') return parts[0].text;
  return parts.map((p) => wirePart(p, param));
}

/** How a tool call's id goes on the wire: as OpenAI takes it, or as Mistral does. */
type WireToolId = (id: string) => string;

function wireMessage(m: ChatMessage, i: number, sendReasoning: boolean, toolId: WireToolId): Record<string, unknown> {
  switch (m.role) {
    case 'user':
      return { role: 'user', content: userContent(m.content, m.from ?? `messages[${i}].content`) };
    case 'assistant': {
      const text = textOf(m.content);
      const out: Record<string, unknown> = { role: 'assistant', content: text === '' && m.toolCalls?.length ? null : text };
      if (sendReasoning && m.thinking !== undefined) {
        const reasoning = reasoningOf(m.thinking);
        if (reasoning !== '') out.reasoning_content = reasoning;
      }
      if (m.toolCalls?.length) {
        out.tool_calls = m.toolCalls.map((c) => ({ id: toolId(c.id), type: 'function', function: { name: c.name, arguments: c.arguments } }));
      }
      // OpenRouter's reasoning details go back unmodified, as it asks; without them (a client of
      // another dialect), Gemini's thought signatures riding in the call ids (see callSignatures).
      if (sendReasoning) {
        const details = detailsIn(m.thinking) ?? (m.toolCalls?.length ? callDetails(m.toolCalls, toolId) : undefined);
        if (details !== undefined) out.reasoning_details = details;
      }
      return out;
    }
    case 'tool': {
      // Chat completions takes text only in a tool message: what else a result holds
      // (a screenshot, a file) follows in a user message (see toolAttachments).
      const content = toolResultForOthers(m.content);
      const text = textOf(content, '\n');
      const others = hasNonText(content) ? content.filter((p) => p.type !== 'text').length : 0;
      const note = others === 0 ? '' : `[${others === 1 ? 'an attachment' : `${others} attachments`} of this result follow${others === 1 ? 's' : ''} in the next user message]`;
      return { role: 'tool', tool_call_id: toolId(m.toolCallId), content: text === '' ? note : note === '' ? text : `${text}\n${note}` };
    }
    case 'system':
      return { role: 'system', content: textOf(m.content, '\n\n') };
  }
}

/** A tool result's parts other than text, named by their call, added to `out`. */
function toolAttachments(m: Extract<ChatMessage, { role: 'tool' }>, content: ContentPart[], i: number, out: WirePart[], toolId: WireToolId): WirePart[] {
  const param = m.from ?? `messages[${i}].content`;
  out.push({ type: 'text', text: `Attached to the result of tool call ${toolId(m.toolCallId)}:` });
  for (const p of content) if (p.type !== 'text') out.push(wirePart(p, param));
  return out;
}

/** What the assistant says between a tool result and the user's next words, where a server wants it to speak. */
export const TOOL_RESULTS_RECEIVED = 'Tool results received.';

/**
 * `messages` with an assistant message after every tool message that a message other than a
 * tool or assistant message follows. Mistral refuses that order ("Unexpected role 'user' after
 * role 'tool'"), which an Anthropic user turn holding tool results and text or images beside
 * them (Claude Code's reminders) comes to here, as does a result's attachments' user message.
 * The user's words stay the user's, and the results stay what the tools said; the assistant
 * only says it has them (Mistral refuses an empty assistant message).
 */
function withToolTurnsClosed(messages: Record<string, unknown>[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const m of messages) {
    if (out[out.length - 1]?.role === 'tool' && m.role !== 'tool' && m.role !== 'assistant') out.push({ role: 'assistant', content: TOOL_RESULTS_RECEIVED });
    out.push(m);
  }
  return out;
}

function wireToolChoice(c: ToolChoice): unknown {
  return typeof c === 'string' ? c : { type: 'function', function: { name: c.name } };
}

function wireResponseFormat(f: ResponseFormat): unknown {
  if (f.type !== 'json_schema') return { type: f.type };
  const schema: Record<string, unknown> = { name: f.name, schema: f.schema };
  if (f.strict !== undefined) schema.strict = f.strict;
  return { type: 'json_schema', json_schema: schema };
}

export function toOpenAIChatBody(req: ChatRequest, model: string, opts: OpenAIRequestOptions): Record<string, unknown> {
  refuseAnthropicOnly(req);
  const messages: Record<string, unknown>[] = [];
  if (req.system.length) messages.push({ role: 'system', content: textOf(req.system, '\n\n') });
  const toolId = opts.toolLoop === 'mistral' ? mistralToolId : openAIToolId;
  let attached: WirePart[] | null = null;
  for (let i = 0; i < req.messages.length; i++) {
    const m = req.messages[i];
    // A turn that held only what OpenAI's Responses API reads back (a tool search) says nothing here.
    if (searchOnly(m)) continue;
    messages.push(wireMessage(m, i, opts.sendReasoning === true, toolId));
    if (m.role === 'tool' && hasNonText(m.content)) {
      const content = toolResultForOthers(m.content);
      if (hasNonText(content)) attached = toolAttachments(m, content, i, attached ?? [], toolId);
    }
    // After the turn's last tool result: a user message may not come between them.
    if (attached !== null && req.messages[i + 1]?.role !== 'tool') {
      messages.push({ role: 'user', content: attached });
      attached = null;
    }
  }

  const body: Record<string, unknown> = { model, messages: opts.toolLoop === 'mistral' ? withToolTurnsClosed(messages) : messages };
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => {
      const fn: Record<string, unknown> = t.description === undefined ? { name: t.name, parameters: t.parameters } : { name: t.name, description: t.description, parameters: t.parameters };
      const strict = openAIStrict(t, req);
      if (strict !== undefined) fn.strict = strict;
      return { type: 'function', function: fn };
    });
    if (req.toolChoice !== undefined) body.tool_choice = wireToolChoice(req.toolChoice);
    // OpenAI refuses parallel_tool_calls without tools.
    if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  }
  if (req.maxTokens !== undefined) body[opts.maxTokensField] = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop?.length) body.stop = req.stop;
  if (req.responseFormat !== undefined) body.response_format = wireResponseFormat(req.responseFormat);
  if (req.user !== undefined) body.user = openAIUser(req.user);
  if (req.stream) {
    body.stream = true;
    if (opts.streamUsage) body.stream_options = { include_usage: true };
  }
  if (req.extras?.dialect === 'openai') {
    addExtras(body, req.extras.fields);
    // A Responses API client's: chat completions has no `truncation`, and refuses
    // `metadata` unless the completion is stored.
    delete body.truncation;
    if (body.store !== true) delete body.metadata;
  }
  return body;
}

/** A reasoning setting from a client of another dialect, as `reasoning_effort` (options.reasoning `effort`). */
export function withOpenAIReasoning(body: Record<string, unknown>, req: ChatRequest): Record<string, unknown> {
  if (req.reasoning !== undefined && req.extras?.dialect !== 'openai') body.reasoning_effort = req.reasoning.effort;
  return body;
}
