/**
 * What stripCredentialHeaders costs per request: once on the request's own headers (as
 * route does), then twice on its result (as the audit event does, for the request and
 * the inputs). The headers are an OpenAI SDK's, parsed by node's IncomingMessage from
 * names made fresh per request, as the HTTP parser makes them.
 *
 * Usage: npx tsx bench/credential-headers.ts
 */
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { stripCredentialHeaders } from '../src/audit/headers.js';

const RAW = [
  'Host', '127.0.0.1:8080', 'Connection', 'keep-alive', 'Accept', 'application/json',
  'Content-Type', 'application/json', 'User-Agent', 'OpenAI/JS 4.104.0', 'X-Stainless-Lang', 'js',
  'X-Stainless-Package-Version', '4.104.0', 'X-Stainless-OS', 'Linux', 'X-Stainless-Arch', 'x64',
  'X-Stainless-Runtime', 'node', 'X-Stainless-Runtime-Version', 'v20.19.0', 'Authorization', 'Bearer sk-test',
  'X-Stainless-Retry-Count', '0', 'X-Stainless-Timeout', '600', 'x-tier', 'premium',
  'Accept-Encoding', 'gzip,deflate', 'Content-Length', '142',
];
const RAW_BYTES = RAW.map((s) => Buffer.from(s, 'latin1'));

/** One request's headers object, from strings no earlier request shares. */
function parsed(): Record<string, string | string[] | undefined> {
  const msg = new IncomingMessage(new Socket());
  const raw = RAW_BYTES.map((b) => b.toString('latin1'));
  (msg as unknown as { _addHeaderLines(raw: string[], n: number): void })._addHeaderLines(raw, raw.length);
  return msg.headers;
}

function run(n: number): number {
  const all = Array.from({ length: n }, parsed);
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const h = stripCredentialHeaders(all[i]);
    if (stripCredentialHeaders(h) === h && stripCredentialHeaders(h) === h) sink++;
  }
  const ns = ((performance.now() - t0) * 1e6) / n;
  if (sink === 0) throw new Error('nothing stripped');
  return ns;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
for (let r = 0; r < 3; r++) run(20_000);
const rounds: number[] = [];
for (let r = 0; r < 15; r++) {
  rounds.push(run(50_000));
  await settle();
}
console.log(`strip + 2 re-strips: ${median(rounds).toFixed(0)} ns/request (min ${Math.min(...rounds).toFixed(0)})`);
