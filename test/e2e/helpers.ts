/**
 * Shared setup for the end-to-end suites: a gateway started from a real config file in a
 * temp dir (with its rule files and a SQLite audit sink there), raw HTTP with per-request
 * timeouts, SSE reading, and assertions for error bodies in each client dialect.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { loadConfig, formatIssue } from '../../src/config/index.js';
import { startGateway, type Gateway, type RuntimeOptions } from '../../src/server/index.js';
import type { WireFake } from '../fakes/wire.js';

/** Every request in these suites gives up after this long: a hang fails, never stalls. */
export const REQUEST_TIMEOUT_MS = 8_000;

export interface E2EGateway {
  gw: Gateway;
  /** `http://127.0.0.1:<port>` */
  url: string;
  dir: string;
  /** Rewrites a rule file (relative to `<dir>/rules`), e.g. before POST /admin/reload. */
  writeRule(name: string, content: unknown): void;
  /** Rewrites switchyard.yaml from `config` as startE2E wrote it (same additions), e.g. before POST /admin/reload. */
  writeConfig(config: Record<string, unknown>): void;
  close(): Promise<void>;
}

export interface E2EOptions extends Pick<RuntimeOptions, 'rng' | 'clock'> {
  /** The gateway's logger; a quiet one (testLogger) unless given. */
  logger?: pino.Logger;
  /** Rule files by name, written under `<dir>/rules/` (objects are written as YAML). */
  rules?: Record<string, unknown>;
  /** Environment for `env.NAME` values in the config. */
  env?: NodeJS.ProcessEnv;
}

/** A logger that stays quiet unless E2E_LOG names a level (E2E_LOG=debug npm test ...). */
export function testLogger(): pino.Logger {
  return pino({ level: process.env.E2E_LOG ?? 'silent' });
}

export function tempDir(prefix = 'sy-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Writes `config` (plus rule files) into a fresh temp dir as switchyard.yaml, loads it
 * with loadConfig like `switchyard serve --config` would, and starts a gateway on an
 * ephemeral port. An audit sqlite sink in the temp dir is added unless `audit` is given.
 */
export async function startE2E(config: Record<string, unknown>, opts: E2EOptions = {}): Promise<E2EGateway> {
  const dir = tempDir();
  const rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  const writeRule = (name: string, content: unknown): void => {
    writeFileSync(join(rulesDir, name), typeof content === 'string' ? content : stringify(content));
  };
  for (const [name, content] of Object.entries(opts.rules ?? {})) writeRule(name, content);
  const file = join(dir, 'switchyard.yaml');
  const writeConfig = (config: Record<string, unknown>): void => {
    const full = {
      logging: { level: 'silent' },
      audit: { sinks: [{ type: 'sqlite', path: 'audit.db', flush_interval_ms: 20 }] },
      rules: { paths: ['rules/'] },
      ...config,
      // Streams a test leaves open must not hold close() for the default 10 s.
      server: { shutdown_grace_ms: 1000, ...(config.server as Record<string, unknown> | undefined) },
    };
    writeFileSync(file, stringify(full));
  };
  writeConfig(config);
  // As `switchyard serve` does: a reload reads the same file in the same environment.
  const read = () => loadConfig({ path: file, env: opts.env ?? {}, cwd: dir });
  const { config: loaded, issues } = read();
  assert.ok(loaded, `config does not load:\n${issues.map(formatIssue).join('\n')}`);
  const gw = await startGateway(loaded, { port: 0, host: '127.0.0.1', logger: opts.logger ?? testLogger(), defaultMetrics: false, rng: opts.rng, clock: opts.clock, reloadConfig: read });
  let closed: Promise<void> | null = null;
  return {
    gw,
    url: gw.url,
    dir,
    writeRule,
    writeConfig,
    close() {
      closed ??= gw.close().finally(() => rmSync(dir, { recursive: true, force: true }));
      return closed;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** Parsed body; undefined when it is not JSON. */
  json: any;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  /** A string or Buffer is sent as is; anything else as JSON (with content-type application/json unless given). */
  body?: unknown;
  timeoutMs?: number;
  /** Sent through this agent (on a connection it keeps); default a connection of its own. */
  agent?: Agent;
}

/** One HTTP request with node:http (full control of headers and body), with a timeout. */
export function raw(base: string, path: string, req: RawRequest = {}): Promise<RawResponse> {
  // The path is sent as given (below): `new URL` would read `//v1/...` as a host.
  const url = path.startsWith('/') ? new URL(base) : new URL(path, base);
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  let payload: Buffer | undefined;
  if (req.body !== undefined) {
    if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) payload = Buffer.from(req.body as string);
    else {
      payload = Buffer.from(JSON.stringify(req.body));
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
    headers['content-length'] ??= String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const r = httpRequest(url, { path: path.startsWith('/') ? path : undefined, method: req.method ?? (payload ? 'POST' : 'GET'), headers, agent: req.agent ?? false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(parts).toString('utf8');
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => r.destroy(new Error(`${req.method ?? 'request'} ${path} timed out after ${req.timeoutMs ?? REQUEST_TIMEOUT_MS} ms`)), req.timeoutMs ?? REQUEST_TIMEOUT_MS);
    r.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (payload) r.end(payload);
    else r.end();
  });
}

/** POST JSON. */
export function postJson(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(base, path, { method: 'POST', body, headers });
}

/** An OpenAI-dialect error body: `{error:{message,type,code}}` with the given status and code. */
export function assertOpenAIError(res: RawResponse, status: number, code: string, where = ''): void {
  assert.equal(res.status, status, `${where} status (body: ${res.text})`);
  assert.match(String(res.headers['content-type']), /application\/json/, `${where} content-type`);
  assert.ok(res.json && typeof res.json === 'object', `${where} body is JSON: ${res.text}`);
  const e = res.json.error;
  assert.ok(e && typeof e === 'object', `${where} has an error object: ${res.text}`);
  assert.equal(typeof e.message, 'string', `${where} error.message`);
  assert.ok(e.message.length > 0, `${where} error.message is not empty`);
  assert.equal(typeof e.type, 'string', `${where} error.type`);
  assert.equal(e.code, code, `${where} error.code (body: ${res.text})`);
  assert.equal(res.json.type, undefined, `${where} is not in the Anthropic shape`);
}

/** An Anthropic-dialect error body: `{type:'error', error:{type,message,code}}`. */
export function assertAnthropicError(res: RawResponse, status: number, code: string, type?: string, where = ''): void {
  assert.equal(res.status, status, `${where} status (body: ${res.text})`);
  assert.match(String(res.headers['content-type']), /application\/json/, `${where} content-type`);
  assert.ok(res.json && typeof res.json === 'object', `${where} body is JSON: ${res.text}`);
  assert.equal(res.json.type, 'error', `${where} type (body: ${res.text})`);
  const e = res.json.error;
  assert.ok(e && typeof e === 'object', `${where} has an error object`);
  assert.equal(typeof e.message, 'string', `${where} error.message`);
  assert.ok(e.message.length > 0, `${where} error.message is not empty`);
  assert.equal(typeof e.type, 'string', `${where} error.type`);
  if (type) assert.equal(e.type, type, `${where} error.type`);
  assert.equal(e.code, code, `${where} error.code (body: ${res.text})`);
}

export interface SseEvent {
  event: string;
  data: string;
  /** performance.now() when the frame was read. */
  at: number;
}

/**
 * Reads an SSE response frame by frame as it arrives. `onEvent` may return true to stop
 * reading (the caller then aborts the request).
 */
export async function readSse(res: Response, onEvent?: (e: SseEvent) => boolean | void): Promise<{ events: SseEvent[]; text: string }> {
  assert.ok(res.body, 'response has a body');
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buf = '';
  let text = '';
  const reader = res.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const chunk = decoder.decode(value, { stream: true });
    text += chunk;
    buf += chunk.replace(/\r\n/g, '\n');
    let at: number;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, at);
      buf = buf.slice(at + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      const ev = { event, data: data.join('\n'), at: performance.now() };
      events.push(ev);
      if (onEvent?.(ev) === true) {
        await reader.cancel().catch(() => {});
        return { events, text };
      }
    }
  }
  return { events, text };
}

/** fetch with the suite's timeout; `signal` may be given to abort earlier. */
export function timedFetch(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
  const timeout = AbortSignal.timeout(init.timeoutMs ?? REQUEST_TIMEOUT_MS);
  const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
  return fetch(url, { ...init, signal });
}

/** Fails when `secret` appears anywhere a fake upstream received: headers, path or body. */
export function assertNeverUpstream(fakes: readonly WireFake[], secret: string, what = 'secret'): void {
  for (const f of fakes) {
    for (const r of f.history) {
      for (const [k, v] of Object.entries(r.headers)) {
        assert.ok(!String(v).includes(secret), `${what} reached fake ${f.name} in header ${k}`);
      }
      assert.ok(!r.path.includes(secret), `${what} reached fake ${f.name} in the path`);
      assert.ok(!r.raw.includes(secret), `${what} reached fake ${f.name} in the body`);
    }
  }
}

export { seededRandom as seeded } from '../../src/balance/seeded.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Timeouts for hooks and suites: a hang fails the suite instead of stalling the run. */
export const HOOK = { timeout: 15_000 };
export const SUITE = { timeout: 30_000 };

/**
 * Runs `switchyard serve` (from source) with `args` in `cwd` until it logs that it listens,
 * and returns what it wrote to stdout by then (one JSON log line each); the process is
 * killed before this returns. `env` replaces the environment when given.
 */
export async function serveStartLog(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const main = resolve(import.meta.dirname, '../../src/cli/main.ts');
  const proc = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), main, 'serve', ...args], {
    cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (s: string) => (out += s));
    for (let i = 0; !out.includes('switchyard listening'); i++) {
      assert.ok(i < 400 && proc.exitCode === null, `gateway did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out;
  } finally {
    proc.kill('SIGKILL');
    if (proc.exitCode === null) await once(proc, 'exit');
  }
}
