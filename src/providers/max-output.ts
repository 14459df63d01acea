/**
 * `options.max_output_tokens` of a provider: the most output tokens its models take, one
 * number for every model or a map from model globs to numbers. A chat request asking for
 * more goes with the cap, rather than being refused by the provider: Claude Code asks for
 * 32000 output tokens, gpt-4o takes 16384.
 */
import type { ChatRequest } from '../canonical.js';
import { perModel } from './per-model.js';
import type { AttemptTarget } from './types.js';

const capOf = perModel('max_output_tokens', (v) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined));

/** Anthropic's smallest thinking budget, which must also stay under max_tokens. */
const MIN_THINKING_BUDGET = 1024;

/**
 * `req` with its max tokens within the target model's cap. A request that sets none gets
 * the cap, so the numbers the adapter would pick itself (a default, or the default plus a
 * thinking budget) stay within it too. An Anthropic client's own `thinking` budget, which
 * must stay under max_tokens, shrinks with it; under Anthropic's minimum, thinking is
 * left out (Claude Code asks for 32000 tokens with a 31999 budget).
 */
export function withOutputCap(req: ChatRequest, target: AttemptTarget): ChatRequest {
  if (target.provider.options.max_output_tokens === undefined) return req;
  const cap = capOf(target.provider, target.model);
  if (cap === undefined || (req.maxTokens !== undefined && req.maxTokens <= cap)) return req;
  const out: ChatRequest = { ...req, maxTokens: cap };
  const thinking = req.extras?.dialect === 'anthropic' ? req.extras.fields.thinking as { type?: unknown; budget_tokens?: unknown } | undefined : undefined;
  if (thinking?.type === 'enabled' && typeof thinking.budget_tokens === 'number' && thinking.budget_tokens >= cap) {
    const fields: Record<string, unknown> = { ...req.extras!.fields };
    if (cap - 1 >= MIN_THINKING_BUDGET) fields.thinking = { ...thinking, budget_tokens: cap - 1 };
    else delete fields.thinking;
    out.extras = { ...req.extras!, fields };
  }
  return out;
}
