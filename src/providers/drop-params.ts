/**
 * `options.drop_params` of an OpenAI-format or Anthropic provider: body fields its models
 * refuse, left out of every chat request. A list applies to every model; a map from model
 * globs to lists applies per model (`{"gpt-5*": [temperature, top_p]}`: OpenAI's reasoning
 * models refuse a temperature other than 1). Resolved once per provider and model.
 */
import { UNDROPPABLE_PARAMS } from '../config/drop-params.js';
import { modelMatches } from '../config/model-match.js';
import { memoByName } from '../memo.js';
import { perSettings } from '../wire/http.js';
import type { AttemptTarget } from './types.js';

const droppedFor = perSettings((s): ((model: string) => readonly string[]) => {
  const given = s.options.drop_params;
  // The config check refuses what is not a list of droppable names; anything else is skipped here.
  const fields = (v: unknown): string[] => (Array.isArray(v) ? v.filter((f): f is string => typeof f === 'string' && !UNDROPPABLE_PARAMS.has(f)) : []);
  if (Array.isArray(given)) {
    const all = fields(given);
    return () => all;
  }
  if (given === null || typeof given !== 'object') return () => [];
  const rules = Object.entries(given as Record<string, unknown>).map(([glob, v]) => [glob, fields(v)] as const);
  return memoByName((model): readonly string[] => [...new Set(rules.filter(([glob]) => modelMatches(glob, model)).flatMap(([, f]) => f))]);
});

/** `body` without the fields the target's provider drops for its model. */
export function withoutDropped(body: Record<string, unknown>, target: AttemptTarget): Record<string, unknown> {
  const drop = droppedFor(target.provider)(target.model);
  for (const f of drop) delete body[f];
  return body;
}


/** Whether the target's provider drops `field` for its model. */
export function drops(target: AttemptTarget, field: string): boolean {
  return droppedFor(target.provider)(target.model).includes(field);
}
