/** Providers as the router and dispatcher use them: defaults filled in, secrets resolved. */
import type { GatewayConfig, ProviderConfig } from '../types/gateway-config.js';
import type { ResolvedKey, ResolvedProvider } from './types.js';
import { allowlistMatches } from './model-match.js';

/**
 * Checks an openai-compatible provider's `options.auth`: `bearer` (the default), `none`, or
 * `header:<name>` (the key alone in that header, for servers that want `api-key` or the like).
 * Returns the problem, or undefined when it is valid.
 */
export function authOptionProblem(auth: unknown): string | undefined {
  if (auth === undefined || auth === 'bearer' || auth === 'none') return undefined;
  if (typeof auth === 'string' && /^header:[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(auth)) return undefined;
  return 'options.auth must be "bearer", "none" or "header:<header name>"';
}

/** Types that never send a key upstream. */
export function isKeyless(type: string | undefined, options: Readonly<Record<string, unknown>> | undefined): boolean {
  return type === 'mock' || (type === 'openai-compatible' && options?.auth === 'none');
}

export function resolveProviders(config: GatewayConfig): Map<string, ResolvedProvider> {
  const out = new Map<string, ResolvedProvider>();
  for (const [id, p] of Object.entries(config.providers)) out.set(id, resolveProvider(id, p));
  return out;
}

function resolveProvider(id: string, p: ProviderConfig): ResolvedProvider {
  const keys: ResolvedKey[] = (p.keys ?? []).map((k) => ({
    name: k.name,
    value: k.value ?? '',
    models: k.models ?? null,
    weight: k.weight ?? 1,
    enabled: k.enabled !== false,
  }));
  return {
    id,
    type: p.type,
    enabled: p.enabled !== false,
    weight: p.weight ?? 1,
    baseUrl: p.base_url ?? null,
    headers: { ...(p.headers ?? {}) },
    options: { ...(p.options ?? {}) },
    models: p.models ?? null,
    keys,
    config: p,
  };
}

/**
 * Whether the provider can serve `model`: its own allowlist admits it and, unless it is
 * keyless, some enabled key's allowlist does too. Ignores `enabled`, weights and whether
 * a secret is present, so decisions do not depend on the environment they are made in.
 */
export function providerAllowsModel(p: Pick<ResolvedProvider, 'type' | 'options' | 'models' | 'keys'>, model: string): boolean {
  if (!allowlistMatches(p.models, model)) return false;
  if (isKeyless(p.type, p.options) && p.keys.length === 0) return true;
  return p.keys.some((k) => k.enabled && allowlistMatches(k.models, model));
}
