/**
 * The credentials dispatch sends, masked out of text that came back from a provider. An
 * upstream's error message reaches the client, the log and the audit event, and some
 * servers quote the key they were given ("Incorrect API key provided: sk-…").
 */
import { proxySecrets, type ProxyPlan } from '../config/proxy.js';
import { MIN_MASKED_LENGTH, maskSecrets } from '../config/secrets.js';
import type { ResolvedProviderLike } from './types.js';

export type Mask = (text: string) => string;

/** Every provider's key values and extra header values (SecretRefs), and the proxy's password. */
export function credentialMask(providers: ReadonlyMap<string, ResolvedProviderLike>, proxy?: ProxyPlan): Mask {
  const found = new Set<string>();
  for (const p of providers.values()) {
    for (const k of p.keys) found.add(k.value);
    for (const name in p.headers) found.add(p.headers[name]);
  }
  if (proxy !== undefined) for (const s of proxySecrets(proxy)) found.add(s);
  // The longest first, so a key that contains another is masked whole.
  const secrets = [...found].filter((s) => s.length >= MIN_MASKED_LENGTH).sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return (text) => text;
  return (text) => maskSecrets(text, secrets);
}
