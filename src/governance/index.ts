/** Governance: virtual keys, customers → teams → keys, budgets, rate limits, pricing, counter stores. */
export { createGovernance, Governance } from './governance.js';
export type { BudgetReport, Capacity, Estimate, GovernanceMetrics, GovernanceOptions } from './governance.js';
export { Admission } from './admission.js';
export type { Target } from './admission.js';
export type { Principal } from './directory.js';
export type { Unavailability } from './availability.js';
export type { Level } from './budgets.js';
export { checkGovernance, GovernanceConfigError } from './config-check.js';
export type { GovernanceIssue } from './config-check.js';
export { generateKey, hashKey, DEFAULT_KEY_PREFIX } from './keys.js';
export type { KeyHashAlgorithm } from './keys.js';
export { PriceTable } from './pricing.js';
export type { Price } from './pricing.js';
export type { GovernanceLogger } from './logger.js';
export type { CounterStore } from './store.js';
export { createCounterStore, FailoverStore, MemoryStore, RedisStore } from './stores/index.js';
export type { OnUnavailable, RedisStoreOptions, StoreCounters } from './stores/index.js';
