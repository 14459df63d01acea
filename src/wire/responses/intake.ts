/**
 * OpenAI Responses API body (`POST /v1/responses`, client dialect) → canonical, validating
 * as it goes. A request reaches here with its whole conversation in `input`: item
 * references, `previous_response_id` and `conversation` the server has resolved before
 * (src/server/response-items.ts, conversations.ts), and they are refused here only when
 * it keeps no answers. Function and custom tools are routed, also inside namespaces, and so
 * are the built-in tools the client runs (apply_patch, shell: see ./builtin). Of the tools
 * OpenAI runs itself, web search and tool search are kept for a model served through the
 * Responses API; the others (file search, ...) are left out, as no other provider can run them.
 * A reasoning item a client replays keeps its reasoning text, if it has any (another model's,
 * as the gateway showed it), and an OpenAI model's encrypted reasoning, which only a model
 * served through the Responses API takes back; a summary alone is left out.
 */
import type { ChatMessage, ChatRequest, ContentPart, KnownPart, ResponseFormat, ThinkingBlock, ToolChoice, ToolDefinition } from '../../canonical.js';
import type { ChatClientOptions, ClientToolName, ParsedChatRequest } from '../client.js';
import { searchOnly, unsignedThinking } from '../content.js';
import { freeformNames, freeformTool, wrapInput } from '../freeform.js';
import { effortOf } from '../reasoning.js';
import { functionTool, imageAt, inlineDocument, jsonSchemaFormat } from '../openai/intake.js';
import { BUILTIN_CALLS, BUILTIN_OUTPUTS, builtinCall, builtinKind, builtinNames, builtinOutput, builtinTool } from './builtin.js';
import { echoOf } from './response.js';
import { unsealSummary, unsealThinking } from '../sealed.js';
import { namespacedName } from './tool-search.js';
import { SwitchyardError } from '../../errors.js';
import {
  badRequest, isRecord, optionalBoolean, optionalNumber, optionalPositiveInt, optionalString,
  requireArray, requireModelName, requireNonEmptyString, requireRecord, requireString, wrongType,
} from '../validate.js';

const NO_CONVERSATIONS = 'conversations are kept with the answers, and this gateway keeps none (server.response_items is off): send the whole conversation in `input`';
/** Why an item reference is left: the answer it names was not kept (see src/server/response-items.ts). */
const NOT_KEPT = 'this gateway keeps no answers (server.response_items is off): send the whole conversation in `input`, as with `store: false`';

/** An `input_image`: a data URL or an http(s) URL; an uploaded `file_id` cannot be routed. */
function imagePart(part: Record<string, unknown>, p: string): KnownPart {
  if (part.image_url === undefined || part.image_url === null) {
    if (part.file_id !== undefined) throw badRequest(`${p}.file_id`, `\`${p}.file_id\`: uploaded files cannot be routed; send the image as \`image_url\` (a data URL or an http(s) URL)`);
  }
  return imageAt(requireString(part.image_url, `${p}.image_url`), `${p}.image_url`);
}

/** An `input_file` sent inline (`file_data`, a base64 data URL). */
function filePart(part: Record<string, unknown>, p: string): KnownPart {
  if (part.file_data === undefined || part.file_data === null) {
    const ref = part.file_id !== undefined ? 'file_id' : part.file_url !== undefined ? 'file_url' : null;
    if (ref !== null) throw badRequest(`${p}.${ref}`, `\`${p}.${ref}\`: files by reference cannot be routed; send the file inline as \`file_data\` (a base64 data URL)`);
  }
  return inlineDocument(part, p);
}

/** Message or tool-output content: a string, or parts; images and files where `media` is true. */
function content(v: unknown, param: string, media: boolean): ContentPart[] {
  if (typeof v === 'string') return [{ type: 'text', text: v }];
  const arr = requireArray(v, param);
  if (arr.length === 0) throw badRequest(param, `\`${param}\` must not be an empty array`);
  const out: ContentPart[] = new Array(arr.length);
  for (let j = 0; j < arr.length; j++) {
    const p = `${param}[${j}]`;
    const part = requireRecord(arr[j], p);
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        out[j] = { type: 'text', text: requireString(part.text, `${p}.text`) };
        break;
      case 'refusal':
        out[j] = { type: 'text', text: requireString(part.refusal, `${p}.refusal`) };
        break;
      case 'input_image':
        if (!media) throw badRequest(`${p}.type`, `\`${p}.type\`: images are allowed in user messages and tool outputs only`);
        out[j] = imagePart(part, p);
        break;
      case 'input_file':
        if (!media) throw badRequest(`${p}.type`, `\`${p}.type\`: files are allowed in user messages and tool outputs only`);
        out[j] = filePart(part, p);
        break;
      default:
        throw typeof part.type === 'string'
          ? badRequest(`${p}.type`, `\`${p}.type\` "${part.type}" is not supported (supported: input_text, output_text, refusal, input_image, input_file)`)
          : wrongType(`${p}.type`, 'a string', part.type);
    }
  }
  return out;
}

/** The text of a reasoning item's `reasoning_text` parts. */
function reasoningText(v: unknown, param: string): string {
  if (v === undefined || v === null) return '';
  const arr = requireArray(v, param);
  let out = '';
  for (let j = 0; j < arr.length; j++) {
    const part = requireRecord(arr[j], `${param}[${j}]`);
    if (part.type === 'reasoning_text') out += requireString(part.text, `${param}[${j}].text`);
  }
  return out;
}

/**
 * What the model is asked for when Codex compacts its conversation remotely (a
 * `compaction_trigger` item last in `input`): a summary, returned sealed as one
 * `compaction` item, which Codex keeps in place of what it summarizes.
 */
const COMPACTION_PROMPT = 'The conversation above is about to be replaced by a summary, because the context window is nearly full. '
  + 'Write that summary for whoever carries on with only it and the latest messages: the task and its goal, what has been done and decided, '
  + 'what was learned (files, commands, errors, results) and what is left to do next. Be concrete and complete; write only the summary.';
/** How a replayed `compaction` item reaches the model. */
const SUMMARY_HEADING = 'The conversation before this point was replaced by this summary of it, written when the context filled up:';

/** What `items` saw besides messages. */
interface Seen {
  /** A `compaction_trigger` ends the input. */
  compacting?: boolean;
  /** The tools tool searches found (see searchItem). */
  found: ToolDefinition[];
  /** The tool lists of `additional_tools` items, and where each is. */
  additional: { tools: unknown; at: string }[];
}

/**
 * `input` items → system parts and canonical messages; a function call joins the assistant
 * turn before it, as do a tool search's items.
 */
function items(v: unknown, system: ContentPart[], seen: Seen): ChatMessage[] {
  if (typeof v === 'string') return [{ role: 'user', content: [{ type: 'text', text: v }] }];
  if (!Array.isArray(v)) throw wrongType('input', 'a string or an array of input items', v);
  const arr: unknown[] = v;
  const messages: ChatMessage[] = [];
  for (let i = 0; i < arr.length; i++) {
    const p = `input[${i}]`;
    const item = requireRecord(arr[i], p);
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message':
        switch (item.role) {
          case 'system':
          case 'developer':
            for (const part of content(item.content, `${p}.content`, false)) system.push(part);
            break;
          case 'user':
            messages.push({ role: 'user', content: content(item.content, `${p}.content`, true), from: `${p}.content` });
            break;
          case 'assistant': {
            // An empty one says nothing (LangChain sends one before a turn's calls when the
            // turn held only reasoning): the calls after it join the turn as they would anyway.
            if (Array.isArray(item.content) && item.content.length === 0) break;
            const parts = content(item.content, `${p}.content`, false);
            // The reasoning item (or tool search) before it opened the turn.
            const last = messages[messages.length - 1];
            if (last?.role === 'assistant' && (last.thinking !== undefined || last.hosted !== undefined) && last.content.length === 0 && !last.toolCalls) {
              last.content = parts;
              last.from = `${p}.content`;
            } else messages.push({ role: 'assistant', content: parts, from: `${p}.content` });
            break;
          }
          default:
            throw typeof item.role === 'string'
              ? badRequest(`${p}.role`, `\`${p}.role\` must be one of user, assistant, system, developer, got "${item.role}"`)
              : wrongType(`${p}.role`, 'a string', item.role);
        }
        break;
      case 'function_call':
      case 'custom_tool_call':
      case 'apply_patch_call':
      case 'shell_call': {
        // A custom or built-in tool's call goes upstream in its function form (see wire/freeform, ./builtin).
        const builtin = BUILTIN_CALLS[type as string];
        const call = builtin !== undefined ? builtinCall(builtin, item, p) : {
          id: requireNonEmptyString(item.call_id, `${p}.call_id`),
          name: namespacedName(optionalString(item.namespace, `${p}.namespace`), requireNonEmptyString(item.name, `${p}.name`)),
          arguments: type === 'function_call' ? requireString(item.arguments, `${p}.arguments`) : wrapInput(requireString(item.input, `${p}.input`)),
          from: `${p}.${type === 'function_call' ? 'arguments' : 'input'}`,
        };
        const last = messages[messages.length - 1];
        if (last?.role === 'assistant') (last.toolCalls ??= []).push(call);
        else messages.push({ role: 'assistant', content: [], toolCalls: [call] });
        break;
      }
      case 'function_call_output':
      case 'custom_tool_call_output':
      case 'apply_patch_call_output':
      case 'shell_call_output': {
        const builtin = BUILTIN_OUTPUTS[type as string];
        messages.push({
          role: 'tool',
          toolCallId: requireNonEmptyString(item.call_id, `${p}.call_id`),
          content: builtin !== undefined ? [{ type: 'text', text: builtinOutput(builtin, item, p) }] : content(item.output, `${p}.output`, true),
          from: `${p}.output`,
        });
        break;
      }
      case 'reasoning': {
        // Reasoning opens the assistant turn it came before: text another model showed (some
        // servers need it back in a tool loop), and an OpenAI model's encrypted reasoning,
        // which only such a model can read (a summary alone is left out).
        const blocks: ThinkingBlock[] = [];
        const text = reasoningText(item.content, `${p}.content`);
        const encrypted = optionalString(item.encrypted_content, `${p}.encrypted_content`);
        // Claude's thinking, signed, as the gateway sealed it; it holds the text too.
        const sealed = encrypted ? unsealThinking(encrypted, (why) => badRequest(`${p}.encrypted_content`, `\`${p}.encrypted_content\` ${why}`)) : null;
        if (sealed !== null) blocks.push(...sealed);
        else {
          if (text !== '') blocks.push(...unsignedThinking(text));
          if (encrypted) {
            const id = optionalString(item.id, `${p}.id`);
            blocks.push(id ? { type: 'encrypted_reasoning', id, data: encrypted } : { type: 'encrypted_reasoning', data: encrypted });
          }
        }
        if (blocks.length === 0) break;
        const last = messages[messages.length - 1];
        // After a tool search in the turn, it begins the next turn: the items go back in order.
        if (last?.role === 'assistant' && last.thinking !== undefined && last.hosted === undefined && last.content.length === 0 && !last.toolCalls) last.thinking.push(...blocks);
        else messages.push({ role: 'assistant', content: [], thinking: blocks });
        break;
      }
      case 'compaction_trigger':
        if (i !== arr.length - 1) throw badRequest(`${p}.type`, `\`${p}.type\` "compaction_trigger" must be the last item of \`input\``);
        messages.push({ role: 'user', content: [{ type: 'text', text: COMPACTION_PROMPT }], from: p });
        seen.compacting = true;
        break;
      case 'compaction':
      case 'compaction_summary': {
        const sealed = requireNonEmptyString(item.encrypted_content, `${p}.encrypted_content`);
        const summary = unsealSummary(sealed, (why) => badRequest(`${p}.encrypted_content`, `\`${p}.encrypted_content\` ${why}`));
        messages.push({ role: 'user', content: [{ type: 'text', text: `${SUMMARY_HEADING}\n\n${summary}` }], from: p });
        break;
      }
      case 'item_reference':
        throw badRequest(`${p}.type`, `\`${p}.type\` "item_reference": ${NOT_KEPT}`);
      case 'web_search_call':
        // A search OpenAI ran, replayed as the client was shown it: the answer after it says
        // what was found, and no provider takes the call itself back (OpenAI keeps nothing).
        break;
      case 'additional_tools':
        // Tools declared in the input (Codex does so for its newest models): the request's
        // tools as much as those in `tools`, to every provider.
        seen.additional.push({ tools: requireArray(item.tools, `${p}.tools`), at: `${p}.tools` });
        break;
      case 'tool_search_call':
      case 'tool_search_output': {
        // A tool search (OpenAI's, or the client's own when it runs them): OpenAI takes the
        // items back in the turn (ChatMessage hosted), after its reasoning and before what
        // the turn said (else they begin the next turn); the tools found are declared for others.
        searchItem(item, type === 'tool_search_output', p, seen.found);
        const last = messages[messages.length - 1];
        if (last?.role === 'assistant' && last.content.length === 0 && !last.toolCalls) (last.hosted ??= []).push(item);
        else messages.push({ role: 'assistant', content: [], hosted: [item] });
        break;
      }
      default:
        throw typeof type === 'string'
          ? badRequest(`${p}.type`, `\`${p}.type\` "${type}" is not supported (supported: message, function_call, function_call_output, custom_tool_call, custom_tool_call_output, apply_patch_call, apply_patch_call_output, shell_call, shell_call_output, reasoning, web_search_call, tool_search_call, tool_search_output, additional_tools, item_reference, compaction, compaction_trigger)`)
          : wrongType(`${p}.type`, 'a string', type);
    }
  }
  if (!messages.some((m) => !searchOnly(m))) throw badRequest('input', '`input` must contain at least one user, assistant or tool item');
  return messages;
}

/**
 * Tools only OpenAI's Responses API serves, which no other provider can (nor OpenAI's chat
 * completions): left out, so a client that offers them anyway is served with its own tools.
 * Web search (which Codex offers) and tool search are kept for a model served through the
 * Responses API (ChatRequest.hostedTools); the others need the operator's OpenAI resources
 * (vector stores, containers) or have OpenAI call out (remote MCP) on the client's word.
 * Tool search lets the model load the client's deferred tools (`defer_loading`); other
 * providers get every tool loaded instead. A `shell` in one of OpenAI's containers runs
 * there too (one in the client's own environment is a built-in tool, see ./builtin).
 */
const HOSTED_TOOLS = new Set(['web_search', 'web_search_preview', 'web_search_preview_2025_03_11', 'file_search', 'code_interpreter', 'image_generation', 'mcp', 'tool_search', 'shell']);
/** The hosted tools a model served through the Responses API gets (ChatRequest.hostedTools). */
const SERVED_HOSTED = new Set(['web_search', 'web_search_preview', 'web_search_preview_2025_03_11', 'tool_search']);

/** A function or custom tool at `p`, in `namespace` when it is inside one. */
function clientTool(t: Record<string, unknown>, p: string, namespace?: string): ToolDefinition {
  let def: ToolDefinition;
  if (t.type === 'custom') def = freeformTool(t, p);
  else if (t.type === 'function') def = functionTool(t, p);
  else {
    throw typeof t.type === 'string'
      ? badRequest(`${p}.type`, `\`${p}.type\` "${t.type}" is not supported; declare function or custom tools`)
      : wrongType(`${p}.type`, '"function" or "custom"', t.type);
  }
  if (namespace !== undefined) {
    def.namespaced = { namespace, name: def.name };
    def.name = namespacedName(namespace, def.name);
  }
  if (optionalBoolean(t.defer_loading, `${p}.defer_loading`) === true) def.search = 'deferred';
  return def;
}

/**
 * A namespace's tools, or a function or custom tool, added to `out`; false (nothing added)
 * for a tool of another type. Each deferred one goes in `deferred` too, by its name, as the
 * client declared it (in its namespace, alone, when it has one).
 */
function clientTools(t: Record<string, unknown>, p: string, out: ToolDefinition[], deferred?: Map<string, Record<string, unknown>>): boolean {
  if (t.type === 'namespace') {
    const namespace = requireNonEmptyString(t.name, `${p}.name`);
    const inner = requireArray(t.tools, `${p}.tools`);
    for (let k = 0; k < inner.length; k++) {
      const declared = requireRecord(inner[k], `${p}.tools[${k}]`);
      const def = clientTool(declared, `${p}.tools[${k}]`, namespace);
      if (def.search === 'deferred') deferred?.set(def.name, { ...t, tools: [declared] });
      out.push(def);
    }
    return true;
  }
  if (t.type !== 'function' && t.type !== 'custom') return false;
  const def = clientTool(t, p);
  if (def.search === 'deferred') deferred?.set(def.name, t);
  out.push(def);
  return true;
}

/**
 * Function and custom tools, also inside namespaces, and the built-in tools the client
 * runs, added to `out`; of OpenAI's hosted tools, web search and tool search are put in
 * `hosted`, the others are left out. `param`: where the list is (`tools`, or an
 * `additional_tools` item's).
 */
function tools(v: unknown, hosted: Record<string, unknown>[], deferred: Map<string, Record<string, unknown>>, param = 'tools', out: ToolDefinition[] = []): ToolDefinition[] | undefined {
  if (v === undefined || v === null) return out.length ? out : undefined;
  const arr = requireArray(v, param);
  for (let j = 0; j < arr.length; j++) {
    const p = `${param}[${j}]`;
    const t = requireRecord(arr[j], p);
    const builtin = builtinKind(t, p);
    if (builtin !== null) {
      // Its calls are told from others' by name: one name, one tool.
      if (out.some((d) => d.name === builtin) || arr.some((o, k) => k !== j && isRecord(o) && (o.type === 'function' || o.type === 'custom') && o.name === builtin)) {
        throw badRequest(`${p}.type`, `\`${p}\`: the built-in ${builtin} tool cannot be declared with another tool named "${builtin}"`);
      }
      out.push(builtinTool(builtin));
    } else if (!clientTools(t, p, out, deferred)) {
      // A type of no tool at all is refused, naming it.
      if (typeof t.type !== 'string' || !HOSTED_TOOLS.has(t.type)) clientTool(t, p);
      else if (SERVED_HOSTED.has(t.type)) hosted.push(t);
    }
  }
  return out.length ? out : undefined;
}

/** The request's tools: those in `tools`, then those of its `additional_tools` items. */
function declaredTools(v: unknown, additional: Seen['additional'], hosted: Record<string, unknown>[], deferred: Map<string, Record<string, unknown>>): ToolDefinition[] | undefined {
  let out = tools(v, hosted, deferred);
  for (const a of additional) out = tools(a.tools, hosted, deferred, a.at, out ?? []);
  return out;
}

/**
 * A tool search's call or output, checked; the tools an output holds (those it found) are
 * added to `found` (see ToolDefinition.search, withFound). Of those, OpenAI's hosted tools
 * (an MCP server) are left out, as they would be from the request's own tools.
 */
function searchItem(item: Record<string, unknown>, output: boolean, p: string, found: ToolDefinition[]): void {
  if (item.call_id !== null) optionalString(item.call_id, `${p}.call_id`);
  if (item.execution !== undefined && item.execution !== 'server' && item.execution !== 'client') throw badRequest(`${p}.execution`, `\`${p}.execution\` must be "server" or "client"`);
  if (!output) {
    if (item.arguments === undefined) throw badRequest(`${p}.arguments`, `\`${p}.arguments\` is required`);
    return;
  }
  const arr = requireArray(item.tools, `${p}.tools`);
  const out: ToolDefinition[] = [];
  for (let j = 0; j < arr.length; j++) {
    const t = requireRecord(arr[j], `${p}.tools[${j}]`);
    // A type of no tool at all is refused, naming it.
    if (!clientTools(t, `${p}.tools[${j}]`, out) && (typeof t.type !== 'string' || !HOSTED_TOOLS.has(t.type))) clientTool(t, `${p}.tools[${j}]`);
  }
  for (const t of out) t.search = 'found';
  found.push(...out);
}

/** The request's tools and, after them, those only a search in the history found (first of each name). */
function withFound(declared: ToolDefinition[] | undefined, found: readonly ToolDefinition[]): ToolDefinition[] | undefined {
  if (found.length === 0) return declared;
  const out = declared ?? [];
  const names = new Set(out.map((t) => t.name));
  for (const t of found) {
    if (names.has(t.name)) continue;
    names.add(t.name);
    out.push(t);
  }
  return out.length ? out : undefined;
}

function toolChoice(v: unknown): ToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  if (v === 'auto' || v === 'none' || v === 'required') return v;
  if (isRecord(v) && (v.type === 'function' || v.type === 'custom')) {
    return { name: namespacedName(optionalString(v.namespace, 'tool_choice.namespace'), requireNonEmptyString(v.name, 'tool_choice.name')) };
  }
  if (isRecord(v) && (v.type === 'apply_patch' || v.type === 'shell')) return { name: v.type };
  throw badRequest('tool_choice', '`tool_choice` must be "auto", "none", "required", {"type":"function" or "custom","name":...}, or {"type":"apply_patch" or "shell"}');
}

/** `text`: the answer's format (`text.format`) and OpenAI's `verbosity`. */
function textOptions(v: unknown): { format?: ResponseFormat; verbosity?: string } {
  if (v === undefined || v === null) return {};
  const t = requireRecord(v, 'text');
  const verbosity = optionalString(t.verbosity, 'text.verbosity');
  if (t.format === undefined || t.format === null) return { verbosity };
  const f = requireRecord(t.format, 'text.format');
  switch (f.type) {
    case 'text':
    case 'json_object':
      return { format: { type: f.type }, verbosity };
    case 'json_schema':
      return { format: jsonSchemaFormat(f, 'text.format'), verbosity };
    default:
      throw badRequest('text.format.type', '`text.format.type` must be "text", "json_object" or "json_schema"');
  }
}

/** OpenAI-only settings, as chat-completions fields for an OpenAI-format provider (ChatRequest.extras). */
function extras(b: Record<string, unknown>, verbosity: string | undefined): Record<string, unknown> | undefined {
  const fields: Record<string, unknown> = {};
  if (b.reasoning !== undefined && b.reasoning !== null) {
    const effort = optionalString(requireRecord(b.reasoning, 'reasoning').effort, 'reasoning.effort');
    if (effort !== undefined) fields.reasoning_effort = effort;
  }
  if (verbosity !== undefined) fields.verbosity = verbosity;
  for (const name of ['service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier', 'truncation'] as const) {
    const value = optionalString(b[name], name);
    if (value !== undefined) fields[name] = value;
  }
  // Tags for the answer OpenAI keeps; chat completions takes them only with `store`.
  if (b.metadata !== undefined && b.metadata !== null) fields.metadata = requireRecord(b.metadata, 'metadata');
  return Object.keys(fields).length ? fields : undefined;
}

/**
 * A conversation so far, parsed as a request would be with a user turn still to come:
 * a WebSocket warm-up, or a conversation's items, may end anywhere or hold only developer
 * messages, which no request could. An `input` that is neither a string nor a list is
 * left as it is, for the error to name it.
 */
export function parseResponsesPrefix(body: Record<string, unknown>): ParsedChatRequest {
  const input = body.input;
  const turn = { role: 'user', content: '.' };
  const items = Array.isArray(input) ? input : typeof input === 'string' ? [{ role: 'user', content: input }] : null;
  return parseResponsesRequest(items === null ? body : { ...body, input: [...items, turn] });
}

/**
 * Parses and validates an OpenAI `POST /v1/responses` body.
 * @example
 * const { request } = parseResponsesRequest({ model: 'gpt-5', input: 'Hello' });
 * // request.messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }]
 */
export function parseResponsesRequest(body: unknown): ParsedChatRequest {
  const b = requireRecord(body, 'body');
  const model = requireModelName(b.model);
  // The server has put the conversation a previous_response_id stands for into `input`, when it keeps answers.
  if (b.previous_response_id !== undefined && b.previous_response_id !== null) {
    throw new SwitchyardError('SY_ERR_PREVIOUS_RESPONSE_NOT_FOUND', `\`previous_response_id\`: ${NOT_KEPT}`, { details: { param: 'previous_response_id' } });
  }
  if (b.conversation !== undefined && b.conversation !== null) throw badRequest('conversation', `\`conversation\`: ${NO_CONVERSATIONS}`);
  if (b.background === true) throw badRequest('background', '`background`: the gateway answers a response within its request; it cannot run one in the background to be fetched later (GET /v1/responses/{id} is not served)');
  if (b.prompt !== undefined && b.prompt !== null) throw badRequest('prompt', '`prompt`: prompt templates are kept in an OpenAI project, which the gateway cannot reach for every model: send the instructions and input themselves');
  const system: ContentPart[] = [];
  const instructions = optionalString(b.instructions, 'instructions');
  if (instructions) system.push({ type: 'text', text: instructions });
  const seen: Seen = { found: [], additional: [] };
  const messages = items(b.input, system, seen);
  const text = textOptions(b.text);
  const hosted: Record<string, unknown>[] = [];
  const deferred = new Map<string, Record<string, unknown>>();
  const request: ChatRequest = {
    kind: 'chat',
    model,
    system,
    messages,
    tools: withFound(declaredTools(b.tools, seen.additional, hosted, deferred), seen.found),
    toolChoice: toolChoice(b.tool_choice),
    parallelToolCalls: optionalBoolean(b.parallel_tool_calls, 'parallel_tool_calls'),
    maxTokens: optionalPositiveInt(b.max_output_tokens, 'max_output_tokens'),
    temperature: optionalNumber(b.temperature, 'temperature', 0, 2),
    topP: optionalNumber(b.top_p, 'top_p', 0, 1),
    stream: optionalBoolean(b.stream, 'stream') ?? false,
    responseFormat: text.format,
    user: optionalString(b.user, 'user'),
  };
  if (hosted.length) request.hostedTools = hosted;
  const fields = extras(b, text.verbosity);
  if (fields !== undefined) request.extras = { dialect: 'openai', fields };
  const effort = effortOf(fields?.reasoning_effort);
  if (effort !== undefined) request.reasoning = { effort };
  const sealThinking = wantsEncryptedReasoning(b.include);
  if (sealThinking) request.encryptedReasoning = true;
  const reasoning = b.reasoning !== undefined && b.reasoning !== null ? requireRecord(b.reasoning, 'reasoning') : undefined;
  const summary = optionalString(reasoning?.summary, 'reasoning.summary');
  if (summary !== undefined) request.reasoningSummary = summary;
  const context = optionalString(reasoning?.context, 'reasoning.context');
  if (context !== undefined) request.reasoningContext = context;
  const clientOptions: ChatClientOptions = { includeUsage: true, echo: echoOf(b), store: optionalBoolean(b.store, 'store') !== false };
  if (summary !== undefined && summary !== 'none') clientOptions.summaries = true;
  if (sealThinking) clientOptions.sealThinking = true;
  if (seen.compacting === true) {
    // A summary in words: no tools to call, no format to fit.
    request.tools = undefined;
    request.toolChoice = undefined;
    request.parallelToolCalls = undefined;
    request.responseFormat = undefined;
    delete request.hostedTools;
    clientOptions.compaction = true;
  }
  const freeform = freeformNames(request.tools);
  if (freeform !== undefined) clientOptions.freeform = freeform;
  const builtin = builtinNames(request.tools);
  if (builtin !== undefined) clientOptions.builtin = builtin;
  const namespaced = namespacedTools(request.tools);
  if (namespaced !== undefined) clientOptions.namespaced = namespaced;
  // With tool search on offer, the deferred tools no search in the history loaded: a model
  // without tool search that calls one shows the client a search for it (see ./tool-search).
  for (const t of seen.found) deferred.delete(t.name);
  if (deferred.size > 0 && request.hostedTools?.some((t) => t.type === 'tool_search')) clientOptions.deferred = deferred;
  return { request, clientOptions };
}

/** `include` (what the answer should carry besides) asks for an OpenAI model's encrypted reasoning. */
function wantsEncryptedReasoning(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  const list = requireArray(v, 'include');
  for (let j = 0; j < list.length; j++) if (requireString(list[j], `include[${j}]`) === 'reasoning.encrypted_content') return true;
  return false;
}

/** The namespaced tools by the name providers see, or undefined when there are none (ChatClientOptions.namespaced). */
function namespacedTools(tools: readonly ToolDefinition[] | undefined): ReadonlyMap<string, ClientToolName> | undefined {
  if (tools === undefined) return undefined;
  let out: Map<string, ClientToolName> | undefined;
  for (const t of tools) if (t.namespaced !== undefined) (out ??= new Map()).set(t.name, t.namespaced);
  return out;
}
