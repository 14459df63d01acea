/**
 * `switchyard diff`: recorded decisions replayed against a candidate rule set, the
 * changes grouped by old rule → new rule and old target → new target, with examples.
 * "Old" is the recorded decision, or, with a baseline rule set, the baseline's replay
 * of it: that isolates the candidate's effect from decisions made under other revisions.
 */
import type { AuditEventV1, DecisionRecord } from '../types/audit-event.js';
import { replayEvent, type DecidingRouter, type FieldChange } from './replay.js';

export interface DiffExample {
  decision_id: string;
  ts: string;
  team: string | null;
  model: string;
  changes: FieldChange[];
}

export interface DiffGroup {
  /** `rule_id`, or `(balance)`, `(pinned)`, `(none)` when no rule matched. */
  from_rule: string;
  to_rule: string;
  /** `provider/model`, or `(none)`. */
  from_target: string;
  to_target: string;
  count: number;
  /** Top-level decision fields that changed in this group. */
  fields: string[];
  examples: DiffExample[];
}

export interface DiffReport {
  total: number;
  changed: number;
  unchanged: number;
  /** Most changes first. */
  groups: DiffGroup[];
  /** Decisions the baseline rules do not reproduce (made under another revision); null without a baseline. */
  baseline_drift: number | null;
  /** How many of the replayed decisions each recorded revision (hash) made. */
  revisions: Record<string, number>;
  /** Oldest and newest decision replayed. */
  window: { from: string; to: string } | null;
}

export const EXAMPLES_PER_GROUP = 3;

const ruleOf = (d: DecisionRecord) => d.rule_id ?? `(${d.via})`;
const targetOf = (d: DecisionRecord) => (d.selected ? `${d.selected.provider}/${d.selected.model}` : '(none)');

/** Accumulates a diff report one event at a time (events may arrive page by page). */
export class DiffCollector {
  private total = 0;
  private drift = 0;
  private oldest: string | null = null;
  private newest: string | null = null;
  private groups = new Map<string, DiffGroup & { fieldSet: Set<string> }>();
  private revisions = new Map<string, number>();

  constructor(private readonly candidate: DecidingRouter, private readonly baseline?: DecidingRouter) {}

  add(event: AuditEventV1): void {
    this.total++;
    if (this.oldest === null || event.ts < this.oldest) this.oldest = event.ts;
    if (this.newest === null || event.ts > this.newest) this.newest = event.ts;
    this.revisions.set(event.config_revision.hash, (this.revisions.get(event.config_revision.hash) ?? 0) + 1);
    const base = this.baseline ? replayEvent(this.baseline, event) : undefined;
    if (base && !base.identical) this.drift++;
    const r = replayEvent(this.candidate, base ? { ...event, decision: base.replayed } : event);
    if (r.identical) return;
    const from = { rule: ruleOf(r.recorded), target: targetOf(r.recorded) };
    const to = { rule: ruleOf(r.replayed), target: targetOf(r.replayed) };
    const key = `${from.rule}\u0000${to.rule}\u0000${from.target}\u0000${to.target}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { from_rule: from.rule, to_rule: to.rule, from_target: from.target, to_target: to.target, count: 0, fields: [], examples: [], fieldSet: new Set() };
      this.groups.set(key, g);
    }
    g.count++;
    for (const c of r.changes) g.fieldSet.add(c.field);
    if (g.examples.length < EXAMPLES_PER_GROUP) {
      g.examples.push({ decision_id: event.decision_id, ts: event.ts, team: event.principal.team, model: event.request.model, changes: r.changes });
    }
  }

  report(): DiffReport {
    const groups = [...this.groups.values()]
      .map(({ fieldSet, ...g }) => ({ ...g, fields: [...fieldSet].sort() }))
      .sort((a, b) => b.count - a.count || a.from_rule.localeCompare(b.from_rule) || a.to_rule.localeCompare(b.to_rule));
    const changed = groups.reduce((n, g) => n + g.count, 0);
    return {
      total: this.total,
      changed,
      unchanged: this.total - changed,
      groups,
      baseline_drift: this.baseline ? this.drift : null,
      revisions: Object.fromEntries([...this.revisions].sort((a, b) => b[1] - a[1])),
      window: this.oldest && this.newest ? { from: this.oldest, to: this.newest } : null,
    };
  }
}
