/**
 * Provider adapters by type. Shared code looks adapters up here and never imports a
 * specific provider module.
 */
import { anthropicAdapter, ANTHROPIC_BASE_URL } from './anthropic/index.js';
import { azureAdapter } from './azure/index.js';
import { geminiAdapter, GEMINI_BASE_URL } from './gemini/index.js';
import { mockAdapter } from './mock/index.js';
import { openaiAdapter, OPENAI_BASE_URL } from './openai/index.js';
import { openaiCompatibleAdapter } from './openai-compatible/index.js';
import type { ProviderAdapter } from './types.js';

export const PROVIDER_TYPES = ['openai', 'azure', 'anthropic', 'gemini', 'openai-compatible', 'mock'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

const ADAPTERS: Record<ProviderType, ProviderAdapter> = {
  openai: openaiAdapter,
  azure: azureAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
  'openai-compatible': openaiCompatibleAdapter,
  mock: mockAdapter,
};

/** Base URL used when a provider of this type configures none; absent where `base_url` is required (azure, openai-compatible) or unused (mock). */
export const DEFAULT_BASE_URLS: Partial<Record<ProviderType, string>> = {
  openai: OPENAI_BASE_URL,
  anthropic: ANTHROPIC_BASE_URL,
  gemini: GEMINI_BASE_URL,
};

export function isProviderType(type: string): type is ProviderType {
  return Object.hasOwn(ADAPTERS, type);
}

/**
 * The adapter for a provider type; throws for an unknown type (config validation rejects those at load).
 * @example getAdapter('anthropic').buildChatRequest(req, target)
 */
export function getAdapter(type: string): ProviderAdapter {
  if (!isProviderType(type)) throw new Error(`unknown provider type "${type}" (known: ${PROVIDER_TYPES.join(', ')})`);
  return ADAPTERS[type];
}
