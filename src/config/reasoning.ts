/**
 * `options.reasoning` of a provider: how its models take a reasoning setting from a client
 * of another dialect (ChatRequest.reasoning). One style for every model, or a map from model
 * globs to styles where the first matching glob wins and `none` means the model takes none,
 * not even the setting a client of its own dialect sent (providers/reasoning.ts withReasoningFor).
 * Without it, a provider gets only the setting a client of its own dialect sent.
 */

/** `effort`: `reasoning_effort`. `budget`/`adaptive`: Anthropic thinking with a token budget / adaptive at an effort. `budget`/`level`: Gemini thinkingBudget / thinkingLevel. */
export type ReasoningStyle = 'effort' | 'budget' | 'adaptive' | 'level';

/** The styles each provider type takes. */
export const REASONING_STYLES: Readonly<Record<string, readonly ReasoningStyle[]>> = {
  openai: ['effort'],
  azure: ['effort'],
  'openai-compatible': ['effort'],
  anthropic: ['budget', 'adaptive'],
  gemini: ['budget', 'level'],
};
