/**
 * How much does Switchyard add over calling the provider directly?
 *
 * Starts the mock upstream, a bare pass-through Node proxy (the floor) and Switchyard,
 * each in its own process, and loads all three in the same run: at saturation (closed
 * loop) and at an even 500 req/s (open loop), non-streaming and streaming. Prints
 * throughput, p50/p99 latency, added latency over direct, the gateway's own processing
 * time (Server-Timing, measured inside the process), streaming time to first byte and
 * the gateway's peak RSS — then the issue's targets as ratios.
 *
 * Usage: npm run bench:gateway [-- --seconds 5 --rate 500 --concurrency 64 --audit off]
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { closedLoop, openLoop, type LoadResult, type LoadSpec } from './loadgen.js';

const root = new URL('..', import.meta.url).pathname;
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SECONDS = Number(arg('seconds', '5'));
const RATE = Number(arg('rate', '500'));
const CONCURRENCY = Number(arg('concurrency', '64'));
const AUDIT = arg('audit', 'on') !== 'off';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const children: ChildProcess[] = [];
function start(script: string, args: string[], readyWhen: (msg: unknown) => boolean = () => true, env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(join(root, script), args, { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(child);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.on('message', (m) => { if (readyWhen(m)) resolve(child); });
  });
}

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(url)).ok) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
  return hwm ? Number(hwm[1]) / 1024 : NaN;
}

const fmt = (n: number | undefined, d = 2) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));

async function main() {
  const [upPort, proxyPort, gwPort] = [await freePort(), await freePort(), await freePort()];
  await start('bench/mock-upstream.ts', [String(upPort)], (m) => typeof m === 'object' && m !== null && 'ready' in m);
  await start('bench/bare-proxy.ts', [String(proxyPort), `http://127.0.0.1:${upPort}`], (m) => m === 'ready');
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-'));
  const config = join(dir, 'switchyard.yaml');
  writeFileSync(config, `
server: {port: ${gwPort}, allow_unauthenticated: true}
logging: {level: warn}
providers:
  upstream:
    type: openai-compatible
    base_url: http://127.0.0.1:${upPort}/v1
    options: {auth: none}
    models: ["*"]
audit: {enabled: ${AUDIT}, sinks: [{type: sqlite, path: ${join(dir, 'audit.db')}}]}
`);
  // The gateway runs compiled, as `npm start` runs it (tsx would also load inside the audit writer thread).
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const gw = fork(join(root, 'bin/switchyard.js'), ['serve', '--config', config], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(gw);
  await waitForHttp(`http://127.0.0.1:${gwPort}/healthz`);

  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello to the benchmark, please.' }], max_tokens: 64 });
  const streamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say hello to the benchmark, please.' }], max_tokens: 64 });
  const targets = {
    direct: `http://127.0.0.1:${upPort}`,
    'bare proxy': `http://127.0.0.1:${proxyPort}`,
    switchyard: `http://127.0.0.1:${gwPort}`,
  } as const;
  const spec = (url: string, stream: boolean): LoadSpec => ({ url, path: '/v1/chat/completions', body: stream ? streamBody : body, stream });

  // Warm up every path (JIT, connection pools) before measuring.
  for (const url of Object.values(targets)) {
    await closedLoop(spec(url, false), 16, 1.5);
    await closedLoop(spec(url, true), 16, 1);
  }

  const results: Record<string, Record<string, LoadResult>> = {};
  for (const [mode, stream] of [['non-stream', false], ['stream', true]] as const) {
    for (const [name, url] of Object.entries(targets)) {
      const sat = await closedLoop(spec(url, stream), CONCURRENCY, SECONDS);
      const paced = await openLoop(spec(url, stream), RATE, SECONDS);
      results[`${mode} ${name}`] = { saturation: sat, paced };
    }
  }
  const rss = rssMb(gw.pid!);

  console.log(`\nSwitchyard gateway benchmark — ${SECONDS}s per run, saturation at ${CONCURRENCY} connections, paced at ${RATE} req/s, audit ${AUDIT ? 'on (sqlite)' : 'off'}\n`);
  console.log('run                        | peak req/s | p50 ms | p99 ms | @rate p50 | @rate p99 | ttfb p50 | added p50 | own p50 µs | errors');
  console.log('---------------------------|-----------:|-------:|-------:|----------:|----------:|---------:|----------:|-----------:|------:');
  for (const mode of ['non-stream', 'stream']) {
    const direct = results[`${mode} direct`].paced;
    for (const name of Object.keys(targets)) {
      const r = results[`${mode} ${name}`];
      const added = r.paced.p50 - direct.p50;
      const own = r.paced.serverTimingP50 ?? r.saturation.serverTimingP50;
      console.log(`${`${mode} ${name}`.padEnd(27)}| ${fmt(r.saturation.rps, 0).padStart(10)} | ${fmt(r.saturation.p50).padStart(6)} | ${fmt(r.saturation.p99).padStart(6)} | ${fmt(r.paced.p50).padStart(9)} | ${fmt(r.paced.p99).padStart(9)} | ${fmt(r.paced.ttfbP50).padStart(8)} | ${(name === 'direct' ? '-' : fmt(added, 3)).padStart(9)} | ${(own === undefined ? '-' : fmt(own * 1000, 1)).padStart(10)} | ${r.saturation.errors + r.paced.errors}`);
    }
  }
  const ns = (n: string) => results[`non-stream ${n}`];
  const st = (n: string) => results[`stream ${n}`];
  const peakRatio = ns('switchyard').saturation.rps / ns('bare proxy').saturation.rps;
  const addedSy = ns('switchyard').paced.p50 - ns('direct').paced.p50;
  const addedBare = ns('bare proxy').paced.p50 - ns('direct').paced.p50;
  const ttfbAdded = (st('switchyard').paced.ttfbP50 ?? NaN) - (st('direct').paced.ttfbP50 ?? NaN);
  const own = (ns('switchyard').paced.serverTimingP50 ?? NaN) * 1000;
  const check = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log('\nTargets (issue 3), as ratios from this run:');
  console.log(`  peak throughput vs bare proxy:        ${(peakRatio * 100).toFixed(1)} %  (target ≥ 70 %: ${check(peakRatio >= 0.7)})`);
  console.log(`  added p50 at ${RATE} req/s:              switchyard ${addedSy.toFixed(3)} ms vs bare ${addedBare.toFixed(3)} ms  (target ≤ bare + 0.1 ms: ${check(addedSy <= addedBare + 0.1)})`);
  console.log(`  internal processing p50:              ${own.toFixed(1)} µs  (target ≤ 40 µs: ${check(own <= 40)})`);
  console.log(`  streaming TTFB over direct (p50):     ${ttfbAdded.toFixed(3)} ms  (target ≤ +1 ms: ${check(ttfbAdded <= 1)})`);
  console.log(`  gateway peak RSS:                     ${rss.toFixed(0)} MB  (target ≤ 200 MB: ${check(rss <= 200)})`);
}

try {
  await main();
} finally {
  for (const c of children) c.kill('SIGTERM');
}
process.exit(0);
