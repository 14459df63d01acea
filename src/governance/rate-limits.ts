/**
 * Rate limits as GCRA windows: `requests` (or `tokens`) per `per` means a burst of
 * that many at once, refilled evenly over `per`. One number per window in the store
 * (the theoretical arrival time), and an exact Retry-After.
 */
import type { RateLimit } from '../types/gateway-config.js';
import type { Level } from './budgets.js';
import { durationMs, parseDuration } from './periods.js';
import type { SlotLine, WindowLine } from './store.js';

export const DEFAULT_RATE_PER = '1m';

export class WindowRef {
  readonly key: string;
  readonly emission: number;
  readonly burst: number;

  constructor(readonly level: Level, readonly id: string, readonly kind: 'requests' | 'tokens', readonly limit: number, readonly per: string) {
    this.burst = durationMs(parseDuration(per));
    this.emission = this.burst / limit;
    this.key = `w:${level}:${encodeURIComponent(id)}:${kind === 'requests' ? 'r' : 't'}:${limit}/${per}`;
  }

  /**
   * A request larger than the whole window could never pass; it is charged the full
   * window instead (it waits for an empty window, and settlement books the rest).
   */
  line(cost: number): WindowLine {
    return { key: this.key, emission: this.emission, burst: this.burst, cost: Math.min(cost, this.limit) };
  }

  /** Percent (0–100) of the window in use, from its theoretical arrival time. */
  percentUsed(tat: number, now: number): number {
    return Math.min(100, Math.max(0, ((tat - now) / this.burst) * 100));
  }

  /**
   * Units a request could still take at `now` (a request of that cost is admitted, one
   * more is not), from the window's theoretical arrival time.
   */
  remaining(tat: number, now: number): number {
    // The epsilon absorbs the rounding of burst / limit (60000 / 7 ms per unit, say).
    const fits = Math.floor((this.burst - Math.max(0, tat - now)) / this.emission + 1e-9);
    return Math.min(this.limit, Math.max(0, fits));
  }

  /** Whether not even one more unit fits at `now`; and when it will. */
  fullUntil(tat: number, now: number): number | null {
    const next = tat + this.emission - this.burst;
    return next > now ? next : null;
  }

  describe(): string {
    return `${this.level} "${this.id}" allows ${this.limit} ${this.kind} per ${this.per}`;
  }
}

export class SlotRef {
  readonly key: string;

  constructor(readonly level: Level, readonly id: string, readonly limit: number) {
    this.key = `c:${level}:${encodeURIComponent(id)}`;
  }

  line(): SlotLine {
    return { key: this.key, limit: this.limit };
  }

  describe(): string {
    return `${this.level} "${this.id}" allows ${this.limit} requests in flight`;
  }
}

/** Where a caller stands against one window. */
export interface Standing {
  /** The window's `requests` or `tokens`. */
  limit: number;
  /** Units left now: the largest request it would still admit. */
  remaining: number;
  /** Epoch ms when the window is whole again (`limit` units), if nothing more is taken. */
  resetAt: number;
}

/** The tightest request window and the tightest token window of a caller; null where it has none. */
export interface RateStanding {
  requests: Standing | null;
  tokens: Standing | null;
}

/**
 * The caller's windows (the first `count` of `windows`: a plan's principal part) with their
 * TATs as the store reported them at admission: what the answer tells the caller, with no
 * read of the store of its own.
 */
export class WindowsSeen {
  constructor(private readonly windows: readonly WindowRef[], private readonly count: number, private readonly tats: readonly number[]) {}

  /**
   * At `now`, per kind, the window with the fewest units left: the one that refuses first.
   * Between two with as many left, the one whole again later. Null when there is none.
   */
  at(now: number): RateStanding | null {
    if (this.count === 0) return null;
    const out: RateStanding = { requests: null, tokens: null };
    for (let i = 0; i < this.count; i++) {
      const w = this.windows[i];
      const tat = Math.max(this.tats[i] ?? now, now);
      const s: Standing = { limit: w.limit, remaining: w.remaining(tat, now), resetAt: tat };
      const held = out[w.kind];
      if (held === null || s.remaining < held.remaining || (s.remaining === held.remaining && s.resetAt > held.resetAt)) out[w.kind] = s;
    }
    return out;
  }
}

export interface RateRefs {
  windows: WindowRef[];
  slots: SlotRef[];
}

export function rateRefs(level: Level, id: string, rl: Readonly<RateLimit> | undefined): RateRefs {
  const out: RateRefs = { windows: [], slots: [] };
  if (!rl) return out;
  const per = rl.per ?? DEFAULT_RATE_PER;
  if (rl.requests !== undefined) out.windows.push(new WindowRef(level, id, 'requests', rl.requests, per));
  if (rl.tokens !== undefined) out.windows.push(new WindowRef(level, id, 'tokens', rl.tokens, per));
  if (rl.concurrency !== undefined) out.slots.push(new SlotRef(level, id, rl.concurrency));
  return out;
}
