/**
 * The governance layer the server calls per request: who is calling (authenticate),
 * what they may use (checkModelAllowed), how close they are to their limits
 * (capacity, for the CEL context), which providers sit out (unavailableProviders),
 * and admission: reserve the maximum cost on every budget that applies, take rate
 * limits and a concurrency slot (on a fallback's provider too, when dispatch moves the
 * request there), then settle with the real cost or release.
 *
 * Everything config-shaped is resolved at construction (principal chains, budget
 * and limit lists per principal × provider), so a request does map lookups and one
 * store round trip per step. reconfigure() swaps the principals and prices for a new
 * config's in one step; a request keeps the set its principal came from (see Policy).
 */
import { randomUUID } from 'node:crypto';
import type { Usage } from '../canonical.js';
import { notAllowedMessage, refusingScope } from '../config/model-match.js';
import { SwitchyardError } from '../errors.js';
import type { GatewayConfig } from '../types/gateway-config.js';
import { Admission, type AdmissionRecord, type Ledger, type Plan, type Target } from './admission.js';
import { Availability, type Unavailability } from './availability.js';
import { BudgetRef, percentUsed, type Level } from './budgets.js';
import { buildDirectory, type Chain, type Directory, type Principal } from './directory.js';
import { presentedKey } from './keys.js';
import { logError, type GovernanceLogger } from './logger.js';
import { costNano, NANO_PER_USD, PriceTable, type TokenPrice } from './pricing.js';
import { rateRefs, WindowsSeen, type SlotRef, type WindowRef } from './rate-limits.js';
import { refusalError, unavailableError, type Refusal } from './refusals.js';
import type { AdjustLine, AdmitRequest, AdmitResult, BudgetState, ChargeLine, CounterStore, SettleRequest, WindowLine } from './store.js';

export interface GovernanceOptions {
  store: CounterStore;
  /** Epoch ms. Default Date.now. */
  clock?: () => number;
  logger?: GovernanceLogger;
  /**
   * An admission neither settled nor released nor renewed within this is returned by the
   * store: a gateway that died gives back its requests' reservations and slots this long
   * after its last renewal. Default 60 s.
   */
  leaseMs?: number;
  /** How often the leases of requests still being served are renewed; 0 disables the timer (call renewLeases()). Default leaseMs / 3. */
  renewMs?: number;
  /** How often provider budgets and limits are re-read for unavailableProviders(); 0 disables the timer (call refresh()). Default 1000. */
  refreshMs?: number;
  /** First wait before a settlement the store did not take is sent again; doubles up to 30 s. Default 1000. */
  settleRetryMs?: number;
}

/** Percents (0–100) for the CEL context. */
export interface Capacity {
  /** The most-used budget of the principal (spend plus open reservations). */
  budget_used: number;
  /** The tightest token window of the principal. */
  tokens_used: number;
  /** The tightest request window of the principal. */
  requests_used: number;
}

export interface Estimate {
  /** Estimated input tokens. */
  inputTokens: number;
  /** The request's output cap; governance.max_reservation_tokens when absent. */
  maxTokens?: number;
  /** The processing tier the client asked for (its `service_tier`): reserved at that tier's rates where the price lists it. */
  serviceTier?: string;
}

/** One budget of a principal, as reported by Governance.budgets(). */
export interface BudgetReport {
  level: Level;
  id: string;
  limit_usd: number;
  period: string;
  calendar_aligned: boolean;
  on_exhausted: 'block' | 'allow';
  spent_usd: number;
  /** Held for requests being served: their most they may cost. */
  reserved_usd: number;
  /** What a request may still reserve: the limit less spent and reserved, at least 0. */
  remaining_usd: number;
  /** End of the current window (ISO); null when no window is open (nothing spent yet). */
  resets_at: string | null;
}

/** Plain counters for /metrics. */
export interface GovernanceMetrics {
  admitted_total: number;
  budget_exceeded_total: number;
  rate_limited_total: number;
  /** Requests settled at $0 for lack of a price, or refused for it under `unknown_price: block`. */
  unknown_price_total: number;
  /** Settlements the store did not take at once, retried until it did (Governance.settleLater). */
  settle_deferred_total: number;
  /** Of those, settlements given up: more waiting than MAX_UNSETTLED, or still waiting at close. */
  settle_lost_total: number;
  /** The store's own counters (fail-open events for Redis), when it has any. */
  readonly store: Readonly<Record<string, number>> | null;
}

interface ProviderRefs {
  budgets: BudgetRef[];
  windows: WindowRef[];
  slots: SlotRef[];
  /** The provider's limits alone: what a fallback to it holds (Admission#moveTo). */
  hold: Plan;
}

/**
 * Short, and renewed while a request is served: a gateway killed with requests in flight
 * held their concurrency slots and reservations for a fixed 10-minute lease, so a key with
 * `concurrency: 20` and 20 requests on the dead gateway was refused on every other
 * gateway for 10 minutes, while a stream running past 10 minutes lost its slot.
 */
const DEFAULT_LEASE_MS = 60_000;
const SETTLE_RETRY_MS = 1000;
const SETTLE_RETRY_MAX_MS = 30_000;
/** Settlements waiting for the store, at most: about 40 MB of them. */
const MAX_UNSETTLED = 100_000;
const DEFAULT_MAX_RESERVATION_TOKENS = 8192;
/**
 * The most one request reserves: $1M, in nano-USD. More than any request can cost, and a
 * whole number the stores' 64-bit counters hold thousands of at once. A client's
 * max_tokens may be any integer (1e308 is one): priced as sent, it reserved Infinity,
 * which the memory store summed into NaN for the rest of the budget's period and Redis
 * refused as not an integer, which counted as a store outage.
 */
const MAX_RESERVATION_NANO = 1e15;
const NO_PROVIDER: Omit<ProviderRefs, 'hold'> = { budgets: [], windows: [], slots: [] };

/**
 * The part of governance a reload replaces: principals with their budgets, limits and
 * allowlists, and prices. Each principal is bound to the policy it was built in, so a
 * request authenticated before a reload is admitted, charged and settled under the set
 * it started with, never half old and half new.
 */
interface Policy {
  directory: Directory;
  prices: PriceTable;
  blockUnknownPrice: boolean;
  maxReservationTokens: number;
}

interface Bound {
  chain: Chain;
  policy: Policy;
}

/**
 * @example
 * const gov = createGovernance(config, { store: new MemoryStore() });
 * const principal = gov.authenticate(req.headers);
 * gov.checkModelAllowed(principal, 'openai', 'gpt-4o');
 * const admission = await gov.admit(principal, { provider: 'openai', model: 'gpt-4o' }, { inputTokens: 1200, maxTokens: 500 });
 * try { ...; await admission.settle(usage, served); } catch (e) { await admission.release(); throw e; }
 */
export function createGovernance(cfg: Readonly<GatewayConfig>, opts: GovernanceOptions): Governance {
  return new Governance(cfg, opts);
}

export class Governance {
  readonly metrics: GovernanceMetrics;
  private readonly store: CounterStore;
  private readonly clock: () => number;
  private readonly logger?: GovernanceLogger;
  private readonly leaseMs: number;
  private policy: Policy;
  /** Each principal's chain and the policy it belongs to; those of a replaced policy go with its last request. */
  private readonly bound = new WeakMap<Principal, Bound>();
  private readonly allowUnauthenticated: boolean;
  private readonly providers = new Map<string, ProviderRefs>();
  private readonly plans = new WeakMap<Chain, Map<string, Plan>>();
  /** What an Admission calls back: settle or release, and a hold on a fallback's provider. */
  private readonly ledger: Ledger;
  private readonly availability = new Availability();
  private readonly warnedModels = new Set<string>();
  private readonly timer: NodeJS.Timeout | null = null;
  /** Lease ids of the admissions (and fallback holds) not settled or released yet: renewed while they last. */
  private readonly open = new Set<string>();
  private readonly renewTimer: NodeJS.Timeout | null = null;
  /** Settlements the store did not take, oldest first, sent again until it does (settleLater). */
  private readonly unsettled: SettleRequest[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  /** The send of `unsettled` under way: one at a time, or two could take the same one off. */
  private sending: Promise<void> | null = null;
  private closing = false;
  private retryMs: number;
  private readonly firstRetryMs: number;

  constructor(cfg: Readonly<GatewayConfig>, opts: GovernanceOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? Date.now;
    this.logger = opts.logger;
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.policy = this.policyOf(cfg);
    this.allowUnauthenticated = cfg.server?.allow_unauthenticated ?? false;
    this.metrics = { admitted_total: 0, budget_exceeded_total: 0, rate_limited_total: 0, unknown_price_total: 0, settle_deferred_total: 0, settle_lost_total: 0, store: this.store.counters ?? null };
    this.retryMs = opts.settleRetryMs ?? SETTLE_RETRY_MS;
    this.firstRetryMs = this.retryMs;

    for (const [id, p] of Object.entries(cfg.providers ?? {})) {
      const { windows, slots } = rateRefs('provider', id, p.rate_limit);
      const budgets = (p.budgets ?? []).map((b) => new BudgetRef('provider', id, b));
      if (budgets.length + windows.length + slots.length === 0) continue;
      const hold: Plan = { provider: id, budgets, principalBudgets: 0, providerBudgets: budgets, windows, principalWindows: 0, slots };
      this.providers.set(id, { budgets, windows, slots, hold });
    }
    this.ledger = { finish: this.finish, hold: this.hold };

    if (this.allowUnauthenticated) {
      this.logger?.warn({}, 'server.allow_unauthenticated is on: requests without a virtual key are served as an anonymous principal');
    }
    const refreshMs = opts.refreshMs ?? 1000;
    if (refreshMs > 0 && this.providers.size > 0) {
      this.timer = setInterval(() => void this.refresh().catch(() => undefined), refreshMs);
      this.timer.unref();
    }
    const renewMs = opts.renewMs ?? this.leaseMs / 3;
    if (renewMs > 0) {
      // A renewal the store misses (down, late) is made up by the next: a lease outlives two.
      this.renewTimer = setInterval(() => void this.renewLeases().catch(() => undefined), renewMs);
      this.renewTimer.unref();
    }
  }

  /** Leases of requests still being served (admitted, not settled or released). */
  get openLeases(): number {
    return this.open.size;
  }

  /** Keeps the leases of the requests still being served for another leaseMs; runs on a timer unless renewMs is 0. */
  async renewLeases(): Promise<void> {
    if (this.open.size === 0) return;
    await this.store.renew({ ids: [...this.open], now: this.clock(), leaseMs: this.leaseMs });
  }

  /**
   * Replaces the principals (customers, teams, virtual keys with their budgets, rate
   * limits, concurrency and allowlists) and the prices with `cfg`'s, at once. Counters
   * are keyed by owner id in the store, so a budget kept by id keeps its spend. Requests
   * already authenticated finish under the set they began with. Providers, the store
   * and server settings are not read again: they take a new Governance.
   * Throws GovernanceConfigError (and changes nothing) when `cfg` has problems.
   */
  reconfigure(cfg: Readonly<GatewayConfig>): void {
    this.policy = this.policyOf(cfg);
  }

  private policyOf(cfg: Readonly<GatewayConfig>): Policy {
    const gov = cfg.governance ?? {};
    const policy: Policy = {
      directory: buildDirectory(cfg),
      prices: new PriceTable(gov.pricing),
      blockUnknownPrice: gov.unknown_price === 'block',
      maxReservationTokens: gov.max_reservation_tokens ?? DEFAULT_MAX_RESERVATION_TOKENS,
    };
    const d = policy.directory;
    for (const chains of [d.byKey, d.byTeam, d.byCustomer]) for (const chain of chains.values()) this.bound.set(chain.principal, { chain, policy });
    this.bound.set(d.anonymous.principal, { chain: d.anonymous, policy });
    return policy;
  }

  /**
   * The principal of a request, from `x-switchyard-key`, `Authorization: Bearer`, or
   * `x-api-key` (first present wins; header names lowercase as Node gives them).
   * Throws SY_ERR_UNAUTHORIZED for a missing (unless server.allow_unauthenticated),
   * unknown or disabled key. With server.allow_unauthenticated and no virtual keys
   * configured, any presented key is served as the anonymous principal.
   */
  authenticate(headers: Readonly<Record<string, string | string[] | undefined>>): Principal {
    const key = presentedKey(headers);
    const directory = this.policy.directory;
    if (key === undefined) {
      if (this.allowUnauthenticated) return directory.anonymous.principal;
      throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'Missing virtual key: send it as Authorization: Bearer <key>, x-api-key or x-switchyard-key');
    }
    const chain = directory.keys.find(key);
    if (!chain) {
      // SDKs always send some key (the OpenAI SDK refuses an empty one; Claude Code sends
      // its own). With no virtual keys configured there is nothing to check it against.
      if (this.allowUnauthenticated && directory.keys.size === 0) return directory.anonymous.principal;
      throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'Unknown virtual key');
    }
    if (!chain.enabled) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'This virtual key, its team or its customer is disabled');
    return chain.principal;
  }

  /** Whether every scope of the principal allows `provider` and `model` (model globs may be `model` or `provider/model`). */
  isModelAllowed(principal: Principal, provider: string, model: string): boolean {
    return deniedBy(this.chainOf(principal), provider, model) === null;
  }

  /** Throws SY_ERR_MODEL_NOT_ALLOWED naming the scope that forbids it. */
  checkModelAllowed(principal: Principal, provider: string, model: string): void {
    const refused = this.modelRefusal(principal, provider, model);
    if (refused) throw refused;
  }

  /** SY_ERR_MODEL_NOT_ALLOWED naming the scope that forbids `provider/model`, or null when every scope allows it. */
  modelRefusal(principal: Principal, provider: string, model: string): SwitchyardError | null {
    const scope = deniedBy(this.chainOf(principal), provider, model);
    return scope === null ? null : new SwitchyardError('SY_ERR_MODEL_NOT_ALLOWED', notAllowedMessage(scope, provider, model), {
      details: { level: scope.level, id: scope.id, provider, model },
    });
  }

  /** Capacity percents of the principal (budgets, token and request windows). */
  async capacity(principal: Principal): Promise<Capacity> {
    return this.capacityNow(principal);
  }

  /**
   * capacity(), returned as a value rather than a promise when no budget or window
   * applies (nothing to read from the store): the request path skips an await.
   */
  capacityNow(principal: Principal): Capacity | Promise<Capacity> {
    const chain = this.chainOf(principal);
    if (chain.budgets.length === 0 && chain.windows.length === 0) return { budget_used: 0, tokens_used: 0, requests_used: 0 };
    return this.readCapacity(chain);
  }

  private async readCapacity(chain: Chain): Promise<Capacity> {
    const now = this.clock();
    const r = await this.store.peek({ now, budgets: chain.budgetKeys, windows: chain.windowKeys, slots: [] });
    const out: Capacity = { budget_used: 0, tokens_used: 0, requests_used: 0 };
    chain.budgets.forEach((b, i) => {
      out.budget_used = Math.max(out.budget_used, percentUsed(b.limitNano, r.budgets[i].spent + r.budgets[i].reserved));
    });
    chain.windows.forEach((w, i) => {
      const field = w.kind === 'requests' ? 'requests_used' : 'tokens_used';
      out[field] = Math.max(out[field], w.percentUsed(r.windows[i], now));
    });
    return out;
  }

  /** The principal's budgets (or a provider's, with `{ provider }`) and their current spend, for admin views and tests. */
  async budgets(of: Principal | { provider: string }): Promise<BudgetReport[]> {
    return this.report('provider' in of ? (this.providers.get(of.provider)?.budgets ?? []) : this.chainOf(of).budgets);
  }

  /**
   * Every budget the config sets, each once (customers', teams', virtual keys', then
   * providers'), with its current spend: one read of the store. GET /admin/budgets.
   */
  allBudgets(): Promise<BudgetReport[]> {
    const d = this.policy.directory;
    const refs = new Map<string, BudgetRef>();
    const add = (b: BudgetRef) => {
      const id = `${b.key} ${b.limitNano} ${b.block}`;
      if (!refs.has(id)) refs.set(id, b);
    };
    for (const chains of [d.byCustomer, d.byTeam, d.byKey]) for (const c of chains.values()) c.budgets.forEach(add);
    for (const p of this.providers.values()) p.budgets.forEach(add);
    const order: Level[] = ['customer', 'team', 'virtual_key', 'provider'];
    return this.report([...refs.values()].sort((a, b) => order.indexOf(a.level) - order.indexOf(b.level) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  }

  private async report(refs: readonly BudgetRef[]): Promise<BudgetReport[]> {
    if (refs.length === 0) return [];
    const r = await this.store.peek({ now: this.clock(), budgets: refs.map((b) => b.key), windows: [], slots: [] });
    return refs.map((b, i) => {
      const { spent, reserved, end } = r.budgets[i];
      return {
        level: b.level,
        id: b.id,
        limit_usd: b.spec.limit_usd,
        period: b.spec.period,
        calendar_aligned: b.calendar,
        on_exhausted: b.block ? 'block' : 'allow',
        spent_usd: spent / NANO_PER_USD,
        reserved_usd: reserved / NANO_PER_USD,
        remaining_usd: Math.max(0, b.limitNano - spent - reserved) / NANO_PER_USD,
        resets_at: end ? new Date(end).toISOString() : null,
      };
    });
  }

  /** Providers whose own budget or rate limit is exhausted (skip them when balancing and falling back). */
  unavailableProviders(): ReadonlyMap<string, Unavailability> {
    return this.availability.current(this.clock());
  }

  /** Seconds until `provider` may serve again, when its own budget or limit keeps it out now. */
  unavailableForSeconds(provider: string): number | undefined {
    const now = this.clock();
    const until = this.availability.current(now).has(provider) ? this.availability.until(provider) : undefined;
    return until === undefined ? undefined : Math.max(1, Math.ceil((until - now) / 1000));
  }

  /**
   * Reserves the request's maximum cost on every budget that applies (customer, team,
   * key, provider) and takes its rate-limit units and concurrency slot, all or nothing.
   * Throws SY_ERR_BUDGET_EXCEEDED or SY_ERR_RATE_LIMITED (with retryAfter) naming the
   * level and id, or SY_ERR_MODEL_NOT_ALLOWED for an unpriced model under `unknown_price: block`.
   */
  async admit(principal: Principal, target: Target, estimate: Estimate): Promise<Admission> {
    return this.admitNow(principal, target, estimate);
  }

  /**
   * admit(), returned as a value rather than a promise when no budget, window or
   * concurrency slot applies (nothing to reserve in the store): the request path skips
   * an await. Refusals are thrown, not returned as a rejected promise.
   */
  admitNow(principal: Principal, target: Target, estimate: Estimate): Admission | Promise<Admission> {
    const { chain, policy } = this.boundOf(principal);
    const plan = this.planFor(chain, target.provider);
    const { prices } = policy;
    const price = this.priceOf(prices, target, policy.blockUnknownPrice);
    const inputTokens = Math.max(0, Math.ceil(estimate.inputTokens));
    const outputTokens = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.ceil(estimate.maxTokens ?? policy.maxReservationTokens)));
    const serviceTier = estimate.serviceTier;
    const reservedNano = price ? reservation(price, inputTokens, outputTokens, serviceTier) : 0;
    const windows = plan.windows.map((w) => w.line(w.kind === 'requests' ? 1 : inputTokens));
    // Only a reservation in the store needs its id now; Admission#id makes the others' on demand.
    const record: AdmissionRecord = { id: '', plan, target, prices, reservedNano, taken: windows.map((w) => w.cost), leased: false, states: [], tats: [], inputTokens, outputTokens, serviceTier };
    if (plan.budgets.length + plan.windows.length + plan.slots.length === 0) {
      this.metrics.admitted_total++;
      return new Admission(this.ledger, record);
    }
    record.id = randomUUID();
    return this.reserve(record, windows);
  }

  private async reserve(record: AdmissionRecord, windows: WindowLine[]): Promise<Admission> {
    const now = this.clock();
    this.took(record, await this.store.admit(this.admitRequest(record, windows, now)), now);
    this.metrics.admitted_total++;
    return new Admission(this.ledger, record);
  }

  /**
   * A fallback's provider, for Admission#moveTo: its own budgets reserved for the
   * request's estimate at the fallback model's price, its windows and its slot, under a
   * lease of their own. A provider already known to sit out is refused without asking
   * the store, as the router leaves it out of a decision.
   */
  private readonly hold = (of: AdmissionRecord, target: Target): AdmissionRecord | null | Promise<AdmissionRecord> => {
    const refs = this.providers.get(target.provider);
    if (refs === undefined) return null;
    const now = this.clock();
    const out = this.availability.current(now).get(target.provider);
    if (out !== undefined) {
      if (out === 'budget_exceeded') this.metrics.budget_exceeded_total++;
      else this.metrics.rate_limited_total++;
      throw unavailableError(target.provider, out, this.availability.until(target.provider) ?? now, now);
    }
    const { inputTokens, outputTokens, serviceTier } = of;
    // Priced as settlement will price it; an unpriced model reserves nothing here (the
    // request's admission already answered for unknown_price).
    const price = of.prices.lookup(target.model, target.provider);
    const reservedNano = price ? reservation(price, inputTokens, outputTokens, serviceTier) : 0;
    const windows = refs.windows.map((w) => w.line(w.kind === 'requests' ? 1 : inputTokens));
    const record: AdmissionRecord = { id: randomUUID(), plan: refs.hold, target, prices: of.prices, reservedNano, taken: windows.map((w) => w.cost), leased: false, states: [], tats: [], inputTokens, outputTokens, serviceTier };
    return this.reserveHold(record, windows, now);
  };

  private async reserveHold(record: AdmissionRecord, windows: WindowLine[], now: number): Promise<AdmissionRecord> {
    this.took(record, await this.store.admit(this.admitRequest(record, windows, now)), now);
    return record;
  }

  private admitRequest(record: AdmissionRecord, windows: WindowLine[], now: number): AdmitRequest {
    const { plan, id, reservedNano } = record;
    return { id, now, leaseMs: this.leaseMs, budgets: plan.budgets.map((b) => b.line(now, reservedNano)), windows, slots: plan.slots.map((s) => s.line()) };
  }

  /** Records what the store reserved for `record`, or throws its refusal. */
  private took(record: AdmissionRecord, result: AdmitResult, now: number): void {
    const { plan } = record;
    if (!result.ok) throw this.refusal(plan, result, record.reservedNano, now);
    record.leased = true;
    this.open.add(record.id);
    record.tats = result.windows;
    record.states = result.budgets.slice(0, plan.principalBudgets);
    if (plan.providerBudgets.length > 0) this.noteProviderBudgets(plan.provider, plan.providerBudgets, result.budgets.slice(plan.principalBudgets), now);
  }

  /** Cost in USD of `usage` on `model` (`provider/model` entries apply when `provider` is given), or null when unpriced. */
  cost(model: string, usage: Usage, provider?: string): number | null {
    return this.policy.prices.costUsd(model, usage, provider);
  }

  /** Re-reads provider budgets and rate limits for unavailableProviders(); runs on a timer unless refreshMs is 0. */
  async refresh(): Promise<void> {
    if (this.providers.size === 0) return;
    const now = this.clock();
    const ids = [...this.providers.keys()];
    const refs = ids.map((id) => this.providers.get(id) as ProviderRefs);
    const r = await this.store.peek({
      now,
      budgets: refs.flatMap((p) => p.budgets.map((b) => b.key)),
      windows: refs.flatMap((p) => p.windows.map((w) => w.key)),
      slots: [],
    });
    let bi = 0;
    let wi = 0;
    ids.forEach((id, n) => {
      const p = refs[n];
      const states = r.budgets.slice(bi, (bi += p.budgets.length));
      const tats = r.windows.slice(wi, (wi += p.windows.length));
      if (this.noteProviderBudgets(id, p.budgets, states, now)) return;
      let until = 0;
      p.windows.forEach((w, i) => {
        until = Math.max(until, w.fullUntil(tats[i], now) ?? 0);
      });
      if (until > now) this.availability.set(id, 'rate_limit_exceeded', until, now);
      else this.availability.clear(id, 'rate_limit_exceeded', now);
    });
  }

  /** Stops the refresh timer, sends what the store has not taken once more, and closes the store. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.sending;
    if (this.unsettled.length > 0) await this.sendUnsettled();
    if (this.unsettled.length > 0) {
      this.metrics.settle_lost_total += this.unsettled.length;
      logError(this.logger, { count: this.unsettled.length, ids: this.unsettled.slice(0, 20).map((u) => u.id) }, 'closing with settlements the counter store never took: their spend is not counted');
      this.unsettled.length = 0;
    }
    await this.store.close();
  }

  /** Settlements waiting for the store to take them. */
  get pendingSettlements(): number {
    return this.unsettled.length;
  }

  /**
   * A settlement the store did not take (Redis down or late; the fail_closed store throws):
   * kept and sent again, with backoff, until it is taken. The Redis store charges an id
   * once, so one that did run before its reply was lost is not counted twice.
   */
  private settleLater(req: SettleRequest, err: unknown): void {
    if (this.unsettled.length >= MAX_UNSETTLED) {
      this.metrics.settle_lost_total++;
      logError(this.logger, { err, id: req.id }, 'settlement lost: too many are waiting for the counter store');
      return;
    }
    if (this.unsettled.length === 0) this.logger?.warn({ err, id: req.id }, 'the counter store did not take a settlement: it is kept and sent again until it does');
    this.unsettled.push(req);
    this.metrics.settle_deferred_total++;
    if (this.sending === null) this.retryLater();
  }

  private retryLater(): void {
    if (this.retryTimer !== null || this.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.sendUnsettled();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  /** Sends the waiting settlements in order, one send at a time; after a failure, again later (unless closing). */
  private sendUnsettled(): Promise<void> {
    this.sending ??= this.sendAll().finally(() => {
      this.sending = null;
      if (this.unsettled.length > 0) this.retryLater();
    });
    return this.sending;
  }

  private async sendAll(): Promise<void> {
    try {
      while (this.unsettled.length > 0) {
        await this.store.settle(this.unsettled[0]);
        this.unsettled.shift();
      }
      this.retryMs = this.firstRetryMs;
      this.logger?.warn({}, 'the counter store took every settlement kept for it');
    } catch {
      this.retryMs = Math.min(this.retryMs * 2, SETTLE_RETRY_MAX_MS);
    }
  }

  /**
   * Settlement (with an outcome) or release (null) of an Admission, and of the hold it
   * took on a fallback's provider: the hold settles that provider's part when it served
   * (its budgets charged, its windows corrected), and is released otherwise.
   */
  private readonly finish = (record: AdmissionRecord, outcome: { usage: Usage; served: Target } | null, held: AdmissionRecord | null): Promise<{ costUsd: number }> => {
    let cost = 0;
    let tokens = 0;
    if (outcome) {
      // At the prices the request was admitted under, whatever a reload has set since.
      const price = this.priceOf(record.prices, outcome.served, null);
      cost = price ? Math.round(costNano(price, outcome.usage)) : 0;
      tokens = outcome.usage.inputTokens + outcome.usage.outputTokens;
    }
    const now = this.clock();
    if (held === null) return this.closeLease(record, outcome, cost, tokens, false, now);
    const there = outcome !== null && outcome.served.provider === held.plan.provider;
    return Promise.all([this.closeLease(record, outcome, cost, tokens, there, now), this.closeLease(held, there ? outcome : null, cost, tokens, false, now)]).then(([own]) => own);
  };

  /**
   * One lease's settlement in the store. `heldElsewhere`: the served provider's part
   * belongs to a hold, settled on its own.
   */
  private async closeLease(record: AdmissionRecord, outcome: { usage: Usage; served: Target } | null, cost: number, tokens: number, heldElsewhere: boolean, now: number): Promise<{ costUsd: number }> {
    const { plan } = record;
    // Settled or released here: no longer renewed (a settlement the store misses is sent again, and closes the lease then).
    this.open.delete(record.id);
    const served = outcome?.served;
    const servedRefs = served && !heldElsewhere ? (this.providers.get(served.provider) ?? NO_PROVIDER) : NO_PROVIDER;
    const samePlace = served?.provider === plan.provider;
    const charges: ChargeLine[] = [];
    const adjusts: AdjustLine[] = [];
    if (outcome) {
      for (let i = 0; i < plan.principalBudgets; i++) charges.push(plan.budgets[i].charge(now, cost));
      for (const b of servedRefs.budgets) charges.push(b.charge(now, cost));
    }
    plan.windows.forEach((w, i) => {
      if (w.kind !== 'tokens') return;
      const counts = outcome !== null && (i < plan.principalWindows || samePlace);
      const delta = (counts ? tokens : 0) - record.taken[i];
      if (delta !== 0) adjusts.push({ key: w.key, emission: w.emission, delta });
    });
    if (outcome && !samePlace) {
      // A fallback served elsewhere, with no hold there: that provider's windows count the request it served.
      for (const w of servedRefs.windows) adjusts.push({ key: w.key, emission: w.emission, delta: w.kind === 'requests' ? 1 : tokens });
    }

    if (record.leased || charges.length > 0 || adjusts.length > 0) {
      const settle: SettleRequest = { id: (record.id ||= randomUUID()), now, charges, adjusts };
      let r;
      try {
        r = await this.store.settle(settle);
      } catch (err) {
        // The request was served: its spend is owed whatever the store says now.
        this.settleLater(settle, err);
        return { costUsd: cost / NANO_PER_USD };
      }
      if (outcome) {
        record.states = r.budgets.slice(0, plan.principalBudgets);
        if (served) this.noteProviderBudgets(served.provider, servedRefs.budgets, r.budgets.slice(plan.principalBudgets), now);
      } else {
        // Released: the principal's reservations are gone from the states we report.
        record.states = record.states.map((s) => ({ ...s, reserved: Math.max(0, s.reserved - record.reservedNano) }));
      }
    }
    return { costUsd: cost / NANO_PER_USD };
  }

  private chainOf(p: Principal): Chain {
    return this.boundOf(p).chain;
  }

  private boundOf(p: Principal): Bound {
    const bound = this.bound.get(p);
    if (bound !== undefined) return bound;
    // A principal not built here (a test's): the running set's, by its ids.
    const policy = this.policy;
    const d = policy.directory;
    const chain = p.virtualKey !== null ? d.byKey.get(p.virtualKey)
      : p.team !== null ? d.byTeam.get(p.team)
      : p.customer !== null ? d.byCustomer.get(p.customer)
      : d.anonymous;
    if (!chain) throw new SwitchyardError('SY_ERR_UNAUTHORIZED', 'Unknown principal');
    return { chain, policy };
  }

  private planFor(chain: Chain, provider: string): Plan {
    let byProvider = this.plans.get(chain);
    if (!byProvider) this.plans.set(chain, (byProvider = new Map()));
    const known = this.providers.get(provider);
    const cacheKey = known ? provider : '';
    let plan = byProvider.get(cacheKey);
    if (!plan) {
      const refs = known ?? NO_PROVIDER;
      plan = {
        provider: cacheKey,
        budgets: [...chain.budgets, ...refs.budgets],
        principalBudgets: chain.budgets.length,
        providerBudgets: refs.budgets,
        windows: [...chain.windows, ...refs.windows],
        principalWindows: chain.windows.length,
        slots: [...chain.slots, ...refs.slots],
      };
      byProvider.set(cacheKey, plan);
    }
    // The cached plan of an unlisted provider is shared; give this one its real name.
    return known ? plan : { ...plan, provider };
  }

  /** `block`: whether an unpriced model is refused (admitting), or null when settling. */
  private priceOf(prices: PriceTable, target: Target, block: boolean | null): TokenPrice | null {
    const price = prices.lookup(target.model, target.provider);
    if (price) return price;
    const admitting = block !== null;
    // Counted once per request: when refused for it, or when settled at $0.
    if (!admitting || block) this.metrics.unknown_price_total++;
    if (block === true) {
      throw new SwitchyardError('SY_ERR_MODEL_NOT_ALLOWED', `No price is known for model "${target.model}" and governance.unknown_price is block`, {
        details: { reason: 'unknown_price', provider: target.provider, model: target.model },
      });
    }
    const name = `${target.provider}/${target.model}`;
    if (!this.warnedModels.has(name) && this.warnedModels.size < 1000) {
      this.warnedModels.add(name);
      this.logger?.warn({ provider: target.provider, model: target.model }, 'no price for this model: its usage is charged $0 (set governance.pricing)');
    }
    return null;
  }

  private refusal(plan: Plan, r: Refusal, amount: number, now: number): SwitchyardError {
    if (r.kind === 'budget') {
      this.metrics.budget_exceeded_total++;
      const b = plan.budgets[r.index];
      if (b.level === 'provider') this.availability.set(b.id, 'budget_exceeded', r.state.end || b.window(now).end, now);
    } else {
      this.metrics.rate_limited_total++;
      const w = r.kind === 'window' ? plan.windows[r.index] : null;
      if (r.kind === 'window' && w?.level === 'provider') this.availability.set(w.id, 'rate_limit_exceeded', now + r.retryAfterMs, now);
    }
    const err = refusalError(plan, r, amount, now);
    // The caller's limits as they stand (nothing taken), for its 429's rate-limit headers.
    if (plan.principalWindows > 0) err.limits = new WindowsSeen(plan.windows, plan.principalWindows, r.windows);
    return err;
  }

  /** Marks or clears a provider from the full set of its budgets' states; true when exhausted. */
  private noteProviderBudgets(provider: string, budgets: readonly BudgetRef[], states: readonly BudgetState[], now: number): boolean {
    if (budgets.length === 0) return false;
    let until = 0;
    budgets.forEach((b, i) => {
      const s = states[i];
      if (b.block && s.spent + s.reserved >= b.limitNano) until = Math.max(until, s.end || b.window(now).end);
    });
    if (until > now) this.availability.set(provider, 'budget_exceeded', until, now);
    else this.availability.clear(provider, 'budget_exceeded', now);
    return until > now;
  }
}

/**
 * What a request reserves on its budgets: its input estimate and output cap at `price` (at
 * the rates of the tier it asked for, where the price lists one), at most MAX_RESERVATION_NANO.
 */
function reservation(price: TokenPrice, inputTokens: number, outputTokens: number, serviceTier: string | undefined): number {
  return Math.min(MAX_RESERVATION_NANO, Math.ceil(costNano(price, { inputTokens, outputTokens, serviceTier })));
}

function deniedBy(chain: Chain, provider: string, model: string): Chain['scopes'][number] | null {
  return refusingScope(chain.scopes, provider, model);
}
