/**
 * Model allowlist matching. Patterns are literal names with `*` matching any run of
 * characters (including `/`), e.g. `gpt-4o*`, `claude-*`, `*`. Case-sensitive.
 */

/**
 * Whether `model` matches the glob `pattern`.
 *
 * @example modelMatches('claude-*', 'claude-sonnet-4') // true
 * @example modelMatches('gpt-4o', 'gpt-4o-mini')      // false
 */
export function modelMatches(pattern: string, model: string): boolean {
  if (!pattern.includes('*')) return pattern === model;
  // Greedy scan with one backtrack point (the last `*`): linear for the patterns people write.
  let p = 0;
  let m = 0;
  let star = -1;
  let starM = 0;
  while (m < model.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      starM = m;
    } else if (p < pattern.length && pattern[p] === model[m]) {
      p++;
      m++;
    } else if (star >= 0) {
      p = star + 1;
      m = ++starM;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Whether any pattern of an allowlist matches; a null list allows everything. */
export function allowlistMatches(patterns: readonly string[] | null | undefined, model: string): boolean {
  return patterns == null || patterns.some((p) => modelMatches(p, model));
}

/** One scope's allowlists: a virtual key's, team's or customer's `allowed_models` and `allowed_providers`. */
export interface AllowScope {
  readonly level: 'virtual_key' | 'team' | 'customer';
  readonly id: string;
  /** Globs matched against `model` and `provider/model`; null allows every model. */
  readonly models: readonly string[] | null;
  /**
   * The globs of `allowed_models` that start with a configured provider's id and a `/`
   * (`openai/gpt-4o*`): matched against `provider/model` only, so `openrouter/openai/gpt-4o`
   * (model `openai/gpt-4o` served by openrouter) is not admitted by them.
   */
  readonly qualified: readonly string[];
  /** Null allows every provider. */
  readonly providers: ReadonlySet<string> | null;
}

/** A scope's allowlists as `refusingScope` reads them; `providerIds` are the configured providers'. */
export function allowScope(level: AllowScope['level'], id: string, entity: { allowed_models?: readonly string[]; allowed_providers?: readonly string[] }, providerIds: ReadonlySet<string>): AllowScope {
  const list = entity.allowed_models;
  const isQualified = (g: string): boolean => {
    const slash = g.indexOf('/');
    return slash > 0 && providerIds.has(g.slice(0, slash));
  };
  return {
    level,
    id,
    models: list ? list.filter((g) => !isQualified(g)) : null,
    qualified: list ? list.filter(isQualified) : [],
    providers: entity.allowed_providers ? new Set(entity.allowed_providers) : null,
  };
}

/**
 * The first of `scopes` (nearest first) whose allowlists refuse `provider/model`; null
 * when every one allows it. The gateway answers such a request 403
 * SY_ERR_MODEL_NOT_ALLOWED, naming that scope.
 *
 * @example refusingScope([allowScope('team', 'ml', {allowed_models: ['claude-*']}, ids)], 'openai', 'gpt-4o') // the team's scope
 */
export function refusingScope<S extends AllowScope>(scopes: readonly S[], provider: string, model: string): S | null {
  for (const scope of scopes) {
    if (scope.providers && !scope.providers.has(provider)) return scope;
    if (scope.models === null) continue;
    const qualified = `${provider}/${model}`;
    if (!scope.models.some((g) => modelMatches(g, model) || modelMatches(g, qualified)) && !scope.qualified.some((g) => modelMatches(g, qualified))) return scope;
  }
  return null;
}

/** What the gateway says when `scope` refuses `provider/model`. */
export function notAllowedMessage(scope: AllowScope, provider: string, model: string): string {
  return `${scope.level} "${scope.id}" may not use ${provider}/${model}`;
}
