/**
 * Replay: a recorded event's inputs fed back to a router, and the outcome compared with
 * the recorded decision field by field. The routing context is rebuilt exactly (`now`
 * from its ISO string, numbers as the numbers JSON kept), so the same rules give the
 * same decision, including the weighted choice (the draw) and skipped targets.
 */
import type { Decision, DecideOptions, RoutingContext } from '../decision.js';
import type { FallbackReason } from '../errors.js';
import type { AuditEventV1, DecisionInputs, DecisionRecord, Revision } from '../types/audit-event.js';

/** The router surface replay needs (src/rules Router). */
export interface DecidingRouter {
  decide(ctx: RoutingContext, opts?: DecideOptions): Decision;
}

/** The context and options a recorded decision was made with. */
export function replayInputs(inputs: DecisionInputs): { ctx: RoutingContext; opts: DecideOptions } {
  const ctx: RoutingContext = {
    headers: { ...inputs.headers },
    tier: inputs.tier,
    team: inputs.team,
    customer: inputs.customer,
    virtual_key: inputs.virtual_key,
    model: inputs.model,
    provider: inputs.provider,
    endpoint: inputs.endpoint as RoutingContext['endpoint'],
    stream: inputs.stream,
    params: { ...inputs.params },
    budget_used: inputs.budget_used,
    tokens_used: inputs.tokens_used,
    requests_used: inputs.requests_used,
    now: new Date(inputs.now),
  };
  const opts: DecideOptions = { draw: inputs.draw };
  if (inputs.unavailable?.length) {
    // `provider:reason` or `provider#key:reason`: reasons hold no colon, so split at the last one.
    opts.unavailable = new Map(inputs.unavailable.map((entry) => {
      const at = entry.lastIndexOf(':');
      return at < 0 ? [entry, 'cooldown'] : [entry.slice(0, at), entry.slice(at + 1) as FallbackReason];
    }));
  }
  return { ctx, opts };
}

/** The decision fields replay compares (`cached` says how, not what, so it is left out). */
export const COMPARED_FIELDS = [
  'via', 'rule_id', 'priority', 'scope', 'targets', 'selected', 'fallbacks', 'fallback_on', 'shadow_matches', 'errors', 'reason', 'panic',
] as const satisfies readonly (keyof DecisionRecord)[];

export interface FieldDifference {
  /** Path such as `selected.provider` or `targets[1].weight`. */
  field: string;
  recorded: unknown;
  replayed: unknown;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaf-level differences; an absent optional field equals null. */
function diffValues(path: string, a: unknown, b: unknown, out: FieldDifference[]): void {
  const x = a ?? null;
  const y = b ?? null;
  if (Array.isArray(x) && Array.isArray(y)) {
    for (let i = 0; i < Math.max(x.length, y.length); i++) diffValues(`${path}[${i}]`, x[i], y[i], out);
  } else if (isPlain(x) && isPlain(y)) {
    for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) diffValues(`${path}.${k}`, x[k], y[k], out);
  } else if (!Object.is(x, y)) {
    out.push({ field: path, recorded: x, replayed: y });
  }
}

export function compareDecisions(recorded: DecisionRecord, replayed: DecisionRecord): FieldDifference[] {
  const out: FieldDifference[] = [];
  for (const f of COMPARED_FIELDS) diffValues(f, recorded[f], replayed[f], out);
  return out;
}

/** One decision field that differs, with its whole recorded and replayed values. */
export interface FieldChange {
  field: string;
  recorded: unknown;
  replayed: unknown;
}

/** The decision fields (or `inputs.*` leaves) that `differences` touch, in COMPARED_FIELDS order. */
export function fieldChanges(recorded: DecisionRecord, replayed: DecisionRecord, differences: readonly FieldDifference[]): FieldChange[] {
  const touched = new Set(differences.map((d) => /^[a-z_]+/.exec(d.field)?.[0]));
  const out: FieldChange[] = COMPARED_FIELDS.filter((f) => touched.has(f)).map((f) => ({ field: f, recorded: recorded[f] ?? null, replayed: replayed[f] ?? null }));
  for (const d of differences) if (d.field.startsWith('inputs')) out.push({ ...d });
  return out;
}

export interface ReplayResult {
  decision_id: string;
  identical: boolean;
  /** Every differing leaf, by path: decision fields, then any `inputs.*` the rebuilt context failed to reproduce. */
  differences: FieldDifference[];
  /** The same differences by decision field, with whole values. */
  changes: FieldChange[];
  recorded: DecisionRecord;
  replayed: DecisionRecord;
  recorded_revision: Revision;
  replayed_revision: Revision;
}

/**
 * Re-decides one recorded event.
 * @example const r = replayEvent(createRouter(bundle), event); if (!r.identical) console.log(r.differences);
 */
export function replayEvent(router: DecidingRouter, event: AuditEventV1): ReplayResult {
  const { ctx, opts } = replayInputs(event.inputs);
  const { inputs, revision, cached: _cached, ...replayed } = router.decide(ctx, opts);
  const differences = compareDecisions(event.decision, replayed);
  // A guard on the rebuild itself: what the router saw must be what was recorded (skips may differ under other rules).
  const { unavailable: _u1, ...recordedInputs } = event.inputs;
  const { unavailable: _u2, ...replayedInputs } = inputs;
  diffValues('inputs', recordedInputs, replayedInputs, differences);
  return {
    decision_id: event.decision_id,
    identical: differences.length === 0,
    differences,
    changes: fieldChanges(event.decision, replayed, differences),
    recorded: event.decision,
    replayed,
    recorded_revision: event.config_revision,
    replayed_revision: revision,
  };
}
