/** Helpers over canonical content shared by every wire codec. */
import type { ChatMessage, ChatRequest, ContentPart, ThinkingBlock } from '../canonical.js';
import { SwitchyardError } from '../errors.js';

/** Concatenated text of the text parts; other parts are skipped. */
export function textOf(parts: ContentPart[], sep = ''): string {
  if (parts.length === 1) return parts[0].type === 'text' ? parts[0].text : '';
  let out = '';
  let first = true;
  for (const p of parts) {
    if (p.type !== 'text') continue;
    out = first ? p.text : out + sep + p.text;
    first = false;
  }
  return out;
}

/**
 * The reasoning text of thinking blocks, joined (redacted blocks have none): what an
 * OpenAI-format answer or history carries as `reasoning_content`.
 */
export function reasoningOf(blocks: readonly ThinkingBlock[] | undefined): string {
  if (blocks === undefined) return '';
  let out = '';
  for (const b of blocks) if (b.type === 'thinking' && b.thinking !== '') out = out === '' ? b.thinking : `${out}\n\n${b.thinking}`;
  return out;
}

/** Reasoning text as a thinking block of a provider that does not sign it (see ThinkingBlock). */
export function unsignedThinking(text: string): ThinkingBlock[] {
  return [{ type: 'thinking', thinking: text, signature: '' }];
}

export function hasNonText(parts: ContentPart[]): boolean {
  for (const p of parts) if (p.type !== 'text') return true;
  return false;
}

/** `data:<media type>[;params];base64,<data>` → its parts; undefined when not a base64 data URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const header = url.slice(5, comma);
  if (!header.endsWith(';base64')) return undefined;
  const semi = header.indexOf(';');
  const mediaType = header.slice(0, semi);
  if (!mediaType) return undefined;
  return { mediaType, data: url.slice(comma + 1) };
}

export function toDataUrl(mediaType: string, data: string): string {
  return 'data:' + mediaType + ';base64,' + data;
}

/**
 * Tool-call arguments (JSON text) as the object Anthropic `input` / Gemini `args`
 * require. The history comes from the client, so bad JSON is the client's error.
 */
export function toolArgumentsObject(args: string, where: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw new SwitchyardError('SY_ERR_BAD_REQUEST', `${where}: tool call arguments are not valid JSON`, { details: { param: where } });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SwitchyardError('SY_ERR_BAD_REQUEST', `${where}: tool call arguments must be a JSON object`, { details: { param: where } });
  }
  return parsed as Record<string, unknown>;
}

/** Like toolArgumentsObject, for model output we must render anyway: bad JSON becomes `{}`. */
export function toolArgumentsOrEmpty(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Adds the client's own-dialect fields (ChatRequest.extras) to a provider body; a field the body already has wins. */
export function addExtras(body: Record<string, unknown>, fields: Readonly<Record<string, unknown>>): void {
  for (const name in fields) if (!(name in body)) body[name] = fields[name];
}

/**
 * The client's error for what only an Anthropic provider takes (an `anthropic_block`
 * part, a server tool) when the request is routed to another provider.
 */
export function anthropicOnly(what: string, param: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_BAD_REQUEST', `${param}: ${what} can only be sent to an Anthropic provider`, { details: { param } });
}

/**
 * The client's error for a request with nothing for `provider` to answer: every message
 * empty, and no system prompt to take their place (an empty text goes nowhere: Anthropic
 * and Gemini refuse one).
 */
export function nothingToAnswer(req: ChatRequest, provider: string): SwitchyardError {
  const param = req.messages[0]?.from?.startsWith('input') ? 'input' : 'messages';
  return new SwitchyardError('SY_ERR_BAD_REQUEST', `${param}: ${provider} takes no request without a message that says something, and every message here is empty`, { details: { param } });
}

/**
 * A tool result's content for a provider other than Anthropic: a `tool_reference` block
 * (a tool search's find, which loads a deferred tool: Claude Code's ToolSearch answers
 * with them) in words, as such a provider was given every tool loaded. Other parts are
 * left as they are, for the codec to send or refuse (anthropicOnly).
 */
export function toolResultForOthers(parts: ContentPart[]): ContentPart[] {
  if (!parts.some(isToolReference)) return parts;
  return parts.map((p) => (isToolReference(p) ? { type: 'text', text: `Tool found: ${String(p.block.tool_name)}` } : p));
}

function isToolReference(p: ContentPart): p is Extract<ContentPart, { type: 'anthropic_block' }> {
  return p.type === 'anthropic_block' && p.block.type === 'tool_reference';
}

/**
 * What only Anthropic runs is refused by every other provider: a server tool (web search,
 * ...), or remote MCP servers (`mcp_servers`), whose tools the model would otherwise
 * silently lack.
 */
export function refuseAnthropicOnly(req: ChatRequest): void {
  const tools = req.serverTools;
  if (tools?.length) throw anthropicOnly(`the server tool "${String(tools[0].name ?? tools[0].type)}"`, 'tools');
  if (req.extras?.dialect === 'anthropic' && req.extras.fields.mcp_servers !== undefined) {
    throw anthropicOnly('`mcp_servers` (tools on remote MCP servers, which Anthropic calls)', 'mcp_servers');
  }
}

/**
 * A provider's signature on a tool call (Gemini's thoughtSignature, which Gemini 3 wants
 * back with the call on the next turn) travels inside the call's id, after this mark, in
 * base64url: clients keep a tool call's id and send it back with the call and its result,
 * and have no other field that would carry it. Other providers get the id without it.
 */
const SIGNATURE_MARK = '__sig_';

/** `id` carrying `signature` (base64); `id` itself when there is none. */
export function signedToolCallId(id: string, signature: unknown): string {
  if (typeof signature !== 'string' || signature === '') return id;
  return id + SIGNATURE_MARK + Buffer.from(signature, 'base64').toString('base64url');
}

/** A tool call id as a provider that did not sign it must see it: without the signature. */
export function plainToolCallId(id: string): string {
  const at = id.indexOf(SIGNATURE_MARK);
  return at < 0 ? id : id.slice(0, at);
}

/** Whether any of `calls` carries a signature in its id. */
export function anySigned(calls: readonly { id: string }[]): boolean {
  for (const c of calls) if (c.id.includes(SIGNATURE_MARK)) return true;
  return false;
}

/** The signature (base64) a tool call id carries; undefined when it carries none. */
export function toolCallSignature(id: string): string | undefined {
  const at = id.indexOf(SIGNATURE_MARK);
  return at < 0 ? undefined : Buffer.from(id.slice(at + SIGNATURE_MARK.length), 'base64url').toString('base64');
}

/**
 * An assistant turn that holds only OpenAI's tool search items (ChatMessage hosted): a
 * model without tool search is sent nothing of it.
 */
export function searchOnly(m: ChatMessage): boolean {
  return m.role === 'assistant' && m.hosted !== undefined && m.content.length === 0 && !m.toolCalls;
}
