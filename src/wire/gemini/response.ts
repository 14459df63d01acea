/** Gemini `GenerateContentResponse` → canonical ChatResponse (and the candidate reading the stream decoder shares). */
import type { ChatResponse, TokenCount, ToolCall } from '../../canonical.js';
import { malformedResponse } from '../upstream-error.js';
import { isRecord } from '../validate.js';
import { finishFromGemini, toolCallId, usageFromGemini } from './mapping.js';

export interface CandidateParts {
  text: string;
  /** Function calls in order, with arguments as JSON text and the part's thoughtSignature. */
  calls: { id: unknown; name: string; arguments: string; signature: unknown }[];
}

/** Text (thought summaries skipped) and function calls of the first candidate. */
export function candidateParts(candidate: Record<string, unknown>): CandidateParts {
  const out: CandidateParts = { text: '', calls: [] };
  const content = candidate.content;
  if (!isRecord(content) || !Array.isArray(content.parts)) return out;
  for (const p of content.parts) {
    if (!isRecord(p) || p.thought === true) continue;
    if (typeof p.text === 'string') out.text += p.text;
    else if (isRecord(p.functionCall)) {
      const fc = p.functionCall;
      out.calls.push({ id: fc.id, name: typeof fc.name === 'string' ? fc.name : '', arguments: JSON.stringify(fc.args ?? {}), signature: p.thoughtSignature });
    }
  }
  return out;
}

export function parseGeminiResponse(body: unknown, fallbackModel: string): ChatResponse {
  if (!isRecord(body)) throw malformedResponse('gemini', 'body is not an object');
  const id = typeof body.responseId === 'string' ? body.responseId : '';
  const model = typeof body.modelVersion === 'string' && body.modelVersion ? body.modelVersion : fallbackModel;
  const usage = usageFromGemini(body.usageMetadata);
  const candidate = Array.isArray(body.candidates) ? body.candidates[0] : undefined;
  if (!isRecord(candidate)) {
    // A prompt blocked by safety settings comes back with promptFeedback and no candidates.
    if (isRecord(body.promptFeedback) && body.promptFeedback.blockReason) {
      return { id, model, text: '', toolCalls: [], finishReason: 'content_filter', usage };
    }
    throw malformedResponse('gemini', '`candidates[0]` missing');
  }
  const { text, calls } = candidateParts(candidate);
  const toolCalls: ToolCall[] = calls.map((c, i) => ({ id: toolCallId(c.id, id, i, c.signature), name: c.name, arguments: c.arguments }));
  return { id, model, text, toolCalls, finishReason: finishFromGemini(candidate.finishReason, toolCalls.length > 0), usage };
}

/** `countTokens` answer: `{"totalTokens": N}` (the whole request, system and tools included). */
export function parseGeminiTokenCount(body: unknown): TokenCount {
  const n = isRecord(body) ? body.totalTokens : undefined;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw malformedResponse('gemini', '`totalTokens` missing or not a count');
  return { inputTokens: n };
}
