/** Gemini vocabulary → canonical: finish reasons, usage, tool-call ids. */
import type { FinishReason, Usage } from '../../canonical.js';
import { signedToolCallId } from '../content.js';
import { tokenCount as count } from '../usage.js';
import { isRecord } from '../validate.js';

/** Gemini reports a function call with finishReason STOP; the caller says whether calls were seen. */
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
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL': return 'error';
    default: return hadToolCalls ? 'tool_calls' : 'stop';
  }
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
