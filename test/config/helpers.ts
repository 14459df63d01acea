/** Writing configs to a temporary folder and rendering issues the way `validate` does. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatIssue, type Issue } from '../../src/config/source.js';

/** A fresh folder holding `files` (path → text); returns its absolute path. */
export function tempTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sy-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Issues formatted with file:line:col and caret, the folder prefix removed. */
export function rendered(issues: readonly Issue[], dir: string): string {
  return issues.map((i) => formatIssue(i).split(`${dir}/`).join('')).join('\n');
}

/** Strips the common indentation of a template literal and its first/last blank lines. */
export function text(s: string): string {
  const lines = s.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Env values used wherever a config needs its secrets. */
export const EXAMPLE_ENV = {
  OPENAI_API_KEY: 'sk-test-openai-SECRET-1',
  OPENAI_API_KEY_2: 'sk-test-openai-SECRET-2',
  ANTHROPIC_API_KEY: 'sk-test-anthropic-SECRET-3',
  GEMINI_API_KEY: 'test-gemini-SECRET-4',
  GROQ_API_KEY: 'gsk-test-groq-SECRET-5',
  SWITCHYARD_ADMIN_TOKEN: 'test-admin-SECRET-6',
};
