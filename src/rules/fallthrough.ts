/**
 * What happens to a request no rule routes: weighted balancing over the providers and
 * keys that allow the model (and that the caller's allowlists allow), or — for a
 * `provider/model` request or an alias naming a provider — that provider only. Planned
 * once per request shape.
 */
import type { TargetRecord } from '../types/audit-event.js';
import { refusingScope, type AllowScope } from '../config/model-match.js';
import { balanceCandidates, type ProviderOption } from '../balance/candidates.js';
import { createChooser, type Chooser } from '../balance/chooser.js';
import { parseTargetRef } from './targets.js';
import type { RuleBundle } from './bundle.js';

export interface FallthroughPlan {
  via: 'balance' | 'pinned';
  /** The model after alias resolution. */
  model: string;
  chooser: Chooser;
  /** For each option: the others, by weight (highest first), as fallbacks with no key pinned. */
  fallbacksAfter: readonly (readonly TargetRecord[])[];
  /** Why nothing can serve (no option at all), else null. */
  reason: 'model_not_allowed' | null;
}

const MAX_ALIAS_HOPS = 8;

/** Follows aliases: a name maps to `provider/model` or to another name. */
export function resolveAlias(aliases: Readonly<Record<string, string>>, model: string): { provider?: string; model: string } {
  let name = model;
  for (let hop = 0; hop < MAX_ALIAS_HOPS && Object.hasOwn(aliases, name); hop++) {
    const to = aliases[name];
    if (to.includes('/')) {
      const t = parseTargetRef(to);
      return { provider: t.provider, model: t.model };
    }
    name = to;
  }
  return { model: name };
}

function fallbacksFor(options: readonly ProviderOption[]): (readonly TargetRecord[])[] {
  const byWeight = options.map((o, i) => ({ o, i })).sort((a, b) => b.o.weight - a.o.weight || a.i - b.i);
  return options.map((_, i) =>
    Object.freeze(byWeight.filter((x) => x.i !== i).map(({ o }) => Object.freeze({ provider: o.provider, model: o.model, key: null }))),
  );
}

/**
 * `allow`: the caller's allowlists (nearest scope first). Providers they refuse are left
 * out of the balance; when they refuse every one, the plan stays whole, so the gateway
 * refuses the selection (403, naming the scope) rather than answering "no such model".
 */
export function planFallthrough(bundle: RuleBundle, model: string, provider: string, allow: readonly AllowScope[] = []): FallthroughPlan {
  const target = provider ? { provider, model } : resolveAlias(bundle.aliases, model);
  let options = balanceCandidates(bundle.providers.values(), target);
  if (allow.length > 0) {
    const allowed = options.filter((o) => refusingScope(allow, o.provider, o.model) === null);
    if (allowed.length > 0) options = allowed;
  }
  return {
    via: target.provider !== undefined ? 'pinned' : 'balance',
    model: target.model,
    chooser: createChooser(options),
    fallbacksAfter: Object.freeze(fallbacksFor(options)),
    reason: options.length === 0 ? 'model_not_allowed' : null,
  };
}
