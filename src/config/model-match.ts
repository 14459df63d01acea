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
  /** Null allows every provider. */
  readonly providers: ReadonlySet<string> | null;
}

/**
 * The first of `scopes` (nearest first) whose allowlists refuse `provider/model`; null
 * when every one allows it. The gateway answers such a request 403
 * SY_ERR_MODEL_NOT_ALLOWED, naming that scope.
 *
 * @example refusingScope([{level: 'team', id: 'ml', models: ['claude-*'], providers: null}], 'openai', 'gpt-4o') // the team's scope
 */
export function refusingScope<S extends AllowScope>(scopes: readonly S[], provider: string, model: string): S | null {
  for (const scope of scopes) {
    if (scope.providers && !scope.providers.has(provider)) return scope;
    if (scope.models && !scope.models.some((g) => modelMatches(g, model) || modelMatches(g, `${provider}/${model}`))) return scope;
  }
  return null;
}

/** What the gateway says when `scope` refuses `provider/model`. */
export function notAllowedMessage(scope: AllowScope, provider: string, model: string): string {
  return `${scope.level} "${scope.id}" may not use ${provider}/${model}`;
}
