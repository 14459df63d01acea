import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import { createAuditLog } from '../../src/audit/log.js';
import { registerAuditMetrics } from '../../src/audit/metrics.js';
import type { SinkDriver } from '../../src/audit/sinks/types.js';
import type { StoredEvent } from '../../src/audit/stored.js';
import type { AuditEventV1 } from '../../src/types/audit-event.js';
import { makeEvents } from './fixtures.js';

class PermanentError extends Error {}

/** An in-memory sink whose writes can be held, failed or refused. */
function fakeSink(behaviour: { failures?: number; refuse?: (e: StoredEvent) => boolean; hold?: Promise<void> } = {}) {
  const stored = new Map<string, StoredEvent>();
  let failuresLeft = behaviour.failures ?? 0;
  let writes = 0;
  const driver: SinkDriver = {
    type: 'sqlite',
    async open() {},
    async write(events) {
      writes++;
      await behaviour.hold;
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('connection refused');
      }
      if (behaviour.refuse && events.some(behaviour.refuse)) throw new PermanentError('bad event');
      for (const e of events) stored.set(e.decision_id, e);
    },
    isPermanent: (err) => err instanceof PermanentError,
    async close() {},
  };
  return { driver, stored, writes: () => writes };
}

function captureLogger() {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  return {
    lines,
    warn: (obj: object, msg?: string) => lines.push({ level: 'warn', obj, msg }),
    error: (obj: object, msg?: string) => lines.push({ level: 'error', obj, msg }),
  };
}

describe('AuditLog', () => {
  it('batches writes off the request path and flushes on demand', async () => {
    const sink = fakeSink();
    const log = createAuditLog({ sinks: [{ type: 'sqlite', batch_size: 50, flush_interval_ms: 10_000 }] }, { drivers: [sink.driver], logger: captureLogger() });
    const events = makeEvents(120);
    for (const e of events) log.recordEvent(e);
    assert.equal(sink.stored.size, 0, 'record() never writes synchronously');
    await log.flush();
    assert.equal(sink.stored.size, 120);
    assert.ok(sink.writes() <= 4, `batched: ${sink.writes()} writes`);
    assert.deepEqual(log.stats()[0], { sink: 'sqlite', type: 'sqlite', written: 120, dropped: 0, rejected: 0, failures: 0, queued: 0, queued_bytes: 0, last_error: null });
    await log.close();
  });

  it('writes what came in during a write as a full batch at once, and less only after the flush interval or on flush', async () => {
    const sizes: number[] = [];
    let release!: () => void;
    let started!: () => void;
    let writing = new Promise<void>((r) => { started = r; });
    const driver: SinkDriver = {
      type: 'sqlite',
      async open() {},
      async write(events) {
        sizes.push(events.length);
        const held = new Promise<void>((r) => { release = r; });
        started();
        await held;
      },
      isPermanent: () => false,
      async close() {},
    };
    const log = createAuditLog({ sinks: [{ type: 'sqlite', batch_size: 100, flush_interval_ms: 60_000 }] }, { drivers: [driver], logger: captureLogger() });
    const events = makeEvents(250);
    for (const e of events.slice(0, 100)) log.recordEvent(e);
    await writing;
    // 150 more while the first batch is being written.
    for (const e of events.slice(100)) log.recordEvent(e);
    writing = new Promise<void>((r) => { started = r; });
    release();
    await writing;
    assert.deepEqual(sizes, [100, 100]);
    release();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(sizes, [100, 100], 'the last 50 wait for the flush interval');
    assert.equal(log.stats()[0].queued, 50);
    const flushed = log.flush();
    await new Promise((r) => setTimeout(r, 0));
    release();
    await flushed;
    assert.deepEqual(sizes, [100, 100, 50]);
    assert.equal(log.stats()[0].written, 250);
    await log.close();
  });

  it('lets go of written events at once, not at the next compaction', async () => {
    // Each queued event holds its JSON text: a buffer that keeps thousands of written ones
    // alive shows up as tens of MB of RSS at peak load.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs: WeakRef<StoredEvent>[] = [];
    const driver: SinkDriver = {
      type: 'ndjson',
      async open() {},
      async write(events) { for (const e of events) refs.push(new WeakRef(e)); },
      isPermanent: () => false,
      async close() {},
    };
    const log = createAuditLog({ sinks: [{ type: 'ndjson', batch_size: 100, flush_interval_ms: 10_000 }] }, { drivers: [driver], logger: captureLogger() });
    for (const e of makeEvents(1000)) log.recordEvent(e);
    await log.flush();
    assert.equal(refs.length, 1000);
    await new Promise((r) => setImmediate(r));
    gc();
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    assert.equal(alive, 0, `${alive} written events still reachable`);
    await log.close();
  });

  it('drops and counts events beyond the buffer, with a rate-limited warning', async () => {
    let release!: () => void;
    const sink = fakeSink({ hold: new Promise<void>((r) => { release = r; }) });
    const logger = captureLogger();
    const log = createAuditLog({ sinks: [{ type: 'sqlite', batch_size: 10, buffer_size: 30 }] }, { drivers: [sink.driver], logger });
    const events = makeEvents(100);
    for (const e of events) log.recordEvent(e);
    const s = log.stats()[0];
    assert.equal(s.dropped, 70);
    assert.equal(s.queued, 30);
    assert.equal(logger.lines.filter((l) => l.msg === 'audit buffer full: event dropped').length, 1);
    release();
    await log.close();
    assert.equal(sink.stored.size, 30);
    assert.deepEqual([...sink.stored.keys()], events.slice(0, 30).map((e) => e.decision_id));
  });

  it('bounds the buffer by the bytes of its events too: large prompts are dropped and counted as a full buffer drops them', async () => {
    let release!: () => void;
    const sink = fakeSink({ hold: new Promise<void>((r) => { release = r; }) });
    const logger = captureLogger();
    // Each event carries a 100 KB prompt (audit.store_prompts); the buffer takes 1 MB of them.
    const log = createAuditLog({ store_prompts: true, sinks: [{ type: 'sqlite', batch_size: 10, buffer_bytes: 1_000_000 }] }, { drivers: [sink.driver], logger });
    const prompt = 'p'.repeat(100_000);
    const withPrompt = (e: AuditEventV1): AuditEventV1 => ({ ...e, request: { ...e.request, body: { messages: [{ role: 'user', content: prompt }] } } });
    const events = makeEvents(40).map(withPrompt);
    for (const e of events.slice(0, 30)) log.recordEvent(e);
    let s = log.stats()[0];
    assert.equal(s.queued, 9, 'nine 100 KB events fit in 1 MB');
    assert.equal(s.dropped, 21);
    assert.equal(logger.lines.filter((l) => l.msg === 'audit buffer full: event dropped').length, 1);
    release();
    await log.flush();
    // Written events free their bytes: the buffer takes as many again.
    for (const e of events.slice(30)) log.recordEvent(e);
    s = log.stats()[0];
    assert.equal(s.queued, 9);
    assert.equal(s.dropped, 22);
    await log.close();
    assert.deepEqual([...sink.stored.keys()], [...events.slice(0, 9), ...events.slice(30, 39)].map((e) => e.decision_id));
  });

  it('takes an event larger than buffer_bytes when the buffer is empty, so a large request is still audited', async () => {
    let release!: () => void;
    const sink = fakeSink({ hold: new Promise<void>((r) => { release = r; }) });
    const log = createAuditLog({ sinks: [{ type: 'sqlite', buffer_bytes: 1000 }] }, { drivers: [sink.driver], logger: captureLogger() });
    const events = makeEvents(3);
    for (const e of events) log.recordEvent(e);
    assert.deepEqual([log.stats()[0].queued, log.stats()[0].dropped], [1, 2]);
    release();
    await log.close();
    assert.deepEqual([...sink.stored.keys()], [events[0].decision_id]);
  });

  it('holds at most 256 MB of events by default, however many fit in buffer_size', async () => {
    let release!: () => void;
    const sink = fakeSink({ hold: new Promise<void>((r) => { release = r; }) });
    const log = createAuditLog({ sinks: [{ type: 'sqlite' }] }, { drivers: [sink.driver], logger: captureLogger() });
    // 8 MB prompts (about two million tokens each): 31 of them fill 256 MB.
    const prompt = 'p'.repeat(8 * 1024 * 1024);
    for (const e of makeEvents(33)) log.recordEvent({ ...e, request: { ...e.request, body: { messages: [{ role: 'user', content: prompt }] } } });
    const s = log.stats()[0];
    assert.equal(s.queued, 31);
    assert.equal(s.dropped, 2);
    release();
    await log.close();
  });

  it('writes large events a few at a time: a batch holds at most 16 MB of them, whatever batch_size says', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => { release = r; });
    const sizes: number[] = [];
    const stored: string[] = [];
    const driver: SinkDriver = {
      type: 'sqlite',
      async open() {},
      async write(events) {
        await hold;
        sizes.push(events.reduce((n, e) => n + e.json.length, 0));
        stored.push(...events.map((e) => e.decision_id));
      },
      isPermanent: () => false,
      async close() {},
    };
    const log = createAuditLog({ sinks: [{ type: 'sqlite', batch_size: 500 }] }, { drivers: [driver], logger: captureLogger() });
    const prompt = 'p'.repeat(3 * 1024 * 1024);
    const events = makeEvents(12);
    // The first write is held while eleven 3 MB events pile up behind it, as behind a stalled writer.
    for (const e of events) log.recordEvent({ ...e, request: { ...e.request, body: { messages: [{ role: 'user', content: prompt }] } } });
    release();
    await log.flush();
    assert.deepEqual(stored, events.map((e) => e.decision_id));
    assert.ok(sizes.length >= 3 && sizes.every((n) => n <= 16 * 1024 * 1024), `batches of ${sizes.join(', ')} bytes`);
    await log.close();
  });

  it('retries a failing sink with backoff and loses nothing', async () => {
    const sink = fakeSink({ failures: 3 });
    const logger = captureLogger();
    const log = createAuditLog({ sinks: [{ type: 'sqlite', batch_size: 20, flush_interval_ms: 1 }] }, { drivers: [sink.driver], logger, backoff: { baseMs: 5, maxMs: 20 } });
    for (const e of makeEvents(50)) log.recordEvent(e);
    await log.flush();
    const s = log.stats()[0];
    assert.equal(s.failures, 3);
    assert.equal(s.written, 50);
    assert.equal(sink.stored.size, 50);
    assert.equal(s.last_error, null);
    assert.ok(logger.lines.some((l) => l.msg === 'audit sink write failed: retrying'));
    await log.close();
  });

  it('isolates an event the sink refuses and writes the rest of its batch', async () => {
    const sink = fakeSink({ refuse: (e) => e.decision_id === 'dec-000013' });
    const logger = captureLogger();
    const log = createAuditLog({ sinks: [{ type: 'sqlite', batch_size: 32 }] }, { drivers: [sink.driver], logger });
    for (const e of makeEvents(40)) log.recordEvent(e);
    await log.close();
    assert.equal(sink.stored.size, 39);
    assert.equal(sink.stored.has('dec-000013'), false);
    assert.deepEqual({ ...log.stats()[0], last_error: null }, { sink: 'sqlite', type: 'sqlite', written: 39, dropped: 0, rejected: 1, failures: 0, queued: 0, queued_bytes: 0, last_error: null });
    assert.ok(logger.lines.some((l) => l.level === 'error' && (l.obj as { decision_id?: string }).decision_id === 'dec-000013'));
  });

  it('close() drains every buffered event into a real store, then counts later records as dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-audit-close-'));
    try {
      const path = join(dir, 'audit.db');
      const log = createAuditLog({ sinks: [{ type: 'sqlite', path, batch_size: 100_000, flush_interval_ms: 60_000 }] }, { logger: captureLogger() });
      const events = makeEvents(2000);
      for (const e of events) log.recordEvent(e);
      await log.close();
      log.recordEvent(makeEvents(1)[0]);
      assert.equal(log.stats()[0].dropped, 1);
      const { openAuditReader } = await import('../../src/audit/reader.js');
      const reader = openAuditReader({ type: 'sqlite', path });
      const ids = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await reader.query({ limit: 1000, cursor });
        for (const e of page.events) ids.add(e.decision_id);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      await reader.close();
      assert.equal(ids.size, 2000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() gives up on a dead sink at its deadline and counts what it could not write', async () => {
    const sink = fakeSink({ failures: Number.MAX_SAFE_INTEGER });
    const logger = captureLogger();
    const log = createAuditLog({ sinks: [{ type: 'sqlite', batch_size: 5 }] }, { drivers: [sink.driver], logger, backoff: { baseMs: 5, maxMs: 10 }, closeTimeoutMs: 100 });
    for (const e of makeEvents(12)) log.recordEvent(e);
    const started = Date.now();
    await log.close();
    assert.ok(Date.now() - started < 2000);
    assert.equal(log.stats()[0].dropped, 12);
    assert.equal(log.stats()[0].queued, 0);
    assert.ok(logger.lines.some((l) => l.msg === 'audit sink still failing at shutdown: events dropped'));
  });

  describe('close() while the sink is still opening (a writer thread starting, a pool connecting)', () => {
    /** A sink whose open() finishes when the test says, recording the order of open and close. */
    function slowToOpen() {
      const log: string[] = [];
      let finish!: () => void;
      const opened = new Promise<void>((resolve) => { finish = resolve; });
      const driver: SinkDriver = {
        ...fakeSink().driver,
        async open() {
          log.push('open started');
          await opened;
          log.push('open done');
        },
        async close() { log.push('close'); },
      };
      return { driver, log, finish };
    }

    it('waits for it to open, then closes it: nothing is left running', async () => {
      const sink = slowToOpen();
      const audit = createAuditLog({ sinks: [{ type: 'sqlite' }] }, { drivers: [sink.driver], logger: captureLogger() });
      const closing = audit.close();
      setTimeout(sink.finish, 20);
      await closing;
      assert.deepEqual(sink.log, ['open started', 'open done', 'close']);
    });

    it('stops waiting at its deadline, and closes the sink when it opens later', async () => {
      const sink = slowToOpen();
      const audit = createAuditLog({ sinks: [{ type: 'sqlite' }] }, { drivers: [sink.driver], logger: captureLogger(), closeTimeoutMs: 30 });
      await audit.close();
      assert.deepEqual(sink.log, ['open started', 'close']);
      sink.finish();
      await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(sink.log, ['open started', 'close', 'open done', 'close']);
    });
  });

  it('writes to several sinks at once, each with its own buffer and counters', async () => {
    const a = fakeSink();
    const b = fakeSink({ failures: 1 });
    const log = createAuditLog({ sinks: [{ type: 'sqlite' }, { type: 'sqlite' }] }, { drivers: [a.driver, b.driver], logger: captureLogger(), backoff: { baseMs: 1, maxMs: 2 } });
    for (const e of makeEvents(10)) log.recordEvent(e);
    await log.close();
    assert.deepEqual(log.stats().map((s) => [s.sink, s.written, s.failures]), [['sqlite', 10, 0], ['sqlite-2', 10, 1]]);
  });

  it('record() never throws, and rejects what is not an event', async () => {
    const log = createAuditLog({ sinks: [{ type: 'sqlite' }] }, { drivers: [fakeSink().driver], logger: captureLogger() });
    assert.doesNotThrow(() => log.recordEvent(undefined as unknown as AuditEventV1));
    assert.doesNotThrow(() => log.recordEvent({ decision_id: 'x', ts: 'yesterday' } as unknown as AuditEventV1));
    assert.doesNotThrow(() => log.record(undefined as unknown as Parameters<typeof log.record>[0]));
    assert.doesNotThrow(() => log.record({ decisionId: 'y' } as unknown as Parameters<typeof log.record>[0]));
    await log.close();
    assert.equal(log.stats()[0].rejected, 4);
  });

  it('is a no-op when disabled', async () => {
    const log = createAuditLog({ enabled: false });
    assert.equal(log.enabled, false);
    log.recordEvent(makeEvents(1)[0]);
    assert.deepEqual(log.stats(), []);
    await assert.rejects(log.query({}), { code: 'SY_ERR_UNAVAILABLE' });
    await log.close();
  });

  it('exports Prometheus counters per sink', async () => {
    let release!: () => void;
    const sink = fakeSink({ hold: new Promise<void>((r) => { release = r; }) });
    const log = createAuditLog({ sinks: [{ type: 'sqlite', buffer_size: 2 }] }, { drivers: [sink.driver], logger: captureLogger() });
    for (const e of makeEvents(5)) log.recordEvent(e);
    const registry = new Registry();
    registerAuditMetrics(log, registry);
    const text = await registry.metrics();
    assert.match(text, /switchyard_audit_dropped_total\{sink="sqlite"\} 3/);
    assert.match(text, /switchyard_audit_queued\{sink="sqlite"\} 2/);
    release();
    await log.close();
    assert.match(await registry.metrics(), /switchyard_audit_written_total\{sink="sqlite"\} 2/);
  });

  it('exports the bytes waiting in each sink buffer, so a sink that is down shows how near buffer_bytes it is', async () => {
    let release!: () => void;
    const sink = fakeSink({ hold: new Promise<void>((r) => { release = r; }) });
    const log = createAuditLog({ store_prompts: true, sinks: [{ type: 'sqlite', batch_size: 10, buffer_bytes: 1_000_000 }] }, { drivers: [sink.driver], logger: captureLogger() });
    const registry = new Registry();
    registerAuditMetrics(log, registry);
    const queuedBytes = async () => Number(/^switchyard_audit_queued_bytes\{sink="sqlite"\} (\d+)$/m.exec(await registry.metrics())?.[1]);
    assert.equal(await queuedBytes(), 0);
    const prompt = 'p'.repeat(100_000);
    for (const e of makeEvents(5)) log.recordEvent({ ...e, request: { ...e.request, body: { messages: [{ role: 'user', content: prompt }] } } });
    const held = await queuedBytes();
    release();
    await log.flush();
    assert.equal(held, [...sink.stored.values()].reduce((n, e) => n + e.json.length, 0), 'the JSON of the five held events');
    assert.ok(held > 500_000);
    assert.equal(log.stats()[0].queued_bytes, 0);
    assert.equal(await queuedBytes(), 0, 'written events free their bytes');
    await log.close();
  });

  it('ndjson sink writes one JSON line per event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-audit-nd-'));
    try {
      const path = join(dir, 'logs', 'audit.ndjson');
      const log = createAuditLog({ sinks: [{ type: 'ndjson', path }] }, { logger: captureLogger() });
      const events = makeEvents(300);
      for (const e of events) log.recordEvent(e);
      await log.close();
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      assert.equal(lines.length, 300);
      assert.deepEqual(lines.map((l) => JSON.parse(l)), events);
      await assert.rejects(log.query({}), { code: 'SY_ERR_UNAVAILABLE' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ndjson sink whose file cannot be opened', () => {
  // A folder the gateway may not create (or a file in its place): the sink is retried,
  // recovers once the path is fixed, and the process still exits cleanly. It used to keep
  // the half-opened destination, never opened it again, and threw "sonic boom is not ready
  // yet" from pino's exit hook, so a gateway stopped with SIGTERM exited 1 with a stack.
  it('fails open, opens on a retry once the path is fixed, and exits cleanly', { timeout: 30_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-audit-nd-'));
    try {
      writeFileSync(join(dir, 'logs'), ''); // a file where the sink's folder should be
      const sink = new URL('../../src/audit/sinks/ndjson.ts', import.meta.url).href;
      const script = `
        import { rmSync } from 'node:fs';
        const { ndjsonSink } = await import(${JSON.stringify(sink)});
        const dir = ${JSON.stringify(dir)};
        const s = ndjsonSink({ type: 'ndjson', path: 'logs/audit.ndjson' }, { baseDir: dir });
        await s.open().then(() => console.log('opened'), (e) => console.log('open failed:', e.code));
        rmSync(dir + '/logs');
        await s.open();
        await s.write([{ json: '{"n":1}' }]);
        await s.close();
        console.log('closed');
      `;
      const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { encoding: 'utf8' });
      assert.equal(r.stderr, '');
      assert.equal(r.status, 0);
      assert.match(r.stdout, /^open failed: E[A-Z]+\nclosed\n$/);
      assert.equal(readFileSync(join(dir, 'logs/audit.ndjson'), 'utf8'), '{"n":1}\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
