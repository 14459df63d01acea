/**
 * Starting and stopping a gateway: load → runtime → fastify → listen, and a shutdown
 * that stops accepting, lets in-flight requests finish, then flushes every audit event.
 */
import type { FastifyInstance } from 'fastify';
import type { LoadedConfig } from '../config/index.js';
import { buildApp } from './app.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';

export interface Gateway {
  app: FastifyInstance;
  runtime: Runtime;
  /** `http://host:port` actually bound. */
  url: string;
  /** Stops accepting, waits for in-flight requests (up to server.shutdown_grace_ms), flushes the audit log. */
  close(): Promise<void>;
}

export interface StartOptions extends RuntimeOptions {
  /** Overrides server.port (0: an ephemeral port). */
  port?: number;
  host?: string;
}

/**
 * @example
 * const { config } = loadConfig({ path: 'switchyard.yaml' });
 * const gw = await startGateway(config!, { port: 0 });
 * await fetch(`${gw.url}/v1/chat/completions`, ...);
 * await gw.close();
 */
/** How long shutdown waits, after the connections close, for requests to settle and be audited. */
const SETTLE_MS = 5_000;

export async function startGateway(loaded: LoadedConfig, opts: StartOptions = {}): Promise<Gateway> {
  const runtime = createRuntime(loaded, opts);
  let app: FastifyInstance;
  try {
    app = await buildApp(runtime);
    const server = loaded.config.server ?? {};
    await app.listen({ port: opts.port ?? server.port ?? 8080, host: opts.host ?? server.host ?? '127.0.0.1' });
  } catch (e) {
    await runtime.close();
    throw e;
  }
  const addr = app.server.address();
  const url = typeof addr === 'object' && addr ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);
  let closing: Promise<void> | null = null;
  return {
    app, runtime, url,
    close() {
      closing ??= (async () => {
        runtime.ready = false;
        // /readyz answers 503 from now on; until the load balancer has noticed, new
        // connections still come, and are served rather than refused.
        const delay = loaded.config.server?.drain_delay_ms ?? 0;
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        runtime.closing = true;
        const grace = loaded.config.server?.shutdown_grace_ms ?? 10_000;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          app.close(),
          new Promise<void>((resolve) => { timer = setTimeout(() => { app.server.closeAllConnections(); resolve(); }, grace); }),
        ]);
        clearTimeout(timer);
        // Requests that finished sending, or were cut at the grace period's end, may still
        // be settling their spend and recording their events: the counter store and the
        // audit log close after them. Cut requests end fast (their upstream calls are
        // aborted with their connections); the wait is bounded all the same.
        if (!(await runtime.work.idle(SETTLE_MS))) {
          runtime.logger.error({ requests: runtime.work.count, waited_ms: SETTLE_MS }, 'requests still settling at shutdown: their spend and audit events may be lost');
        }
        await runtime.close();
      })();
      return closing;
    },
  };
}

export { buildApp } from './app.js';
export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
