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
