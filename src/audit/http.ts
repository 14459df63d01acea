/**
 * GET /admin/audit: querystring → filter (or summary) → JSON body. Every problem with
 * the parameters is a SY_ERR_BAD_REQUEST naming the parameter.
 */
import { badParam } from './errors.js';
import { FILTER_PARAMS, SUMMARY_KINDS, parseAuditFilter, type AuditFilter, type FilterParams, type SummaryKind } from './filter.js';
import type { AuditLog } from './log.js';
import type { AuditPage, Summaries } from './query.js';

export interface AuditRequest {
  filter: AuditFilter;
  /** Set by `summary=rules|fallbacks|spend`: aggregates instead of events. */
  summary?: SummaryKind;
}

const KNOWN = new Set<string>([...FILTER_PARAMS, 'summary']);

/**
 * Validates a parsed querystring (fastify's `request.query`).
 * @example auditRequestFromQuery({ since: '24h', team: 'ml-research', fallback_reason: 'timeout', limit: '20' })
 */
export function auditRequestFromQuery(query: unknown, now: Date = new Date()): AuditRequest {
  const params: FilterParams = {};
  let summary: SummaryKind | undefined;
  for (const [name, value] of Object.entries(query && typeof query === 'object' ? query : {})) {
    if (!KNOWN.has(name)) throw badParam(name, `unknown audit parameter \`${name}\`; known: ${[...KNOWN].join(', ')}`);
    if (typeof value !== 'string') throw badParam(name, `\`${name}\` must be given once, as a string`);
    if (name === 'summary') {
      if (!(SUMMARY_KINDS as readonly string[]).includes(value)) throw badParam('summary', `\`summary\` must be one of ${SUMMARY_KINDS.join(', ')}, got ${JSON.stringify(value)}`);
      summary = value as SummaryKind;
    } else {
      params[name as keyof FilterParams] = value;
    }
  }
  return { filter: parseAuditFilter(params, now), summary };
}

export type AuditResponse = AuditPage | { summary: SummaryKind; rows: Summaries[SummaryKind] };

/**
 * The body of GET /admin/audit.
 * @example app.get('/admin/audit', (req) => auditResponse(audit, req.query));
 */
export async function auditResponse(log: Pick<AuditLog, 'query' | 'summary'>, query: unknown, now: Date = new Date()): Promise<AuditResponse> {
  const req = auditRequestFromQuery(query, now);
  if (req.summary) return { summary: req.summary, rows: await log.summary(req.summary, req.filter) };
  return log.query(req.filter);
}
