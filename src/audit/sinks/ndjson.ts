/**
 * One JSON line per event, to stdout or a file, through pino's destination (sonic-boom),
 * for log pipelines. Not queryable: point a collector at it.
 */
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pino from 'pino';
import type { AuditSink } from '../../types/gateway-config.js';
import type { SinkDriver } from './types.js';

type Destination = ReturnType<typeof pino.destination>;

export function ndjsonSink(config: AuditSink, opts: { baseDir?: string } = {}): SinkDriver {
  const target = !config.path || config.path === 'stdout' ? 1 : resolve(opts.baseDir ?? process.cwd(), config.path);
  let dest: Destination | undefined;
  let failure: Error | undefined;

  return {
    type: 'ndjson',
    async open() {
      if (dest) return;
      // Made and opened here first, so that a path the gateway may not write to fails this
      // open (and the queue retries it) without leaving behind a destination that never
      // opens: pino would keep it, and its exit hook throws "sonic boom is not ready yet".
      if (typeof target === 'string') {
        mkdirSync(dirname(target), { recursive: true });
        closeSync(openSync(target, 'a'));
      }
      dest = pino.destination({ dest: target, sync: false, mkdir: true, minLength: 0 });
      dest.on('error', (err: Error) => {
        failure = err;
      });
      if (typeof target === 'string') await once(dest, 'ready');
    },
    async write(events) {
      if (!dest) throw new Error('ndjson audit sink is not open');
      if (failure) {
        const err = failure;
        failure = undefined;
        throw err;
      }
      let text = '';
      for (const e of events) text += e.json + '\n';
      // false means sonic-boom's buffer is full: wait, so the bounded queue absorbs the burst instead.
      if (!dest.write(text)) await once(dest, 'drain');
    },
    isPermanent: (err) => err instanceof TypeError,
    async close() {
      if (!dest) return;
      const d = dest;
      dest = undefined;
      const closed = once(d, 'close');
      d.end();
      await closed;
    },
  };
}
