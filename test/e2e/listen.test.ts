/**
 * server.backlog reaches listen(2): a burst of new connections while the event loop is
 * busy waits in the kernel's queue instead of being reset once Node's 511 is full.
 */
import { afterEach, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { Server } from 'node:net';
import { backlogWarning } from '../../src/server/index.js';
import { startE2E, HOOK, SUITE } from './helpers.js';

afterEach(() => mock.restoreAll());

/** Starts a gateway with `server` and returns the backlog its own listen call was given. */
async function listenedBacklog(server: Record<string, unknown>): Promise<unknown> {
  const listen = mock.method(Server.prototype, 'listen');
  const e2e = await startE2E({ server: { allow_unauthenticated: true, ...server }, providers: { m: { type: 'mock', models: ['*'] } } });
  try {
    const calls = listen.mock.calls.filter((c) => c.this === e2e.gw.app.server);
    assert.equal(calls.length, 1);
    return (calls[0].arguments[0] as { backlog?: unknown }).backlog;
  } finally {
    await e2e.close();
  }
}

test('server.backlog is the listen backlog', { ...SUITE, timeout: HOOK.timeout }, async () => {
  assert.equal(await listenedBacklog({ backlog: 8192 }), 8192);
});

test('the backlog is 4096 when server.backlog is not set, not Node\'s 511', { ...SUITE, timeout: HOOK.timeout }, async () => {
  assert.equal(await listenedBacklog({}), 4096);
});

test('a backlog the kernel would shorten is warned about; one it takes, or an unknown cap, is not', () => {
  assert.equal(backlogWarning(8192, 4096), "server.backlog 8192 is above the kernel's net.core.somaxconn (4096), which caps it: at most 4096 new connections wait to be accepted; raise the sysctl (sysctl -w net.core.somaxconn=8192) for more");
  assert.equal(backlogWarning(4096, 4096), undefined);
  assert.equal(backlogWarning(8192, undefined), undefined, 'not Linux: no cap to compare with');
});
