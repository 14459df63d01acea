/**
 * Canonical response → OpenAI Responses API `response` object, and the pieces of it the
 * stream encoder sends as it goes (output items, usage, status). Responses are not stored
 * (their items may be, by the server: `store` is what the echo says): the id is the one
 * the server gives (named after the decision), else derived from the provider's, for the
 * client to log and quote.
 */
import type { ChatResponse, FinishReason, ToolCall, Usage } from '../../canonical.js';
import type { RenderOptions } from '../client.js';
import { reasoningOf } from '../content.js';
import { unwrapInput } from '../freeform.js';
import { builtinCallItem, builtinCallItemId, type BuiltinTool } from './builtin.js';
import { isSigned, sealSummary, sealThinking } from '../sealed.js';
import { Searches } from './tool-search.js';

/** `resp_…` from the provider's answer id (letters, digits, `_` and `-` kept). */
export function responseId(upstreamId: string): string {
  const base = upstreamId.replace(/[^A-Za-z0-9_-]/g, '');
  return `resp_${base || Date.now().toString(36)}`;
}

/** Ids of a response's output items: its messages and its function calls, each by position. */
export function messageItemId(respId: string, n = 0): string {
  return n === 0 ? `msg_${respId.slice('resp_'.length)}` : `msg_${respId.slice('resp_'.length)}_${n}`;
}

export function functionCallItemId(respId: string, n: number): string {
  return `fc_${respId.slice('resp_'.length)}_${n}`;
}

export function reasoningItemId(respId: string, n: number): string {
  return `rs_${respId.slice('resp_'.length)}_${n}`;
}

export function usageToResponses(u: Usage): Record<string, unknown> {
  return {
    input_tokens: u.inputTokens,
    input_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0 },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: u.inputTokens + u.outputTokens,
  };
}

/** `completed`, or `incomplete` with its reason when the answer was cut (length, content filter). */
export function statusOf(finish: FinishReason): { status: 'completed' | 'incomplete'; incomplete_details: { reason: string } | null } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/**
 * The data of a Responses stream's `error` event: the fields at the top, as OpenAI
 * documents the event, and nested, as it sends it (the official SDKs throw only on the
 * nested form).
 */
export function errorEventData(error: { type: string; code: string; message: string; param: unknown }): Record<string, unknown> {
  return { code: error.code, message: error.message, param: error.param, error };
}

/** An `output_text` part; `annotations`: its citations (see ChatResponse.annotations). */
export function textPart(text: string, annotations: readonly Record<string, unknown>[] = []): Record<string, unknown> {
  return { type: 'output_text', text, annotations };
}

export function messageItem(id: string, text: string, status: 'in_progress' | 'completed', annotations?: readonly Record<string, unknown>[]): Record<string, unknown> {
  return { type: 'message', id, status, role: 'assistant', content: status === 'in_progress' ? [] : [textPart(text, annotations)] };
}

export function reasoningTextPart(text: string): Record<string, unknown> {
  return { type: 'reasoning_text', text };
}

/** A summary of a model's reasoning, as a `reasoning` item with one `summary_text` part (as OpenAI sends them). */
export function summaryItem(id: string, text: string, status: 'in_progress' | 'completed'): Record<string, unknown> {
  return { type: 'reasoning', id, summary: status === 'in_progress' ? [] : [summaryTextPart(text)] };
}

export function summaryTextPart(text: string): Record<string, unknown> {
  return { type: 'summary_text', text };
}

/** Codex's remote compaction: the conversation's summary, sealed (the client replays it in place of what it summarizes). */
export function compactionItem(respId: string, summary: string): Record<string, unknown> {
  return { type: 'compaction', id: `cmp_${respId.replace(/^resp_/, '')}`, encrypted_content: sealSummary(summary) };
}

/** An OpenAI model's encrypted reasoning, as the `reasoning` item it came in (the client replays it whole). */
export function encryptedReasoningItem(id: string, data: string): Record<string, unknown> {
  return { type: 'reasoning', id, summary: [], encrypted_content: data };
}

/** Reasoning text another model showed, as a `reasoning` item with its text as `content` (gpt-oss's shape). */
export function reasoningItem(id: string, text: string, status: 'in_progress' | 'completed'): Record<string, unknown> {
  return { type: 'reasoning', id, summary: [], content: status === 'in_progress' ? [] : [reasoningTextPart(text)], status };
}

/**
 * Reasoning text another model showed, for a client that asked for summaries (Codex, the
 * Vercel AI SDK and LangChain show only those): its text as the summary, and as `content`
 * too, which a client replays and the gateway reads back as reasoning.
 */
export function summarizedReasoningItem(id: string, text: string, status: 'in_progress' | 'completed'): Record<string, unknown> {
  const done = status === 'completed';
  return { type: 'reasoning', id, summary: done ? [summaryTextPart(text)] : [], content: done ? [reasoningTextPart(text)] : [], status };
}

/** A call item: `fields` between its name and its status, and its namespace when the client declared the tool in one. */
function callItem(type: string, id: string, call: Pick<ToolCall, 'id' | 'name'>, fields: Record<string, unknown>, status: string, namespaced: RenderOptions['namespaced']): Record<string, unknown> {
  const declared = namespaced?.get(call.name);
  const item: Record<string, unknown> = { type, id, call_id: call.id, name: declared?.name ?? call.name, ...fields, status };
  if (declared !== undefined) item.namespace = declared.namespace;
  return item;
}

export function functionCallItem(id: string, call: Pick<ToolCall, 'id' | 'name' | 'arguments'>, status: 'in_progress' | 'completed', namespaced?: RenderOptions['namespaced']): Record<string, unknown> {
  return callItem('function_call', id, call, { arguments: call.arguments }, status, namespaced);
}

export function customCallItemId(respId: string, n: number): string {
  return `ctc_${respId.slice('resp_'.length)}_${n}`;
}

/** A call to a custom tool, with its input unwrapped from the function form it went upstream in (see wire/freeform). */
export function customCallItem(id: string, call: Pick<ToolCall, 'id' | 'name'>, input: string, status: 'in_progress' | 'completed', namespaced?: RenderOptions['namespaced']): Record<string, unknown> {
  return callItem('custom_tool_call', id, call, { input }, status, namespaced);
}

/** The `n`th tool call of answer `respId` as the client declared the tool: a function, custom or built-in tool's call. */
function callItemOf(respId: string, n: number, c: ToolCall, opts: RenderOptions): Record<string, unknown> {
  if (opts.builtin?.has(c.name) === true) {
    const kind = c.name as BuiltinTool;
    return builtinCallItem(kind, builtinCallItemId(kind, respId, n), c, 'completed');
  }
  return opts.freeform?.has(c.name) === true
    ? customCallItem(customCallItemId(respId, n), c, unwrapInput(c.arguments), 'completed', opts.namespaced)
    : functionCallItem(functionCallItemId(respId, n), c, 'completed', opts.namespaced);
}

/** What a response repeats of a request that did not set it (OpenAI's defaults). */
const ECHO_DEFAULTS: Readonly<Record<string, unknown>> = {
  instructions: null, max_output_tokens: null, parallel_tool_calls: true, reasoning: { effort: null, summary: null },
  temperature: 1, text: { format: { type: 'text' } }, tool_choice: 'auto', tools: [], top_p: 1, truncation: 'disabled', user: null, metadata: {},
};

/** The request's settings a response repeats, each as sent or OpenAI's default (see ChatClientOptions.echo). */
export function echoOf(body: Record<string, unknown>): Record<string, unknown> {
  const echo: Record<string, unknown> = {};
  for (const name in ECHO_DEFAULTS) echo[name] = body[name] ?? ECHO_DEFAULTS[name];
  return echo;
}

/** The `response` object around `output`, in OpenAI's field order; `usage` is null while it is in progress. */
export function responseObject(
  id: string, model: string, createdAt: number,
  state: { status: string; incomplete_details: { reason: string } | null },
  output: Record<string, unknown>[], usage: Usage | null, echo: Readonly<Record<string, unknown>> = ECHO_DEFAULTS,
): Record<string, unknown> {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: state.status,
    error: null,
    incomplete_details: state.incomplete_details,
    instructions: echo.instructions,
    max_output_tokens: echo.max_output_tokens,
    model,
    output,
    parallel_tool_calls: echo.parallel_tool_calls,
    previous_response_id: echo.previous_response_id ?? null,
    ...(echo.conversation === undefined ? {} : { conversation: echo.conversation }),
    reasoning: echo.reasoning,
    store: echo.store === true,
    temperature: echo.temperature,
    text: echo.text,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_p: echo.top_p,
    truncation: echo.truncation,
    usage: usage === null ? null : usageToResponses(usage),
    user: echo.user,
    metadata: echo.metadata,
  };
}

/**
 * Canonical response → OpenAI `response` object for a Responses API client.
 * @example renderResponsesResponse(res, { created: Math.floor(now / 1000) })
 */
export function renderResponsesResponse(res: ChatResponse, opts: RenderOptions): Record<string, unknown> {
  const id = opts.id ?? responseId(res.id);
  if (opts.compactedInput !== undefined) {
    return { id: `cmp_${id.replace(/^resp_/, '')}`, object: 'response.compaction', created_at: opts.created, output: [...opts.compactedInput, compactionItem(id, res.text)], usage: usageToResponses(res.usage) };
  }
  if (opts.compaction === true) return responseObject(id, opts.model ?? res.model, opts.created, statusOf(res.finishReason), [compactionItem(id, res.text)], res.usage, opts.echo);
  const output: Record<string, unknown>[] = [];
  // The searches OpenAI ran (or the client is to run), each where it came among the reasoning items.
  const hosted = res.hosted ?? [];
  let shown = 0;
  const hostedUpTo = (sealed: number): void => {
    while (shown < hosted.length && (res.hostedAfter?.[shown] ?? Infinity) <= sealed) output.push(hosted[shown++]);
  };
  if (res.thinking !== undefined) {
    // Reasoning text (another model's) as its own item, then OpenAI's reasoning: its summary
    // on the encrypted item it came with, or on an item of its own when none came.
    const reasoning = reasoningOf(res.thinking.filter((t) => t.type !== 'thinking' || !t.summary));
    const summary = reasoningOf(res.thinking.filter((t) => t.type === 'thinking' && t.summary));
    // Claude's signed thinking goes on that item, sealed, for a client that replays it.
    const signed = opts.sealThinking === true ? res.thinking.filter(isSigned) : [];
    if (reasoning !== '' || signed.length > 0) {
      const item = (opts.summaries && reasoning !== '' ? summarizedReasoningItem : reasoningItem)(reasoningItemId(id, output.length), reasoning, 'completed');
      if (signed.length > 0) item.encrypted_content = sealThinking(signed);
      output.push(item);
    }
    const sealed = res.thinking.filter((t) => t.type === 'encrypted_reasoning');
    if (summary !== '' && sealed.length === 0) output.push(summaryItem(reasoningItemId(id, output.length), summary, 'completed'));
    for (let i = 0; i < sealed.length; i++) {
      hostedUpTo(i);
      const item = encryptedReasoningItem(sealed[i].id ?? reasoningItemId(id, output.length), sealed[i].data);
      if (i === 0 && summary !== '') item.summary = [summaryTextPart(summary)];
      output.push(item);
    }
  }
  // Then the answer they went into, with its citations; an answer with nothing else is an empty message.
  hostedUpTo(Infinity);
  if (res.text !== '' || (res.toolCalls.length === 0 && res.hosted === undefined)) output.push(messageItem(messageItemId(id), res.text, 'completed', res.annotations));
  const searches = opts.deferred === undefined ? undefined : new Searches(opts.deferred, res.hosted);
  res.toolCalls.forEach((c, n) => {
    const found = searches?.before(c.name, id, n);
    if (found !== undefined) output.push(...found);
    output.push(callItemOf(id, n, c, opts));
  });
  return responseObject(id, opts.model ?? res.model, opts.created, statusOf(res.finishReason), output, res.usage, opts.echo);
}
