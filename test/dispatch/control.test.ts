// AttemptControl's timeouts: a long one is a deadline the shared sweep checks, a short one
// a timer of its own; either fires with the cause it was last armed with, never early.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { AttemptControl, sweepTimeouts } from '../../src/dispatch/control.js';

const aborted = (c: AttemptControl): Promise<void> => new Promise((resolve) => c.addEventListener('abort', resolve));
const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('AttemptControl', () => {
  it('fires a long timeout once it is due, not before, with its cause', () => {
    const c = new AttemptControl();
    const before = performance.now();
    c.arm(600_000, 'response_timeout');
    const after = performance.now();
    sweepTimeouts(before + 599_999);
    assert.equal(c.aborted, false);
    sweepTimeouts(after + 600_000);
    assert.equal(c.abortedBy, 'response_timeout');
  });

  it('moves a long timeout when re-armed or refreshed, and forgets it when cleared', () => {
    const c = new AttemptControl();
    c.arm(600_000, 'response_timeout');
    const armedAt = performance.now();
    c.arm(30_000, 'idle_timeout');
    sweepTimeouts(armedAt + 30_000 + 1);
    assert.equal(c.abortedBy, 'idle_timeout', 'the idle timeout replaced the response one');

    const d = new AttemptControl();
    d.arm(30_000, 'idle_timeout');
    const idleAt = performance.now();
    while (performance.now() < idleAt + 2);
    const before = performance.now();
    d.refresh();
    sweepTimeouts(before + 29_999);
    assert.equal(d.aborted, false, 'a refresh restarts the idle timeout');
    d.clear();
    sweepTimeouts(before + 1e9);
    assert.equal(d.aborted, false, 'a cleared timeout never fires');
  });

  it('hands a timeout between the sweep and a timer of its own as its length changes', async () => {
    const c = new AttemptControl();
    c.arm(600_000, 'response_timeout');
    c.arm(20, 'deadline');
    await aborted(c);
    assert.equal(c.abortedBy, 'deadline');

    const d = new AttemptControl();
    d.arm(20, 'attempt_timeout');
    const before = performance.now();
    d.arm(600_000, 'response_timeout');
    const after = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(d.aborted, false, 'the short timer was stopped');
    sweepTimeouts(before + 599_999);
    assert.equal(d.aborted, false);
    sweepTimeouts(after + 600_000);
    assert.equal(d.abortedBy, 'response_timeout');
  });

  it('keeps one timer for any number of long timeouts, and none once they are cleared', () => {
    const base = timers();
    const controls = Array.from({ length: 500 }, () => new AttemptControl());
    for (const c of controls) c.arm(600_000, 'response_timeout');
    for (const c of controls) c.arm(30_000, 'idle_timeout');
    assert.ok(timers() <= base + 1, `${timers() - base} timers for 500 attempts`);
    for (const c of controls) c.clear();
    sweepTimeouts();
    assert.ok(timers() <= base, 'the sweep stops when nothing is left to watch');
  });
});
