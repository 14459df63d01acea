/**
 * Sending one upstream HTTP request. Dispatch owns retries, so the transport never
 * retries, never follows redirects and has explicit timeouts (undici's defaults are
 * 300 s). `mock://` origins are answered in-process by the mock provider, through the
 * same attempt loop, decoders and error handling as the network.
 */
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { Pool, ProxyAgent, type Dispatcher } from 'undici';
import { DIRECT, proxyFor, shownProxy, type ProxyPlan } from '../config/proxy.js';
import { handleMockRequest, MOCK_ORIGIN_PREFIX } from '../providers/mock/index.js';
import type { HttpRequestSpec, ProviderSettings } from '../providers/types.js';
import type { UpstreamConfig } from '../types/gateway-config.js';
import type { AbortSignalLike } from './control.js';
import { BAD_CODING } from './encoding.js';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface UpstreamResponse {
  status: number;
  /** Lowercase names. */
  headers: ResponseHeaders;
  /** The body as it arrives, still in its content coding (see decodeBody); destroying it closes the upstream connection. */
  body: Readable;
}

/** An AbortSignal, or dispatch's lighter AttemptControl (undici accepts either). */
export type TransportSignal = AbortSignalLike;

/** Runs `fn` when `signal` aborts; returns the function that stops listening. */
export function onAbort(signal: TransportSignal, fn: () => void): () => void {
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

export interface SendOptions {
  /** Aborting it fails a pending send, destroys the body and closes the socket. */
  signal: TransportSignal;
  /** The provider the request is for (the mock reads its behaviour options from it). */
  provider?: ProviderSettings;
  /**
   * How long the answer's headers, and then each gap in its body, may take when that is
   * longer than upstream.headers_timeout_ms / body_timeout_ms: a non-streamed chat answer,
   * which the provider sends only once the model has written it (dispatch.timeouts.response_ms).
   */
  waitMs?: number;
}

/**
 * An adapter's request with its body encoded once, as it goes on the wire. Given a string,
 * undici encodes a Buffer of its own and the string stays with the attempt besides: a
 * 20 MB image was held twice more while the provider answered, not once.
 */
export interface WireRequest extends Omit<HttpRequestSpec, 'body'> {
  body?: Buffer;
}

/**
 * `spec` as the transport sends it; the adapter's string is not kept. Built field by
 * field: object rest and spread take V8's slow path (about 1 µs a request, against 0.15).
 */
export function toWire(spec: HttpRequestSpec): WireRequest {
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  return { origin: spec.origin, path: spec.path, method: spec.method, headers: spec.headers, body };
}

export interface Transport {
  send(spec: WireRequest, opts: SendOptions): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export interface TransportSettings {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Largest non-streaming body (see readBody), and the most one streamed event may hold (see UpstreamStream); enforced by dispatch while reading. */
  maxResponseBytes: number;
  /** The most connections to one origin; null: as many as there are calls in flight to it. */
  connectionsPerOrigin: number | null;
}

export function transportSettings(cfg: UpstreamConfig | undefined): TransportSettings {
  return {
    connectTimeoutMs: cfg?.connect_timeout_ms ?? 5_000,
    headersTimeoutMs: cfg?.headers_timeout_ms ?? 60_000,
    bodyTimeoutMs: cfg?.body_timeout_ms ?? 60_000,
    maxResponseBytes: cfg?.max_response_bytes ?? 32 * 1024 * 1024,
    connectionsPerOrigin: cfg?.connections_per_origin ?? null,
  };
}

/** What the transport sends through: a Pool for a direct origin, a ProxyAgent's wrapper otherwise. */
interface OriginDispatcher {
  request(opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  destroy(): Promise<void>;
}

/**
 * undici: one keep-alive pool per upstream origin, reached directly or through the forward
 * proxy the plan names for it (src/config/proxy.ts).
 */
export class UndiciTransport implements Transport {
  private readonly pools = new Map<string, OriginDispatcher>();
  /** One agent per proxy; each keeps its own pool per origin. */
  private readonly agents = new Map<string, ProxyAgent>();

  /** Socket options for every connection: the connect timeout, and the trusted CAs when extended. */
  private readonly tls: { timeout: number; ca?: string[] };

  constructor(private readonly settings: TransportSettings, private readonly proxy: ProxyPlan = DIRECT, extraCa: string | null = null) {
    // A `ca` replaces Node's roots rather than adding to them: both are given.
    this.tls = extraCa === null ? { timeout: settings.connectTimeoutMs } : { timeout: settings.connectTimeoutMs, ca: [...rootCertificates, extraCa] };
  }

  async send(spec: WireRequest, opts: SendOptions): Promise<UpstreamResponse> {
    let pool = this.pools.get(spec.origin);
    if (pool === undefined) {
      pool = this.dispatcherFor(spec.origin);
      this.pools.set(spec.origin, pool);
    }
    const { signal } = opts;
    if (signal.aborted) throw signal.reason;
    const s = this.settings;
    const pending = pool.request(opts.waitMs === undefined ? {
      path: spec.path,
      method: spec.method,
      headers: spec.headers,
      body: spec.body,
      signal: opts.signal,
    } : {
      path: spec.path,
      method: spec.method,
      headers: spec.headers,
      body: spec.body,
      signal: opts.signal,
      headersTimeout: Math.max(s.headersTimeoutMs, opts.waitMs),
      bodyTimeout: Math.max(s.bodyTimeoutMs, opts.waitMs),
    });
    // With every connection to the origin busy (upstream.connections_per_origin), undici
    // queues the request and acts on an abort only once a connection frees: a timeout or a
    // client that left would wait for the busiest stream to end. The send fails at the
    // abort instead; undici drops the queued request, unsent, when its turn comes.
    const res = await new Promise<Dispatcher.ResponseData>((resolve, reject) => {
      let gone = false;
      const stop = onAbort(signal, () => {
        gone = true;
        reject(signal.reason);
      });
      pending.then((r) => {
        stop();
        if (gone) r.body.destroy();
        else resolve(r);
      }, (err: unknown) => {
        stop();
        reject(err);
      });
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  private poolOptions(): Pool.Options {
    const s = this.settings;
    return {
      // Uncapped unless configured: a stream holds its connection until it ends, so a cap
      // makes every call past it wait (and time out) behind streams that last minutes.
      // Calls in flight are bounded by the clients' own connections, and
      // providers.<id>.concurrency caps them per provider with a bounded queue.
      connections: s.connectionsPerOrigin,
      headersTimeout: s.headersTimeoutMs,
      bodyTimeout: s.bodyTimeoutMs,
      // No maxResponseSize here: it would also cut long streams. Dispatch caps whole
      // (non-streaming) bodies as it reads them, destroying the body and so the socket.
      keepAliveTimeout: 4_000,
    };
  }

  private dispatcherFor(origin: string): OriginDispatcher {
    const via = proxyFor(this.proxy, new URL(origin));
    if (via === null) return new Pool(origin, { ...this.poolOptions(), connect: this.tls });
    let agent = this.agents.get(via.href);
    if (agent === undefined) {
      const pooled = this.poolOptions();
      agent = new ProxyAgent({
        // Credentials in the URL become a Basic Proxy-Authorization header.
        uri: via.href,
        ...pooled,
        proxyTls: this.tls,
        requestTls: this.tls,
        proxyTunnel: this.proxy.tunnel,
        // Every pool the agent makes (to the proxy, or tunnelled to an origin) keeps the
        // configured size and timeouts, not undici's 300 s defaults.
        factory: (o: string | URL, options: object) => new Pool(o, { ...options, ...pooled }),
      });
      this.agents.set(via.href, agent);
    }
    return viaProxy(agent, origin, shownProxy(via));
  }

  async close(): Promise<void> {
    const all = [...this.pools.values(), ...this.agents.values()];
    this.pools.clear();
    this.agents.clear();
    await Promise.all(all.map((p) => p.destroy()));
  }
}

/** An origin reached through `agent`; a failure says it was the proxy's way, without credentials. */
function viaProxy(agent: ProxyAgent, origin: string, shown: string): OriginDispatcher {
  return {
    request: (opts) => agent.request({ ...opts, origin }).catch((err: unknown) => {
      throw proxyFailure(err, shown);
    }),
    // The agent is shared by every origin behind the proxy: the transport closes it.
    destroy: async () => {},
  };
}

/**
 * Through a proxy, a timeout stays a timeout and a certificate problem stays one (the
 * tunnel's far end, or a proxy that inspects TLS, presented it); anything else is named
 * as the proxy's.
 * (An abort is told apart by the attempt's own control, before its error is read.)
 */
function proxyFailure(err: unknown, shown: string): unknown {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (TIMEOUT_CODES.has(code) || code === 'UND_ERR_CONNECT_TIMEOUT' || TLS_CERT_CODE.test(code)) return err;
  const what = typeof e?.message === 'string' && e.message ? e.message : code || String(err);
  return Object.assign(new Error(`through the proxy ${shown}: ${what}`, { cause: err }), { code: PROXY_FAILED });
}

/** The mock provider, in-process: no socket, same response shape. */
export class MockTransport implements Transport {
  constructor(private readonly ctx: { rng?: () => number; now?: () => number } = {}) {}

  async send(spec: WireRequest, opts: SendOptions): Promise<UpstreamResponse> {
    const { signal } = opts;
    const reply = handleMockRequest({ ...spec, body: spec.body?.toString('utf8') }, { options: opts.provider?.options, rng: this.ctx.rng, now: this.ctx.now });
    if (reply.delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, reply.delayMs);
        const stop = onAbort(signal, done);
        function done(): void {
          clearTimeout(timer);
          stop();
          resolve();
        }
      });
    }
    if (signal.aborted) throw signal.reason;
    const body = reply.stream ? Readable.from(reply.stream, { objectMode: false }) : Readable.from([Buffer.from(reply.body ?? '')], { objectMode: false });
    const stop = onAbort(signal, () => body.destroy(signal.reason as Error));
    body.once('close', stop);
    return { status: reply.status, headers: reply.headers, body };
  }

  async close(): Promise<void> {}
}

/** `mock://` origins to the mock, everything else to the network. */
export class RoutingTransport implements Transport {
  constructor(private readonly network: Transport, private readonly mock: Transport) {}

  send(spec: WireRequest, opts: SendOptions): Promise<UpstreamResponse> {
    return spec.origin.startsWith(MOCK_ORIGIN_PREFIX) ? this.mock.send(spec, opts) : this.network.send(spec, opts);
  }

  async close(): Promise<void> {
    await Promise.all([this.network.close(), this.mock.close()]);
  }
}

export interface TransportOptions {
  /** The mock's randomness and clock. */
  mock?: { rng?: () => number; now?: () => number };
  /** Which origins go through a forward proxy (LoadedConfig.proxy). Default: none. */
  proxy?: ProxyPlan;
  /** PEM certificates trusted besides Node's roots (LoadedConfig.extraCa). */
  extraCa?: string | null;
}

/**
 * The default transport: undici pools for the network, the in-process mock for `mock://`.
 * @example const t = createTransport({ connect_timeout_ms: 2000 }); await t.close();
 */
export function createTransport(cfg?: UpstreamConfig, opts: TransportOptions = {}): Transport {
  return new RoutingTransport(new UndiciTransport(transportSettings(cfg), opts.proxy, opts.extraCa), new MockTransport(opts.mock));
}

/** Socket-level failures that mean "the upstream was not reachable or hung up". */
const PROXY_FAILED = 'SY_UPSTREAM_PROXY_FAILED';
/** Node's and OpenSSL's codes for a certificate that could not be verified. */
const TLS_CERT_CODE = /CERT|SIGNATURE|SELF_SIGNED/;
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The process (EMFILE) or the system (ENFILE) has no file descriptor left for a socket. */
const OUT_OF_DESCRIPTORS = new Set(['EMFILE', 'ENFILE']);

/**
 * What a thrown transport error means for dispatch. `local`: the gateway itself could not
 * make the call (no file descriptor for a socket), which says nothing of the provider.
 */
export function classifyTransportError(err: unknown): { kind: 'timeout' | 'connection_error' | 'server_error' | 'overloaded'; message: string; local?: true } {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  if (OUT_OF_DESCRIPTORS.has(code)) {
    return { kind: 'overloaded', local: true, message: `the gateway is out of file descriptors (${code}): each client connection and each upstream connection takes one; raise its open-file limit (ulimit -n, systemd LimitNOFILE)` };
  }
  if (TIMEOUT_CODES.has(code)) return { kind: 'timeout', message: `upstream timed out (${code})` };
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return { kind: 'server_error', message: 'upstream response exceeds upstream.max_response_bytes' };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'connection_error', message: 'upstream connect timed out' };
  if (code === BAD_CODING) return { kind: 'server_error', message };
  if (code === PROXY_FAILED) return { kind: 'connection_error', message: `upstream connection failed ${message}` };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return { kind: 'connection_error', message: `upstream TLS certificate does not name the host: ${message}` };
  if (TLS_CERT_CODE.test(code)) {
    return { kind: 'connection_error', message: `upstream TLS certificate not trusted: ${message} (${code}); a private CA can be trusted with upstream.ca_file` };
  }
  return { kind: 'connection_error', message: code ? `upstream connection failed: ${code}` : `upstream connection failed: ${message}` };
}
