/**
 * Builds the one AuditEventV1 a request produces, from the router's Decision and what
 * dispatch observed. The event never holds a credential: credential headers are
 * dropped, `audit.mask` pointers are applied, prompts are kept only with
 * `audit.store_prompts`, and known secret values (provider keys) are redacted anywhere.
 */
import type { Decision } from '../decision.js';
import type { AuditConfig } from '../types/gateway-config.js';
import type {
  Attempt, AuditEventV1, DecisionInputs, DecisionRecord, Outcome, Principal, RequestSummary,
} from '../types/audit-event.js';
import { stripCredentialHeaders } from './headers.js';
import { applyMask, compileMask, secretRedactor, type CompiledPointer, type SecretRedactor } from './mask.js';
import { storedEvent, type StoredEvent } from './stored.js';
import { isoString } from '../rules/timestamp.js';

export interface AuditEventInput {
  decisionId: string;
  requestId: string;
  /** When the request was received. */
  ts: Date | string;
  decision: Decision;
  principal: Principal;
  /** `headers` may be the raw request headers: credentials are removed here. */
  request: RequestSummary;
  attempts: readonly Attempt[];
  outcome: Outcome;
}

/** How events are scrubbed; compiled once from the audit config. */
export interface EventPolicy {
  readonly mask: readonly CompiledPointer[];
  readonly storePrompts: boolean;
  readonly redact?: SecretRedactor;
}

/**
 * Compiles the scrubbing policy. Throws when a mask pointer cannot apply to the event.
 * @example eventPolicy(config.audit, { secrets: providerKeyValues })
 */
export function eventPolicy(config: Pick<AuditConfig, 'mask' | 'store_prompts'> = {}, opts: { secrets?: Iterable<string> } = {}): EventPolicy {
  return {
    mask: compileMask(config.mask ?? []),
    storePrompts: config.store_prompts ?? false,
    redact: secretRedactor(opts.secrets ?? []),
  };
}

const DEFAULT_POLICY: EventPolicy = { mask: [], storePrompts: false };

const RECORD_KEYS = [
  'via', 'rule_id', 'priority', 'scope', 'targets', 'selected', 'fallbacks', 'fallback_on',
  'shadow_matches', 'errors', 'reason', 'cached', 'panic',
] as const satisfies readonly (keyof DecisionRecord)[];

/** Copies the keys whose value is defined: the schema has no `undefined`. */
function defined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const k in value) {
    const v = value[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}

function decisionRecord(d: Decision): DecisionRecord {
  const out: Record<string, unknown> = {};
  for (const k of RECORD_KEYS) if (d[k] !== undefined) out[k] = d[k];
  return out as unknown as DecisionRecord;
}

function inputsOf(d: Decision): DecisionInputs {
  const out = defined(d.inputs);
  out.headers = stripCredentialHeaders(d.inputs.headers);
  return out;
}

function requestOf(r: RequestSummary, storePrompts: boolean): RequestSummary {
  return defined({
    endpoint: r.endpoint,
    dialect: r.dialect,
    model: r.model,
    stream: r.stream,
    headers: r.headers && stripCredentialHeaders(r.headers),
    params: r.params,
    body: storePrompts ? r.body : undefined,
  });
}

/**
 * The audit event for one request.
 * @example const event = buildAuditEvent({ decisionId, requestId, ts, decision, principal, request, attempts, outcome }, log.policy)
 */
export function buildAuditEvent(input: AuditEventInput, policy: EventPolicy = DEFAULT_POLICY): AuditEventV1 {
  return finish(assemble(input, policy), policy).event;
}

/**
 * The audit event for one request, in the form sinks store: serialized once, here, after
 * its response is sent (a whole batch serialized at flush time would stall the event
 * loop), and the event object itself not kept.
 */
export function buildStoredEvent(input: AuditEventInput, policy: EventPolicy = DEFAULT_POLICY): StoredEvent {
  if (policy.mask.length === 0) {
    // The common case: the text is written straight from the request's own objects. The
    // time is formatted as the decision's `inputs.now` is (toISOString's text, at a third
    // of its cost), and its milliseconds are not parsed back from that text.
    const ts = typeof input.ts === 'string' ? input.ts : isoString(input.ts);
    const json = JSON.stringify(eventShape(input, ts, policy.storePrompts));
    if (!policy.redact?.mayContain(json)) {
      return storedEvent({
        decision_id: input.decisionId, request_id: input.requestId, ts, decision: input.decision,
        principal: input.principal, attempts: input.attempts, outcome: input.outcome,
      }, json, typeof input.ts === 'string' ? undefined : input.ts.getTime());
    }
  }
  const { event, json } = finish(assemble(input, policy), policy);
  return storedEvent(event, json);
}

/** The stored form of an event built elsewhere, with this policy's secrets redacted from it. */
export function storeEvent(event: AuditEventV1, policy: EventPolicy = DEFAULT_POLICY): StoredEvent {
  const { event: clean, json } = finish(event, policy);
  return storedEvent(clean, json);
}

/**
 * What JSON.stringify(assemble(input)) reads, without assemble's copies: the request's own
 * objects where the event holds them unchanged. JSON.stringify leaves out undefined
 * values just as `defined` does, so the text is the same, byte for byte. One
 * JSON.stringify call over the whole object: per-field calls cost more than they save.
 */
function eventShape(input: AuditEventInput, ts: string, storePrompts: boolean): object {
  const d = input.decision;
  const r = input.request;
  const inHeaders = stripCredentialHeaders(d.inputs.headers);
  return {
    version: 1,
    decision_id: input.decisionId,
    request_id: input.requestId,
    ts,
    config_revision: d.revision,
    principal: input.principal,
    request: {
      endpoint: r.endpoint, dialect: r.dialect, model: r.model, stream: r.stream,
      headers: r.headers && stripCredentialHeaders(r.headers), params: r.params, body: storePrompts ? r.body : undefined,
    },
    inputs: inHeaders === d.inputs.headers ? d.inputs : { ...d.inputs, headers: inHeaders },
    decision: {
      via: d.via, rule_id: d.rule_id, priority: d.priority, scope: d.scope, targets: d.targets, selected: d.selected,
      fallbacks: d.fallbacks, fallback_on: d.fallback_on, shadow_matches: d.shadow_matches, errors: d.errors,
      reason: d.reason, cached: d.cached, panic: d.panic,
    } satisfies Record<(typeof RECORD_KEYS)[number], unknown>,
    attempts: input.attempts,
    outcome: input.outcome,
  };
}

function assemble(input: AuditEventInput, policy: EventPolicy): AuditEventV1 {
  const { decision } = input;
  const event: AuditEventV1 = {
    version: 1,
    decision_id: input.decisionId,
    request_id: input.requestId,
    ts: typeof input.ts === 'string' ? input.ts : input.ts.toISOString(),
    config_revision: defined(decision.revision),
    principal: { ...input.principal },
    request: requestOf(input.request, policy.storePrompts),
    inputs: inputsOf(decision),
    decision: decisionRecord(decision),
    attempts: input.attempts.map(defined),
    outcome: defined(input.outcome),
  };
  return policy.mask.length ? applyMask(event, policy.mask) : event;
}

/**
 * Serializes the event and redacts known secrets. The JSON text is what gets scanned for
 * them; the event is walked (and serialized again) only on a hit.
 */
function finish(event: AuditEventV1, policy: EventPolicy): { event: AuditEventV1; json: string } {
  const json = JSON.stringify(event);
  if (!policy.redact?.mayContain(json)) return { event, json };
  const clean = policy.redact(event) as AuditEventV1;
  return { event: clean, json: JSON.stringify(clean) };
}
