/** Canonical ChatRequest → Anthropic Messages API body. */
import type { CacheControl, ChatRequest, ContentPart, ThinkingBlock, ToolChoice, ToolDefinition } from '../../canonical.js';
import { addExtras, nothingToAnswer, plainToolCallId, searchOnly, toolArgumentsObject } from '../content.js';
import { anthropicStrictSchema } from './schema.js';
import { isRecord } from '../validate.js';
import { budgetOf } from '../reasoning.js';

/** Anthropic requires `max_tokens`; this is sent when the client gave none. */
export const DEFAULT_MAX_TOKENS = 4096;

type Block = Record<string, unknown>;
interface WireMessage { role: 'user' | 'assistant' | 'system'; content: Block[] }

/**
 * A tool call's id as Anthropic takes it (`^[a-zA-Z0-9_-]+$`): other providers' ids may
 * hold other characters (Kimi's `functions.get_weather:0`), which become `_`, the same
 * way on the call and on its result, so the two still pair.
 */
function anthropicToolId(id: string): string {
  const plain = plainToolCallId(id);
  return /^[a-zA-Z0-9_-]+$/.test(plain) ? plain : plain.replace(/[^a-zA-Z0-9_-]/g, '_') || '_';
}

/** `block` with the prompt-cache breakpoint, where the client put one. */
function cached(block: Block, c: CacheControl | undefined): Block {
  if (c !== undefined) block.cache_control = c;
  return block;
}

/** A base64 `document` block; a file name becomes its title. */
function documentBlock(mediaType: string, data: string, filename: string | undefined): Block {
  const block: Block = { type: 'document', source: { type: 'base64', media_type: mediaType, data } };
  if (filename !== undefined) block.title = filename;
  return block;
}

/** Text, image and document blocks; empty text is dropped because Anthropic rejects empty text blocks. */
function blocks(parts: ContentPart[], out: Block[]): Block[] {
  for (const p of parts) {
    switch (p.type) {
      case 'text':
        if (p.text !== '') out.push(cached({ type: 'text', text: p.text }, p.cacheControl));
        break;
      case 'image':
        out.push(cached({ type: 'image', source: { type: 'base64', media_type: p.mediaType, data: p.data } }, p.cacheControl));
        break;
      case 'image_url':
        out.push(cached({ type: 'image', source: { type: 'url', url: p.url } }, p.cacheControl));
        break;
      case 'document':
        out.push(p.anthropic ?? cached(documentBlock(p.mediaType, p.data, p.filename), p.cacheControl));
        break;
      case 'anthropic_block':
        out.push(p.block);
        break;
    }
  }
  return out;
}

/** `tool_choice`; `parallel: false` allows one call per turn (not with "none", which allows none). */
function wireToolChoice(c: ToolChoice, parallel: boolean | undefined): Block {
  const block: Block = c === 'auto' ? { type: 'auto' } : c === 'none' ? { type: 'none' } : c === 'required' ? { type: 'any' } : { type: 'tool', name: c.name };
  if (parallel === false && c !== 'none') block.disable_parallel_tool_use = true;
  return block;
}

function wireTool(t: ToolDefinition): Block {
  // A tool Anthropic defines goes as the client declared it (type and name).
  if (typeof t.anthropic?.type === 'string') return cached({ ...t.anthropic }, t.cacheControl);
  // A strict tool's arguments are held to its schema, in the subset Claude takes.
  const schema = t.strict === true ? anthropicStrictSchema(t.parameters) : t.parameters;
  const tool: Block = t.description === undefined ? { name: t.name, input_schema: schema } : { name: t.name, description: t.description, input_schema: schema };
  if (t.strict !== undefined) tool.strict = t.strict;
  if (t.anthropic !== undefined) Object.assign(tool, t.anthropic);
  return cached(tool, t.cacheControl);
}

/**
 * Consecutive turns of one role merge into one message: canonical tool results (one
 * message each) become tool_result blocks of a single user turn, followed by any user
 * text that came after them, as Anthropic expects.
 */
function wireMessages(req: ChatRequest): WireMessage[] {
  const out: WireMessage[] = [];
  const append = (role: WireMessage['role'], content: Block[]): void => {
    if (content.length === 0) return;
    const last = out[out.length - 1];
    if (last && last.role === role) for (const b of content) last.content.push(b);
    else out.push({ role, content });
  };
  for (let i = 0; i < req.messages.length; i++) {
    const m = req.messages[i];
    switch (m.role) {
      case 'user':
        append('user', blocks(m.content, []));
        break;
      case 'assistant': {
        // Reasoning another provider showed has no signature, and Anthropic refuses a block without its own.
        const content: Block[] = [];
        if (m.thinking) for (const t of m.thinking) if (anthropicSigned(t)) content.push({ ...t });
        blocks(m.content, content);
        if (m.toolCalls) {
          for (let k = 0; k < m.toolCalls.length; k++) {
            const c = m.toolCalls[k];
            content.push(cached({ type: 'tool_use', id: anthropicToolId(c.id), name: c.name, input: toolArgumentsObject(c.arguments, c.from ?? `messages[${i}].tool_calls[${k}].function.arguments`) }, c.cacheControl));
          }
        }
        append('assistant', content);
        break;
      }
      case 'tool': {
        const result: Block = { type: 'tool_result', tool_use_id: anthropicToolId(m.toolCallId) };
        const inner = blocks(m.content, []);
        if (inner.length) result.content = inner;
        if (m.isError) result.is_error = true;
        append('user', [cached(result, m.cacheControl)]);
        break;
      }
      case 'system':
        // Only an Anthropic client puts system messages in the conversation (others' system
        // prompts go to the top-level field): they go back as it sent them.
        append('system', blocks(m.content, []));
        break;
    }
  }
  return out;
}

export function toAnthropicBody(req: ChatRequest, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model, max_tokens: req.maxTokens ?? DEFAULT_MAX_TOKENS };
  if (req.system.length) {
    const system = blocks(req.system, []).filter((b) => b.type === 'text');
    // A lone block goes as a plain string unless it carries a cache breakpoint.
    if (system.length) body.system = system.length === 1 && system[0].cache_control === undefined ? system[0].text : system;
  }
  const messages = wireMessages(req);
  // An OpenAI client may send system messages alone, which its models answer as the prompt;
  // Anthropic refuses a request without a message, so the system prompt goes as the user's.
  if (messages.length === 0) {
    if (body.system === undefined) throw nothingToAnswer(req, 'Anthropic');
    messages.push({ role: 'user', content: typeof body.system === 'string' ? [{ type: 'text', text: body.system }] : body.system as Block[] });
    delete body.system;
  }
  body.messages = messages;
  if (req.tools?.length || req.serverTools?.length) {
    const tools: Block[] = req.tools ? req.tools.map(wireTool) : [];
    if (req.serverTools) for (const t of req.serverTools) tools.push(t);
    body.tools = tools;
    if (req.toolChoice !== undefined || req.parallelToolCalls === false) body.tool_choice = wireToolChoice(req.toolChoice ?? 'auto', req.parallelToolCalls);
  }
  // OpenAI's range is 0–2, Anthropic's 0–1: a hotter request gets Anthropic's hottest, not a 400.
  if (req.temperature !== undefined) body.temperature = Math.min(req.temperature, 1);
  // Current Claude models refuse temperature and top_p together (400): temperature wins.
  else if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop?.length) body.stop_sequences = req.stop;
  if (req.user !== undefined) body.metadata = { user_id: req.user };
  if (req.stream) body.stream = true;
  // JSON outputs take a schema: json_object (any JSON) has no counterpart and is left out.
  if (req.responseFormat?.type === 'json_schema') {
    const own = req.extras?.dialect === 'anthropic' ? req.extras.fields.output_config : undefined;
    body.output_config = { ...(own as Record<string, unknown> | undefined), format: { type: 'json_schema', schema: anthropicStrictSchema(req.responseFormat.schema) } };
  }
  if (req.extras?.dialect === 'anthropic') {
    addExtras(body, req.extras.fields);
    // The client's own thinking setting, in a tool loop that began on another model (a
    // fallback mid-loop): Anthropic would refuse the turn, so it runs without thinking.
    if (isRecord(body.thinking) && body.thinking.type !== 'disabled' && unsignedToolTurn(req)) delete body.thinking;
  }
  return body;
}

/** Thinking Anthropic takes back: its signed and its redacted blocks (not another provider's reasoning). */
function anthropicSigned(t: ThinkingBlock): boolean {
  return t.type === 'redacted_thinking' || (t.type === 'thinking' && t.signature !== '');
}

/**
 * Whether the conversation's last assistant turn used tools without thinking Anthropic
 * signed: with thinking on, Anthropic refuses it (the turn must start with its thinking).
 */
function unsignedToolTurn(req: ChatRequest): boolean {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i];
    // A turn that holds only OpenAI's tool search items is not sent at all.
    if (searchOnly(m)) continue;
    if (m.role === 'assistant') return m.toolCalls !== undefined && m.toolCalls.length > 0 && !m.thinking?.some(anthropicSigned);
  }
  return false;
}

/** Anthropic's smallest thinking budget. */
const MIN_THINKING_BUDGET = 1024;

/**
 * A reasoning setting from a client of another dialect, as Anthropic thinking: with a token
 * budget (options.reasoning `budget`), at most half the client's max_tokens since Anthropic
 * counts thinking in it, or on top of the default when the client set none; or adaptive at
 * an effort (`adaptive`). Sampling settings thinking does not allow go. Left out where
 * Anthropic would refuse it: a forced tool choice, a budget under Anthropic's minimum, or a
 * tool loop whose last tool-using turn starts with no thinking Anthropic signed (it began
 * on another model, or without thinking).
 */
export function withAnthropicReasoning(body: Record<string, unknown>, req: ChatRequest, style: 'budget' | 'adaptive'): Record<string, unknown> {
  const r = req.reasoning;
  if (r === undefined || req.extras?.dialect === 'anthropic') return body;
  if (req.toolChoice === 'required' || typeof req.toolChoice === 'object' || unsignedToolTurn(req)) return body;
  if (style === 'adaptive') {
    body.thinking = { type: 'adaptive' };
    body.output_config = { ...(body.output_config as Record<string, unknown> | undefined), effort: r.effort === 'minimal' ? 'low' : r.effort };
  } else {
    let budget = budgetOf(r);
    if (req.maxTokens === undefined) {
      budget = Math.max(budget, MIN_THINKING_BUDGET);
      body.max_tokens = DEFAULT_MAX_TOKENS + budget;
    } else {
      budget = Math.min(budget, Math.floor(req.maxTokens / 2));
      if (budget < MIN_THINKING_BUDGET) return body;
    }
    body.thinking = { type: 'enabled', budget_tokens: budget };
  }
  delete body.temperature;
  if (typeof body.top_p === 'number' && body.top_p < 0.95) delete body.top_p;
  return body;
}

/** What Anthropic's count_tokens accepts of a messages body; it refuses generation settings. */
const COUNT_TOKENS_FIELDS = ['model', 'system', 'messages', 'tools', 'tool_choice', 'thinking'] as const;

/** Canonical ChatRequest → Anthropic `POST /v1/messages/count_tokens` body. */
export function toAnthropicCountTokensBody(req: ChatRequest, model: string): Record<string, unknown> {
  const full = toAnthropicBody(req, model);
  const body: Record<string, unknown> = {};
  for (const k of COUNT_TOKENS_FIELDS) if (full[k] !== undefined) body[k] = full[k];
  return body;
}
