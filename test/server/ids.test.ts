import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId, requestIdFrom } from '../../src/server/ids.js';

describe('newId', () => {
  it('is the prefix, 12 hex digits of the time in ms, then 20 random hex digits', () => {
    const before = Date.now();
    const id = newId('dec_');
    const after = Date.now();
    assert.match(id, /^dec_[0-9a-f]{32}$/);
    const ms = parseInt(id.slice(4, 16), 16);
    assert.ok(ms >= before && ms <= after, `${ms} not in [${before}, ${after}]`);
  });

  it('never repeats, across refills of the random pool, and sorts by creation time', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3000; i++) ids.push(newId('req_'));
    await new Promise((r) => setTimeout(r, 5));
    const later = newId('req_');
    assert.equal(new Set(ids).size, ids.length);
    // The random part is not constant: every hex digit shows up somewhere in it.
    assert.equal(new Set(ids.flatMap((id) => [...id.slice(16)])).size, 16);
    assert.ok(ids.every((id) => id.slice(0, 16) < later.slice(0, 16)));
  });

  it('keeps a safe client x-request-id and replaces anything else', () => {
    assert.equal(requestIdFrom('abc-123'), 'abc-123');
    assert.match(requestIdFrom('has space'), /^req_[0-9a-f]{32}$/);
    assert.match(requestIdFrom(['a', 'b']), /^req_[0-9a-f]{32}$/);
    assert.match(requestIdFrom(undefined), /^req_[0-9a-f]{32}$/);
  });
});
