/** The config revision: content hash of config + rules, and the git commit of the rules' work tree. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitCommit } from '../../src/rules/index.js';
import { compileTree, tempTree } from './helpers.js';

const RULES = { 'rules/a.yaml': "rules:\n  - id: a\n    when: 'true'\n    route: openai/gpt-4o\n" };
const SHA = '0123456789abcdef0123456789abcdef01234567';
const SHA2 = 'fedcba9876543210fedcba9876543210fedcba98';

describe('revision', () => {
  it('is the first 16 hex of a sha256 over config and rule files; equal content, equal hash', () => {
    const a = compileTree(RULES).bundle!.revision;
    const b = compileTree(RULES).bundle!.revision;
    assert.match(a.hash, /^[0-9a-f]{16}$/);
    assert.equal(a.hash, b.hash, 'temporary folders differ, the hash does not (paths count relative to the config)');
    assert.equal(a.git_commit, null, 'not in a git work tree');
  });

  it('changes with any rule file, its name, or the config', () => {
    const base = compileTree(RULES).bundle!.revision.hash;
    assert.notEqual(compileTree({ 'rules/a.yaml': `${RULES['rules/a.yaml']}# comment\n` }).bundle!.revision.hash, base);
    assert.notEqual(compileTree({ 'rules/b.yaml': RULES['rules/a.yaml'] }).bundle!.revision.hash, base);
    const config = compileTree(RULES).config.source!.text;
    assert.notEqual(compileTree(RULES, `${config}# changed\n`).bundle!.revision.hash, base);
  });

  it('git commit: a branch ref, packed refs, a detached HEAD, a worktree .git file', () => {
    const repo = tempTree({ '.git/HEAD': 'ref: refs/heads/main\n', '.git/refs/heads/main': `${SHA}\n`, 'rules/x/a.yaml': '' });
    assert.equal(gitCommit(join(repo, 'rules', 'x')), SHA);
    const packed = tempTree({ '.git/HEAD': 'ref: refs/heads/dev\n', '.git/packed-refs': `# pack-refs with: peeled\n${SHA2} refs/heads/dev\n` });
    assert.equal(gitCommit(packed), SHA2);
    const detached = tempTree({ '.git/HEAD': `${SHA}\n` });
    assert.equal(gitCommit(detached), SHA);
    const main = tempTree({ 'repo.git/worktrees/w/HEAD': 'ref: refs/heads/feature\n', 'repo.git/worktrees/w/commondir': '../..\n', 'repo.git/refs/heads/feature': `${SHA2}\n` });
    mkdirSync(join(main, 'w'));
    writeFileSync(join(main, 'w', '.git'), `gitdir: ${join(main, 'repo.git', 'worktrees', 'w')}\n`);
    assert.equal(gitCommit(join(main, 'w')), SHA2);
    const unborn = tempTree({ '.git/HEAD': 'ref: refs/heads/main\n' });
    assert.equal(gitCommit(unborn), null);
  });

  it('a bundle in a work tree records its commit', () => {
    const c = compileTree({ ...RULES, '.git/HEAD': 'ref: refs/heads/main\n', '.git/refs/heads/main': `${SHA}\n` });
    assert.equal(c.bundle!.revision.git_commit, SHA);
  });
});
