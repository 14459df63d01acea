/**
 * A target's reasoning style, from its provider's `options.reasoning` (see
 * config/reasoning.ts).
 */
import { REASONING_STYLES, type ReasoningStyle } from '../config/reasoning.js';
import { perModel } from './per-model.js';
import type { AttemptTarget } from './types.js';

// A style the type does not take is no style (the config check refuses it).
const styleOf = perModel('reasoning', (v, s): ReasoningStyle | undefined => ((REASONING_STYLES[s.type] ?? []) as readonly unknown[]).includes(v) ? v as ReasoningStyle : undefined);

/** How the target's model takes a reasoning setting translated from another dialect; undefined: it gets none. */
export function reasoningStyle(target: AttemptTarget): ReasoningStyle | undefined {
  return styleOf(target.provider, target.model);
}
