/**
 * Finding rule files and rule test files under the configured paths. Folders are read
 * recursively, in sorted order, so source order (file name, then position) is stable.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { Issue } from '../config/source.js';

const DATA = /\.(ya?ml|json)$/i;
const TEST = /\.test\.(ya?ml|json)$/i;

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
}

function collect(paths: readonly string[], keep: (file: string) => boolean, what: string): { files: string[]; issues: Issue[] } {
  const files: string[] = [];
  const issues: Issue[] = [];
  for (const p of paths) {
    if (!existsSync(p)) {
      issues.push({ severity: 'error', code: 'path_not_found', message: `${what} path not found: ${p}` });
      continue;
    }
    if (statSync(p).isDirectory()) {
      const found: string[] = [];
      walk(p, found);
      files.push(...found.filter(keep));
    } else files.push(p);
  }
  return { files: [...new Set(files)], issues };
}

/** Rule files (`*.yaml`, `*.yml`, `*.json`, not `*.test.*`) under the given files/folders. */
export function findRuleFiles(paths: readonly string[]): { files: string[]; issues: Issue[] } {
  return collect(paths, (f) => DATA.test(f) && !TEST.test(f), 'rules');
}

/** Rule test files (`*.test.yaml`, `*.test.yml`, `*.test.json`) under the given files/folders. */
export function findTestFiles(paths: readonly string[]): { files: string[]; issues: Issue[] } {
  return collect(paths, (f) => TEST.test(f), 'tests');
}

/**
 * Where `switchyard test` looks for tests by default: the config's rule paths, except that
 * a rule file listed on its own brings the test files beside it (`routing.yaml` →
 * `routing.test.yaml`, `.test.yml`, `.test.json`) instead of being read as a test file.
 *
 * @example testPathsFor(['/p/rules/a.yaml', '/p/shared/']) // ['/p/rules/a.test.yaml', '/p/shared/']
 */
export function testPathsFor(rulePaths: readonly string[]): string[] {
  return rulePaths.flatMap((p) => {
    if (!existsSync(p) || statSync(p).isDirectory() || TEST.test(p)) return [p];
    const stem = p.replace(DATA, '');
    return ['yaml', 'yml', 'json'].map((ext) => `${stem}.test.${ext}`).filter((t) => existsSync(t));
  });
}

/** A file as shown to a person: relative to `cwd` when inside it. */
export function shownPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
