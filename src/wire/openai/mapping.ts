/** OpenAI vocabulary ↔ canonical: finish reasons and usage. */
import type { FinishReason, Usage } from '../../canonical.js';
import { tokenCount } from '../usage.js';
import { isRecord } from '../validate.js';

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export function finishFromOpenAI(reason: unknown): FinishReason {
  switch (reason) {
    case 'length': return 'length';
    case 'tool_calls':
    case 'function_call': return 'tool_calls';
    case 'content_filter': return 'content_filter';
    default: return 'stop';
  }
}

export function finishToOpenAI(reason: FinishReason): OpenAIFinishReason {
  return reason === 'error' ? 'stop' : reason;
}

/**
 * The reasoning text of an OpenAI-format message or delta: `reasoning_content` (DeepSeek,
 * Kimi, Qwen, vLLM) or `reasoning` (OpenRouter, Groq, Ollama, newer vLLM); '' when none.
 */
export function reasoningFromOpenAI(m: Record<string, unknown>): string {
  const r = m.reasoning_content;
  if (typeof r === 'string' && r !== '') return r;
  return typeof m.reasoning === 'string' ? m.reasoning : '';
}

/** The names of an OpenAI usage object's counts: chat completions', or the Responses API's. */
interface UsageNames { input: string; output: string; inputDetails: string; outputDetails: string }

const CHAT_USAGE: UsageNames = { input: 'prompt_tokens', output: 'completion_tokens', inputDetails: 'prompt_tokens_details', outputDetails: 'completion_tokens_details' };
export const RESPONSES_USAGE: UsageNames = { input: 'input_tokens', output: 'output_tokens', inputDetails: 'input_tokens_details', outputDetails: 'output_tokens_details' };

export function usageFromOpenAI(u: unknown, names: UsageNames = CHAT_USAGE): Usage {
  if (!isRecord(u)) return { inputTokens: 0, outputTokens: 0 };
  const usage: Usage = { inputTokens: tokenCount(u[names.input]), outputTokens: tokenCount(u[names.output]) };
  const details = u[names.inputDetails];
  // Cache reads are among the input tokens: never more of them.
  if (isRecord(details) && typeof details.cached_tokens === 'number') usage.cachedInputTokens = Math.min(tokenCount(details.cached_tokens), usage.inputTokens);
  const out = u[names.outputDetails];
  const reasoning = isRecord(out) ? tokenCount(out.reasoning_tokens) : 0;
  if (reasoning > 0) usage.reasoningTokens = reasoning;
  return usage;
}

/** JSON text of an OpenAI `usage` object; encoders splice it into frames. Reasoning tokens appear when the provider counted some. */
export function usageToOpenAIJson(u: Usage): string {
  const reasoning = u.reasoningTokens === undefined ? '' : `,"completion_tokens_details":{"reasoning_tokens":${u.reasoningTokens}}`;
  return `{"prompt_tokens":${u.inputTokens},"completion_tokens":${u.outputTokens},"total_tokens":${u.inputTokens + u.outputTokens},"prompt_tokens_details":{"cached_tokens":${u.cachedInputTokens ?? 0}}${reasoning}}`;
}

export function usageToOpenAI(u: Usage): Record<string, unknown> {
  const usage: Record<string, unknown> = {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.inputTokens + u.outputTokens,
    prompt_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0 },
  };
  if (u.reasoningTokens !== undefined) usage.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  return usage;
}
