/**
 * What the gateway benchmarks share: starting a compiled gateway against the mock
 * upstream, waiting for a server, and reading a process's CPU and memory from /proc.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  for (let i = 0; i < timeoutMs / 100; i++) {
    try { if ((await fetch(url)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

export interface BenchGateway {
  url: string;
  pid: number;
  process: ChildProcess;
}

/**
 * Starts `root`'s compiled gateway (bin/switchyard.js, as `npm start` runs it) on `port`
 * in front of the mock upstream, in a fresh working directory; `sink` adds fields to its
 * SQLite audit sink (`flush_interval_ms: 25`). `wrap` runs node under another command
 * (valgrind), given more time to come up. `config` replaces the whole config (written to
 * `dir`, the working directory, as the embedded one is); `execArgv` goes to node
 * (`--cpu-prof`).
 */
export async function startBenchGateway(opts: { root: string; port: number; upstreamPort: number; audit: boolean; sink?: string; wrap?: string[]; config?: (dir: string) => string; execArgv?: string[] }): Promise<BenchGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-'));
  const config = join(dir, 'switchyard.yaml');
  const sink = `{type: sqlite, path: "${join(dir, 'audit.db')}"${opts.sink ? `, ${opts.sink}` : ''}}`;
  writeFileSync(config, opts.config?.(dir) ?? `
server: {port: ${opts.port}, allow_unauthenticated: true}
logging: {level: error}
providers:
  upstream: {type: openai-compatible, base_url: "http://127.0.0.1:${opts.upstreamPort}/v1", options: {auth: none}, models: ["*"]}
audit: {enabled: ${opts.audit}, sinks: [${sink}]}
`);
  // execArgv: [] — fork() would otherwise pass on the bench's tsx loader, which the
  // compiled gateway (and its audit writer thread) does not need and `npm start` lacks.
  // stdout carries the gateway's log (a failed listen, say): shown, as stderr is.
  const args = [join(opts.root, 'bin/switchyard.js'), 'serve', '--config', config];
  const gw = opts.wrap === undefined
    ? fork(args[0], args.slice(1), { execArgv: opts.execArgv ?? [], cwd: dir, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : spawn(opts.wrap[0], [...opts.wrap.slice(1), process.execPath, ...args], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${opts.port}`;
  try {
    // A gateway that exits while starting (its port taken, say) fails the bench at once, saying so.
    const exited = new Promise<never>((_resolve, reject) => gw.once('exit', (code, signal) => reject(new Error(`the gateway in ${dir} exited while starting (${signal ?? `code ${code}`})`))));
    exited.catch(() => undefined); // an exit after it is up (the bench stopping it) is no failure
    await Promise.race([waitForHttp(`${url}/healthz`, opts.wrap === undefined ? 20_000 : 300_000), exited]);
  } catch (e) {
    gw.kill('SIGKILL');
    throw e;
  }
  return { url, pid: gw.pid!, process: gw };
}

/** Peak resident set size of `pid` so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return hwm ? Number(hwm[1]) / 1024 : NaN;
}

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system, every thread) the process has used so far, in µs. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
}

/** Median, ignoring NaN; NaN when nothing is left. */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
