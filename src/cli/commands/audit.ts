/** `switchyard audit`: query the decision audit log, as a table, one decision in detail, a summary, or JSON. */
import { CONFIG_FILE_NAMES, loadConfig, resolveConfigPath, type LoadedConfig } from '../../config/index.js';
import { SwitchyardError } from '../../errors.js';
import { parseAuditFilter, SUMMARY_KINDS, type AuditFilter, type FilterParams, type SummaryKind } from '../../audit/filter.js';
import { formatEvents, formatEventDetail, formatSummary } from '../../audit/format.js';
import type { AuditReader } from '../../audit/query.js';
import { openAuditReader, storeSink } from '../../audit/reader.js';
import { UsageError, type FlagSpecs, type ParsedArgs } from '../args.js';
import { CONFIG_FLAG, EXIT, JSON_FLAG, type Command, type CommandIO } from '../command.js';
import { formatIssues } from '../report.js';

/** Where the audit commands read from. */
export const STORE_FLAGS = {
  db: { type: 'string', valueName: 'FILE|URL', description: 'Audit store: a SQLite file or a postgres:// URL (default: the first sqlite/postgres sink of the config)' },
  table: { type: 'string', valueName: 'NAME', description: 'Audit table (default: that of the config\'s sink, with --db of its first sink of that kind; else audit_events)' },
} as const satisfies FlagSpecs;

/** The audit filter as flags; `--virtual-key` is the filter's `virtual_key`, and so on. */
export const FILTER_FLAGS = {
  since: { type: 'string', valueName: 'WHEN', description: 'Only decisions at or after WHEN: a duration back from now (1h, 7d) or an ISO date-time (UTC unless it has an offset)' },
  until: { type: 'string', valueName: 'WHEN', description: 'Only decisions before WHEN (same forms as --since)' },
  rule: { type: 'string', valueName: 'ID', description: 'Decided by this rule' },
  via: { type: 'string', valueName: 'VIA', description: 'rule, balance, pinned or none' },
  provider: { type: 'string', valueName: 'NAME', description: 'Served by (else routed to) this provider' },
  model: { type: 'string', valueName: 'NAME', description: 'Served by (else routed to) this model' },
  customer: { type: 'string', valueName: 'ID', description: 'Of this customer' },
  team: { type: 'string', valueName: 'ID', description: 'Of this team' },
  'virtual-key': { type: 'string', valueName: 'ID', description: 'Of this virtual key' },
  status: { type: 'string', valueName: 'CODE', description: 'HTTP status returned (429) or class (5xx)' },
  'fallback-reason': { type: 'string', valueName: 'REASON', description: 'With an attempt that fell back for this reason (rate_limited, timeout, ...)' },
  'decision-id': { type: 'string', valueName: 'ID', description: 'This decision (shown in detail)' },
  'request-id': { type: 'string', valueName: 'ID', description: 'This request (shown in detail)' },
  'upstream-request-id': { type: 'string', valueName: 'ID', description: "The request a provider's id names: its request-id, x-request-id or apim-request-id header (shown in detail)" },
} as const satisfies FlagSpecs;

/** The filter the flags describe; bad values are usage errors. */
export function filterFromArgs(args: ParsedArgs, now: Date, extra: FilterParams = {}): AuditFilter {
  const params: FilterParams = { ...extra };
  for (const name of Object.keys(FILTER_FLAGS)) {
    const v = args.string(name);
    if (v !== undefined) params[name.replaceAll('-', '_').replace(/^rule$/, 'rule_id') as keyof FilterParams] = v;
  }
  try {
    return parseAuditFilter(params, now);
  } catch (e) {
    if (e instanceof SwitchyardError) throw flagError(e);
    throw e;
  }
}

/** A filter error, its parameters named as the flags that set them. */
function flagError(e: SwitchyardError): UsageError {
  return new UsageError(e.message.replace(/`([a-z_]+)`/g, (_m, p: string) => `--${p.replaceAll('_', '-').replace(/^rule-id$/, 'rule')}`));
}

/** Loads the config (when needed) with missing env vars as warnings: reading the log needs no provider secrets. */
export function loadForCommand(args: ParsedArgs, io: CommandIO): { loaded: LoadedConfig } | { exit: number } {
  const { config, issues } = loadConfig({ path: args.string('config'), env: io.env, cwd: io.cwd, missingEnv: 'warning' });
  if (!config) {
    io.stderr.write(formatIssues(issues, io.cwd));
    return { exit: EXIT.USAGE };
  }
  return { loaded: config };
}

/** For replay and diff, which decide with the config's providers and rules: says when it is the embedded default because no config file was found. */
export function noConfigFile(io: CommandIO): string {
  return `no config file was found (${CONFIG_FILE_NAMES.join(', ')} in ${io.cwd}, SWITCHYARD_CONFIG or --config)`;
}

/** Opens the audit store named by --db or the config; a usage error when there is none or it cannot be opened. */
export function openStore(args: ParsedArgs, io: CommandIO, loaded?: LoadedConfig): AuditReader {
  const db = args.string('db');
  try {
    const sink = storeSink(loaded?.config.audit, { db, table: args.string('table') });
    return openAuditReader(sink, { baseDir: db !== undefined ? io.cwd : (loaded?.dir ?? io.cwd) });
  } catch (e) {
    throw new UsageError(`cannot open the audit store: ${(e as Error).message}`);
  }
}

/** Runs a query, turning store errors into usage errors (a missing table is a wrong --db or --table). */
export async function fromStore<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    // A filter the store refuses (a foreign --cursor, say) is the caller's mistake, not a crash.
    if (e instanceof SwitchyardError) throw flagError(e);
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read the audit store: ${(e as Error).message}`);
  }
}

export const audit: Command = {
  name: 'audit',
  summary: 'Query the decision audit log',
  usage: `Usage: switchyard audit [filters] [--limit N] [--cursor C] [--json]
       switchyard audit --summary rules|fallbacks|spend [filters] [--json]
       switchyard audit --decision-id ID

Lists recorded decisions, newest first: when, which rule, where the request went, its
status and every fallback reason. With --decision-id, --request-id or
--upstream-request-id (the id a provider's support asks for) one decision is shown in
full: the inputs the rules saw, the targets, every attempt and the outcome.
Summaries count decisions per rule, fallback reasons per provider, or spend per team
over the window.

Reads the first sqlite or postgres sink of the config, or the store given with --db.`,
  flags: {
    ...CONFIG_FLAG,
    ...JSON_FLAG,
    ...STORE_FLAGS,
    ...FILTER_FLAGS,
    limit: { type: 'string', valueName: 'N', description: 'Decisions per page, 1 to 1000 (default 50)' },
    cursor: { type: 'string', valueName: 'C', description: 'Continue after a previous page (printed at its end)' },
    summary: { type: 'string', valueName: 'KIND', description: 'rules, fallbacks or spend: aggregate instead of listing' },
  },
  async run(args: ParsedArgs, io: CommandIO): Promise<number> {
    if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"; filters are flags, e.g. --rule ${args.positionals[0]}`);
    const summary = args.string('summary');
    if (summary !== undefined && !(SUMMARY_KINDS as readonly string[]).includes(summary)) throw new UsageError(`--summary must be one of ${SUMMARY_KINDS.join(', ')}, got "${summary}"`);
    const filter = filterFromArgs(args, new Date(), { limit: args.string('limit'), cursor: args.string('cursor') });
    let loaded: LoadedConfig | undefined;
    // With --db the config is read only when there is one (it names the table); without a
    // config file the log is still readable.
    if (args.string('db') === undefined || resolveConfigPath(args.string('config'), io.env, io.cwd) !== null) {
      const r = loadForCommand(args, io);
      if ('exit' in r) return r.exit;
      loaded = r.loaded;
    }
    const reader = openStore(args, io, loaded);
    try {
      if (summary !== undefined) {
        const rows = await fromStore(reader.summary(summary as SummaryKind, filter));
        io.stdout.write(args.boolean('json') ? `${JSON.stringify({ summary, rows }, null, 2)}\n` : formatSummary(summary as SummaryKind, rows));
        return EXIT.OK;
      }
      const page = await fromStore(reader.query(filter));
      // Asked for one decision by an id: finding none is a failure, whichever id it was.
      const byId = filter.decision_id !== undefined || filter.request_id !== undefined || filter.upstream_request_id !== undefined;
      if (args.boolean('json')) {
        io.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
      } else if (byId) {
        if (page.events.length === 0) io.stderr.write('no such decision in the audit log (a request refused before it was routed, for a malformed body, a missing key or the counter store down, has ids but no event)\n');
        io.stdout.write(page.events.map(formatEventDetail).join('\n'));
      } else {
        io.stdout.write(page.events.length ? formatEvents(page.events) : 'no decisions match\n');
      }
      // A request id the client chose may name many decisions (its retries): the detail pages too.
      if (!args.boolean('json') && page.next_cursor) io.stdout.write(`more: --cursor ${page.next_cursor}\n`);
      return byId && page.events.length === 0 ? EXIT.FAILED : EXIT.OK;
    } finally {
      await reader.close();
    }
  },
};
