import { SECRET_PATHS } from '../config/secrets.js';
import type { GatewayConfig } from '../types/gateway-config.js';

/**
 * Every secret value in a loaded config (provider keys and headers, admin token, key
 * secret, store and sink URLs), for `createAuditLog(..., { secrets })`.
 */
export function configSecrets(config: Readonly<GatewayConfig>): string[] {
  const out: string[] = [];
  const walk = (value: unknown, pattern: readonly string[], i: number): void => {
    if (i === pattern.length) {
      if (typeof value === 'string' && value !== '') out.push(value);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const entries = pattern[i] === '*' ? Object.values(value) : [(value as Record<string, unknown>)[pattern[i]]];
    for (const v of entries) walk(v, pattern, i + 1);
  };
  for (const p of SECRET_PATHS) walk(config, p, 0);
  return out;
}
