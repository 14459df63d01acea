/**
 * Rule targets: `provider/model[#key]` references and `targets:` entries, checked
 * against the configured providers, keys and model allowlists.
 */
import type { ResolvedProvider } from '../config/types.js';
import { allowlistMatches } from '../config/model-match.js';
import { didYouMean } from '../config/suggest.js';
import { providerOption, servesModel, type ProviderOption } from '../balance/candidates.js';

export interface TargetParts {
  provider: string;
  model: string;
  key?: string;
}

/** `openrouter/meta-llama/llama-3#k1` → {provider: openrouter, model: meta-llama/llama-3, key: k1}. */
export function parseTargetRef(ref: string): TargetParts {
  const slash = ref.indexOf('/');
  const provider = ref.slice(0, slash);
  const rest = ref.slice(slash + 1);
  const hash = rest.lastIndexOf('#');
  return hash < 0 ? { provider, model: rest } : { provider, model: rest.slice(0, hash), key: rest.slice(hash + 1) };
}

/** `provider/model` or `provider/model#key`. */
export function formatTarget(t: { provider: string; model: string; key?: string | null }): string {
  return `${t.provider}/${t.model}${t.key ? `#${t.key}` : ''}`;
}

export interface TargetProblem {
  code: string;
  message: string;
  /** Which part of a `targets:` entry it is about (for locating it). */
  field: 'provider' | 'model' | 'key';
}

/**
 * Resolves a target to the option the chooser draws from, or says why it cannot serve.
 */
export function resolveTarget(providers: ReadonlyMap<string, ResolvedProvider>, t: TargetParts, weight: number): { option: ProviderOption | null; problem?: TargetProblem } {
  const p = providers.get(t.provider);
  const ref = formatTarget(t);
  if (!p) {
    return { option: null, problem: { field: 'provider', code: 'unknown_provider', message: `unknown provider "${t.provider}" in ${ref}${didYouMean(t.provider, providers.keys())}` } };
  }
  if (!p.enabled) {
    return { option: null, problem: { field: 'provider', code: 'disabled_provider', message: `provider "${p.id}" is disabled (enabled: false) but ${ref} routes to it` } };
  }
  if (t.key !== undefined) {
    const key = p.keys.find((k) => k.name === t.key);
    if (!key) {
      return { option: null, problem: { field: 'key', code: 'unknown_key', message: `provider "${p.id}" has no key named "${t.key}"${didYouMean(t.key, p.keys.map((k) => k.name))}` } };
    }
    if (!key.enabled) return { option: null, problem: { field: 'key', code: 'disabled_key', message: `key "${key.name}" of provider "${p.id}" is disabled but ${ref} pins it` } };
    if (!allowlistMatches(key.models, t.model)) {
      return { option: null, problem: { field: 'key', code: 'key_model_not_allowed', message: `key "${key.name}" of provider "${p.id}" does not allow model "${t.model}" (its models: ${JSON.stringify(key.models)})` } };
    }
  }
  if (!servesModel(p, t.model)) {
    const why = !allowlistMatches(p.models, t.model)
      ? `its models are ${JSON.stringify(p.models)}`
      : 'no enabled key allows it';
    return { option: null, problem: { field: 'model', code: 'unknown_model', message: `provider "${p.id}" does not serve model "${t.model}": ${why}` } };
  }
  const option = providerOption(p, t.model, weight, t.key);
  if (!option) {
    return { option: null, problem: { field: 'model', code: 'no_eligible_key', message: `only weight-0 keys of provider "${p.id}" allow model "${t.model}"; pin one with ${formatTarget({ ...t, key: 'key-name' })}` } };
  }
  return { option };
}
