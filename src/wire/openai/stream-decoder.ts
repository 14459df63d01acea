/**
 * OpenAI `chat.completion.chunk` SSE stream → canonical events; a reasoning server's
 * `reasoning_content` (or `reasoning`) deltas are thinking events, `refusal` deltas are
 * text marked as a refusal, a chunk's `logprobs` a logprobs event ahead of the rest of it,
 * and the Gemini thought signatures OpenRouter sends in `reasoning_details` ride in their
 * calls' ids. Terminated by `data: [DONE]`; `{"error":{...}}` inside the stream becomes an
 * error event.
 */
import type { StreamEvent } from '../../canonical.js';
import type { SseMessage } from '../sse.js';
import { SseJsonDecoder } from '../sse-decoder.js';
import { isRecord } from '../validate.js';
import { signedToolCallId } from '../content.js';
import { callSignatures, citesWeb, finishFromOpenAI, reasoningFromOpenAI, usageFromOpenAI, withServiceTier, withWebSearches } from './mapping.js';

export class OpenAIStreamDecoder extends SseJsonDecoder {
  private started = false;
  /** Tool-call indexes already announced with tool_call_start. */
  private readonly tools = new Set<number>();
  /** Gemini thought signatures OpenRouter sent by tool call id (see callSignatures), for calls not yet announced. */
  private signatures: Map<string, string> | undefined;
  /** Whether a chunk carried `usage`; else Groq's `x_groq.usage`, given at the terminator. */
  private usageSeen = false;
  private groqUsage: Record<string, unknown> | undefined;
  /** The `service_tier` the chunks named last. */
  private serviceTier: unknown;
  /** A delta cited web pages: the answer of a search model, which ran a web search (see citesWeb). */
  private cited = false;

  constructor(private readonly fallbackModel: string) {
    super();
  }

  protected override raw(m: SseMessage, out: StreamEvent[]): boolean {
    if (m.data !== '[DONE]') return false;
    if (!this.usageSeen && this.groqUsage !== undefined) out.push({ type: 'usage', usage: withWebSearches(withServiceTier(usageFromOpenAI(this.groqUsage), this.serviceTier), this.cited ? 1 : 0) });
    this.close(out, { type: 'end' });
    return true;
  }

  protected object(event: string, chunk: Record<string, unknown>, out: StreamEvent[]): void {
    if (chunk.error !== undefined || event === 'error') {
      const e = isRecord(chunk.error) ? chunk.error : chunk;
      const ev: StreamEvent = { type: 'error', message: typeof e.message === 'string' ? e.message : 'upstream stream error' };
      if (typeof e.type === 'string') ev.errorType = e.type;
      else if (typeof e.code === 'string') ev.errorType = e.code;
      if (typeof e.code === 'number') ev.status = e.code;
      this.close(out, ev);
      return;
    }
    this.chunk(chunk, out);
  }

  private chunk(chunk: Record<string, unknown>, out: StreamEvent[]): void {
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    const usage = isRecord(chunk.usage) ? chunk.usage : undefined;
    if (chunk.service_tier !== undefined && chunk.service_tier !== null) this.serviceTier = chunk.service_tier;
    if (usage) this.usageSeen = true;
    // Groq puts the stream's usage in x_groq on its last chunk; asked for usage, it sends a
    // usage chunk too, which the client is to get once: this one counts only without it.
    else if (isRecord(chunk.x_groq) && isRecord(chunk.x_groq.usage)) this.groqUsage = chunk.x_groq.usage;
    // Azure's first chunk carries only prompt filter results, with an empty id: skip it.
    if (!isRecord(choice) && !usage) return;
    if (!this.started) {
      this.started = true;
      out.push({
        type: 'start',
        id: typeof chunk.id === 'string' ? chunk.id : '',
        model: typeof chunk.model === 'string' && chunk.model ? chunk.model : this.fallbackModel,
      });
    }
    if (isRecord(choice)) {
      // Ahead of what they are the probabilities of, for the encoder to put on the same chunk.
      if (isRecord(choice.logprobs)) out.push({ type: 'logprobs', logprobs: choice.logprobs });
      const delta = choice.delta;
      if (isRecord(delta)) {
        const reasoning = reasoningFromOpenAI(delta);
        if (reasoning !== '') out.push({ type: 'thinking', text: reasoning });
        if (typeof delta.content === 'string' && delta.content) out.push({ type: 'text', text: delta.content });
        // A refusal streams instead of content (structured outputs refuse this way).
        if (typeof delta.refusal === 'string' && delta.refusal) out.push({ type: 'text', text: delta.refusal, refusal: true });
        if (Array.isArray(delta.reasoning_details) && delta.reasoning_details.length > 0) {
          out.push({ type: 'reasoning_details', details: delta.reasoning_details });
          const sigs = callSignatures(delta.reasoning_details);
          if (sigs !== undefined) this.signatures = this.signatures === undefined ? sigs : new Map([...this.signatures, ...sigs]);
        }
        if (Array.isArray(delta.tool_calls)) this.toolCalls(delta.tool_calls, out);
        if (citesWeb(delta)) this.cited = true;
      }
      if (typeof choice.finish_reason === 'string') out.push({ type: 'finish', finishReason: finishFromOpenAI(choice.finish_reason, this.tools.size > 0) });
    }
    if (usage) out.push({ type: 'usage', usage: withWebSearches(withServiceTier(usageFromOpenAI(usage), this.serviceTier), this.cited ? 1 : 0) });
  }

  private toolCalls(calls: unknown[], out: StreamEvent[]): void {
    for (let j = 0; j < calls.length; j++) {
      const c = calls[j];
      if (!isRecord(c)) continue;
      const index = typeof c.index === 'number' ? c.index : this.tools.size;
      const fn = isRecord(c.function) ? c.function : undefined;
      if (!this.tools.has(index)) {
        this.tools.add(index);
        const id = typeof c.id === 'string' && c.id ? c.id : `call_${index}`;
        // A signature sent with the call (or before it) rides in its id; one sent after it cannot.
        out.push({ type: 'tool_call_start', index, id: signedToolCallId(id, this.signatures?.get(id)), name: typeof fn?.name === 'string' ? fn.name : '' });
      }
      const args = fn?.arguments;
      if (typeof args === 'string' && args) out.push({ type: 'tool_call_delta', index, arguments: args });
    }
  }
}
