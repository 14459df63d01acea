/**
 * Checks of the governance config that the JSON Schema cannot express: references
 * between customers, teams and keys, duplicates, hashes, periods. Every problem is
 * collected with its config path so the loader can point at `file:line:col`.
 */
import type { Budget, GatewayConfig, RateLimit } from '../types/gateway-config.js';
import { parseKeyHash } from './keys.js';
import { parseDuration } from './periods.js';

export interface GovernanceIssue {
  /** Path into the gateway config. */
  path: (string | number)[];
  code: string;
  message: string;
}

/** Thrown by createGovernance when checkGovernance finds problems. */
export class GovernanceConfigError extends Error {
  constructor(readonly issues: readonly GovernanceIssue[]) {
    super(`invalid governance config:\n${issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
    this.name = 'GovernanceConfigError';
  }
}

type Report = (path: (string | number)[], code: string, message: string) => void;

interface Owned {
  id: string;
  budgets?: Budget[];
  rate_limit?: RateLimit;
  allowed_providers?: string[];
}

export function checkGovernance(cfg: Readonly<GatewayConfig>): GovernanceIssue[] {
  const issues: GovernanceIssue[] = [];
  const report: Report = (path, code, message) => issues.push({ path, code, message });
  const gov = cfg.governance ?? {};
  const providerIds = new Set(Object.keys(cfg.providers ?? {}));

  for (const [id, p] of Object.entries(cfg.providers ?? {})) checkLimits(p, ['providers', id], report);

  const customers = new Map<string, unknown>();
  const teams = new Map<string, { customer?: string }>();
  const checkEntity = (field: 'customers' | 'teams' | 'virtual_keys', e: Owned, i: number, seen: Map<string, unknown> | null) => {
    const path = ['governance', field, i];
    if (seen?.has(e.id)) report([...path, 'id'], 'duplicate_id', `governance.${field} has "${e.id}" twice`);
    checkLimits(e, path, report);
    (e.allowed_providers ?? []).forEach((p, j) => {
      if (!providerIds.has(p)) report([...path, 'allowed_providers', j], 'unknown_provider', `"${e.id}" allows provider "${p}", which is not configured`);
    });
  };

  (gov.customers ?? []).forEach((c, i) => {
    checkEntity('customers', c, i, customers);
    customers.set(c.id, c);
  });
  (gov.teams ?? []).forEach((t, i) => {
    checkEntity('teams', t, i, teams);
    teams.set(t.id, t);
    if (t.customer !== undefined && !customers.has(t.customer)) {
      report(['governance', 'teams', i, 'customer'], 'unknown_customer', `team "${t.id}" belongs to customer "${t.customer}", which is not configured`);
    }
  });

  const keyIds = new Map<string, unknown>();
  const hashes = new Map<string, string>();
  (gov.virtual_keys ?? []).forEach((k, i) => {
    const path = ['governance', 'virtual_keys', i];
    checkEntity('virtual_keys', k, i, keyIds);
    keyIds.set(k.id, k);
    const team = k.team === undefined ? undefined : teams.get(k.team);
    if (k.team !== undefined && !team) report([...path, 'team'], 'unknown_team', `virtual key "${k.id}" belongs to team "${k.team}", which is not configured`);
    if (k.customer !== undefined && !customers.has(k.customer)) {
      report([...path, 'customer'], 'unknown_customer', `virtual key "${k.id}" belongs to customer "${k.customer}", which is not configured`);
    }
    if (k.customer !== undefined && team?.customer !== undefined && k.customer !== team.customer) {
      report([...path, 'customer'], 'customer_mismatch', `virtual key "${k.id}" names customer "${k.customer}" but its team "${k.team}" belongs to "${team.customer}"`);
    }
    const parsed = parseKeyHash(k.key_hash);
    if (!parsed) report([...path, 'key_hash'], 'key_hash', `virtual key "${k.id}": key_hash must be sha256:<64 hex> or hmac-sha256:<64 hex>`);
    else if (parsed.algorithm === 'hmac-sha256' && !gov.key_secret) {
      report([...path, 'key_hash'], 'key_secret_missing', `virtual key "${k.id}" has an hmac-sha256 hash but governance.key_secret is not set`);
    }
    const other = hashes.get(k.key_hash);
    if (other !== undefined) report([...path, 'key_hash'], 'duplicate_key_hash', `virtual keys "${other}" and "${k.id}" have the same key_hash`);
    hashes.set(k.key_hash, k.id);
  });
  return issues;
}

function checkLimits(e: Omit<Owned, 'id'>, path: (string | number)[], report: Report): void {
  (e.budgets ?? []).forEach((b, i) => checkDuration(b.period, [...path, 'budgets', i, 'period'], report));
  if (e.rate_limit?.per !== undefined) checkDuration(e.rate_limit.per, [...path, 'rate_limit', 'per'], report);
}

function checkDuration(text: string, path: (string | number)[], report: Report): void {
  try {
    parseDuration(text);
  } catch (err) {
    report(path, 'duration', (err as Error).message);
  }
}
