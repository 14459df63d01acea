/**
 * Which providers and keys may serve a model, and with what weight. Computed from
 * config only, so routers compute it once per request shape (or at compile time for
 * rule targets) and never on the hot path.
 */
import type { ResolvedKey, ResolvedProvider } from '../config/types.js';
import { allowlistMatches } from '../config/model-match.js';

/** A key that may serve the option's model. */
export interface KeyOption {
  name: string;
  weight: number;
}

/**
 * One provider/model a weighted choice can land on. `keys` are the eligible keys in
 * rotation order; empty for keyless providers (mock, local servers).
 */
export interface ProviderOption {
  provider: string;
  model: string;
  weight: number;
  keys: readonly KeyOption[];
  /** The key was pinned (`provider/model#key`): no key choice is made. */
  pinned: boolean;
}

/** Whether the provider's own allowlist admits the model (keys may narrow it further). */
function providerAllows(provider: ResolvedProvider, model: string): boolean {
  return allowlistMatches(provider.models, model);
}

function keyAllows(key: ResolvedKey, model: string): boolean {
  return key.enabled && allowlistMatches(key.models, model);
}

/**
 * Keys that serve `model` for this provider without being pinned: enabled, allowlist
 * admits the model, weight > 0 (a weight-0 key serves only when a rule pins it with
 * `#key`). In rotation order: higher weight first, then config order. Empty when the
 * provider does not serve the model, and for keyless providers (see `servesModel`).
 */
export function eligibleKeys(provider: ResolvedProvider, model: string): ResolvedKey[] {
  if (!providerAllows(provider, model)) return [];
  return provider.keys
    .map((k, i) => ({ k, i }))
    .filter(({ k }) => k.weight > 0 && keyAllows(k, model))
    .sort((a, b) => b.k.weight - a.k.weight || a.i - b.i)
    .map(({ k }) => k);
}

/**
 * Whether the model is known to the provider (whatever `enabled` and weights say): its
 * allowlist admits it and some enabled key's does, or it needs no key.
 */
export function servesModel(provider: ResolvedProvider, model: string): boolean {
  if (!providerAllows(provider, model)) return false;
  return provider.keys.length === 0 || provider.keys.some((k) => keyAllows(k, model));
}

/** The option for a named provider/model (a rule target), or null when it cannot serve it. */
export function providerOption(provider: ResolvedProvider, model: string, weight: number, pinnedKey?: string): ProviderOption | null {
  if (pinnedKey !== undefined) {
    const key = provider.keys.find((k) => k.name === pinnedKey);
    if (!key || !keyAllows(key, model) || !providerAllows(provider, model)) return null;
    return { provider: provider.id, model, weight, keys: [{ name: key.name, weight: 1 }], pinned: true };
  }
  if (!providerAllows(provider, model)) return null;
  if (provider.keys.length === 0) return { provider: provider.id, model, weight, keys: [], pinned: false };
  const keys = eligibleKeys(provider, model).map((k) => ({ name: k.name, weight: k.weight }));
  return keys.length ? { provider: provider.id, model, weight, keys, pinned: false } : null;
}

export interface BalanceQuery {
  model: string;
  /** Restrict to this provider (a `provider/model` request); its weight may then be 0. */
  provider?: string;
}

/**
 * The options unmatched traffic is balanced over: every enabled provider that serves
 * the model with positive weight (or just the requested provider, whatever its weight),
 * in config order. Empty when nothing allows the model.
 */
export function balanceCandidates(providers: Iterable<ResolvedProvider>, query: BalanceQuery): ProviderOption[] {
  const out: ProviderOption[] = [];
  for (const p of providers) {
    if (!p.enabled) continue;
    if (query.provider !== undefined ? p.id !== query.provider : !(p.weight > 0)) continue;
    const option = providerOption(p, query.model, p.weight);
    if (option) out.push(option);
  }
  return out;
}
