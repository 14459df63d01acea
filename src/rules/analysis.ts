/**
 * Static facts about a compiled `when`, read from the CEL AST: which variables and
 * which header/param keys it reads (for the decision memo), whether it can change
 * between identical requests, whether it is constantly true (for shadowing warnings),
 * and which models/endpoints it is restricted to (for the shape index).
 */
import { isCredentialHeader } from '../audit/headers.js';
import type { ASTNode } from '@marcbachmann/cel-js';
import { VOLATILE_VARIABLES } from './cel.js';

/** Keys of a map variable that an expression reads: a set, or every key. */
export type KeyReads = ReadonlySet<string> | 'all';

export interface ExprFacts {
  /** Declared variables referenced anywhere (including names shadowed by macro variables: conservative). */
  variables: ReadonlySet<string>;
  headerKeys: KeyReads;
  paramKeys: KeyReads;
  /** Reads budget_used, tokens_used, requests_used or now. */
  volatile: boolean;
  /** Always true whatever the request (e.g. `true`, `true || x`). */
  alwaysTrue: boolean;
  /** When the expression is a conjunction containing `model == "x"` / `model in [...]`: the only models it can match. */
  models: ReadonlySet<string> | null;
  /** Same for `endpoint`. */
  endpoints: ReadonlySet<string> | null;
  /** Header keys written with upper-case letters (never present: header names are lowercase), with their offset. */
  upperCaseHeaders: { key: string; offset: number }[];
  /** Header keys that name a credential (never present: credentials are removed before rules see headers), with their offset. */
  credentialHeaders: { key: string; offset: number }[];
  /**
   * Conjuncts that are cheap to check in plain JS: equalities over string inputs
   * (`tier == "x"`, `headers["x-tier"] == "premium"`, `team in ["a", "b"]`) and
   * comparisons of capacity variables with numbers (`budget_used > 85`). When one is
   * false (for a header: present and different) the whole `when` is false, so the
   * router checks these before running CEL.
   */
  requirements: Requirement[];
}

export type Requirement =
  /**
   * `variable` (or `headers[header]`) must be one of `values`. For a header, `absent` is
   * what the conjunct is when the header is missing: true (unknown) for `headers["x"]`,
   * whose read is then an error that CEL records; for `headers[?"x"].orValue("d")`,
   * whether "d" is one of `values`.
   */
  | { kind: 'in'; variable: string; header?: string; values: string[]; absent?: boolean }
  /** `variable op value` must hold (a capacity variable: always a double). */
  | { kind: 'compare'; variable: string; op: CompareOp; value: number };

export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

type Node = ASTNode;

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && 'op' in x && 'args' in x && 'start' in x;
}

function children(n: Node): Node[] {
  const args = n.args as unknown;
  switch (n.op) {
    case 'value':
    case 'id':
      return [];
    case '.':
    case '.?':
      return [(args as [Node, string])[0]];
    case 'call':
      return (args as [string, Node[]])[1];
    case 'rcall': {
      const [, receiver, rest] = args as [string, Node, Node[]];
      return [receiver, ...rest];
    }
    case 'map':
      return (args as [Node, Node][]).flat();
    case '!_':
    case '-_':
      return isNode(args) ? [args] : [];
    default:
      if (Array.isArray(args)) return args.filter(isNode);
      return isNode(args) ? [args] : [];
  }
}

/** A `matches` call in an expression: where its name is, and its pattern when that is a literal. */
export interface MatchesCall {
  /** Offset of `matches` in the expression. */
  at: number;
  pattern?: string;
  /** Offset of the pattern argument. */
  patternAt: number;
}

/** Every `s.matches(p)` in `root`, in no particular order. */
export function matchesCalls(root: Node): MatchesCall[] {
  const out: MatchesCall[] = [];
  const visit = (n: Node): void => {
    if (n.op === 'rcall' && (n.args as unknown[])[0] === 'matches') {
      const [, receiver, rest] = n.args as [string, Node, Node[]];
      const pattern = rest[0];
      // The name sits after the receiver: `s.matches(`.
      const at = n.input.indexOf('matches', receiver.end);
      if (pattern !== undefined && at >= 0) out.push({ at, pattern: stringLiteral(pattern), patternAt: pattern.start });
    }
    for (const c of children(n)) visit(c);
  };
  visit(root);
  return out;
}

function stringLiteral(n: Node | undefined): string | undefined {
  return n && n.op === 'value' && typeof n.args === 'string' ? n.args : undefined;
}

function isId(n: Node | undefined, name: string): boolean {
  return !!n && n.op === 'id' && n.args === name;
}

/** The key a map variable is read with when `n` (an `id` node) sits under `parent`; undefined: unknown key. */
function keyUnder(parent: Node | undefined, n: Node): string | undefined {
  if (!parent) return undefined;
  const args = parent.args as unknown as unknown[];
  switch (parent.op) {
    case '.':
    case '.?':
      return args[0] === n ? (args[1] as string) : undefined;
    case '[]':
    case '[?]':
      return args[0] === n ? stringLiteral(args[1] as Node) : undefined;
    case 'in':
      return args[1] === n ? stringLiteral(args[0] as Node) : undefined;
    default:
      return undefined;
  }
}

function constTrue(n: Node): boolean {
  switch (n.op) {
    case 'value':
      return n.args === true;
    case '||': {
      const [a, b] = n.args as [Node, Node];
      return constTrue(a) || constTrue(b);
    }
    case '&&': {
      const [a, b] = n.args as [Node, Node];
      return constTrue(a) && constTrue(b);
    }
    case '!_':
      return constFalse(n.args as Node);
    default:
      return false;
  }
}

function constFalse(n: Node): boolean {
  switch (n.op) {
    case 'value':
      return n.args === false;
    case '||': {
      const [a, b] = n.args as [Node, Node];
      return constFalse(a) && constFalse(b);
    }
    case '&&': {
      const [a, b] = n.args as [Node, Node];
      return constFalse(a) || constFalse(b);
    }
    case '!_':
      return constTrue(n.args as Node);
    default:
      return false;
  }
}

function conjuncts(n: Node, out: Node[] = []): Node[] {
  if (n.op === '&&') {
    const [a, b] = n.args as [Node, Node];
    conjuncts(a, out);
    conjuncts(b, out);
  } else out.push(n);
  return out;
}

/**
 * Values `variable` must take for `c` to hold: `variable == "x"`, `"x" == variable`,
 * `variable in ["x", "y"]`. Undefined when `c` is not such a constraint.
 */
function equalityValues(c: Node, variable: string): string[] | undefined {
  return equalityOn(c, (n) => isId(n, variable));
}

/** The values of `subject == "x"`, `"x" == subject` or `subject in ["x", ...]`, for a subject `is` accepts. */
function equalityOn(c: Node, is: (n: Node) => boolean): string[] | undefined {
  if (c.op !== '==' && c.op !== 'in') return undefined;
  const [a, b] = c.args as [Node, Node];
  if (c.op === '==') {
    if (is(a) && stringLiteral(b) !== undefined) return [stringLiteral(b)!];
    if (is(b) && stringLiteral(a) !== undefined) return [stringLiteral(a)!];
  }
  if (c.op === 'in' && is(a) && b.op === 'list') {
    const items = (b.args as Node[]).map(stringLiteral);
    if (items.every((s): s is string => s !== undefined)) return items;
  }
  return undefined;
}

/** `headers["x"]` or `headers.x`: the header name. */
function headerRead(n: Node): string | undefined {
  if (n.op === '[]') {
    const [obj, key] = n.args as [Node, Node];
    return isId(obj, 'headers') ? stringLiteral(key) : undefined;
  }
  if (n.op === '.') {
    const [obj, field] = n.args as unknown as [Node, string];
    return isId(obj, 'headers') ? field : undefined;
  }
  return undefined;
}

/**
 * `headers[?"x"].orValue("d")` or `headers.?x.orValue("d")`: the header name, and the
 * value read when the header is missing.
 */
function optionalHeaderRead(n: Node): { header: string; absent: string } | undefined {
  if (n.op !== 'rcall') return undefined;
  const [fn, receiver, rest] = n.args as [string, Node, Node[]];
  const absent = fn === 'orValue' && rest.length === 1 ? stringLiteral(rest[0]) : undefined;
  if (absent === undefined) return undefined;
  let header: string | undefined;
  if (receiver.op === '[?]') {
    const [obj, key] = receiver.args as [Node, Node];
    if (isId(obj, 'headers')) header = stringLiteral(key);
  } else if (receiver.op === '.?') {
    const [obj, field] = receiver.args as unknown as [Node, string];
    if (isId(obj, 'headers')) header = field;
  }
  return header === undefined ? undefined : { header, absent };
}

const STRING_INPUTS = ['tier', 'team', 'customer', 'virtual_key', 'model', 'provider', 'endpoint'];
const CAPACITY = new Set(['budget_used', 'tokens_used', 'requests_used']);
const FLIP: Record<CompareOp, CompareOp> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' };

/** A number literal (`85`, `85.5`, `-3`), as a JS number. */
function numberLiteral(n: Node): number | undefined {
  if (n.op === 'value' && (typeof n.args === 'number' || typeof n.args === 'bigint')) return Number(n.args);
  if (n.op === '-_') {
    const inner = numberLiteral(n.args as Node);
    return inner === undefined ? undefined : -inner;
  }
  return undefined;
}

/** `budget_used > 85` or `85 < budget_used`, normalized to variable-first. */
function comparison(c: Node): Requirement | undefined {
  if (!(c.op in FLIP)) return undefined;
  const op = c.op as CompareOp;
  const [a, b] = c.args as [Node, Node];
  if (a.op === 'id' && CAPACITY.has(a.args as string) && numberLiteral(b) !== undefined) return { kind: 'compare', variable: a.args as string, op, value: numberLiteral(b)! };
  if (b.op === 'id' && CAPACITY.has(b.args as string) && numberLiteral(a) !== undefined) return { kind: 'compare', variable: b.args as string, op: FLIP[op], value: numberLiteral(a)! };
  return undefined;
}

function requirementsOf(root: Node): Requirement[] {
  const out: Requirement[] = [];
  for (const c of conjuncts(root)) {
    for (const variable of STRING_INPUTS) {
      const values = equalityValues(c, variable);
      if (values) out.push({ kind: 'in', variable, values });
    }
    let header: string | undefined;
    let absent: string | undefined;
    const values = equalityOn(c, (n) => {
      const optional = optionalHeaderRead(n);
      absent = optional?.absent;
      return (header = optional?.header ?? headerRead(n)) !== undefined;
    });
    if (values && header !== undefined) {
      out.push(absent === undefined ? { kind: 'in', variable: 'headers', header, values } : { kind: 'in', variable: 'headers', header, values, absent: values.includes(absent) });
    }
    const cmp = comparison(c);
    if (cmp) out.push(cmp);
  }
  return out;
}

/**
 * Because CEL's `&&` is commutative over errors (`error && false` is false), a
 * conjunction with a false equality conjunct is false whatever its other conjuncts do:
 * skipping it for another model changes neither the match nor the recorded errors.
 */
function restriction(root: Node, variable: string): ReadonlySet<string> | null {
  let allowed: Set<string> | null = null;
  for (const c of conjuncts(root)) {
    const values = equalityValues(c, variable);
    if (!values) continue;
    allowed = allowed === null ? new Set(values) : new Set(values.filter((v) => allowed!.has(v)));
  }
  return allowed;
}

/** Walks the AST once and returns its facts. */
export function analyze(root: Node): ExprFacts {
  const variables = new Set<string>();
  let headerKeys: Set<string> | 'all' = new Set();
  let paramKeys: Set<string> | 'all' = new Set();
  const upperCaseHeaders: { key: string; offset: number }[] = [];
  const credentialHeaders: { key: string; offset: number }[] = [];
  const visit = (n: Node, parent: Node | undefined): void => {
    if (n.op === 'id') {
      const name = n.args as string;
      variables.add(name);
      if (name === 'headers' || name === 'params') {
        const key = keyUnder(parent, n);
        if (name === 'headers') {
          if (key === undefined) headerKeys = 'all';
          else {
            if (headerKeys !== 'all') headerKeys.add(key);
            if (key !== key.toLowerCase()) upperCaseHeaders.push({ key, offset: parent!.start });
            if (isCredentialHeader(key)) credentialHeaders.push({ key, offset: parent!.start });
          }
        } else if (key === undefined) paramKeys = 'all';
        else if (paramKeys !== 'all') paramKeys.add(key);
      }
      return;
    }
    for (const c of children(n)) visit(c, n);
  };
  visit(root, undefined);
  return {
    variables,
    headerKeys,
    paramKeys,
    volatile: [...variables].some((v) => VOLATILE_VARIABLES.has(v)),
    alwaysTrue: constTrue(root),
    models: restriction(root, 'model'),
    endpoints: restriction(root, 'endpoint'),
    upperCaseHeaders,
    credentialHeaders,
    requirements: requirementsOf(root),
  };
}
