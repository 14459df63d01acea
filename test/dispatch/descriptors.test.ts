/**
 * A gateway out of file descriptors (its open-file limit reached by client and upstream
 * connections): the call fails as the gateway's own overload, and the providers it could
 * not reach are not blamed for it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const child = fileURLToPath(new URL('./fixtures/out-of-descriptors.ts', import.meta.url));

describe('out of file descriptors', () => {
  it('EMFILE: SY_ERR_OVERLOADED naming the open-file limit, no provider cooled down, the next call served', () => {
    // `ulimit -n` lowers both limits, so node cannot raise its own soft limit past it.
    const out = execFileSync('bash', ['-c', `ulimit -n 256 && exec "${process.execPath}" --import tsx "${child}"`], { encoding: 'utf8', timeout: 30_000 });
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    assert.ok(r.held > 0, 'the child used up its descriptors');
    assert.equal(r.starved.code, 'SY_ERR_OVERLOADED');
    assert.match(r.starved.message, /out of file descriptors \(EMFILE\).*open-file limit/);
    assert.deepEqual(r.starved.reasons, ['overloaded', null], 'each target recorded as overloaded (the last, as usual, without a fallback reason)');
    assert.deepEqual(r.after, { served: 'a' }, 'neither provider was put in cooldown for the gateway\'s own shortage');
    assert.equal(r.upstreamCalls, 1);
  });
});
