/**
 * Gemini `streamGenerateContent?alt=sse` → canonical events. Each SSE message is a
 * whole GenerateContentResponse; there is no terminator message, so the stream counts
 * as complete when a candidate carried a finishReason before the connection closed.
 * Usage metadata is cumulative per chunk; the last one is reported at `end`. Thought
 * summaries (parts marked `thought`) are thinking events.
 */
import type { StreamEvent, Usage } from '../../canonical.js';
import { SseJsonDecoder } from '../sse-decoder.js';
import { isRecord } from '../validate.js';
import { finishFromGemini, geminiFailure, toolCallId, usageFromGemini } from './mapping.js';
import { candidateParts } from './response.js';

export class GeminiStreamDecoder extends SseJsonDecoder {
  private started = false;
  private finished = false;
  private tools = 0;
  /** Answer text or a call has come (what OTHER needs to be a finish, not a failure). */
  private produced = false;
  private responseId = '';
  private usage: unknown;

  constructor(private readonly fallbackModel: string) {
    super();
  }

  /** The connection closed: complete if a finishReason came, truncated otherwise. */
  protected override ended(out: StreamEvent[]): void {
    if (!this.finished) {
      super.ended(out);
      return;
    }
    if (this.usage !== undefined) out.push({ type: 'usage', usage: usageFromGemini(this.usage) });
    out.push({ type: 'end' });
  }

  protected object(_event: string, chunk: Record<string, unknown>, out: StreamEvent[]): void {
    if (isRecord(chunk.error)) {
      const e = chunk.error;
      const ev: StreamEvent = { type: 'error', message: typeof e.message === 'string' ? e.message : 'upstream stream error' };
      if (typeof e.status === 'string') ev.errorType = e.status;
      if (typeof e.code === 'number') ev.status = e.code;
      this.close(out, ev);
      return;
    }
    if (!this.started) {
      this.started = true;
      if (typeof chunk.responseId === 'string') this.responseId = chunk.responseId;
      const start: StreamEvent = {
        type: 'start',
        id: this.responseId,
        model: typeof chunk.modelVersion === 'string' && chunk.modelVersion ? chunk.modelVersion : this.fallbackModel,
      };
      // The input side is known from the first chunk: an Anthropic client's message_start carries it, as Anthropic's does.
      if (isRecord(chunk.usageMetadata)) start.usage = inputSide(usageFromGemini(chunk.usageMetadata));
      out.push(start);
    }
    if (chunk.usageMetadata !== undefined) this.usage = chunk.usageMetadata;
    const candidate = Array.isArray(chunk.candidates) ? chunk.candidates[0] : undefined;
    if (!isRecord(candidate)) {
      if (!this.finished && isRecord(chunk.promptFeedback) && chunk.promptFeedback.blockReason) {
        this.finished = true;
        out.push({ type: 'finish', finishReason: 'content_filter' });
      }
      return;
    }
    const { text, thought, calls } = candidateParts(candidate);
    if (thought) out.push({ type: 'thinking', text: thought });
    if (text) out.push({ type: 'text', text });
    for (const c of calls) {
      const index = this.tools++;
      out.push({ type: 'tool_call_start', index, id: toolCallId(c.id, this.responseId, index, c.signature), name: c.name });
      out.push({ type: 'tool_call_delta', index, arguments: c.arguments });
    }
    if (text || calls.length) this.produced = true;
    if (!this.finished && typeof candidate.finishReason === 'string' && candidate.finishReason !== 'FINISH_REASON_UNSPECIFIED') {
      const failure = geminiFailure(candidate, this.produced);
      if (failure !== undefined) {
        this.close(out, { type: 'error', message: failure });
        return;
      }
      this.finished = true;
      out.push({ type: 'finish', finishReason: finishFromGemini(candidate.finishReason, this.tools > 0) });
    }
  }
}

/** A usage's input side, nothing written yet. */
function inputSide(u: Usage): Usage {
  const out: Usage = { inputTokens: u.inputTokens, outputTokens: 0 };
  if (u.cachedInputTokens !== undefined) out.cachedInputTokens = u.cachedInputTokens;
  return out;
}
