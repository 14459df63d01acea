/**
 * GET /admin/budgets: every budget the config sets, with what it has spent and holds now,
 * read from the counter store (the one every gateway shares, with Redis). `level` and `id`
 * narrow it to one kind of owner, or one owner.
 */
import { SwitchyardError } from '../errors.js';
import type { BudgetReport, Governance, Level } from '../governance/index.js';

const LEVELS: readonly Level[] = ['customer', 'team', 'virtual_key', 'provider'];

function bad(param: string, message: string): SwitchyardError {
  return new SwitchyardError('SY_ERR_BAD_REQUEST', message, { details: { param } });
}

/**
 * @example await budgetsResponse(rt.governance, { level: 'team', id: 'ml-research' })
 */
export async function budgetsResponse(gov: Pick<Governance, 'allBudgets'>, query: unknown): Promise<{ budgets: BudgetReport[] }> {
  const q: Record<string, unknown> = query !== null && typeof query === 'object' ? { ...query } : {};
  for (const [name, value] of Object.entries(q)) {
    if (name !== 'level' && name !== 'id') throw bad(name, `unknown budgets parameter \`${name}\`; known: level, id`);
    if (typeof value !== 'string' || value === '') throw bad(name, `\`${name}\` must be given once, not empty`);
  }
  const level = q.level as string | undefined;
  const id = q.id as string | undefined;
  if (level !== undefined && !(LEVELS as readonly string[]).includes(level)) throw bad('level', `\`level\` must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  let all: BudgetReport[];
  try {
    all = await gov.allBudgets();
  } catch (e) {
    if (e instanceof SwitchyardError) throw e;
    throw new SwitchyardError('SY_ERR_UNAVAILABLE', `the counter store did not answer: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { budgets: all.filter((b) => (level === undefined || b.level === level) && (id === undefined || b.id === id)) };
}
