/**
 * Canonical stream events → OpenAI Responses API SSE events: `response.created`, then the
 * output items as they grow (a message with one `output_text` part; function calls with
 * their argument deltas), each closed with its `.done` events, then `response.completed`
 * (or `response.incomplete`) carrying the whole response and its usage. Every event has
 * its `sequence_number`. A failure after the first event goes in-band as an `error` event,
 * which the OpenAI SDK raises, and ends the stream without `response.completed`.
 */
import type { FinishReason, StreamEvent, Usage } from '../../canonical.js';
import type { StreamEncoder, StreamEncoderOptions } from '../client.js';
import {
  functionCallItem, functionCallItemId, messageItem, messageItemId, responseId, responseObject, statusOf, textPart,
} from './response.js';

interface OpenCall { item: number; id: string; callId: string; name: string; args: string }

class ResponsesStreamEncoder implements StreamEncoder {
  closed = false;
  private seq = 0;
  private id = '';
  private model = '';
  /** Finished output items, by output index (an open one is filled in when it closes). */
  private readonly output: Record<string, unknown>[] = [];
  /** The open message item's output index, id and text; -1 when none is open. */
  private message = -1;
  private messageId = '';
  private text = '';
  /** Message items opened so far (a message after a function call is a new item, with its own id). */
  private messages = 0;
  /** Function calls by canonical tool-call index; all stay open until the end. */
  private readonly calls = new Map<number, OpenCall>();
  private finish: FinishReason = 'stop';
  private usage: Usage | null = null;

  constructor(private readonly opts: StreamEncoderOptions) {}

  push(ev: StreamEvent): string {
    if (this.closed) return '';
    switch (ev.type) {
      case 'start':
        return this.start(ev.id, ev.model);
      case 'text': {
        if (ev.text === '') return '';
        let out = this.opening();
        if (this.message < 0) out += this.openMessage();
        this.text += ev.text;
        return out + this.event('response.output_text.delta', { item_id: this.messageId, output_index: this.message, content_index: 0, delta: ev.text, logprobs: [] });
      }
      case 'tool_call_start': {
        let out = this.opening() + this.closeMessage();
        const call: OpenCall = { item: this.output.length, id: functionCallItemId(this.id, this.calls.size), callId: ev.id, name: ev.name, args: '' };
        this.calls.set(ev.index, call);
        this.output.push({});
        out += this.event('response.output_item.added', { output_index: call.item, item: functionCallItem(call.id, { id: call.callId, name: call.name, arguments: '' }, 'in_progress') });
        return out;
      }
      case 'tool_call_delta': {
        const call = this.calls.get(ev.index);
        if (call === undefined || ev.arguments === '') return '';
        call.args += ev.arguments;
        return this.event('response.function_call_arguments.delta', { item_id: call.id, output_index: call.item, delta: ev.arguments });
      }
      case 'thinking':
      case 'thinking_signature':
      case 'redacted_thinking':
      case 'anthropic_block':
      case 'anthropic_delta':
        // The Responses API has no place for another provider's reasoning or blocks.
        return '';
      case 'finish':
        this.finish = ev.finishReason;
        return '';
      case 'usage':
        this.usage = ev.usage;
        return '';
      case 'end': {
        let out = this.opening() + this.closeMessage();
        for (const call of this.calls.values()) {
          const item = functionCallItem(call.id, { id: call.callId, name: call.name, arguments: call.args }, 'completed');
          this.output[call.item] = item;
          out += this.event('response.function_call_arguments.done', { item_id: call.id, output_index: call.item, name: call.name, arguments: call.args });
          out += this.event('response.output_item.done', { output_index: call.item, item });
        }
        // A stream with no output at all still answers with an (empty) message.
        if (this.output.length === 0) out += this.openMessage() + this.closeMessage();
        const state = statusOf(this.finish);
        this.closed = true;
        const type = state.status === 'completed' ? 'response.completed' : 'response.incomplete';
        return out + this.event(type, { response: this.response(state, this.usage ?? { inputTokens: 0, outputTokens: 0 }) });
      }
      case 'error': {
        const out = this.opening();
        this.closed = true;
        return out + this.event('error', { code: 'SY_ERR_STREAM_INTERRUPTED', message: ev.message, param: null });
      }
    }
  }

  private start(id: string, model: string): string {
    if (this.id) return '';
    this.id = this.opts.id ?? responseId(id);
    this.model = this.opts.model ?? model;
    const inProgress = this.response({ status: 'in_progress', incomplete_details: null }, null);
    return this.event('response.created', { response: inProgress }) + this.event('response.in_progress', { response: inProgress });
  }

  /** Decoders always begin with `start`; this only guards against one that does not. */
  private opening(): string {
    return this.id ? '' : this.start('', '');
  }

  private openMessage(): string {
    this.message = this.output.length;
    this.messageId = messageItemId(this.id, this.messages++);
    this.text = '';
    this.output.push({});
    return this.event('response.output_item.added', { output_index: this.message, item: messageItem(this.messageId, '', 'in_progress') })
      + this.event('response.content_part.added', { item_id: this.messageId, output_index: this.message, content_index: 0, part: textPart('') });
  }

  /** Closes the open message item, if any: its text, its part, the item. */
  private closeMessage(): string {
    if (this.message < 0) return '';
    const at = this.message;
    const item = messageItem(this.messageId, this.text, 'completed');
    this.output[at] = item;
    this.message = -1;
    return this.event('response.output_text.done', { item_id: item.id, output_index: at, content_index: 0, text: this.text, logprobs: [] })
      + this.event('response.content_part.done', { item_id: item.id, output_index: at, content_index: 0, part: textPart(this.text) })
      + this.event('response.output_item.done', { output_index: at, item });
  }

  private response(state: { status: string; incomplete_details: { reason: string } | null }, usage: Usage | null): Record<string, unknown> {
    return responseObject(this.id, this.model, this.opts.created, state, state.status === 'in_progress' ? [] : this.output, usage, this.opts.echo);
  }

  private event(type: string, data: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...data, sequence_number: this.seq++ })}\n\n`;
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
