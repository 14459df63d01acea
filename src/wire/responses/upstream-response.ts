/**
 * OpenAI Responses API answers → canonical, for a provider served through it
 * (`options.api: responses`): the whole `response` object, and its SSE stream of
 * `response.*` events. Function calls are tool calls; a custom tool's call comes in its
 * function form (see wire/freeform), as from any other provider, and so does a built-in
 * tool's (see ./builtin); the text of reasoning
 * summaries is unsigned thinking, and encrypted reasoning (asked for when the client takes
 * it back) an encrypted reasoning block.
 */
import type { ChatResponse, FinishReason, StreamEvent, ThinkingBlock, TokenCount, ToolCall, Usage } from '../../canonical.js';
import { wrapInput } from '../freeform.js';
import { BUILTIN_CALLS, callOfBuiltin } from './builtin.js';
import { namespacedName } from './tool-search.js';
import type { SseMessage } from '../sse.js';
import { SseJsonDecoder } from '../sse-decoder.js';
import { malformedResponse } from '../upstream-error.js';
import { RESPONSES_USAGE, usageFromOpenAI, withServiceTier, withWebSearches } from '../openai/mapping.js';
import { isRecord } from '../validate.js';

export function usageFromResponses(u: unknown): Usage {
  return usageFromOpenAI(u, RESPONSES_USAGE);
}

/** OpenAI's input token count: `{"object": "response.input_tokens", "input_tokens": N}`. */
export function parseResponsesTokenCount(body: unknown): TokenCount {
  const n = isRecord(body) ? body.input_tokens : undefined;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw malformedResponse('openai', '`input_tokens` missing or not a count');
  return { inputTokens: n };
}

/** An `incomplete` answer's reason as a finish reason; a complete one ends for its tool calls or on its own. */
function finishOf(status: unknown, details: unknown, calledTools: boolean): FinishReason {
  if (status === 'incomplete') {
    const reason = isRecord(details) ? details.reason : undefined;
    return reason === 'content_filter' ? 'content_filter' : 'length';
  }
  return calledTools ? 'tool_calls' : 'stop';
}

/** The text of a reasoning item's `summary_text` parts (`summary`) or of its `reasoning_text` parts (`content`). */
function reasoningText(item: Record<string, unknown>, field: 'summary' | 'content'): string {
  let out = '';
  const parts = item[field];
  if (Array.isArray(parts)) for (const p of parts) if (isRecord(p) && typeof p.text === 'string' && p.text !== '') out = out === '' ? p.text : `${out}\n\n${p.text}`;
  return out;
}

/** Reasoning text, and a summary of reasoning, as thinking blocks (see ThinkingBlock). */
function thinkingOf(text: string, summary: string): ThinkingBlock[] {
  const out: ThinkingBlock[] = [];
  if (text !== '') out.push({ type: 'thinking', thinking: text, signature: '' });
  if (summary !== '') out.push({ type: 'thinking', thinking: summary, signature: '', summary: true });
  return out;
}

/** Items of tools OpenAI runs, or has the client run, that only a Responses client is shown (ChatResponse.hosted). */
const HOSTED_ITEMS: ReadonlySet<string> = new Set(['web_search_call', 'tool_search_call', 'tool_search_output']);

/** A function or custom call; one to a tool in a namespace (loaded by a search as declared) by the name providers see. */
function callOf(item: Record<string, unknown>, n: number): ToolCall {
  const id = typeof item.call_id === 'string' && item.call_id ? item.call_id : `call_${n}`;
  const name = namespacedName(typeof item.namespace === 'string' && item.namespace ? item.namespace : undefined, typeof item.name === 'string' ? item.name : '');
  if (item.type === 'custom_tool_call') return { id, name, arguments: wrapInput(typeof item.input === 'string' ? item.input : '') };
  const args = item.arguments;
  return { id, name, arguments: typeof args === 'string' ? args : args === undefined ? '{}' : JSON.stringify(args) };
}

/** A failed response's error, as the message dispatch records. */
function failure(body: Record<string, unknown>): string {
  const e = isRecord(body.error) ? body.error : {};
  return typeof e.message === 'string' && e.message ? e.message : 'the response failed';
}

export function parseResponsesResponse(body: unknown, fallbackModel: string): ChatResponse {
  if (!isRecord(body)) throw malformedResponse('openai responses', 'body is not an object');
  if (!Array.isArray(body.output)) throw malformedResponse('openai responses', '`output` missing');
  if (body.status === 'failed') throw malformedResponse('openai responses', failure(body));
  let text = '';
  let reasoning = '';
  let summary = '';
  const encrypted: ThinkingBlock[] = [];
  const toolCalls: ToolCall[] = [];
  const hosted: Record<string, unknown>[] = [];
  const hostedAfter: number[] = [];
  const annotations: Record<string, unknown>[] = [];
  for (const item of body.output) {
    if (!isRecord(item)) continue;
    switch (item.type) {
      case 'message':
        if (Array.isArray(item.content)) {
          for (const p of item.content) {
            if (!isRecord(p)) continue;
            // A refusal comes instead of text; it is what the model said.
            if (p.type === 'output_text' && typeof p.text === 'string') {
              if (Array.isArray(p.annotations)) for (const a of p.annotations) if (isRecord(a)) annotations.push(shifted(a, text.length));
              text += p.text;
            } else if (p.type === 'refusal' && typeof p.refusal === 'string') text += p.refusal;
          }
        }
        break;
      case 'web_search_call':
      case 'tool_search_call':
      case 'tool_search_output':
        hosted.push(item);
        hostedAfter.push(encrypted.length);
        break;
      case 'function_call':
      case 'custom_tool_call':
        toolCalls.push(callOf(item, toolCalls.length));
        break;
      case 'apply_patch_call':
      case 'shell_call':
        toolCalls.push(callOfBuiltin(BUILTIN_CALLS[item.type], item, toolCalls.length));
        break;
      case 'reasoning': {
        const r = reasoningText(item, 'content');
        if (r !== '') reasoning = reasoning === '' ? r : `${reasoning}\n\n${r}`;
        const sum = reasoningText(item, 'summary');
        if (sum !== '') summary = summary === '' ? sum : `${summary}\n\n${sum}`;
        const sealed = encryptedOf(item);
        if (sealed !== null) encrypted.push(sealed);
        break;
      }
    }
  }
  const res: ChatResponse = {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' && body.model ? body.model : fallbackModel,
    text,
    toolCalls,
    finishReason: finishOf(body.status, body.incomplete_details, toolCalls.length > 0),
    usage: withWebSearches(withServiceTier(usageFromResponses(body.usage), body.service_tier), hosted.filter((h) => h.type === 'web_search_call').length),
  };
  const thinking = [...thinkingOf(reasoning, summary), ...encrypted];
  if (thinking.length > 0) res.thinking = thinking;
  if (hosted.length > 0) {
    res.hosted = hosted;
    res.hostedAfter = hostedAfter;
  }
  if (annotations.length > 0) res.annotations = annotations;
  return res;
}

/** A citation of a part's text, its indexes moved to where the part begins in the whole text. */
function shifted(a: Record<string, unknown>, by: number): Record<string, unknown> {
  if (by === 0) return a;
  const out = { ...a };
  if (typeof a.start_index === 'number') out.start_index = a.start_index + by;
  if (typeof a.end_index === 'number') out.end_index = a.end_index + by;
  return out;
}

/** A reasoning item's encrypted content, as a thinking block; null when it has none. */
function encryptedOf(item: Record<string, unknown>): Extract<StreamEvent, { type: 'encrypted_reasoning' }> | null {
  const data = item.encrypted_content;
  return typeof data === 'string' && data !== '' && typeof item.id === 'string' && item.id !== '' ? { type: 'encrypted_reasoning', id: item.id, data } : null;
}

/**
 * The Responses API's SSE stream → canonical events. Terminated by `response.completed`
 * (or `response.incomplete`); `response.failed` and `error` events end it with an error.
 * A custom tool's input streams as the arguments of its function form: `{"input":"`, the
 * input escaped as it comes, then `"}`.
 */
export class ResponsesStreamDecoder extends SseJsonDecoder {
  private started = false;
  /** Tool calls by output index → their canonical index. */
  private readonly calls = new Map<number, number>();
  /** Output indexes of custom tool calls (their input is wrapped). */
  private readonly custom = new Set<number>();
  /** Output indexes of calls whose arguments have begun to come. */
  private readonly argued = new Set<number>();
  /** Characters of answer text so far, and where the text part in progress began (citations count from there). */
  private textLength = 0;
  private partStart = 0;
  /** `web_search_call` items done so far: each is billed, and the usage at the end does not count them. */
  private searches = 0;

  constructor(private readonly fallbackModel: string) {
    super();
  }

  protected override raw(m: SseMessage): boolean {
    // Some servers end with chat completions' terminator as well; the terminal event came before it.
    return m.data === '[DONE]';
  }

  private start(out: StreamEvent[], response: unknown): void {
    if (this.started) return;
    this.started = true;
    const r = isRecord(response) ? response : {};
    out.push({
      type: 'start',
      id: typeof r.id === 'string' ? r.id : '',
      model: typeof r.model === 'string' && r.model ? r.model : this.fallbackModel,
    });
  }

  protected object(event: string, data: Record<string, unknown>, out: StreamEvent[]): void {
    const type = typeof data.type === 'string' ? data.type : event;
    switch (type) {
      case 'response.created':
      case 'response.in_progress':
        this.start(out, data.response);
        return;
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        if (typeof data.delta === 'string') this.textLength += data.delta.length;
        return this.delta(data.delta, out, (text) => ({ type: 'text', text }));
      case 'response.content_part.added':
        // Where this part's text begins in the whole text: its citations count from there.
        this.partStart = this.textLength;
        return;
      case 'response.output_text.annotation.added':
        if (isRecord(data.annotation)) out.push({ type: 'annotation', annotation: shifted(data.annotation, this.partStart) });
        return;
      case 'response.reasoning_summary_text.delta': {
        const item = typeof data.item_id === 'string' && data.item_id !== '' ? data.item_id : undefined;
        return this.delta(data.delta, out, (text) => (item === undefined ? { type: 'thinking', text, summary: true } : { type: 'thinking', text, summary: true, item }));
      }
      case 'response.reasoning_text.delta':
        return this.delta(data.delta, out, (text) => ({ type: 'thinking', text }));
      case 'response.output_item.added':
        this.itemAdded(data, out);
        return;
      case 'response.function_call_arguments.delta':
      case 'response.custom_tool_call_input.delta':
        this.callDelta(data, out);
        return;
      case 'response.output_item.done':
        this.itemDone(data, out);
        return;
      case 'response.completed':
      case 'response.incomplete': {
        const r = isRecord(data.response) ? data.response : {};
        this.start(out, r);
        out.push({ type: 'finish', finishReason: finishOf(r.status ?? (type === 'response.incomplete' ? 'incomplete' : 'completed'), r.incomplete_details, this.calls.size > 0) });
        this.close(out, { type: 'usage', usage: withWebSearches(withServiceTier(usageFromResponses(r.usage), r.service_tier), this.searches) }, { type: 'end' });
        return;
      }
      case 'response.failed': {
        const r = isRecord(data.response) ? data.response : {};
        const e = isRecord(r.error) ? r.error : {};
        const ev: StreamEvent = { type: 'error', message: failure(r) };
        if (typeof e.code === 'string') ev.errorType = e.code;
        this.close(out, ev);
        return;
      }
      case 'error': {
        const e = isRecord(data.error) ? data.error : data;
        const ev: StreamEvent = { type: 'error', message: typeof e.message === 'string' && e.message ? e.message : 'upstream stream error' };
        if (typeof e.code === 'string') ev.errorType = e.code;
        else if (typeof e.type === 'string' && e.type !== 'error') ev.errorType = e.type;
        this.close(out, ev);
      }
    }
  }

  /** A text delta (answer, refusal, reasoning or its summary) as the event `as` makes of it. */
  private delta(delta: unknown, out: StreamEvent[], as: (text: string) => StreamEvent): void {
    this.start(out, undefined);
    if (typeof delta === 'string' && delta !== '') out.push(as(delta));
  }

  private itemAdded(data: Record<string, unknown>, out: StreamEvent[]): void {
    const item = isRecord(data.item) ? data.item : undefined;
    if (item === undefined || (item.type !== 'function_call' && item.type !== 'custom_tool_call')) return;
    this.start(out, undefined);
    const at = typeof data.output_index === 'number' ? data.output_index : -1 - this.calls.size;
    const index = this.calls.size;
    this.calls.set(at, index);
    const call = callOf(item, index);
    out.push({ type: 'tool_call_start', index, id: call.id, name: call.name });
    if (item.type === 'custom_tool_call') {
      this.custom.add(at);
      out.push({ type: 'tool_call_delta', index, arguments: '{"input":"' });
    }
    this.whole(at, item, out);
  }

  /** Arguments (or input) a server sent whole on the item rather than as deltas: once per call. */
  private whole(at: number, item: Record<string, unknown>, out: StreamEvent[]): void {
    const text = item.type === 'custom_tool_call' ? item.input : item.arguments;
    if (this.argued.has(at) || typeof text !== 'string' || text === '') return;
    this.argued.add(at);
    out.push({ type: 'tool_call_delta', index: this.calls.get(at)!, arguments: this.custom.has(at) ? JSON.stringify(text).slice(1, -1) : text });
  }

  private callDelta(data: Record<string, unknown>, out: StreamEvent[]): void {
    const at = typeof data.output_index === 'number' ? data.output_index : undefined;
    const index = at === undefined ? undefined : this.calls.get(at);
    if (index === undefined || typeof data.delta !== 'string' || data.delta === '') return;
    this.argued.add(at!);
    // A custom call's input is text: escaped as a JSON string's content, piece by piece.
    const piece = this.custom.has(at!) ? JSON.stringify(data.delta).slice(1, -1) : data.delta;
    out.push({ type: 'tool_call_delta', index, arguments: piece });
  }

  private itemDone(data: Record<string, unknown>, out: StreamEvent[]): void {
    if (isRecord(data.item) && HOSTED_ITEMS.has(data.item.type as string)) {
      if (data.item.type === 'web_search_call') this.searches++;
      this.start(out, undefined);
      out.push({ type: 'hosted_item', item: data.item });
      return;
    }
    if (isRecord(data.item) && data.item.type === 'reasoning') {
      const sealed = encryptedOf(data.item);
      if (sealed !== null) {
        this.start(out, undefined);
        out.push(sealed);
      }
      return;
    }
    const at = typeof data.output_index === 'number' ? data.output_index : undefined;
    if (isRecord(data.item) && typeof data.item.type === 'string' && Object.hasOwn(BUILTIN_CALLS, data.item.type)) {
      // A built-in tool's call, whole: its operation or action as its function form's arguments.
      this.start(out, undefined);
      const index = this.calls.size;
      this.calls.set(at ?? -1 - index, index);
      const call = callOfBuiltin(BUILTIN_CALLS[data.item.type], data.item, index);
      out.push({ type: 'tool_call_start', index, id: call.id, name: call.name }, { type: 'tool_call_delta', index, arguments: call.arguments });
      return;
    }
    if (at === undefined || !this.calls.has(at)) return;
    if (isRecord(data.item)) this.whole(at, data.item, out);
    if (this.custom.has(at)) {
      this.custom.delete(at);
      out.push({ type: 'tool_call_delta', index: this.calls.get(at)!, arguments: '"}' });
    }
  }
}
