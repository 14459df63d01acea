/** Memos by model name stay bounded: the names come from clients. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MEMO_MAX, memoByName } from '../../src/memo.js';
import { perModel } from '../../src/providers/per-model.js';
import { settings } from './fixtures.js';

describe('memos by model name', () => {
  it('remember a value, undefined and null included, without computing it again', () => {
    const seen: string[] = [];
    const f = memoByName((n) => (seen.push(n), n === 'u' ? undefined : n === 'n' ? null : n.length));
    for (const n of ['abc', 'u', 'n', 'abc', 'u', 'n']) f(n);
    assert.deepEqual(seen, ['abc', 'u', 'n']);
    assert.equal(f('abc'), 3);
  });

  it('start afresh once full, so a client naming endless models cannot grow them', () => {
    const seen: string[] = [];
    const f = memoByName((n) => seen.push(n), 3);
    for (const n of ['a', 'b', 'c', 'a', 'd', 'a']) f(n);
    assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'a']);
  });

  it('a per-model provider option is read again for a name it has let go', () => {
    const reads: unknown[] = [];
    const optionOf = perModel('api', (v) => (reads.push(v), v as string));
    const s = settings('openai', { options: { api: { 'gpt-*': 'responses' } } });
    assert.equal(optionOf(s, 'gpt-first'), 'responses');
    for (let i = 0; i < MEMO_MAX; i++) optionOf(s, `gpt-${i}`);
    const before = reads.length;
    optionOf(s, 'gpt-first');
    assert.equal(reads.length, before + 1);
  });
});
