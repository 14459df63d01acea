/** URL and header plumbing shared by the provider adapters. */
import type { ProviderSettings } from '../providers/types.js';

export interface BaseUrlParts {
  /** `https://host[:port]` */
  origin: string;
  /** Path without trailing slash, '' for the root. */
  basePath: string;
}

export function splitBaseUrl(baseUrl: string): BaseUrlParts {
  const u = new URL(baseUrl);
  const basePath = u.pathname.replace(/\/+$/, '');
  return { origin: u.origin, basePath };
}

/**
 * Per-provider derived settings, computed once per settings object (config is frozen
 * at load, so object identity is a safe cache key) instead of on every request.
 */
export function perSettings<T>(derive: (s: ProviderSettings) => T): (s: ProviderSettings) => T {
  const cache = new WeakMap<ProviderSettings, T>();
  return (s) => {
    let v = cache.get(s);
    if (v === undefined) {
      v = derive(s);
      cache.set(s, v);
    }
    return v;
  };
}

/** Base URL parts of a provider, falling back to the type's default when none is configured. */
export function baseUrlParts(defaultUrl: string): (s: ProviderSettings) => BaseUrlParts {
  return perSettings((s) => splitBaseUrl(s.baseUrl || defaultUrl));
}

/** The configured extra headers plus ours (ours win: auth and content type are not overridable). */
/** Headers of a GET: the provider's extra headers, then the adapter's own (auth). */
export function getHeaders(extra: Record<string, string>, own: Record<string, string>): Record<string, string> {
  return { ...extra, ...own };
}

export function jsonHeaders(extra: Record<string, string>, own: Record<string, string>): Record<string, string> {
  return { ...extra, 'content-type': 'application/json', ...own };
}
