/**
 * Canonical stream events → Anthropic Messages SSE frames. Text, extended thinking (its
 * text, then its signature), tool calls and the blocks passed on as they came (server
 * tools' use and results, citations) become content blocks (start/delta/stop), one after
 * the other: a block's events are never split by another's, and nothing follows its stop.
 * Parallel tool calls whose arguments an upstream interleaves go out one whole block after
 * another (see tool_call_start). The stop reason and usage go out in message_delta at
 * `end`, because canonical usage arrives after the finish event. Errors go in-band as
 * `event: error` and the stream ends without message_stop.
 */
import type { FinishReason, StreamEvent, Usage } from '../../canonical.js';
import { ERRORS } from '../../errors.js';
import type { StreamEncoder, StreamEncoderOptions } from '../client.js';
import { JsonEnd } from '../json-end.js';
import { sealReasoning } from '../sealed.js';
import { finishToAnthropic, usageToAnthropicJson } from './mapping.js';

const j = JSON.stringify;

/** Error types an Anthropic client knows; anything else is reported as api_error. */
const CLIENT_ERROR_TYPES = new Set(['overloaded_error', 'rate_limit_error', 'api_error', 'invalid_request_error', 'request_too_large']);

function frame(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}

/** A tool call held back while another call's arguments are still coming, with its own so far. */
interface HeldCall {
  id: string;
  name: string;
  args: string;
}

class AnthropicStreamEncoder implements StreamEncoder {
  closed = false;
  private started = false;
  /** Index of the open content block, -1 when none. */
  private open = -1;
  /** What the open block is; `signed` is a thinking block whose signature has gone out. */
  private openKind: 'text' | 'thinking' | 'signed' | 'other' = 'other';
  private blocks = 0;
  /** Canonical index of the tool call whose block is open, -1 when the open block is not a call. */
  private openCall = -1;
  /** How far the open call's arguments have come. */
  private readonly args = new JsonEnd();
  /**
   * Calls started while the open call's arguments were not whole, by canonical index in
   * the order they started: an upstream that interleaves parallel calls' arguments. Each
   * goes out whole once the calls before it have. Null until a stream does that.
   */
  private waiting: Map<number, HeldCall> | null = null;
  private finish: FinishReason = 'stop';
  /** Anthropic's own stop reason and sequence, when Anthropic served (see the finish event). */
  private native: { stopReason: string; stopSequence: string | null } | undefined = undefined;
  private usage: Usage | undefined;

  constructor(private readonly opts: StreamEncoderOptions) {}

  push(ev: StreamEvent): string {
    if (this.closed) return '';
    switch (ev.type) {
      case 'start':
        return this.start(ev.id, ev.model, ev.usage);
      case 'text': {
        let out = this.opening();
        if (this.open < 0 || this.openKind !== 'text') out += this.openBlock('{"type":"text","text":""}', 'text');
        return out + frame('content_block_delta', `{"type":"content_block_delta","index":${this.open},"delta":{"type":"text_delta","text":${j(ev.text)}}}`);
      }
      case 'thinking': {
        if (this.opts.thinking === false) return '';
        let out = this.opening();
        if (this.open < 0 || this.openKind !== 'thinking') out += this.openBlock('{"type":"thinking","thinking":"","signature":""}', 'thinking');
        return out + frame('content_block_delta', `{"type":"content_block_delta","index":${this.open},"delta":{"type":"thinking_delta","thinking":${j(ev.text)}}}`);
      }
      case 'thinking_signature':
        return this.signature(ev.signature);
      // An OpenAI model's encrypted reasoning signs the thinking block of its summary (wire/sealed.ts).
      case 'encrypted_reasoning':
        return this.signature(sealReasoning(ev));
      case 'redacted_thinking':
        if (this.opts.thinking === false) return '';
        return this.opening() + this.openBlock(`{"type":"redacted_thinking","data":${j(ev.data)}}`, 'other');
      case 'reasoning_details':
      case 'hosted_item':
      case 'annotation':
      case 'logprobs':
        // OpenAI's web searches and log probabilities, and OpenRouter's details, are not for
        // Anthropic clients.
        return '';
      case 'anthropic_block':
        return this.opening() + this.openBlock(j(ev.block), 'other');
      case 'anthropic_delta': {
        // A citation belongs to a text block, which may not have had any text yet.
        let out = '';
        if (ev.delta.type === 'citations_delta' && this.openKind !== 'text') out = this.opening() + this.openBlock('{"type":"text","text":""}', 'text');
        if (this.open < 0) return out;
        return out + frame('content_block_delta', `{"type":"content_block_delta","index":${this.open},"delta":${j(ev.delta)}}`);
      }
      case 'tool_call_start': {
        // A new call ends the open one, unless the open call's arguments are not whole yet:
        // then the upstream interleaves its calls, and this one is held until they are (a
        // block that has stopped takes no more deltas, and Anthropic's SDK runs a tool on
        // its block's stop).
        let out = this.opening();
        if (this.waiting !== null && !this.argsComing()) out += this.release();
        if (this.argsComing()) {
          (this.waiting ??= new Map()).set(ev.index, { id: ev.id, name: ev.name, args: '' });
          return out;
        }
        return out + this.callBlock(ev.index, ev.id, ev.name, '');
      }
      case 'tool_call_delta': {
        if (ev.index === this.openCall) {
          this.args.feed(ev.arguments);
          const out = this.argsDelta(ev.arguments);
          // The open call is whole: the calls held behind it go out.
          return this.waiting !== null && this.args.whole ? out + this.release() : out;
        }
        const held = this.waiting?.get(ev.index);
        if (held !== undefined) held.args += ev.arguments;
        // Otherwise its block has stopped (its JSON had closed, or other content came between
        // its pieces) or never started, and takes nothing more.
        return '';
      }
      case 'finish':
        this.finish = ev.finishReason;
        this.native = ev.anthropic;
        return '';
      case 'usage':
        this.usage = ev.usage;
        return '';
      case 'end': {
        this.closed = true;
        let out = this.opening();
        while (this.waiting !== null) out += this.release();
        const usage = this.usage ? usageToAnthropicJson(this.usage) : '{"output_tokens":0}';
        return out + this.closeBlock()
          + frame('message_delta', `{"type":"message_delta","delta":{"stop_reason":${j(this.native?.stopReason ?? finishToAnthropic(this.finish))},"stop_sequence":${j(this.native?.stopSequence ?? null)}},"usage":${usage}}`)
          + frame('message_stop', '{"type":"message_stop"}');
      }
      case 'error': {
        this.closed = true;
        const type = ev.errorType && CLIENT_ERROR_TYPES.has(ev.errorType) ? ev.errorType : ERRORS.SY_ERR_STREAM_INTERRUPTED.anthropicType;
        return frame('error', `{"type":"error","error":{"type":"${type}","code":"SY_ERR_STREAM_INTERRUPTED","message":${j(ev.message)}}}`);
      }
    }
  }

  /** message_start, with the input-side usage when the provider gave it up front (Claude Code sizes its context by it). */
  private start(id: string, model: string, usage?: Usage): string {
    if (this.started) return '';
    this.started = true;
    const u = usage === undefined ? '{"input_tokens":0,"output_tokens":0}' : usageToAnthropicJson(usage);
    return frame('message_start', `{"type":"message_start","message":{"id":${j(id)},"type":"message","role":"assistant","model":${j(this.opts.model ?? model)},"content":[],"stop_reason":null,"stop_sequence":null,"usage":${u}}}`);
  }

  /** Ends the open thinking block with `signature`; a block whose thinking text was empty still has to reach the client with it. */
  private signature(signature: string): string {
    if (this.opts.thinking === false) return '';
    let out = '';
    if (this.openKind !== 'thinking') out = this.opening() + this.openBlock('{"type":"thinking","thinking":"","signature":""}', 'thinking');
    this.openKind = 'signed';
    return out + frame('content_block_delta', `{"type":"content_block_delta","index":${this.open},"delta":{"type":"signature_delta","signature":${j(signature)}}}`);
  }

  /** Decoders always begin with `start`; this only guards against one that does not. */
  private opening(): string {
    return this.started ? '' : this.start('', '');
  }

  /** A tool call's block, opened with the arguments it has so far. */
  private callBlock(index: number, id: string, name: string, args: string): string {
    let out = this.openBlock(`{"type":"tool_use","id":${j(id)},"name":${j(name)},"input":{}}`, 'other');
    this.openCall = index;
    this.args.reset();
    if (args !== '') {
      this.args.feed(args);
      out += this.argsDelta(args);
    }
    return out;
  }

  private argsDelta(args: string): string {
    return frame('content_block_delta', `{"type":"content_block_delta","index":${this.open},"delta":{"type":"input_json_delta","partial_json":${j(args)}}}`);
  }

  /** The open call's block takes more arguments. */
  private argsComing(): boolean {
    return this.openCall >= 0 && !this.args.whole;
  }

  /**
   * The held calls, in order, each in its block with its arguments so far, until one whose
   * arguments are not whole yet: that one stays open, taking the rest as they come.
   */
  private release(): string {
    const held = this.waiting!;
    let out = '';
    for (const [index, call] of held) {
      held.delete(index);
      out += this.callBlock(index, call.id, call.name, call.args);
      if (!this.args.whole) break;
    }
    if (held.size === 0) this.waiting = null;
    return out;
  }

  private openBlock(block: string, kind: 'text' | 'thinking' | 'other'): string {
    const out = this.closeBlock();
    this.open = this.blocks++;
    this.openKind = kind;
    return out + frame('content_block_start', `{"type":"content_block_start","index":${this.open},"content_block":${block}}`);
  }

  private closeBlock(): string {
    if (this.open < 0) return '';
    // Anthropic ends every thinking block with its signature; one no provider signed ends
    // with an empty one, as the whole answer shows it (the Vercel AI SDK warns otherwise).
    const unsigned = this.openKind === 'thinking' ? frame('content_block_delta', `{"type":"content_block_delta","index":${this.open},"delta":{"type":"signature_delta","signature":""}}`) : '';
    const out = unsigned + frame('content_block_stop', `{"type":"content_block_stop","index":${this.open}}`);
    this.open = -1;
    this.openCall = -1;
    return out;
  }
}

/**
 * @example
 * const enc = createAnthropicStreamEncoder({ includeUsage: true, created: nowSec });
 * for (const ev of events) reply.raw.write(enc.push(ev));
 */
export function createAnthropicStreamEncoder(opts: StreamEncoderOptions): StreamEncoder {
  return new AnthropicStreamEncoder(opts);
}
