/** Printing issues for people (file:line:col + caret) and for machines (JSON). */
import { isAbsolute, relative } from 'node:path';
import { formatIssue, type Issue } from '../config/source.js';

/** The issue with its file shown relative to `cwd` when it lies inside it. */
export function displayIssue(issue: Issue, cwd: string): Issue {
  if (!issue.location) return issue;
  const rel = relative(cwd, issue.location.file);
  const file = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : issue.location.file;
  return { ...issue, location: { ...issue.location, file } };
}

export function formatIssues(issues: readonly Issue[], cwd: string): string {
  return issues.map((i) => `${formatIssue(displayIssue(i, cwd))}\n`).join('');
}

export interface JsonIssue {
  severity: Issue['severity'];
  code: string;
  message: string;
  file: string | null;
  line: number | null;
  col: number | null;
}

export function jsonIssue(issue: Issue, cwd: string): JsonIssue {
  const loc = displayIssue(issue, cwd).location;
  return { severity: issue.severity, code: issue.code, message: issue.message, file: loc?.file ?? null, line: loc?.line ?? null, col: loc?.col ?? null };
}

/** `1 rule`, `2 rules` */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function countIssues(issues: readonly Issue[]): { errors: number; warnings: number } {
  const errors = issues.filter((i) => i.severity === 'error').length;
  return { errors, warnings: issues.length - errors };
}
