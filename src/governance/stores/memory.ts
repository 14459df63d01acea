/**
 * In-process counter store: the default, and the local fallback when Redis is down
 * under `on_unavailable: fail_open`. Every operation runs synchronously inside one
 * call, so it is atomic with respect to concurrent requests of this process.
 */
import {
  EMPTY_BUDGET,
  type AdmitRequest, type AdmitResult, type BudgetState, type CounterStore,
  type PeekRequest, type PeekResult, type RenewRequest, type SettleRequest, type SettleResult,
} from '../store.js';

interface Counter {
  start: number;
  end: number;
  spent: number;
  reserved: number;
}

interface Lease {
  expiry: number;
  budgets: { key: string; start: number; amount: number }[];
  slots: string[];
}

export class MemoryStore implements CounterStore {
  private readonly budgets = new Map<string, Counter>();
  /** GCRA theoretical arrival time per window key. */
  private readonly windows = new Map<string, number>();
  /** Lease id → expiry, per slot key. */
  private readonly slots = new Map<string, Map<string, number>>();
  /** In expiry order: created, or renewed (moved to the end), with the same leaseMs. */
  private readonly leases = new Map<string, Lease>();

  admit(req: AdmitRequest): Promise<AdmitResult> {
    return Promise.resolve(this.admitNow(req));
  }

  settle(req: SettleRequest): Promise<SettleResult> {
    return Promise.resolve(this.settleNow(req));
  }

  peek(req: PeekRequest): Promise<PeekResult> {
    const { now } = req;
    return Promise.resolve({
      budgets: req.budgets.map((k) => state(this.current(k, now))),
      windows: req.windows.map((k) => Math.max(this.windows.get(k) ?? now, now)),
      slots: req.slots.map((k) => this.openSlots(k, now)),
    });
  }

  renew(req: RenewRequest): Promise<void> {
    const expiry = req.now + req.leaseMs;
    for (const id of req.ids) {
      const lease = this.leases.get(id);
      if (!lease || lease.expiry <= req.now) continue;
      lease.expiry = expiry;
      // Last to expire now: moved to the end, which keeps the map in expiry order.
      this.leases.delete(id);
      this.leases.set(id, lease);
      for (const key of lease.slots) this.slots.get(key)?.set(id, expiry);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private admitNow(req: AdmitRequest): AdmitResult {
    const { now } = req;
    this.expireLeases(now);

    // Each window as it stands, and after this request's units: a refusal reports the first.
    const before: number[] = [];
    const tats: number[] = [];
    let full = -1;
    let retryAfterMs = 0;
    for (let i = 0; i < req.windows.length; i++) {
      const w = req.windows[i];
      const was = Math.max(this.windows.get(w.key) ?? now, now);
      const tat = was + w.cost * w.emission;
      if (full < 0 && tat - now > w.burst) {
        full = i;
        retryAfterMs = Math.ceil(tat - w.burst - now);
      }
      before.push(was);
      tats.push(tat);
    }
    for (let i = 0; i < req.slots.length; i++) {
      const s = req.slots[i];
      if (this.openSlots(s.key, now) >= s.limit) return { ok: false, kind: 'slot', index: i, windows: before };
    }
    if (full >= 0) return { ok: false, kind: 'window', index: full, retryAfterMs, windows: before };
    for (let i = 0; i < req.budgets.length; i++) {
      const b = req.budgets[i];
      const c = this.current(b.key, now);
      if (b.block && (c?.spent ?? 0) + (c?.reserved ?? 0) + b.amount > b.limit) {
        return { ok: false, kind: 'budget', index: i, state: state(c), windows: before };
      }
    }

    const lease: Lease = { expiry: now + req.leaseMs, budgets: [], slots: [] };
    const after: BudgetState[] = [];
    for (const b of req.budgets) {
      const c = this.open(b.key, b.start, b.end, now);
      c.reserved += b.amount;
      lease.budgets.push({ key: b.key, start: c.start, amount: b.amount });
      after.push(state(c));
    }
    for (let i = 0; i < req.windows.length; i++) this.windows.set(req.windows[i].key, tats[i]);
    for (const s of req.slots) {
      let open = this.slots.get(s.key);
      if (!open) this.slots.set(s.key, (open = new Map()));
      open.set(req.id, lease.expiry);
      lease.slots.push(s.key);
    }
    this.leases.set(req.id, lease);
    return { ok: true, budgets: after, windows: tats };
  }

  private settleNow(req: SettleRequest): SettleResult {
    const { now } = req;
    const lease = this.leases.get(req.id);
    if (lease) this.returnLease(req.id, lease);
    this.expireLeases(now);

    const budgets = req.charges.map((ch) => {
      const open = this.current(ch.key, now);
      // Spent before the open window started (sent late): it belongs to one that has ended.
      if (open && now < open.start) return state(open);
      const c = this.open(ch.key, ch.start, ch.end, now);
      c.spent += ch.amount;
      return state(c);
    });
    for (const a of req.adjusts) {
      const tat = Math.max(this.windows.get(a.key) ?? now, now) + a.delta * a.emission;
      this.windows.set(a.key, Math.max(tat, now));
    }
    return { budgets };
  }

  private expireLeases(now: number): void {
    for (const [id, lease] of this.leases) {
      if (lease.expiry > now) break;
      this.returnLease(id, lease);
    }
  }

  private returnLease(id: string, lease: Lease): void {
    this.leases.delete(id);
    for (const b of lease.budgets) {
      const c = this.budgets.get(b.key);
      // A reservation belongs to the window it was made in; a newer window never owed it.
      if (c && c.start === b.start) c.reserved -= b.amount;
    }
    for (const key of lease.slots) this.slots.get(key)?.delete(id);
  }

  private current(key: string, now: number): Counter | undefined {
    const c = this.budgets.get(key);
    return c && now < c.end ? c : undefined;
  }

  private open(key: string, start: number, end: number, now: number): Counter {
    let c = this.current(key, now);
    if (!c) {
      c = { start, end, spent: 0, reserved: 0 };
      this.budgets.set(key, c);
    }
    return c;
  }

  private openSlots(key: string, now: number): number {
    const open = this.slots.get(key);
    if (!open) return 0;
    for (const [id, expiry] of open) if (expiry <= now) open.delete(id);
    return open.size;
  }
}

function state(c: Counter | undefined): BudgetState {
  return c ? { spent: c.spent, reserved: c.reserved, end: c.end } : { ...EMPTY_BUDGET };
}
