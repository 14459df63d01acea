/** Text output of the audit commands: event tables, one event in detail, summaries, replay and diff reports. */
import type { AuditEventV1, DecisionRecord, TargetRecord } from '../types/audit-event.js';
import type { DiffGroup, DiffReport } from './diff.js';
import type { SummaryKind } from './filter.js';
import type { FallbackCount, RuleCount, Summaries, TeamSpend } from './query.js';
import type { FieldChange, ReplayResult } from './replay.js';

/** Left-aligned columns, two spaces apart. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export const target = (t: TargetRecord | null | undefined): string => (t ? `${t.provider}/${t.model}${t.key ? `#${t.key}` : ''}` : '-');
const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const ms = (n: number | null | undefined) => (n === null || n === undefined ? '-' : `${Math.round(n)}`);
const usd = (n: number | null | undefined) => (n === null || n === undefined ? '-' : `$${n.toFixed(6)}`);
const rule = (d: DecisionRecord) => d.rule_id ?? `(${d.via})`;

function served(e: AuditEventV1): string {
  if (e.outcome.served_provider) return `${e.outcome.served_provider}/${e.outcome.served_model ?? '?'}`;
  return e.decision.selected ? `(${e.decision.selected.provider}/${e.decision.selected.model})` : '-';
}

function fallbacks(e: AuditEventV1): string {
  const reasons = e.attempts.map((a) => a.fallback_reason).filter((r): r is string => !!r);
  return reasons.length ? reasons.join(',') : '-';
}

export function formatEvents(events: readonly AuditEventV1[]): string {
  return table(
    ['TIME', 'DECISION', 'VIA', 'RULE', 'TARGET', 'STATUS', 'FALLBACKS', 'TEAM', 'MS', 'COST'],
    events.map((e) => [
      when(e.ts), e.decision_id, e.decision.via, e.decision.rule_id ?? '-', served(e), String(e.outcome.status),
      fallbacks(e), e.principal.team ?? '-', ms(e.outcome.latency_ms), usd(e.outcome.cost_usd),
    ]),
  );
}

/** Everything about one decision: the answer to "why did this request go there?". */
export function formatEventDetail(e: AuditEventV1): string {
  const d = e.decision;
  const i = e.inputs;
  const rows: [string, string][] = [
    ['decision', `${e.decision_id}  request ${e.request_id}  ${e.ts}`],
    ['revision', `${e.config_revision.hash}${e.config_revision.git_commit ? ` (git ${e.config_revision.git_commit.slice(0, 12)})` : ''}`],
    ['principal', `customer ${e.principal.customer ?? '-'}, team ${e.principal.team ?? '-'}, key ${e.principal.virtual_key ?? '-'}, tier ${e.principal.tier || '-'}`],
    ['request', `${e.request.endpoint} (${e.request.dialect}) model ${e.request.model}${e.request.stream ? ', stream' : ''}`],
    ['via', `${d.via}${d.rule_id ? ` ${d.rule_id} (priority ${d.priority ?? '-'}, scope ${d.scope ?? '-'})` : ''}${d.reason ? `: ${d.reason}` : ''}${d.cached ? ' [memo]' : ''}${d.panic ? ' [panic: every target cooling down]' : ''}`],
    ['selected', target(d.selected)],
    ['targets', d.targets.map((t) => `${target(t)} (${t.weight ?? 1})`).join(', ') || '-'],
    ['fallbacks', `${d.fallbacks.map(target).join(', ') || '-'}${d.fallback_on?.length ? `  on ${d.fallback_on.join(', ')}` : ''}`],
  ];
  if (d.shadow_matches.length) rows.push(['shadow', d.shadow_matches.join(', ')]);
  for (const err of d.errors) rows.push(['rule error', `${err.rule_id}: ${err.message}`]);
  if (i.unavailable?.length) rows.push(['unavailable', i.unavailable.join(', ')]);
  rows.push(['inputs', `budget_used ${i.budget_used}, tokens_used ${i.tokens_used}, requests_used ${i.requests_used}, draw ${i.draw}, now ${i.now}`]);
  const headers = Object.entries(i.headers);
  if (headers.length) rows.push(['headers', headers.map(([k, v]) => `${k}: ${v}`).join(', ')]);
  const params = Object.entries(i.params);
  if (params.length) rows.push(['params', params.map(([k, v]) => `${k}=${String(v)}`).join(', ')]);
  e.attempts.forEach((a, n) => {
    // A part the serving target answered is part of what served, wherever it comes in the list.
    const partServed = a.part !== undefined && a.status >= 200 && a.status < 300 && a.provider === e.outcome.served_provider && a.model === e.outcome.served_model;
    const served = (n === e.attempts.length - 1 || partServed) && e.outcome.served_provider;
    const end = a.fallback_reason ? `→ ${a.fallback_reason}` : served ? 'served' : 'final';
    const part = a.part ? `  part ${a.part.index + 1}/${a.part.of} (inputs ${a.part.first_input}-${a.part.first_input + a.part.inputs - 1})` : '';
    rows.push([n === 0 ? 'attempts' : '', `${n + 1}. ${target(a)}${part}  ${a.status || 'no response'}  ${ms(a.latency_ms)} ms  ${end}${a.error ? `  (${a.error})` : ''}${a.upstream_request_id ? `  upstream id ${a.upstream_request_id}` : ''}`]);
  });
  const o = e.outcome;
  const tokens = o.input_tokens === undefined ? '' : `  ${o.input_tokens} in / ${o.output_tokens ?? 0} out tokens`;
  rows.push(['outcome', `${o.status}${o.code ? ` ${o.code}` : ''}  ${served(e)}${tokens}  ${usd(o.cost_usd)}  ${ms(o.latency_ms)} ms${o.ttft_ms != null ? ` (ttft ${ms(o.ttft_ms)} ms)` : ''}${o.stream_error ? `  stream error: ${o.stream_error}` : ''}`]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

export function formatSummary(kind: SummaryKind, rows: Summaries[SummaryKind]): string {
  switch (kind) {
    case 'rules':
      return table(['RULE', 'VIA', 'REQUESTS', 'ERRORS'], (rows as RuleCount[]).map((r) => [r.rule_id ?? '-', r.via, String(r.count), String(r.errors)]));
    case 'fallbacks':
      return table(['PROVIDER', 'FALLBACK_REASON', 'COUNT'], (rows as FallbackCount[]).map((r) => [r.provider, r.fallback_reason, String(r.count)]));
    case 'spend':
      return table(['TEAM', 'CUSTOMER', 'REQUESTS', 'COST', 'INPUT_TOKENS', 'OUTPUT_TOKENS'], (rows as TeamSpend[]).map((r) => [
        r.team ?? '-', r.customer ?? '-', String(r.requests), usd(r.cost_usd), String(r.input_tokens), String(r.output_tokens),
      ]));
  }
}

/** A decision field's value for people: targets as provider/model#key (weight), lists joined. */
function renderField(field: string, v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (field === 'selected') return target(v as TargetRecord);
  if (field === 'targets') return (v as TargetRecord[]).map((t) => `${target(t)} (${t.weight ?? 1})`).join(', ') || '(none)';
  if (field === 'fallbacks') return (v as TargetRecord[]).map(target).join(', ') || '(none)';
  if (field === 'errors') return (v as { rule_id: string; message: string }[]).map((e) => `${e.rule_id}: ${e.message}`).join('; ') || '(none)';
  if (Array.isArray(v)) return v.map(String).join(', ') || '(none)';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function formatChanges(changes: readonly FieldChange[], indent = '  '): string {
  const width = Math.max(0, ...changes.map((c) => c.field.length));
  return changes.map((c) => `${indent}${c.field.padEnd(width)}  ${renderField(c.field, c.recorded)} → ${renderField(c.field, c.replayed)}\n`).join('');
}

export function formatReplay(r: ReplayResult, rulesLabel: string): string {
  const rev = (h: string, g?: string | null) => `${h}${g ? ` (git ${g.slice(0, 12)})` : ''}`;
  let out = `decision ${r.decision_id}: recorded under revision ${rev(r.recorded_revision.hash, r.recorded_revision.git_commit)}\n`;
  out += `replayed with ${rulesLabel}, revision ${rev(r.replayed_revision.hash, r.replayed_revision.git_commit)}\n`;
  if (r.identical) return `${out}identical: ${rule(r.recorded)} → ${target(r.recorded.selected)}\n`;
  out += `DIFFERENT: ${rule(r.recorded)} → ${target(r.recorded.selected)} became ${rule(r.replayed)} → ${target(r.replayed.selected)}\n`;
  return out + formatChanges(r.changes);
}

/** Groups of one old rule → new rule pair, most decisions first. */
function byRulePair(groups: readonly DiffGroup[]): { from: string; to: string; count: number; groups: DiffGroup[] }[] {
  const pairs = new Map<string, { from: string; to: string; count: number; groups: DiffGroup[] }>();
  for (const g of groups) {
    const key = `${g.from_rule}\u0000${g.to_rule}`;
    const p = pairs.get(key) ?? { from: g.from_rule, to: g.to_rule, count: 0, groups: [] };
    p.count += g.count;
    p.groups.push(g);
    pairs.set(key, p);
  }
  return [...pairs.values()].sort((a, b) => b.count - a.count);
}

export function formatDiff(report: DiffReport, rulesLabel: string): string {
  const pct = report.total ? ` (${((report.changed / report.total) * 100).toFixed(1)}%)` : '';
  const span = report.window ? ` from ${when(report.window.from)} to ${when(report.window.to)}` : '';
  let out = `replayed ${report.total} recorded decision${report.total === 1 ? '' : 's'}${span} against ${rulesLabel}\n`;
  out += `${report.unchanged} unchanged, ${report.changed} would change${pct}\n`;
  const revs = Object.entries(report.revisions);
  if (revs.length > 1) out += `recorded under ${revs.length} revisions: ${revs.map(([h, n]) => `${h} (${n})`).join(', ')}\n`;
  if (report.baseline_drift !== null) {
    out += `compared with the baseline's replay; the baseline itself reproduces ${report.total - report.baseline_drift} of ${report.total} recorded decisions\n`;
  }
  for (const pair of byRulePair(report.groups)) {
    out += `\n${pair.from} → ${pair.to}: ${pair.count} decision${pair.count === 1 ? '' : 's'}\n`;
    out += table(
      ['  BEFORE', 'AFTER', 'COUNT', 'EXAMPLES'],
      pair.groups.map((g) => [`  ${g.from_target}`, g.to_target, String(g.count), g.examples.map((e) => e.decision_id).join(', ')]),
    );
    const ex = pair.groups[0].examples[0];
    out += `  ${ex.decision_id} (${when(ex.ts)}, team ${ex.team ?? '-'}, model ${ex.model}):\n`;
    out += formatChanges(ex.changes, '    ');
  }
  return out;
}
