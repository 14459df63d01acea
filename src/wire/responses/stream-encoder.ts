/**
 * Canonical stream events → OpenAI Responses API SSE events: `response.created`, then the
 * output items as they grow (reasoning text as a `reasoning` item with one `reasoning_text`
 * part, a summary of reasoning as one with a `summary_text` part; a message with one
 * `output_text` part; function calls with their argument
 * deltas; an OpenAI model's encrypted reasoning as the item it came in), each closed with
 * its `.done` events, then `response.completed`
 * (or `response.incomplete`) carrying the whole response and its usage. Every event has
 * its `sequence_number`. A failure after the first event goes in-band as an `error` event,
 * which the OpenAI SDK raises, and ends the stream without `response.completed`.
 */
import type { FinishReason, StreamEvent, Usage } from '../../canonical.js';
import type { StreamEncoder, StreamEncoderOptions } from '../client.js';
import { Searches } from './tool-search.js';
import { unwrapInput } from '../freeform.js';
import { builtinCallItem, builtinCallItemId, type BuiltinTool } from './builtin.js';
import { sealThinking, type Signed } from '../sealed.js';
import {
  compactionItem, customCallItem, customCallItemId, encryptedReasoningItem, errorEventData, functionCallItem, summaryItem, summaryTextPart, functionCallItemId, messageItem, messageItemId, reasoningItem, reasoningItemId, reasoningTextPart, responseId, summarizedReasoningItem,
  responseObject, statusOf, textPart,
} from './response.js';

/**
 * `custom`: a call to one of the client's custom tools, whose input goes out unwrapped at
 * the end (see wire/freeform); `builtin`: to one of its built-in tools, whose operation or
 * action goes out whole at the end (see ./builtin).
 */
interface OpenCall { item: number; id: string; callId: string; name: string; args: string; custom: boolean; builtin?: BuiltinTool }

/**
 * The items that grow by text: a message (`output_text`), reasoning (`reasoning_text`), a
 * summary of reasoning (`summary_text`), and reasoning streamed as a summary for a client
 * that asked for summaries (see summarizedReasoningItem).
 */
type TextKind = 'message' | 'reasoning' | 'summary' | 'summarized';
/** `annotations`: a message's citations so far (see the annotation event). */
interface OpenText {
  kind: TextKind; at: number; id: string; text: string; annotations?: Record<string, unknown>[];
  /** Claude's signed thinking in this reasoning item, to seal on it (StreamEncoderOptions.sealThinking); `blockStart`: where the block not yet signed begins in `text`. */
  signed?: Signed[]; blockStart?: number;
}

const TEXT_ITEMS: Readonly<Record<TextKind, {
  /** Items counted together share ids of one series (reasoning and summaries are both `reasoning` items). */
  series: 'message' | 'reasoning';
  id(respId: string, n: number): string;
  item(id: string, text: string, status: 'in_progress' | 'completed'): Record<string, unknown>;
  part(text: string): Record<string, unknown>;
  /** Event types of a part opening and closing, of a delta and of the whole text; the part's index field, and what deltas carry besides. */
  partAdded: string;
  partDone: string;
  delta: string;
  done: string;
  index: string;
  extra: Readonly<Record<string, unknown>>;
}>> = {
  message: {
    series: 'message', id: messageItemId, item: messageItem, part: textPart, partAdded: 'response.content_part.added', partDone: 'response.content_part.done',
    delta: 'response.output_text.delta', done: 'response.output_text.done', index: 'content_index', extra: { logprobs: [] },
  },
  reasoning: {
    series: 'reasoning', id: reasoningItemId, item: reasoningItem, part: reasoningTextPart, partAdded: 'response.content_part.added', partDone: 'response.content_part.done',
    delta: 'response.reasoning_text.delta', done: 'response.reasoning_text.done', index: 'content_index', extra: {},
  },
  summary: {
    series: 'reasoning', id: reasoningItemId, item: summaryItem, part: summaryTextPart, partAdded: 'response.reasoning_summary_part.added', partDone: 'response.reasoning_summary_part.done',
    delta: 'response.reasoning_summary_text.delta', done: 'response.reasoning_summary_text.done', index: 'summary_index', extra: {},
  },
  summarized: {
    series: 'reasoning', id: reasoningItemId, item: summarizedReasoningItem, part: summaryTextPart, partAdded: 'response.reasoning_summary_part.added', partDone: 'response.reasoning_summary_part.done',
    delta: 'response.reasoning_summary_text.delta', done: 'response.reasoning_summary_text.done', index: 'summary_index', extra: {},
  },
};

class ResponsesStreamEncoder implements StreamEncoder {
  closed = false;
  private seq = 0;
  private id = '';
  private model = '';
  /** Finished output items, by output index (an open one is filled in when it closes). */
  private readonly output: Record<string, unknown>[] = [];
  /** The message or reasoning item text goes to; at most one is open. */
  private open: OpenText | null = null;
  /** Items of each series opened so far (a message after a function call is a new item, with its own id). */
  private readonly opened: Record<'message' | 'reasoning', number> = { message: 0, reasoning: 0 };
  /** Function calls by canonical tool-call index; all stay open until the end. */
  private readonly calls = new Map<number, OpenCall>();
  /** Items of tools OpenAI ran, or has the client run (a tool search), so far. */
  private hosted = 0;
  /** RenderOptions.deferred: the searches to show before calls. */
  private readonly searches: Searches | undefined;
  private finish: FinishReason = 'stop';
  /** A compaction's summary so far (StreamEncoderOptions.compaction). */
  private summary = '';
  private usage: Usage | null = null;
  /** The last event, held back until what onResponse returned settles (see StreamEncoder.held). */
  private pending: Promise<string> | null = null;
  /** Claude's signed thinking of reasoning items, sealed, by output index: only the kept response has it (StreamEncoderOptions.keepThinking). */
  private keptSealed: Map<number, string> | null = null;

  constructor(private readonly opts: StreamEncoderOptions) {
    if (opts.deferred !== undefined) this.searches = new Searches(opts.deferred);
  }

  push(ev: StreamEvent): string {
    if (this.closed) return '';
    // Codex's remote compaction: the answer's text is the summary, shown as one item at the end.
    if (this.opts.compaction === true && ev.type !== 'start' && ev.type !== 'usage' && ev.type !== 'finish' && ev.type !== 'error') {
      if (ev.type === 'text') this.summary += ev.text;
      return ev.type === 'end' ? this.endCompaction() : '';
    }
    switch (ev.type) {
      case 'start':
        return this.start(ev.id, ev.model);
      case 'text':
        return this.write('message', ev.text);
      case 'tool_call_start': {
        let out = this.opening() + this.closeText();
        const n = this.calls.size;
        for (const item of this.searches?.before(ev.name, this.id, n) ?? []) out += this.whole(item);
        const custom = this.opts.freeform?.has(ev.name) === true;
        const builtin = this.opts.builtin?.has(ev.name) === true ? ev.name as BuiltinTool : undefined;
        const id = builtin !== undefined ? builtinCallItemId(builtin, this.id, n) : custom ? customCallItemId(this.id, n) : functionCallItemId(this.id, n);
        const call: OpenCall = { item: this.output.length, id, callId: ev.id, name: ev.name, args: '', custom, builtin };
        this.calls.set(ev.index, call);
        this.output.push({});
        const ns = this.opts.namespaced;
        const item = builtin !== undefined ? builtinCallItem(builtin, id, { id: call.callId, arguments: '' }, 'in_progress')
          : custom ? customCallItem(id, { id: call.callId, name: call.name }, '', 'in_progress', ns) : functionCallItem(id, { id: call.callId, name: call.name, arguments: '' }, 'in_progress', ns);
        return out + this.event('response.output_item.added', { output_index: call.item, item });
      }
      case 'tool_call_delta': {
        const call = this.calls.get(ev.index);
        if (call === undefined || ev.arguments === '') return '';
        call.args += ev.arguments;
        // A custom call's input is inside JSON until the call is whole, as is a built-in call's operation or action.
        return call.custom || call.builtin !== undefined ? '' : this.event('response.function_call_arguments.delta', { item_id: call.id, output_index: call.item, delta: ev.arguments });
      }
      case 'thinking':
        return this.write(ev.summary ? 'summary' : this.opts.summaries ? 'summarized' : 'reasoning', ev.text, ev.item);
      case 'hosted_item':
        // A search OpenAI ran, or the client is to run: the item whole, as it came (Codex shows it as done).
        this.hosted++;
        this.searches?.saw(ev.item);
        return this.opening() + this.closeText() + this.whole(ev.item);
      case 'annotation': {
        // A citation belongs to the message in progress; one with no message open has no place.
        const o = this.open;
        if (o === null || o.kind !== 'message') return '';
        const list = (o.annotations ??= []);
        list.push(ev.annotation);
        return this.event('response.output_text.annotation.added', { item_id: o.id, output_index: o.at, content_index: 0, annotation_index: list.length - 1, annotation: ev.annotation });
      }
      case 'encrypted_reasoning': {
        // The encrypted content of the summary item open: that item, whole, as it came.
        if (this.open?.kind === 'summary' && this.open.id === ev.id) return this.closeText({ encrypted_content: ev.data });
        const out = this.opening() + this.closeText();
        const at = this.output.length;
        const item = encryptedReasoningItem(ev.id, ev.data);
        this.output.push(item);
        return out + this.event('response.output_item.added', { output_index: at, item }) + this.event('response.output_item.done', { output_index: at, item });
      }
      case 'thinking_signature': {
        // The end of a Claude thinking block: sealed on its item for a client that replays it.
        const o = this.open;
        if ((this.opts.sealThinking !== true && this.opts.keepThinking !== true) || o === null || (o.kind !== 'reasoning' && o.kind !== 'summarized')) return '';
        (o.signed ??= []).push({ type: 'thinking', thinking: o.text.slice(o.blockStart ?? 0), signature: ev.signature });
        o.blockStart = o.text.length;
        return '';
      }
      case 'redacted_thinking': {
        if (this.opts.sealThinking !== true) {
          // Kept only: on the reasoning item open, as the client is shown no item for it.
          const o = this.open;
          if (this.opts.keepThinking === true && o !== null && (o.kind === 'reasoning' || o.kind === 'summarized')) {
            (o.signed ??= []).push({ type: 'redacted_thinking', data: ev.data });
            o.blockStart = o.text.length;
          }
          return '';
        }
        let out = '';
        if (this.open === null || (this.open.kind !== 'reasoning' && this.open.kind !== 'summarized')) out = this.opening() + this.closeText() + this.openText('reasoning');
        const o = this.open!;
        (o.signed ??= []).push({ type: 'redacted_thinking', data: ev.data });
        o.blockStart = o.text.length;
        return out;
      }
      case 'reasoning_details':
      case 'anthropic_block':
      case 'anthropic_delta':
      case 'logprobs':
        // The Responses API has no place for Anthropic's other blocks, nor for OpenRouter's
        // reasoning details; a whole answer does not show chat completions' log probabilities either.
        return '';
      case 'finish':
        this.finish = ev.finishReason;
        return '';
      case 'usage':
        this.usage = ev.usage;
        return '';
      case 'end': {
        let out = this.opening() + this.closeText();
        for (const call of this.calls.values()) {
          let item: Record<string, unknown>;
          if (call.builtin !== undefined) item = builtinCallItem(call.builtin, call.id, { id: call.callId, arguments: call.args }, 'completed');
          else if (call.custom) {
            const input = unwrapInput(call.args);
            item = customCallItem(call.id, { id: call.callId, name: call.name }, input, 'completed', this.opts.namespaced);
            if (input !== '') out += this.event('response.custom_tool_call_input.delta', { item_id: call.id, output_index: call.item, delta: input });
            out += this.event('response.custom_tool_call_input.done', { item_id: call.id, output_index: call.item, input });
          } else {
            item = functionCallItem(call.id, { id: call.callId, name: call.name, arguments: call.args }, 'completed', this.opts.namespaced);
            out += this.event('response.function_call_arguments.done', { item_id: call.id, output_index: call.item, name: item.name, arguments: call.args });
          }
          this.output[call.item] = item;
          out += this.event('response.output_item.done', { output_index: call.item, item });
        }
        // A stream with no answer at all still answers with an (empty) message.
        if (this.opened.message === 0 && this.calls.size === 0 && this.hosted === 0) out += this.openText('message') + this.closeText();
        const state = statusOf(this.finish);
        this.closed = true;
        const type = state.status === 'completed' ? 'response.completed' : 'response.incomplete';
        const response = this.response(state, this.usage ?? { inputTokens: 0, outputTokens: 0 });
        return out + this.last(type, response);
      }
      case 'error': {
        const out = this.opening();
        this.closed = true;
        return out + this.event('error', errorEventData({ type: 'server_error', code: 'SY_ERR_STREAM_INTERRUPTED', message: ev.message, param: null }));
      }
    }
  }

  /** The end of a compaction: its one item, then the response. */
  private endCompaction(): string {
    const out = this.opening();
    const item = compactionItem(this.id, this.summary);
    this.output.push(item);
    const state = statusOf(this.finish);
    this.closed = true;
    const response = this.response(state, this.usage ?? { inputTokens: 0, outputTokens: 0 });
    return out + this.event('response.output_item.added', { output_index: 0, item }) + this.event('response.output_item.done', { output_index: 0, item })
      + this.last(state.status === 'completed' ? 'response.completed' : 'response.incomplete', response);
  }

  /** The event that ends the stream with the whole response, unless onResponse holds it back (see StreamEncoder.held). */
  private last(type: string, response: Record<string, unknown>): string {
    const sealed = this.keptSealed;
    const kept = sealed === null ? response : {
      ...response,
      output: (response.output as Record<string, unknown>[]).map((item, i) => (sealed.has(i) ? { ...item, encrypted_content: sealed.get(i) } : item)),
    };
    const pending = this.opts.onResponse?.(response, kept);
    if (!(pending instanceof Promise)) return this.event(type, { response });
    const seq = this.seq++;
    const frame = (): string => this.event(type, { response }, seq);
    this.pending = pending.then(frame, frame);
    return '';
  }

  held(): Promise<string> | null {
    const p = this.pending;
    this.pending = null;
    return p;
  }

  private start(id: string, model: string): string {
    if (this.id) return '';
    this.id = this.opts.id ?? responseId(id);
    this.model = this.opts.model ?? model;
    const inProgress = this.response({ status: 'in_progress', incomplete_details: null }, null);
    return this.event('response.created', { response: inProgress }) + this.event('response.in_progress', { response: inProgress });
  }

  /** An item added whole, and done. */
  private whole(item: Record<string, unknown>): string {
    const at = this.output.length;
    this.output.push(item);
    return this.event('response.output_item.added', { output_index: at, item }) + this.event('response.output_item.done', { output_index: at, item });
  }

  /** Decoders always begin with `start`; this only guards against one that does not. */
  private opening(): string {
    return this.id ? '' : this.start('', '');
  }

  /**
   * Appends text to the open item of its kind, opening one first (and closing the other
   * kind's). `item`: the upstream item's id, which the item keeps (see StreamEvent).
   */
  private write(kind: TextKind, text: string, item?: string): string {
    if (text === '') return '';
    let out = this.opening();
    if (this.open?.kind !== kind || (item !== undefined && this.open.id !== item)) out += this.closeText() + this.openText(kind, item);
    const o = this.open!;
    o.text += text;
    const k = TEXT_ITEMS[kind];
    return out + this.event(k.delta, { item_id: o.id, output_index: o.at, [k.index]: 0, delta: text, ...k.extra });
  }

  private openText(kind: TextKind, item?: string): string {
    const k = TEXT_ITEMS[kind];
    const n = this.opened[k.series]++;
    const o: OpenText = { kind, at: this.output.length, id: item ?? k.id(this.id, n), text: '' };
    this.open = o;
    this.output.push({});
    return this.event('response.output_item.added', { output_index: o.at, item: k.item(o.id, '', 'in_progress') })
      + this.event(k.partAdded, { item_id: o.id, output_index: o.at, [k.index]: 0, part: k.part('') });
  }

  /** Closes the open message or reasoning item, if any: its text, its part, the item (with `more` fields). */
  private closeText(more?: Record<string, unknown>): string {
    const o = this.open;
    if (o === null) return '';
    const k = TEXT_ITEMS[o.kind];
    // A message with citations carries them on its part.
    const cited = o.annotations !== undefined;
    const base = cited ? messageItem(o.id, o.text, 'completed', o.annotations) : k.item(o.id, o.text, 'completed');
    if (o.signed !== undefined) {
      if (this.opts.sealThinking === true) base.encrypted_content = sealThinking(o.signed);
      else (this.keptSealed ??= new Map()).set(o.at, sealThinking(o.signed));
    }
    const item = more === undefined ? base : { ...base, ...more };
    this.output[o.at] = item;
    this.open = null;
    return this.event(k.done, { item_id: o.id, output_index: o.at, [k.index]: 0, text: o.text, ...k.extra })
      + this.event(k.partDone, { item_id: o.id, output_index: o.at, [k.index]: 0, part: cited ? textPart(o.text, o.annotations) : k.part(o.text) })
      + this.event('response.output_item.done', { output_index: o.at, item });
  }

  private response(state: { status: string; incomplete_details: { reason: string } | null }, usage: Usage | null): Record<string, unknown> {
    return responseObject(this.id, this.model, this.opts.created, state, state.status === 'in_progress' ? [] : this.output, usage, this.opts.echo);
  }

  private event(type: string, data: Record<string, unknown>, seq = this.seq++): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...data, sequence_number: seq })}\n\n`;
  }
}

/**
 * @example
 * const enc = createResponsesStreamEncoder({ includeUsage: true, created: 1718000000 });
 * for (const ev of events) reply.raw.write(enc.push(ev));
 */
export function createResponsesStreamEncoder(opts: StreamEncoderOptions): StreamEncoder {
  return new ResponsesStreamEncoder(opts);
}
