/**
 * The decision audit log: one AuditEventV1 per request, written off the request path
 * to SQLite, PostgreSQL and/or NDJSON sinks, queryable, and replayable.
 *
 * @example
 * const audit = createAuditLog(loaded.config.audit, { logger, baseDir: loaded.dir, secrets: configSecrets(loaded.config) });
 * audit.record({ decisionId, requestId, ts, decision, principal, request, attempts, outcome });
 * app.get('/admin/audit', (req) => auditResponse(audit, req.query));
 * registerAuditMetrics(audit, registry);
 * process.on('SIGTERM', async () => { await app.close(); await audit.close(); });
 */
export { createAuditLog, effectiveSinks, sinkPlace, SINK_DEFAULTS, type AuditLog, type AuditLogOptions } from './log.js';
export { buildAuditEvent, buildStoredEvent, eventPolicy, storeEvent, type AuditEventInput, type EventPolicy } from './event.js';
export { storedEvent, type StoredEvent } from './stored.js';
export { isCredentialHeader, stripCredentialHeaders } from './headers.js';
export { maskIssues } from './mask.js';
export { configSecrets } from './secrets.js';
export { auditEventProblems, isAuditEvent } from './schema.js';
export { parseAuditFilter, SUMMARY_KINDS, type AuditFilter, type SummaryKind } from './filter.js';
export type { AuditPage, AuditReader, FallbackCount, RuleCount, Summaries, TeamSpend } from './query.js';
export { openAuditReader, storeSink } from './reader.js';
export { auditRequestFromQuery, auditResponse, type AuditRequest, type AuditResponse } from './http.js';
export { registerAuditMetrics } from './metrics.js';
export type { SinkStats } from './queue.js';
export type { AuditLogger, SinkDriver } from './sinks/types.js';
export { replayEvent, replayInputs, compareDecisions, type ReplayResult, type FieldDifference, type FieldChange } from './replay.js';
export { DiffCollector, type DiffReport, type DiffGroup } from './diff.js';
