/**
 * Circuit breaking per provider (`openai`) and per provider key (`openai#primary`), in the
 * manner of Envoy's outlier detection: consecutive provider-side failures eject a target
 * for a cooldown that doubles with each repeated ejection up to a cap; no more than a
 * share of a pool (the providers, or one provider's keys) is ever ejected, so the breaker
 * alone never empties it; after the cooldown one probe request decides.
 */
import type { Clock, Unavailability } from './types.js';

export interface CooldownSettings {
  consecutiveFailures: number;
  baseMs: number;
  maxMs: number;
  maxEjectedPercent: number;
}

/**
 * What the dispatcher may do with a target right now. `probe`: the cooldown is over and
 * this request is the one probe; report its result with success/failure, or release it.
 */
export type Admission = 'ok' | 'probe' | 'cooldown';

const HEALTHY = 0;
const EJECTED = 1;
const PROBING = 2;

interface Pool {
  size: number;
  ejected: number;
}

interface Entry {
  id: string;
  pool: Pool;
  failures: number;
  /** Ejections without a long healthy spell in between: the cooldown doubles with each. */
  ejections: number;
  state: typeof HEALTHY | typeof EJECTED | typeof PROBING;
  until: number;
  healthySince: number;
}

export class Health {
  private readonly entries = new Map<string, Entry>();
  private readonly pools = new Map<string, Pool>();
  /** Ejected (cooldown running) and probing targets: what the router must skip. */
  private readonly out = new Map<string, Unavailability>();
  private nextExpiry = Infinity;

  /**
   * @param poolSize how many members a pool has: `''` → number of providers, a provider id → its keys.
   */
  constructor(private readonly settings: CooldownSettings, private readonly clock: Clock, private readonly poolSize: (pool: string) => number) {}

  /**
   * Targets to skip, keyed `provider` or `provider#key`. The same map instance is
   * updated in place; read it, do not keep it across requests.
   */
  unavailable(): ReadonlyMap<string, Unavailability> {
    if (this.clock.now() >= this.nextExpiry) this.sweep();
    return this.out;
  }

  /** Whether a request may go to `id` now. */
  admit(id: string): Admission {
    const e = this.entries.get(id);
    if (e === undefined || e.state === HEALTHY) return 'ok';
    if (e.state === PROBING || this.clock.now() < e.until) return 'cooldown';
    e.state = PROBING;
    this.out.set(id, 'cooldown');
    return 'probe';
  }

  /** Whether `id` is out of rotation now (cooling down or being probed); no side effects. */
  isOut(id: string): boolean {
    const e = this.entries.get(id);
    return e !== undefined && e.state !== HEALTHY;
  }

  /** Milliseconds until `id` may be tried again (0 when it may now). */
  retryInMs(id: string): number {
    const e = this.entries.get(id);
    if (e === undefined || e.state !== EJECTED) return 0;
    return Math.max(0, e.until - this.clock.now());
  }

  /** A response came back (2xx, or a client error: the provider is up). */
  success(id: string): void {
    const e = this.entries.get(id);
    if (e === undefined) return;
    e.failures = 0;
    if (e.state === PROBING) {
      e.state = HEALTHY;
      e.pool.ejected--;
      e.healthySince = this.clock.now();
      this.out.delete(id);
    }
  }

  /** A provider-side failure (5xx, timeout, connection error, broken stream; 429/401 for keys). */
  failure(id: string): void {
    let e = this.entries.get(id);
    if (e === undefined) {
      e = { id, pool: this.pool(id), failures: 0, ejections: 0, state: HEALTHY, until: 0, healthySince: this.clock.now() };
      this.entries.set(id, e);
    }
    if (e.state === PROBING) {
      this.eject(e);
      return;
    }
    if (e.state !== HEALTHY) return;
    e.failures++;
    if (e.failures < this.settings.consecutiveFailures) return;
    const max = Math.min(e.pool.size - 1, Math.floor((e.pool.size * this.settings.maxEjectedPercent) / 100));
    if (e.pool.ejected >= max) return;
    e.pool.ejected++;
    if (this.clock.now() - e.healthySince > this.settings.maxMs) e.ejections = 0;
    this.eject(e);
  }

  /** A probe ended without a verdict (the client left): the next request probes instead. */
  release(id: string): void {
    const e = this.entries.get(id);
    if (e === undefined || e.state !== PROBING) return;
    e.state = EJECTED;
    e.until = this.clock.now();
    this.out.delete(id);
  }

  private eject(e: Entry): void {
    e.ejections++;
    e.failures = 0;
    e.state = EJECTED;
    e.until = this.clock.now() + Math.min(this.settings.maxMs, this.settings.baseMs * 2 ** Math.min(e.ejections - 1, 30));
    this.out.set(e.id, 'cooldown');
    if (e.until < this.nextExpiry) this.nextExpiry = e.until;
  }

  /** Cooldowns that ran out leave the map: the next request to such a target is its probe. */
  private sweep(): void {
    const now = this.clock.now();
    let next = Infinity;
    for (const id of this.out.keys()) {
      const e = this.entries.get(id)!;
      if (e.state !== EJECTED) continue;
      if (e.until <= now) this.out.delete(id);
      else if (e.until < next) next = e.until;
    }
    this.nextExpiry = next;
  }

  private pool(id: string): Pool {
    const hash = id.indexOf('#');
    const name = hash < 0 ? '' : id.slice(0, hash);
    let p = this.pools.get(name);
    if (p === undefined) {
      p = { size: this.poolSize(name), ejected: 0 };
      this.pools.set(name, p);
    }
    return p;
  }
}
