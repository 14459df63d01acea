/**
 * The revision a decision was made under: a content hash of config + rule files, and
 * the git commit of the rules folder's work tree when there is one. Computed once, at
 * compile time, by reading `.git` directly (no subprocess).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import type { Revision } from '../types/audit-event.js';

export interface RevisionInput {
  configHash: string;
  /** Rule files in source order; `path` as it should count (relative to the config folder). */
  files: readonly { path: string; text: string }[];
  /** A folder inside the work tree (the rules folder); null: do not look for git. */
  gitFrom: string | null;
}

export function computeRevision(input: RevisionInput): Revision {
  const h = createHash('sha256').update(input.configHash);
  for (const f of input.files) h.update('\u0000').update(f.path).update('\u0000').update(f.text);
  return { hash: h.digest('hex').slice(0, 16), git_commit: input.gitFrom ? gitCommit(input.gitFrom) : null };
}

function readText(p: string): string | null {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The `.git` folder of the work tree containing `from`, following `gitdir:` files (worktrees, submodules). */
function findGitDir(from: string): string | null {
  let dir = resolve(from);
  for (;;) {
    const dotGit = join(dir, '.git');
    if (existsSync(dotGit)) {
      if (statSync(dotGit).isDirectory()) return dotGit;
      const m = /^gitdir:\s*(.+)$/m.exec(readText(dotGit) ?? '');
      if (!m) return null;
      return isAbsolute(m[1]) ? m[1] : resolve(dir, m[1]);
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function resolveRef(gitDir: string, ref: string): string | null {
  const common = readText(join(gitDir, 'commondir'));
  const dirs = [gitDir, ...(common ? [isAbsolute(common) ? common : resolve(gitDir, common)] : [])];
  for (const d of dirs) {
    const loose = readText(join(d, ref));
    if (loose && /^[0-9a-f]{40,64}$/.test(loose)) return loose;
  }
  for (const d of dirs) {
    const packed = readText(join(d, 'packed-refs'));
    if (!packed) continue;
    for (const line of packed.split('\n')) {
      const [sha, name] = line.split(' ');
      if (name === ref && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
    }
  }
  return null;
}

/** HEAD's commit of the git work tree containing `from`, or null (not a work tree, unborn branch). */
export function gitCommit(from: string): string | null {
  const gitDir = findGitDir(from);
  if (!gitDir) return null;
  const head = readText(join(gitDir, 'HEAD'));
  if (!head) return null;
  if (/^[0-9a-f]{40,64}$/.test(head)) return head;
  const m = /^ref:\s*(\S+)$/.exec(head);
  return m ? resolveRef(gitDir, m[1]) : null;
}
