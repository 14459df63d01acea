/**
 * Egress through a forward proxy: which proxy, if any, a provider origin is reached
 * through. `upstream.proxy` and `upstream.no_proxy` decide; each one left out of the
 * config falls back to the environment as curl reads it (`https_proxy` / `HTTPS_PROXY`
 * for https origins, `http_proxy` / `HTTP_PROXY` for http ones, `no_proxy` / `NO_PROXY`).
 * Loopback hosts are always reached directly: a local model server (Ollama, vLLM) is
 * never sent through a corporate proxy.
 */
import type { UpstreamConfig } from '../types/gateway-config.js';

export interface ProxyPlan {
  /** Proxy for https:// origins; null: direct. */
  readonly https: URL | null;
  /** Proxy for http:// origins; null: direct. */
  readonly http: URL | null;
  /** no_proxy entries, lowercased. */
  readonly bypass: readonly string[];
  /** CONNECT tunnels for http:// origins too (https:// ones always tunnel). */
  readonly tunnel: boolean;
  /** Where the proxies came from: `upstream.proxy`, or the variables named. */
  readonly from: string;
}

export const DIRECT: ProxyPlan = Object.freeze({ https: null, http: null, bypass: [], tunnel: false, from: 'none' });

export interface ProxyProblem {
  /** Config path of the setting at fault. */
  path: (string | number)[];
  message: string;
}

/** The first set, non-empty variable of `names`. */
function fromEnv(env: NodeJS.ProcessEnv, names: readonly string[]): { name: string; value: string } | null {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return null;
}

/**
 * A proxy URL: http or https, a host, nothing after the port. A value without a scheme
 * (`proxy.internal:3128`, as some environments set it) is read as http, as curl does.
 */
export function parseProxyUrl(value: string): URL | string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL; write http://host:port (credentials as http://user:password@host:port)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `uses ${url.protocol.slice(0, -1)}; only http:// and https:// proxies are supported`;
  if (!url.hostname) return 'has no host';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return 'must not have a path or query; write http://host:port';
  return url;
}

/** Splits a NO_PROXY value (commas or spaces). */
function bypassList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(/[\s,]+/)).map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
}

/**
 * The proxy plan for `cfg` in `env`, and what is wrong with it.
 * @example proxyPlan({ proxy: 'http://proxy.internal:3128', no_proxy: ['.corp'] }, process.env)
 */
export function proxyPlan(cfg: UpstreamConfig | undefined, env: NodeJS.ProcessEnv): { plan: ProxyPlan; problems: ProxyProblem[] } {
  const problems: ProxyProblem[] = [];
  // Read defensively: the schema's own findings do not stop this from running.
  const tunnel = cfg?.proxy_tunnel === true;
  const configured = Array.isArray(cfg?.no_proxy) ? cfg.no_proxy.filter((e): e is string => typeof e === 'string') : undefined;
  // A range that is not one (10.0.0.0/33, 300.0.0.0/8) would match nothing, silently.
  (cfg?.no_proxy ?? []).forEach((e, i) => {
    if (typeof e !== 'string' || !/^[\d.]+\/\d*$/.test(e.trim())) return;
    const [net, bits] = e.trim().split('/');
    if (ipv4(net) === null || bits === '' || Number(bits) > 32) {
      problems.push({ path: ['upstream', 'no_proxy', i], message: `upstream.no_proxy "${e}" is not an IPv4 range: write an address and 0 to 32 bits, such as 10.0.0.0/8` });
    }
  });
  const bypass = bypassList(configured ?? [fromEnv(env, ['no_proxy', 'NO_PROXY'])?.value ?? '']);
  const parse = (value: string, what: string): URL | null => {
    const url = parseProxyUrl(value);
    if (typeof url !== 'string') return url;
    problems.push({ path: ['upstream', 'proxy'], message: `${what} ${url}` });
    return null;
  };

  if (typeof cfg?.proxy === 'string') {
    const value = cfg.proxy.trim();
    if (value === '' || value.toLowerCase() === 'none') return { plan: { ...DIRECT, tunnel }, problems };
    const url = parse(value, 'upstream.proxy');
    return { plan: url ? { https: url, http: url, bypass, tunnel, from: 'upstream.proxy' } : DIRECT, problems };
  }
  const https = fromEnv(env, ['https_proxy', 'HTTPS_PROXY']);
  const http = fromEnv(env, ['http_proxy', 'HTTP_PROXY']);
  if (!https && !http) return { plan: { ...DIRECT, tunnel }, problems };
  const plan: ProxyPlan = {
    https: https ? parse(https.value, `the environment variable ${https.name}`) : null,
    http: http ? parse(http.value, `the environment variable ${http.name}`) : null,
    bypass,
    tunnel,
    from: [https?.name, http?.name].filter(Boolean).join(' and '),
  };
  return { plan, problems };
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(host: string): number | null {
  const m = IPV4.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  const ip = ipv4(host);
  return ip !== null && ip >>> 24 === 127;
}

/** One no_proxy entry against a host (lowercase, no brackets) and port. */
function bypasses(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  const slash = entry.indexOf('/');
  if (slash > 0) {
    // An IPv4 range, 10.0.0.0/8.
    const net = ipv4(entry.slice(0, slash));
    const bits = Number(entry.slice(slash + 1));
    const ip = ipv4(host);
    if (net === null || ip === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return ((ip & mask) >>> 0) === ((net & mask) >>> 0);
  }
  let name = entry;
  let want = '';
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (v6) {
    name = v6[1];
    want = v6[2] ?? '';
  } else if (entry.split(':').length === 2) {
    [name, want] = entry.split(':');
  }
  if (want !== '' && want !== port) return false;
  name = name.replace(/^\*?\./, '');
  return host === name || host.endsWith(`.${name}`);
}

/**
 * The proxy to reach `origin` through, or null to connect directly.
 * @example proxyFor(plan, new URL('https://api.openai.com'))
 */
export function proxyFor(plan: ProxyPlan, origin: URL): URL | null {
  const proxy = origin.protocol === 'https:' ? plan.https : origin.protocol === 'http:' ? plan.http : null;
  if (proxy === null) return null;
  const host = origin.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopback(host)) return null;
  const port = origin.port || (origin.protocol === 'https:' ? '443' : '80');
  return plan.bypass.some((e) => bypasses(e, host, port)) ? null : proxy;
}

/** A proxy URL fit for a log line: no credentials. */
export function shownProxy(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** The plan for a startup log line, or null when every origin is reached directly. */
export function describeProxyPlan(plan: ProxyPlan): Record<string, unknown> | null {
  if (!plan.https && !plan.http) return null;
  return {
    https_proxy: plan.https ? shownProxy(plan.https) : 'direct',
    http_proxy: plan.http ? shownProxy(plan.http) : 'direct',
    no_proxy: ['loopback', ...plan.bypass],
    tunnel_http: plan.tunnel,
    from: plan.from,
  };
}

/** Proxy passwords, for the redaction of anything that might echo them. */
export function proxySecrets(plan: ProxyPlan): string[] {
  const out = new Set<string>();
  for (const u of [plan.https, plan.http]) if (u?.password) out.add(decodeURIComponent(u.password));
  return [...out];
}
