/**
 * Guards: a plain-JS pre-check compiled from a rule's simple conjuncts. A guard that
 * returns false proves the `when` false — CEL's `&&` is false as soon as one conjunct is
 * false, even when another would raise an error — so the router skips the CEL program.
 * When an input is absent (a missing header), the guard lets CEL run, so the evaluation
 * error is still recorded exactly as without the guard; a header read with a default
 * (`headers[?"x"].orValue("d")`) is no error, so then the default is checked instead.
 */
import type { RoutingContext } from '../decision.js';
import type { Requirement } from './analysis.js';

export type Guard = (ctx: RoutingContext) => boolean;

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

function check(r: Requirement): Guard {
  if (r.kind === 'compare') {
    // Capacity variables are always doubles, compared exactly as CEL compares them.
    const variable = r.variable as 'budget_used' | 'tokens_used' | 'requests_used';
    const { value } = r;
    const holds = COMPARE[r.op];
    return (ctx) => holds(ctx[variable], value);
  }
  const values = r.values;
  const one = values.length === 1 ? values[0] : undefined;
  if (r.variable === 'headers') {
    const name = r.header!;
    const absent = r.absent ?? true;
    return (ctx) => {
      const h = ctx.headers;
      if (!Object.hasOwn(h, name)) return absent;
      const v = h[name];
      return one !== undefined ? v === one : values.includes(v);
    };
  }
  const variable = r.variable as keyof RoutingContext;
  return (ctx) => {
    const v = ctx[variable] as string;
    return one !== undefined ? v === one : values.includes(v);
  };
}

/** The guard for a rule's requirements, or null when it has none. */
export function compileGuard(requirements: readonly Requirement[]): Guard | null {
  if (requirements.length === 0) return null;
  const checks = requirements.map(check);
  if (checks.length === 1) return checks[0];
  if (checks.length === 2) {
    const [a, b] = checks;
    return (ctx) => a(ctx) && b(ctx);
  }
  return (ctx) => checks.every((c) => c(ctx));
}
