/**
 * Parsed YAML/JSON documents that remember where every value came from, so that
 * config, rule and test problems can be reported as `file:line:col` with a caret.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, isNode, isCollection, parseDocument, type Document } from 'yaml';

export type PathSegment = string | number;

export interface Location {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

export type Severity = 'error' | 'warning';

/** One problem found while loading config, rules or tests. Collected, never thrown. */
export interface Issue {
  severity: Severity;
  /** Stable machine-readable kind, e.g. `schema`, `cel_type`, `unknown_provider`. */
  code: string;
  message: string;
  location?: Location;
  /** The source line the location points into, for the caret display. */
  sourceLine?: string;
}

export interface SourceDocument {
  file: string;
  text: string;
  /** The parsed value (plain JS data); undefined when the syntax is broken. */
  value: unknown;
  /** Syntax problems (YAML/JSON), already located. */
  issues: Issue[];
  /** Location of the value at `path`, or of its nearest existing ancestor. */
  locate(path: readonly PathSegment[]): Location;
  /** Location of the key of the value at `path` (better for "unknown property" problems). */
  locateKey(path: readonly PathSegment[]): Location;
  /** The text of a 1-based line. */
  line(n: number): string;
}

/** Parses YAML (a superset of JSON, so `.json` files go through the same path). */
export function parseSource(file: string, text: string): SourceDocument {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const lines = text.split(/\r?\n/);
  const at = (offset: number): Location => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  const line = (n: number) => lines[n - 1] ?? '';
  const issues: Issue[] = [];
  for (const e of doc.errors) {
    const loc = at(e.pos[0]);
    issues.push({ severity: 'error', code: 'syntax', message: e.message.split('\n')[0], location: loc, sourceLine: line(loc.line) });
  }
  const nodeAt = (path: readonly PathSegment[], wantKey: boolean): Location => {
    for (let n = path.length; n >= 0; n--) {
      const parentPath = path.slice(0, Math.max(0, n - 1));
      if (wantKey && n === path.length && n > 0) {
        const parent = parentPath.length ? doc.getIn(parentPath, true) : doc.contents;
        if (isCollection(parent)) {
          const pair = (parent.items as unknown[]).find((it) => {
            const k = (it as { key?: unknown }).key;
            return isNode(k) && (k as { value?: unknown }).value === path[n - 1];
          }) as { key?: { range?: [number, number, number] } } | undefined;
          if (pair?.key?.range) return at(pair.key.range[0]);
        }
      }
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return at(node.range[0]);
    }
    return { file, line: 1, col: 1 };
  };
  let value: unknown;
  if (doc.errors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      issues.push({ severity: 'error', code: 'syntax', message: (e as Error).message, location: { file, line: 1, col: 1 }, sourceLine: line(1) });
    }
  }
  return {
    file, text, value, issues,
    locate: (path) => nodeAt(path, false),
    locateKey: (path) => nodeAt(path, true),
    line,
  };
}

export function readSource(file: string): SourceDocument {
  return parseSource(file, readFileSync(file, 'utf8'));
}

/** Builds an Issue located at `path` in `doc`. */
export function issueAt(doc: SourceDocument, path: readonly PathSegment[], code: string, message: string, severity: Severity = 'error', onKey = false): Issue {
  const location = onKey ? doc.locateKey(path) : doc.locate(path);
  return { severity, code, message, location, sourceLine: doc.line(location.line) };
}

/** Shifts a location by an offset inside a value (e.g. a CEL error column inside a `when:` string). */
export function offsetLocation(doc: SourceDocument, path: readonly PathSegment[], offset: number): Location {
  const base = doc.locate(path);
  const src = doc.line(base.line);
  // Quoted scalars start one column after the quote.
  const quote = src[base.col - 1] === '"' || src[base.col - 1] === "'" ? 1 : 0;
  return { file: base.file, line: base.line, col: base.col + quote + offset };
}

/**
 * `file:line:col: error[code]: message`, then the source line and a caret under the column.
 */
export function formatIssue(issue: Issue): string {
  const where = issue.location ? `${issue.location.file}:${issue.location.line}:${issue.location.col}: ` : '';
  let out = `${where}${issue.severity}[${issue.code}]: ${issue.message}`;
  if (issue.location && issue.sourceLine !== undefined) {
    const gutter = String(issue.location.line);
    out += `\n  ${gutter} | ${issue.sourceLine}\n  ${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, issue.location.col - 1))}^`;
  }
  return out;
}
