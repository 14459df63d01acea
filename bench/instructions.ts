/**
 * Instructions per request, counted by valgrind's callgrind: a figure that repeats exactly
 * for the same build, whatever else the machine is doing, where wall-clock throughput on a
 * shared 2-core machine drifts by tens of percent within minutes.
 *
 * Each target (a compiled gateway, audit off; the undici floor, bench/undici-proxy.ts) runs
 * under callgrind twice, serving `--n1` and then `--n2` sequential non-streaming requests
 * from the mock upstream; the difference between the two totals over `n2 - n1` requests
 * leaves out start-up and shutdown. V8 compiling hot functions in that window is counted,
 * and under valgrind it takes thousands of requests to settle: over requests 300 to 1500
 * a gateway counted about four times what it counts after 2,500, three fifths of it in
 * the optimizing compiler. The defaults start the window at 2,500, where it is a small
 * share. Only ratios mean much: B against A, or
 * a gateway against the floor measured the same way. Only the target process is counted;
 * the kernel's share (sockets) is not.
 *
 * Usage: npm run bench:instructions [-- --a DIR] [--b DIR] [--n1 2500] [--n2 5000] [--audit] [--stream]
 * (without --a/--b: this checkout; each DIR a checkout with dist/ built, as for bench:ab.
 * --stream: streamed requests (the mock's 8 content chunks, read to the end) instead.
 * --audit: each build also with the audit log on, its default SQLite sink, the writer
 * thread counted with the rest. The sink writes batches of 50 events, as it does at
 * 1,000 requests/s: left to its 50 ms interval, under valgrind's slowness it would write
 * one or two at a time and the count would depend on the machine's speed.)
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { startBenchGateway } from './harness.js';

const root = new URL('..', import.meta.url).pathname;
const arg = (name: string, dflt?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N1 = Number(arg('n1', '2500'));
const N2 = Number(arg('n2', '5000'));
const withAudit = process.argv.includes('--audit');
const stream = process.argv.includes('--stream');
/** Batches of 50 whatever the pace (see --audit above). */
const AUDIT_BATCHES = 'batch_size: 50, flush_interval_ms: 3600000';
const builds = [arg('a'), arg('b')].filter((d): d is string => d !== undefined).map((d) => resolve(d));
if (builds.length === 0) builds.push(root);

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('bench:instructions needs valgrind (Debian package valgrind) on the PATH.');
  process.exit(1);
}

async function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => done(port));
    });
  });
}

const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello to the benchmark, please.' }], max_tokens: 64, ...(stream ? { stream: true } : {}) });

/** `n` requests one after the other on one connection, each read to its end; every answer must be a 200. */
async function load(url: string, n: number): Promise<void> {
  const pool = new Pool(url, { connections: 1 });
  try {
    for (let i = 0; i < n; i++) {
      const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', body, headers: { 'content-type': 'application/json' } });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}`);
    }
  } finally {
    await pool.close();
  }
}

/** Waits until the floor proxies a request through (it has no health route). */
async function waitForPost(url: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    try {
      await load(url, 1);
      return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

function stopped(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

/** Total instructions callgrind counted for a process that served `n` requests. */
async function count(target: { name: string; start(port: number, wrap: string[]): Promise<ChildProcess> }, upPort: number, n: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-cg-'));
  const out = join(dir, 'callgrind.out');
  const port = await freePort();
  // valgrind's own messages go to a file beside the counts, not among the results.
  const child = await target.start(port, ['valgrind', '--tool=callgrind', `--callgrind-out-file=${out}`, `--log-file=${join(dir, 'valgrind.log')}`]);
  await load(`http://127.0.0.1:${port}`, n);
  await stopped(child);
  const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(out, 'utf8'));
  if (m === null) throw new Error(`no total in ${out}`);
  return Number(m[1]);
}

async function main(): Promise<void> {
  const upPort = await freePort();
  const up = fork(join(root, 'bench/mock-upstream.ts'), [String(upPort)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise((r) => up.once('message', r));
  try {
    const targets = [
      ...builds.flatMap((dir) => (withAudit ? [false, true] : [false]).map((audit) => ({
        name: `switchyard${builds.length > 1 ? ` ${dir}` : ''}, audit ${audit ? 'on' : 'off'}`,
        start: async (port: number, wrap: string[]) => (await startBenchGateway({ root: dir, port, upstreamPort: upPort, audit, wrap, sink: audit ? AUDIT_BATCHES : undefined })).process,
      }))),
      {
        name: 'undici proxy (floor)',
        start: async (port: number, wrap: string[]) => {
          const child = spawn(wrap[0], [...wrap.slice(1), process.execPath, '--import', 'tsx', join(root, 'bench/undici-proxy.ts'), String(port), `http://127.0.0.1:${upPort}`], { stdio: ['ignore', 'ignore', 'inherit'] });
          await waitForPost(`http://127.0.0.1:${port}`);
          return child;
        },
      },
    ];
    console.log(`\nInstructions per ${stream ? 'streamed' : 'non-streaming'} request (callgrind; ${N1} and ${N2} sequential requests, the difference over ${N2 - N1})\n`);
    const perRequest: number[] = [];
    for (const t of targets) {
      // Two processes at once: counts do not depend on what else runs.
      const [a, b] = await Promise.all([count(t, upPort, N1), count(t, upPort, N2)]);
      perRequest.push((b - a) / (N2 - N1));
      console.log(`${t.name.padEnd(40)} ${Math.round(perRequest.at(-1)!).toLocaleString('en-US').padStart(12)}`);
    }
    const floor = perRequest.at(-1)!;
    console.log('');
    for (let i = 0; i < targets.length - 1; i++) console.log(`${targets[i].name}: ${(perRequest[i] / floor).toFixed(2)}× the floor`);
    const per = withAudit ? 2 : 1;
    if (withAudit) for (let i = 0; i < builds.length; i++) console.log(`${targets[i * 2].name.replace(/, audit off$/, '')}: audit on / off ${(perRequest[i * 2 + 1] / perRequest[i * 2]).toFixed(3)}`);
    if (builds.length === 2) for (let j = 0; j < per; j++) console.log(`B/A${withAudit ? (j ? ', audit on' : ', audit off') : ''}: ${(perRequest[per + j] / perRequest[j]).toFixed(4)}`);
  } finally {
    up.kill();
  }
}

await main();
process.exit(0);
