/**
 * The one audit filter shared by `switchyard audit`, GET /admin/audit and diff, and its
 * parsing from string parameters (flags or a querystring).
 */
import { FALLBACK_REASONS } from '../errors.js';
import type { DecisionRecord } from '../types/audit-event.js';
import { durationBefore } from './duration.js';
import { badParam } from './errors.js';

export type Via = DecisionRecord['via'];
export const VIAS: readonly Via[] = ['rule', 'balance', 'pinned', 'none'];

/** An exact HTTP status, or a class such as `5xx`. */
export type StatusFilter = number | `${1 | 2 | 3 | 4 | 5}xx`;

/**
 * Which events to return. `provider`/`model` match where the request went: the served
 * target, else the selected one. `from` is inclusive, `to` exclusive.
 */
export interface AuditFilter {
  from?: Date;
  to?: Date;
  rule_id?: string;
  via?: Via;
  provider?: string;
  model?: string;
  customer?: string;
  team?: string;
  virtual_key?: string;
  status?: StatusFilter;
  /** Events with at least one attempt that ended with this reason. */
  fallback_reason?: string;
  decision_id?: string;
  request_id?: string;
  /** Events with an attempt the provider gave this id (its request-id, x-request-id or apim-request-id header). */
  upstream_request_id?: string;
  /** Page size, 1..1000 (default 50). */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

export const SUMMARY_KINDS = ['rules', 'fallbacks', 'spend'] as const;
export type SummaryKind = (typeof SUMMARY_KINDS)[number];

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

/** The string parameters parseAuditFilter understands (`since`/`until` are aliases of from/to; `rule` of rule_id). */
export const FILTER_PARAMS = [
  'from', 'to', 'since', 'until', 'rule', 'rule_id', 'via', 'provider', 'model', 'customer', 'team',
  'virtual_key', 'status', 'fallback_reason', 'decision_id', 'request_id', 'upstream_request_id', 'limit', 'cursor',
] as const;
export type FilterParams = Partial<Record<(typeof FILTER_PARAMS)[number], string>>;

const TEXT_FIELDS = ['provider', 'model', 'customer', 'team', 'virtual_key', 'decision_id', 'request_id', 'upstream_request_id', 'cursor'] as const;

/** A date, or a date and time (`T` or a space between) with an optional offset. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/**
 * An ISO date-time, or a duration (`1h`, `7d`) meaning that long before `now`. A time
 * without an offset is UTC, as a date alone is and as every time the audit commands
 * print is: not the time zone of whichever process parses it (the CLI's, the server's).
 */
function instant(param: string, text: string, now: Date): Date {
  const bad = () => badParam(param, `\`${param}\` must be an ISO date-time or a duration like 1h or 7d, got ${JSON.stringify(text)}`);
  const rel = durationBefore(now, text);
  if (rel) {
    if (Number.isNaN(rel.getTime())) throw badParam(param, `\`${param}\` ${JSON.stringify(text)} reaches back before any date: give a shorter duration or a date`);
    return rel;
  }
  const m = ISO_INSTANT.exec(text);
  if (!m) throw bad();
  const [, y, mo, day, time, zone] = m;
  // Date parses 2026-02-30 as March 2: a day the month does not have is a mistake, not a date.
  if (Number(mo) < 1 || Number(mo) > 12 || Number(day) < 1 || Number(day) > new Date(Date.UTC(Number(y), Number(mo), 0)).getUTCDate()) throw bad();
  const d = new Date(time === undefined ? `${y}-${mo}-${day}` : `${y}-${mo}-${day}T${time}${zone ?? 'Z'}`);
  if (Number.isNaN(d.getTime())) throw bad();
  return d;
}

function status(text: string): StatusFilter {
  if (/^[1-5]xx$/.test(text)) return text as StatusFilter;
  const n = Number(text);
  if (!/^[1-5][0-9][0-9]$/.test(text) || !Number.isInteger(n)) {
    throw badParam('status', `\`status\` must be an HTTP status like 429 or a class like 5xx, got ${JSON.stringify(text)}`);
  }
  return n;
}

/**
 * Builds a filter from string parameters; every problem is a SY_ERR_BAD_REQUEST naming the parameter.
 * @example parseAuditFilter({ since: '1h', rule: 'premium-tier', status: '5xx' }, new Date())
 */
export function parseAuditFilter(params: FilterParams, now: Date): AuditFilter {
  const f: AuditFilter = {};
  const from = params.from ?? params.since;
  const to = params.to ?? params.until;
  if (params.from !== undefined && params.since !== undefined) throw badParam('since', '`since` and `from` are the same filter: give one');
  if (params.to !== undefined && params.until !== undefined) throw badParam('until', '`until` and `to` are the same filter: give one');
  if (from !== undefined) f.from = instant(params.from !== undefined ? 'from' : 'since', from, now);
  if (to !== undefined) f.to = instant(params.to !== undefined ? 'to' : 'until', to, now);
  if (f.from && f.to && f.from.getTime() >= f.to.getTime()) {
    const [a, b] = [params.from !== undefined ? 'from' : 'since', params.to !== undefined ? 'to' : 'until'];
    throw badParam(b, `the time range is empty: \`${a}\` must be before \`${b}\``);
  }
  const rule = params.rule_id ?? params.rule;
  if (rule !== undefined) f.rule_id = nonEmpty(params.rule_id !== undefined ? 'rule_id' : 'rule', rule);
  if (params.via !== undefined) {
    if (!VIAS.includes(params.via as Via)) throw badParam('via', `\`via\` must be one of ${VIAS.join(', ')}, got ${JSON.stringify(params.via)}`);
    f.via = params.via as Via;
  }
  for (const k of TEXT_FIELDS) if (params[k] !== undefined) f[k] = nonEmpty(k, params[k]);
  if (params.status !== undefined) f.status = status(params.status);
  if (params.fallback_reason !== undefined) {
    if (!(FALLBACK_REASONS as readonly string[]).includes(params.fallback_reason)) {
      throw badParam('fallback_reason', `\`fallback_reason\` must be one of ${FALLBACK_REASONS.join(', ')}, got ${JSON.stringify(params.fallback_reason)}`);
    }
    f.fallback_reason = params.fallback_reason;
  }
  if (params.limit !== undefined) {
    const n = Number(params.limit);
    if (!/^[0-9]+$/.test(params.limit) || n < 1 || n > MAX_LIMIT) throw badParam('limit', `\`limit\` must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(params.limit)}`);
    f.limit = n;
  }
  return f;
}

function nonEmpty(param: string, v: string): string {
  if (v === '') throw badParam(param, `\`${param}\` must not be empty`);
  return v;
}
