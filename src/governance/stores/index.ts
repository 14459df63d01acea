/** The counter store named by `governance.store`. */
import type { GovernanceConfig } from '../../types/gateway-config.js';
import type { GovernanceLogger } from '../logger.js';
import type { CounterStore } from '../store.js';
import { FailoverStore } from './failover.js';
import { MemoryStore } from './memory.js';
import { RedisStore } from './redis.js';

/**
 * `memory` (default): counters in this process. `redis`: shared by every gateway
 * process on the same Redis and prefix, behind the `on_unavailable` policy.
 */
export function createCounterStore(cfg: GovernanceConfig['store'], opts: { logger?: GovernanceLogger } = {}): CounterStore {
  if (cfg?.type !== 'redis') return new MemoryStore();
  const redis = new RedisStore({ url: cfg.url || 'redis://127.0.0.1:6379', prefix: cfg.prefix ?? 'sy:' });
  return new FailoverStore(redis, cfg.on_unavailable ?? 'fail_closed', opts.logger);
}

export { FailoverStore, MemoryStore, RedisStore };
export type { OnUnavailable, StoreCounters } from './failover.js';
export type { RedisStoreOptions } from './redis.js';
