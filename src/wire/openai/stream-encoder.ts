/**
 * Canonical stream events → OpenAI `chat.completion.chunk` SSE frames, built as strings
 * (this runs once per token). Reasoning text goes out as `reasoning_content` deltas, as
 * DeepSeek streams it, a refusal as `refusal` deltas, as OpenAI streams it, and each
 * upstream chunk's log probabilities on the chunk it makes. Errors go in-band as
 * `data: {"error":...}` and end the stream without `[DONE]`, so the client cannot mistake
 * a broken stream for a whole one.
 */
import type { StreamEvent, ToolCall } from '../../canonical.js';
import { ERRORS } from '../../errors.js';
import type { StreamEncoder, StreamEncoderOptions } from '../client.js';
import { finishToOpenAI, usageToOpenAIJson } from './mapping.js';
import { wireToolCall } from './response.js';

const j = JSON.stringify;

class OpenAIStreamEncoder implements StreamEncoder {
  closed = false;
  /** `data: {"id":..,"object":..,"created":..,"model":..,"choices":[` — fixed once the stream starts. */
  private head = '';
  /** Closes a one-choice chunk; OpenAI sends `"usage":null` on every chunk when usage was requested. */
  private readonly tail: string;
  /** Calls to the client's custom tools, by index: their input is inside JSON until the call is whole (see wire/freeform). */
  private custom: Map<number, ToolCall> | null = null;
  /** JSON of the log probabilities the next chunk carries (see the logprobs event); `null` when none came. */
  private logprobs = 'null';

  constructor(private readonly opts: StreamEncoderOptions) {
    this.tail = opts.includeUsage ? '],"usage":null}\n\n' : ']}\n\n';
  }

  push(ev: StreamEvent): string {
    if (this.closed) return '';
    switch (ev.type) {
      case 'start':
        return this.start(ev.id, ev.model);
      case 'text':
        return this.choice(ev.refusal === true ? `{"refusal":${j(ev.text)}}` : `{"content":${j(ev.text)}}`, 'null');
      case 'thinking':
        return this.choice(`{"reasoning_content":${j(ev.text)}}`, 'null');
      case 'reasoning_details':
        // OpenRouter's field, as it sent it, for the client to give back.
        return this.choice(`{"reasoning_details":${j(ev.details)}}`, 'null');
      case 'logprobs': {
        // They go out on the next chunk, the one the rest of their upstream chunk makes (or,
        // when it made none, the one after); held ones that more follow get a chunk of their own.
        const out = this.heldLogprobs();
        this.logprobs = j(ev.logprobs);
        return out;
      }
      case 'thinking_signature':
      case 'redacted_thinking':
      case 'encrypted_reasoning':
      case 'anthropic_block':
      case 'anthropic_delta':
      case 'hosted_item':
      case 'annotation':
        // Chat completions has no place for Anthropic's signatures, redacted thinking or other
        // blocks, nor for OpenAI's encrypted reasoning and web searches (asked for by Responses
        // API clients only).
        return '';
      case 'tool_call_start':
        if (this.opts.freeform?.has(ev.name)) {
          (this.custom ??= new Map()).set(ev.index, { id: ev.id, name: ev.name, arguments: '' });
          return '';
        }
        return this.choice(`{"tool_calls":[{"index":${ev.index},"id":${j(ev.id)},"type":"function","function":{"name":${j(ev.name)},"arguments":""}}]}`, 'null');
      case 'tool_call_delta': {
        const custom = this.custom?.get(ev.index);
        if (custom !== undefined) {
          custom.arguments += ev.arguments;
          return '';
        }
        return this.choice(`{"tool_calls":[{"index":${ev.index},"function":{"arguments":${j(ev.arguments)}}}]}`, 'null');
      }
      case 'finish':
        return this.customCalls() + this.choice('{}', `"${finishToOpenAI(ev.finishReason)}"`);
      case 'usage':
        if (!this.opts.includeUsage) return '';
        return this.opening() + this.head + `],"usage":${usageToOpenAIJson(ev.usage)}}\n\n`;
      case 'end': {
        const out = this.customCalls() + this.heldLogprobs();
        this.closed = true;
        return `${out}data: [DONE]\n\n`;
      }
      case 'error': {
        this.closed = true;
        const spec = ERRORS.SY_ERR_STREAM_INTERRUPTED;
        return `data: {"error":{"message":${j(ev.message)},"type":"${spec.openaiType}","param":null,"code":"SY_ERR_STREAM_INTERRUPTED"}}\n\n`;
      }
    }
  }

  private start(id: string, model: string): string {
    if (this.head) return '';
    this.head = `data: {"id":${j(id)},"object":"chat.completion.chunk","created":${this.opts.created},"model":${j(this.opts.model ?? model)},"choices":[`;
    return this.choice('{"role":"assistant","content":""}', 'null');
  }

  /** Decoders always begin with `start`; this only guards against one that does not. */
  private opening(): string {
    return this.head ? '' : this.start('', '');
  }

  /** The custom calls so far, each whole in one chunk. */
  private customCalls(): string {
    if (this.custom === null) return '';
    let out = '';
    for (const [index, c] of this.custom) out += this.choice(`{"tool_calls":[${j({ index, ...wireToolCall(c, this.opts.freeform) })}]}`, 'null');
    this.custom = null;
    return out;
  }

  /** A chunk of its own for log probabilities no chunk has carried yet; '' when there are none. */
  private heldLogprobs(): string {
    return this.logprobs === 'null' ? '' : this.choice('{}', 'null');
  }

  private choice(delta: string, finish: string): string {
    const open = this.opening();
    const logprobs = this.logprobs;
    if (logprobs !== 'null') this.logprobs = 'null';
    return open + this.head + `{"index":0,"delta":${delta},"logprobs":${logprobs},"finish_reason":${finish}}` + this.tail;
  }
}

/**
 * @example
 * const enc = createOpenAIStreamEncoder({ includeUsage: true, created: 1718000000 });
 * for (const ev of events) reply.raw.write(enc.push(ev));
 */
export function createOpenAIStreamEncoder(opts: StreamEncoderOptions): StreamEncoder {
  return new OpenAIStreamEncoder(opts);
}
