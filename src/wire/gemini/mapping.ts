/** Gemini vocabulary → canonical: finish reasons, usage, tool-call ids. */
import type { FinishReason, Usage } from '../../canonical.js';
import { signedToolCallId } from '../content.js';
import { tokenCount as count } from '../usage.js';
import { isRecord } from '../validate.js';

/**
 * Gemini reports a function call with finishReason STOP; the caller says whether calls were seen.
 * The reasons that say generation failed are not finish reasons here (see geminiFailure).
 */
export function finishFromGemini(reason: unknown, hadToolCalls: boolean): FinishReason {
  switch (reason) {
    case 'MAX_TOKENS': return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
    case 'LANGUAGE': return 'content_filter';
    default: return hadToolCalls ? 'tool_calls' : 'stop';
  }
}

/**
 * Finish reasons by which Gemini says it produced no usable answer: a function call it
 * could not form or was not offered, too many calls, a replayed call without its thought
 * signature, a response it could not form. The candidate then holds nothing (or only the
 * text before the failed call).
 */
const FAILED = new Set(['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS', 'MISSING_THOUGHT_SIGNATURE', 'MALFORMED_RESPONSE']);

/**
 * The failure a candidate's finish reason reports, as an error message (with Gemini's
 * `finishMessage`), or undefined when it finished. Such an answer is a failed attempt, not
 * an empty one that a client would take for complete. `produced`: whether the answer has
 * text or calls so far; OTHER (a stop Gemini gives no reason for) fails only an answer
 * that has neither.
 */
export function geminiFailure(candidate: Record<string, unknown>, produced: boolean): string | undefined {
  const reason = candidate.finishReason;
  if (typeof reason !== 'string' || !(FAILED.has(reason) || (reason === 'OTHER' && !produced))) return undefined;
  const m = candidate.finishMessage;
  const detail = typeof m === 'string' && m !== '' ? `: ${m.length > 300 ? `${m.slice(0, 300)}…` : m}` : '';
  return `Gemini produced no answer (finishReason ${reason})${detail}`;
}

/** Thinking tokens are billed as output, so they count as output here. */
export function usageFromGemini(u: unknown): Usage {
  if (!isRecord(u)) return { inputTokens: 0, outputTokens: 0 };
  const usage: Usage = {
    inputTokens: count(u.promptTokenCount) + count(u.toolUsePromptTokenCount),
    outputTokens: count(u.candidatesTokenCount) + count(u.thoughtsTokenCount),
  };
  // Cache reads are among the input tokens: never more of them.
  if (typeof u.cachedContentTokenCount === 'number') usage.cachedInputTokens = Math.min(count(u.cachedContentTokenCount), usage.inputTokens);
  const thoughts = count(u.thoughtsTokenCount);
  if (thoughts > 0) usage.reasoningTokens = thoughts;
  return usage;
}

/**
 * Gemini often omits call ids; ours stay unique across turns by including the response
 * id. A signed call's thoughtSignature rides in the id (see signedToolCallId).
 */
export function toolCallId(given: unknown, responseId: string, index: number, signature: unknown): string {
  const id = typeof given === 'string' && given ? given : responseId ? `call_${responseId}_${index}` : `call_${index}`;
  return signedToolCallId(id, signature);
}
