/**
 * Canonical ChatRequest → OpenAI Responses API body, for a provider whose model is served
 * only there (`options.api: responses`: OpenAI's codex models answer chat completions with
 * a 404). The gateway keeps no conversation state, so neither does the provider: every
 * request carries its whole conversation and is sent with `store: false`.
 */
import type { ChatMessage, ChatRequest, ContentPart, ResponseFormat, ToolChoice, ToolDefinition } from '../../canonical.js';
import { SwitchyardError } from '../../errors.js';
import { anthropicOnly, refuseAnthropicOnly, textOf, toDataUrl, toolResultForOthers } from '../content.js';
import { freeformNames, unwrapInput } from '../freeform.js';
import { upstreamBuiltinCall, upstreamBuiltinOutput, upstreamBuiltinTool, type BuiltinTool } from './builtin.js';
import { openAIToolId, openAIUser } from '../openai/request.js';
import { openAIStrict } from '../openai/strict.js';

const NONE: ReadonlySet<string> = new Set();

/** The Responses API refuses a `max_output_tokens` below this. */
export const MIN_OUTPUT_TOKENS = 16;

/** OpenAI chat fields a client sent (ChatRequest.extras) that the Responses API takes as they are. */
const SAME_NAME = ['service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier', 'metadata', 'truncation'] as const;

function inputPart(p: ContentPart, param: string): Record<string, unknown> {
  switch (p.type) {
    case 'text': return { type: 'input_text', text: p.text };
    case 'image': return { type: 'input_image', image_url: toDataUrl(p.mediaType, p.data), detail: 'auto' };
    case 'image_url': return { type: 'input_image', image_url: p.url, detail: 'auto' };
    case 'document': return { type: 'input_file', filename: p.filename ?? 'document', file_data: toDataUrl(p.mediaType, p.data) };
    case 'anthropic_block': throw anthropicOnly(`a "${String(p.block.type)}" block`, param);
  }
}

/** A lone text part goes as a plain string, as the API allows; anything else as parts. */
function inputContent(parts: ContentPart[], param: string): string | Record<string, unknown>[] {
  if (parts.length === 1 && parts[0].type === 'text') return parts[0].text;
  if (parts.length === 0) return '';
  return parts.map((p, j) => inputPart(p, `${param}[${j}]`));
}

/**
 * One canonical message as input items. An assistant turn is its encrypted reasoning items
 * (an OpenAI model's, replayed by the client), its text as a message, then each tool call as
 * a `function_call` item, a `custom_tool_call` with its input for a custom tool, or a
 * built-in tool's own call item (no item id: the provider stored nothing to refer to).
 * A tool search's items in the turn go back after its reasoning (see Calls.searching),
 * without their item ids; a call to a namespaced tool a search found, in its namespace, as
 * the model knows it from the search. Reasoning text is left out: the Responses API takes
 * back only its own reasoning, which no other provider's text can stand for. `calls`: the
 * request's custom and built-in tools, whose calls and their outputs go as their own items.
 */
function pushItems(out: Record<string, unknown>[], m: ChatMessage, i: number, calls: Calls): void {
  const param = m.from ?? `messages[${i}].content`;
  switch (m.role) {
    case 'user':
      out.push({ type: 'message', role: 'user', content: inputContent(m.content, param) });
      return;
    case 'system':
      out.push({ type: 'message', role: 'developer', content: textOf(m.content, '\n\n') });
      return;
    case 'assistant': {
      if (m.thinking !== undefined) {
        // Without its id when the client sent none (the body's JSON leaves an undefined out).
        for (const t of m.thinking) if (t.type === 'encrypted_reasoning') out.push({ type: 'reasoning', id: t.id, summary: [], encrypted_content: t.data });
      }
      if (m.hosted !== undefined && calls.searching) {
        for (const item of m.hosted) {
          const { id: _id, ...rest } = item;
          out.push(rest);
        }
      }
      const text = textOf(m.content);
      if (text !== '') out.push({ type: 'message', role: 'assistant', content: text });
      if (m.toolCalls === undefined) return;
      for (const c of m.toolCalls) {
        const id = openAIToolId(c.id);
        const builtin = calls.builtin.get(c.name);
        if (builtin !== undefined) {
          calls.made.set(id, builtin);
          out.push(upstreamBuiltinCall(builtin, id, c.arguments));
          continue;
        }
        const custom = calls.custom.has(c.name);
        if (custom) calls.made.set(id, 'custom');
        const item: Record<string, unknown> = custom
          ? { type: 'custom_tool_call', call_id: id, name: c.name, input: unwrapInput(c.arguments) }
          : { type: 'function_call', call_id: id, name: c.name, arguments: c.arguments };
        const found = calls.found.get(c.name);
        if (found !== undefined) Object.assign(item, found);
        out.push(item);
      }
      return;
    }
    case 'tool': {
      const id = openAIToolId(m.toolCallId);
      const made = calls.made.get(id);
      const content = toolResultForOthers(m.content);
      if (made === 'custom' || made === undefined) out.push({ type: made === 'custom' ? 'custom_tool_call_output' : 'function_call_output', call_id: id, output: inputContent(content, param) });
      else out.push(upstreamBuiltinOutput(made, id, textOf(content)));
    }
  }
}

/**
 * The request's custom and built-in tools by name, and the kind of each call made to one
 * in the history so far, by call id: its output goes as that kind's.
 */
interface Calls {
  custom: ReadonlySet<string>;
  builtin: ReadonlyMap<string, BuiltinTool>;
  made: Map<string, 'custom' | BuiltinTool>;
  /**
   * The model searches for tools itself (see searches): tool search and deferred tools go up
   * as such, and a search's items in the history go back to it; else, as to any other
   * provider, every tool goes up loaded, those a search found too, and no search's items.
   */
  searching: boolean;
  /** Namespaced tools a search found (only when `searching`), by the name providers see: their name and namespace as the model knows them. */
  found: ReadonlyMap<string, { name: string; namespace: string }>;
}

/**
 * Whether `model` has tool search: OpenAI's gpt-5.4 and later. An older model refuses the
 * tool, and so gets every tool loaded, as other providers do.
 */
function searches(model: string): boolean {
  const v = /^gpt-(\d+)(?:\.(\d+))?/.exec(model);
  if (v === null) return false;
  const major = Number(v[1]);
  return major > 5 || (major === 5 && Number(v[2] ?? 0) >= 4);
}

/**
 * The request's tools as the Responses API takes them: functions, and custom and built-in
 * tools as such. To a model that searches, they go deferred where the client deferred
 * them, and a tool only a search in the history found is declared by that search's output.
 */
function wireTools(req: ChatRequest, searching: boolean): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const t of req.tools ?? []) {
    if (t.search === 'found' && searching) continue;
    const tool = wireTool(t, req);
    if (t.search === 'deferred' && searching) tool.defer_loading = true;
    out.push(tool);
  }
  return out;
}

function wireTool(t: ToolDefinition, req: ChatRequest): Record<string, unknown> {
  if (t.builtin !== undefined) return upstreamBuiltinTool(t.builtin);
  let tool: Record<string, unknown>;
  if (t.freeform !== undefined) {
    tool = { type: 'custom', name: t.name, format: t.freeform.format };
    if (t.freeform.description !== undefined) tool.description = t.freeform.description;
  } else {
    // A function tool is strict unless it says otherwise here, which the chat API and the
    // other providers' are not: a schema strict mode refuses would fail the request.
    tool = { type: 'function', name: t.name, parameters: t.parameters, strict: openAIStrict(t, req) ?? false };
    if (t.description !== undefined) tool.description = t.description;
  }
  return tool;
}

function wireToolChoice(c: ToolChoice, calls: Calls): unknown {
  if (typeof c === 'string') return c;
  const builtin = calls.builtin.get(c.name);
  return builtin !== undefined ? { type: builtin } : { type: calls.custom.has(c.name) ? 'custom' : 'function', name: c.name, ...calls.found.get(c.name) };
}

function wireFormat(f: ResponseFormat): Record<string, unknown> {
  if (f.type !== 'json_schema') return { type: f.type };
  const out: Record<string, unknown> = { type: 'json_schema', name: f.name, schema: f.schema };
  if (f.strict !== undefined) out.strict = f.strict;
  return out;
}

/**
 * The Responses API body for `req`. `effort`: the reasoning effort to ask for, when the
 * client's own (OpenAI) setting or a translated one applies. Stop sequences, which the API
 * does not have, are refused as the client's error rather than dropped unasked: the answer
 * would run past where the client wanted it cut. `named`: the model's own name, for what it
 * can do, when the body names a deployment (Azure's v1 API).
 */
export function toResponsesBody(req: ChatRequest, model: string, effort: string | undefined, named = model): Record<string, unknown> {
  refuseAnthropicOnly(req);
  if (req.stop?.length) {
    throw new SwitchyardError('SY_ERR_BAD_REQUEST', `stop: model "${model}" is served through OpenAI's Responses API, which has no stop sequences; send the request without them (or have the provider drop them: options.drop_params)`, { details: { param: 'stop' } });
  }
  const builtin = new Map<string, BuiltinTool>();
  for (const t of req.tools ?? []) if (t.builtin !== undefined) builtin.set(t.name, t.builtin);
  const searching = searches(named) && req.hostedTools?.some((t) => t.type === 'tool_search') === true;
  const found = new Map<string, { name: string; namespace: string }>();
  if (searching) for (const t of req.tools ?? []) if (t.search === 'found' && t.namespaced !== undefined) found.set(t.name, t.namespaced);
  const calls: Calls = { custom: freeformNames(req.tools) ?? NONE, builtin, made: new Map(), searching, found };
  const input: Record<string, unknown>[] = [];
  for (let i = 0; i < req.messages.length; i++) pushItems(input, req.messages[i], i, calls);
  const body: Record<string, unknown> = { model, input, store: false };
  const instructions = textOf(req.system, '\n\n');
  if (instructions !== '') body.instructions = instructions;
  // The client's tools, then its web search and tool search, which the Responses API runs itself.
  const own = wireTools(req, searching);
  const hosted = searching ? req.hostedTools ?? [] : req.hostedTools?.filter((t) => t.type !== 'tool_search') ?? [];
  const tools = [...own, ...hosted];
  if (tools.length) body.tools = tools;
  if (own.length) {
    if (req.toolChoice !== undefined) body.tool_choice = wireToolChoice(req.toolChoice, calls);
    if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  }
  // A smaller cap is refused; the answer may then run a few tokens past the client's.
  if (req.maxTokens !== undefined) body.max_output_tokens = Math.max(MIN_OUTPUT_TOKENS, req.maxTokens);
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.user !== undefined) body.user = openAIUser(req.user);
  if (req.stream) body.stream = true;
  // The provider keeps nothing: its reasoning comes back encrypted, for the client to replay.
  if (req.encryptedReasoning === true || (req.encryptedReasoning === 'reasoning' && effort !== undefined)) body.include = ['reasoning.encrypted_content'];
  const extras = req.extras?.dialect === 'openai' ? req.extras.fields : undefined;
  const text: Record<string, unknown> = {};
  if (req.responseFormat !== undefined) text.format = wireFormat(req.responseFormat);
  if (extras !== undefined) {
    for (const name of SAME_NAME) if (extras[name] !== undefined) body[name] = extras[name];
    if (extras.verbosity !== undefined) text.verbosity = extras.verbosity;
  }
  if (text.format !== undefined || text.verbosity !== undefined) body.text = text;
  const reasoning: Record<string, unknown> = {};
  if (effort !== undefined) reasoning.effort = effort;
  if (req.reasoningSummary !== undefined) reasoning.summary = req.reasoningSummary;
  if (req.reasoningContext !== undefined) reasoning.context = req.reasoningContext;
  if (Object.keys(reasoning).length > 0) body.reasoning = reasoning;
  return body;
}

/** What OpenAI's input token counting takes of a Responses API body; it refuses generation settings. */
const COUNT_FIELDS = ['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning', 'text'] as const;

/**
 * Canonical ChatRequest → `POST /v1/responses/input_tokens` body: the request as the
 * Responses API would take it, less what only generation reads. Stop sequences, which
 * change no count, are left out rather than refused.
 */
export function toResponsesCountBody(req: ChatRequest, model: string, effort: string | undefined, named = model): Record<string, unknown> {
  const full = toResponsesBody(req.stop?.length ? { ...req, stop: undefined } : req, model, effort, named);
  const body: Record<string, unknown> = {};
  for (const k of COUNT_FIELDS) if (full[k] !== undefined) body[k] = full[k];
  return body;
}
