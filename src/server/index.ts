/**
 * Starting and stopping a gateway: load → runtime → fastify → listen, and a shutdown
 * that stops accepting, lets in-flight requests finish, then flushes every audit event.
 */
import { readFileSync } from 'node:fs';
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

/** server.backlog's default: what Linux allows (net.core.somaxconn) by default since 5.4. */
const DEFAULT_BACKLOG = 4096;

/** The kernel's cap on a listen backlog (Linux's net.core.somaxconn); undefined where unknown. */
function kernelBacklogCap(): number | undefined {
  try {
    const cap = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    return Number.isInteger(cap) && cap > 0 ? cap : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What to tell the operator when the kernel will silently shorten the listen backlog.
 * @example backlogWarning(8192, 4096) // "server.backlog 8192 is above the kernel's net.core.somaxconn (4096), …"
 * @example backlogWarning(4096, 4096) // undefined
 */
export function backlogWarning(backlog: number, cap: number | undefined): string | undefined {
  if (cap === undefined || backlog <= cap) return undefined;
  return `server.backlog ${backlog} is above the kernel's net.core.somaxconn (${cap}), which caps it: at most ${cap} new connections wait to be accepted; raise the sysctl (sysctl -w net.core.somaxconn=${backlog}) for more`;
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
    // Node's own backlog, 511, overflows when thousands of streams connect at once while
    // the event loop is busy: the connections past it are reset (52 of 5,000 so measured).
    const backlog = server.backlog ?? DEFAULT_BACKLOG;
    await app.listen({ port: opts.port ?? server.port ?? 8080, host: opts.host ?? server.host ?? '127.0.0.1', backlog });
    // Only a backlog the operator set is worth a warning: on a kernel capped below the
    // default (128 before Linux 5.4), one at every start would say nothing they chose.
    const warning = server.backlog === undefined ? undefined : backlogWarning(backlog, kernelBacklogCap());
    if (warning) runtime.logger.warn({ backlog }, warning);
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
