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

/** `req` with its max tokens within the target model's cap. */
export function withOutputCap(req: ChatRequest, target: AttemptTarget): ChatRequest {
  if (req.maxTokens === undefined || target.provider.options.max_output_tokens === undefined) return req;
  const cap = capOf(target.provider, target.model);
  return cap !== undefined && req.maxTokens > cap ? { ...req, maxTokens: cap } : req;
}
