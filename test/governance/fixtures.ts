/** Governance configs for tests: mock models cost $1 (input) / $2 (output) per 1M tokens. */
import { generateKey, hashKey } from '../../src/governance/keys.js';
import type { GatewayConfig, GovernanceConfig, ProviderConfig } from '../../src/types/gateway-config.js';

/** 2,000 input + 4,000 output tokens of a mock model: exactly $0.01. */
export const CENT = { inputTokens: 2000, maxTokens: 4000 } as const;
export const CENT_USAGE = { inputTokens: 2000, outputTokens: 4000 } as const;
export const MOCK = { provider: 'local', model: 'mock-model' } as const;

export function gatewayConfig(governance: GovernanceConfig, providers: Record<string, ProviderConfig> = {}): GatewayConfig {
  return { providers: { local: { type: 'mock' }, other: { type: 'mock' }, ...providers }, governance };
}

/** A virtual key entry plus the raw key to authenticate with. */
export function keyEntry(id: string, extra: Omit<NonNullable<GovernanceConfig['virtual_keys']>[number], 'id' | 'key_hash'> = {}) {
  const key = generateKey();
  return { key, entry: { id, key_hash: hashKey(key), ...extra } };
}
