/**
 * The rule sets replay and diff decide with: the config's own rules, a `--rules`
 * folder, or the rules as they were at the git commit a decision recorded.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { LoadedConfig } from '../config/index.js';
import type { Issue } from '../config/source.js';
import { compileRuleBundle, createRouter, type Router } from '../rules/index.js';
import type { Revision } from '../types/audit-event.js';

export interface RuleSet {
  /** For people: `the current rules`, `rules in candidate/`, `rules at git commit 1a2b3c4`. */
  label: string;
  router: Router;
  revision: Revision;
}

export type RuleSetResult = { ruleset: RuleSet; issues: Issue[] } | { ruleset: null; issues: Issue[] };

/** Compiles `paths` (default: the config's rule paths) into a router. */
export function compileRuleSet(config: LoadedConfig, label: string, paths?: string[], countedAs?: (file: string) => string): RuleSetResult {
  const { bundle, issues } = compileRuleBundle(config, paths ? { paths, countedAs } : {});
  if (!bundle) return { ruleset: null, issues };
  return { ruleset: { label, router: createRouter(bundle), revision: bundle.revision }, issues };
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/**
 * The config's rule files as they were at `commit`, compiled with the current config.
 * Null (with the reason) when there is no git, no such commit, or the rules lie outside the work tree.
 */
export function ruleSetAtCommit(config: LoadedConfig, commit: string): RuleSetResult & { reason?: string } {
  const existing = config.rulePaths.find((p) => existsSync(p));
  const fail = (reason: string) => ({ ruleset: null, issues: [], reason });
  if (!/^[0-9a-f]{7,64}$/.test(commit)) return fail(`"${commit}" is not a commit id`);
  if (!existing) return fail('the config names no rule path that exists');
  const tmp = mkdtempSync(join(tmpdir(), 'switchyard-rules-'));
  try {
    const from = statSync(existing).isDirectory() ? existing : dirname(existing);
    let root: string;
    try {
      root = git(from, ['rev-parse', '--show-toplevel']).trim();
      git(root, ['cat-file', '-e', `${commit}^{commit}`]);
    } catch {
      return fail(`commit ${commit.slice(0, 12)} is not in the rules' git repository`);
    }
    const paths: string[] = [];
    for (const p of config.rulePaths) {
      const rel = relative(root, p);
      if (rel.startsWith('..') || isAbsolute(rel)) return fail(`rule path ${p} lies outside the git work tree ${root}`);
      for (const file of git(root, ['ls-tree', '-r', '--name-only', commit, '--', rel || '.']).split('\n').filter(Boolean)) {
        const out = join(tmp, file);
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, git(root, ['show', `${commit}:${file}`]));
      }
      paths.push(resolve(tmp, rel));
    }
    const existingPaths = paths.filter((p) => existsSync(p));
    if (existingPaths.length === 0) return fail(`no rule files at commit ${commit.slice(0, 12)}`);
    // Each file counts in the revision hash under its place in the work tree, not the scratch
    // folder's: the same rules and config give the recorded hash back.
    const countedAs = (file: string) => relative(config.dir, join(root, relative(tmp, file)));
    const result = compileRuleSet(config, `the rules at git commit ${commit.slice(0, 12)} (with the providers and principals of the config given now)`, existingPaths, countedAs);
    if (result.ruleset) result.ruleset.revision = { ...result.ruleset.revision, git_commit: commit };
    return result;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
