/**
 * A provider option given as one value for every model or as a map from model globs to
 * values, the first matching glob winning (`options.reasoning`, `options.max_output_tokens`):
 * resolved once per provider, then once per model.
 */
import { modelMatches } from '../config/model-match.js';
import { memoByName } from '../memo.js';
import type { ProviderSettings } from './types.js';
import { perSettings } from '../wire/http.js';

/**
 * The option `name` per provider and model, each value read by `read` (undefined: none;
 * the config check has already refused a value that is not one).
 * @example const styleOf = perModel('reasoning', (v) => (v === 'effort' ? v : undefined));
 */
export function perModel<T>(name: string, read: (v: unknown, s: ProviderSettings) => T | undefined): (s: ProviderSettings, model: string) => T | undefined {
  const resolve = perSettings((s): ((model: string) => T | undefined) => {
    const given = s.options[name];
    if (given === undefined || given === null) return () => undefined;
    if (typeof given !== 'object' || Array.isArray(given)) {
      const all = read(given, s);
      return () => all;
    }
    const rules = Object.entries(given as Record<string, unknown>);
    return memoByName((model) => {
      const hit = rules.find(([glob]) => modelMatches(glob, model));
      return hit === undefined ? undefined : read(hit[1], s);
    });
  });
  return (s, model) => resolve(s)(model);
}
