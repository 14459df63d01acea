/**
 * The counter store behind budgets and rate limits. One small interface, two
 * implementations (stores/memory.ts, stores/redis.ts) that pass the same contract
 * suite (test/governance/store-contract.ts).
 *
 * Units: money in integer nano-USD (1e-9 USD) so sums are exact in doubles and
 * in Redis integers; time in epoch ms, always passed in by the caller (the store
 * never reads a clock, so fake clocks drive Redis too).
 *
 * Budget counters live in windows: a counter whose window has ended (now >= end)
 * reads as empty and is reopened with the caller's `start`/`end` on the next write. A
 * charge is spend of the window its `now` falls in: one made before the open window
 * started (a settlement sent late, after an outage) belongs to a window that has ended,
 * and is not added to the open one.
 *
 * Every admission records a lease (`id`) holding its reservations and concurrency
 * slots; settling removes it, and a lease not settled within `leaseMs` (a crashed
 * gateway) is returned by the store on a later call. A gateway renews the leases of the
 * requests it is still serving, so the lease can be short (a dead gateway's slots come
 * back soon) while a request may run for as long as its stream does.
 */

/** A budget to check and reserve on. */
export interface BudgetLine {
  key: string;
  /** Window to open if the stored one has ended. */
  start: number;
  end: number;
  /** nano-USD. */
  limit: number;
  /** nano-USD to reserve. */
  amount: number;
  /** false: reserve and count, never refuse (`on_exhausted: allow`). */
  block: boolean;
}

/**
 * A GCRA rate window: `burst` ms of tolerance, `emission` ms per unit, so
 * burst/emission units per burst window. The stored value is the theoretical
 * arrival time (TAT).
 */
export interface WindowLine {
  key: string;
  emission: number;
  burst: number;
  /** Units taken (1 per request, tokens for token windows). */
  cost: number;
}

/** A concurrency limit: at most `limit` open leases hold a slot under `key`. */
export interface SlotLine {
  key: string;
  limit: number;
}

export interface AdmitRequest {
  /** Lease id, unique per admission. */
  id: string;
  now: number;
  leaseMs: number;
  budgets: readonly BudgetLine[];
  windows: readonly WindowLine[];
  slots: readonly SlotLine[];
}

export interface BudgetState {
  /** nano-USD settled in the current window. */
  spent: number;
  /** nano-USD reserved by open leases in the current window. */
  reserved: number;
  /** End of the current window; 0 when no window is open. */
  end: number;
}

/**
 * All or nothing: either every line passed and everything was applied, or nothing
 * changed and the first failing line is named (slots, then windows, then budgets).
 * `windows` is the TAT of each window (never below `now`): after this admission's units
 * were taken, or, refused, as it stands (nothing taken). What the caller is told of its
 * rate limits is read from it, without another call.
 */
export type AdmitResult =
  | { ok: true; budgets: BudgetState[]; windows: number[] }
  | { ok: false; kind: 'budget'; index: number; state: BudgetState; windows: number[] }
  | { ok: false; kind: 'window'; index: number; retryAfterMs: number; windows: number[] }
  | { ok: false; kind: 'slot'; index: number; windows: number[] };

/** Spend to add (unconditionally) to a budget at settlement. */
export interface ChargeLine {
  key: string;
  start: number;
  end: number;
  amount: number;
}

/** A correction to a rate window: positive takes units, negative returns them. */
export interface AdjustLine {
  key: string;
  emission: number;
  delta: number;
}

export interface SettleRequest {
  /** The lease to close (its reservations and slots are returned); unknown ids are fine. */
  id: string;
  now: number;
  charges: readonly ChargeLine[];
  adjusts: readonly AdjustLine[];
}

export interface SettleResult {
  /** State of each charged budget after the charge. */
  budgets: BudgetState[];
}

/** Leases to keep open for `leaseMs` from `now`: the requests a gateway is still serving. */
export interface RenewRequest {
  ids: readonly string[];
  now: number;
  leaseMs: number;
}

export interface PeekRequest {
  now: number;
  budgets: readonly string[];
  windows: readonly string[];
  slots: readonly string[];
}

export interface PeekResult {
  budgets: BudgetState[];
  /** TAT per window, never below `now`. */
  windows: number[];
  /** Open leases per slot key. */
  slots: number[];
}

export interface CounterStore {
  admit(req: AdmitRequest): Promise<AdmitResult>;
  settle(req: SettleRequest): Promise<SettleResult>;
  peek(req: PeekRequest): Promise<PeekResult>;
  /** Extends each lease still open (neither settled nor expired) and its slots; other ids are ignored. */
  renew(req: RenewRequest): Promise<void>;
  close(): Promise<void>;
  /** Plain counters for /metrics (e.g. fail-open events), when the store has any. */
  readonly counters?: Readonly<Record<string, number>>;
}

export const EMPTY_BUDGET: Readonly<BudgetState> = Object.freeze({ spent: 0, reserved: 0, end: 0 });
