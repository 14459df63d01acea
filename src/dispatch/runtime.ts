/** Per-provider state dispatch derives once from config: adapter, settings, limit, keys. */
import { eligibleKeys } from '../balance/index.js';
import type { ProviderAdapter, ProviderSettings } from '../providers/types.js';
import { ConcurrencyLimit } from './queue.js';
import type { KeyRef, ResolvedProviderLike } from './types.js';

/** Models whose eligible keys are remembered per provider (bounded: models come from requests). */
const KEY_CACHE_MAX = 256;

export interface ProviderRuntime {
  id: string;
  settings: ProviderSettings;
  adapter: ProviderAdapter;
  limit: ConcurrencyLimit | null;
  /** Eligible keys per model, in rotation order. */
  keys: Map<string, readonly KeyRef[]>;
}

export class Runtimes {
  private readonly byProvider = new WeakMap<ResolvedProviderLike, ProviderRuntime>();
  /** Limits are per provider id, so a provider object rebuilt by a reload shares its slots. */
  private readonly limits = new Map<string, ConcurrencyLimit | null>();

  constructor(
    private readonly adapters: (type: string) => ProviderAdapter,
    private readonly keysFor: ((providerId: string, model: string) => readonly KeyRef[]) | undefined,
  ) {}

  get(p: ResolvedProviderLike): ProviderRuntime {
    let rt = this.byProvider.get(p);
    if (rt === undefined) {
      rt = {
        id: p.id,
        settings: { id: p.id, type: p.type, baseUrl: p.baseUrl ?? '', headers: p.headers, options: p.options },
        adapter: this.adapters(p.type),
        limit: this.limit(p),
        keys: new Map(),
      };
      this.byProvider.set(p, rt);
    }
    return rt;
  }

  /**
   * The keys to try for `model` in rotation order, the pinned one first (eligible or not:
   * a rule may pin a weight-0 key); empty for keyless providers.
   */
  keys(rt: ProviderRuntime, p: ResolvedProviderLike, model: string, pinned: string | null): readonly KeyRef[] {
    const keys = this.eligible(rt, p, model);
    if (pinned === null || (keys.length > 0 && keys[0].name === pinned)) return keys;
    const at = keys.findIndex((k) => k.name === pinned);
    if (at >= 0) return [keys[at], ...keys.slice(0, at), ...keys.slice(at + 1)];
    const key = p.keys.find((k) => k.name === pinned && k.enabled);
    return key === undefined ? keys : [key, ...keys];
  }

  private eligible(rt: ProviderRuntime, p: ResolvedProviderLike, model: string): readonly KeyRef[] {
    if (this.keysFor !== undefined) return this.keysFor(rt.id, model);
    let keys = rt.keys.get(model);
    if (keys === undefined) {
      keys = eligibleKeys(p, model);
      if (rt.keys.size >= KEY_CACHE_MAX) rt.keys.clear();
      rt.keys.set(model, keys);
    }
    return keys;
  }

  private limit(p: ResolvedProviderLike): ConcurrencyLimit | null {
    let l = this.limits.get(p.id);
    if (l === undefined) {
      const c = p.config?.concurrency;
      l = c?.max_in_flight === undefined ? null : new ConcurrencyLimit(c.max_in_flight, c.queue_size ?? 0, c.queue_policy ?? 'error');
      this.limits.set(p.id, l);
    }
    return l;
  }
}
