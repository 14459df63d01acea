/**
 * A target's reasoning style, from its provider's `options.reasoning` (see
 * config/reasoning.ts): resolved once per provider and model.
 */
import { REASONING_STYLES, type ReasoningStyle } from '../config/reasoning.js';
import { modelMatches } from '../config/model-match.js';
import { perSettings } from '../wire/http.js';
import type { AttemptTarget } from './types.js';

const styleFor = perSettings((s): ((model: string) => ReasoningStyle | undefined) => {
  const given = s.options.reasoning;
  const allowed = REASONING_STYLES[s.type] ?? [];
  // The config check refuses a style the type does not take; anything else is no style here.
  const style = (v: unknown): ReasoningStyle | undefined => (allowed as readonly unknown[]).includes(v) ? v as ReasoningStyle : undefined;
  if (typeof given === 'string') {
    const all = style(given);
    return () => all;
  }
  if (given === null || typeof given !== 'object') return () => undefined;
  const rules = Object.entries(given as Record<string, unknown>);
  const memo = new Map<string, ReasoningStyle | undefined>();
  return (model) => {
    if (memo.has(model)) return memo.get(model);
    const hit = rules.find(([glob]) => modelMatches(glob, model));
    const out = hit === undefined ? undefined : style(hit[1]);
    memo.set(model, out);
    return out;
  };
});

/** How the target's model takes a reasoning setting translated from another dialect; undefined: it gets none. */
export function reasoningStyle(target: AttemptTarget): ReasoningStyle | undefined {
  return styleFor(target.provider)(target.model);
}
