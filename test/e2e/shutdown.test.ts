/**
 * `switchyard serve` as a process: under load, then SIGTERM, every request the gateway
 * answered has its audit event in the store after the process exits; SIGHUP reloads the
 * rule files and the config's governance, and keeps the running ones when the new ones
 * do not load.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { hashKey } from '../../src/governance/index.js';

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => res(port));
    });
  });
}

/** Starts `switchyard serve` on `config` and waits until it answers /healthz; `spawned` sees the process at once (to kill it on failure). */
async function serve(config: string, port: number, spawned?: (proc: ChildProcess) => void): Promise<{ proc: ChildProcess; url: string }> {
  const main = resolve(import.meta.dirname, '../../src/cli/main.ts');
  const proc = spawn(process.execPath, ['--import', 'tsx', main, 'serve', '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  spawned?.(proc);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${url}/healthz`)).ok) break; } catch { /* starting */ }
    assert.ok(i < 200, 'gateway did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, url };
}

/**
 * Runs `fn` against `switchyard serve` with the mock provider, the audit log off and
 * `rules` (YAML) as rules/routing.yaml in a fresh folder; the process is killed and the
 * folder removed afterwards. `server` adds to the server section.
 */
async function withRules(rules: string, server: string, fn: (gw: { proc: ChildProcess; url: string; rulesFile: string }) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sy-serve-rules-'));
  const child = { proc: null as ChildProcess | null };
  try {
    const port = await freePort();
    mkdirSync(join(dir, 'rules'));
    const rulesFile = join(dir, 'rules', 'routing.yaml');
    writeFileSync(rulesFile, rules);
    const config = join(dir, 'switchyard.yaml');
    writeFileSync(config, `
server: {port: ${port}, allow_unauthenticated: true${server}}
logging: {level: fatal}
providers:
  mock: {type: mock, models: ["*"]}
rules: {paths: [rules/]}
audit: {enabled: false}
`);
    const { proc, url } = await serve(config, port, (p) => (child.proc = p));
    await fn({ proc, url, rulesFile });
  } finally {
    child.proc?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('switchyard serve shutdown', { timeout: 60_000 }, () => {
  it('flushes the audit event of every answered request on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-serve-shutdown-'));
    try {
      const port = await freePort();
      const db = join(dir, 'audit.db');
      const config = join(dir, 'switchyard.yaml');
      writeFileSync(config, `
server: {port: ${port}, allow_unauthenticated: true, shutdown_grace_ms: 5000}
logging: {level: warn}
providers:
  mock: {type: mock, models: ["*"], options: {latency_ms: 2}}
audit: {sinks: [{type: sqlite, path: ${db}, batch_size: 50, flush_interval_ms: 1000}]}
`);
      const { proc: child, url } = await serve(config, port);
      const answered: string[] = [];
      let stop = false;
      const worker = async () => {
        while (!stop) {
          try {
            const res = await fetch(`${url}/v1/chat/completions`, {
              method: 'POST', headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] }),
            });
            await res.text();
            if (res.status === 200) answered.push(res.headers.get('x-switchyard-decision-id')!);
          } catch {
            return; // refused or reset once the server stopped accepting: not answered
          }
        }
      };
      const workers = Array.from({ length: 16 }, worker);
      while (answered.length < 300) await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGTERM');
      const exited = once(child, 'exit');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const [code, signal] = await exited;
      clearTimeout(timer);
      assert.notEqual(signal, 'SIGKILL', 'the gateway did not exit within 20 s of SIGTERM');
      stop = true;
      await Promise.all(workers);
      assert.equal(code, 0);
      const sqlite = new Database(db, { readonly: true });
      const stored = new Set((sqlite.prepare('SELECT decision_id FROM audit_events').all() as { decision_id: string }[]).map((r) => r.decision_id));
      sqlite.close();
      const missing = answered.filter((id) => !stored.has(id));
      assert.equal(missing.length, 0, `${missing.length} of ${answered.length} answered requests have no audit event`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('switchyard serve reload', { timeout: 60_000 }, () => {
  it('SIGHUP recompiles the rule files; rules that do not compile leave the running ones', async () => {
    const rule = (id: string) => `rules:\n  - {id: ${id}, when: 'true', route: mock/mock-model, priority: 10}\n`;
    await withRules(rule('first-rule'), ', expose_decision_headers: true', async ({ proc, url, rulesFile }) => {
      const ruleId = async () => {
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] }),
        });
        await res.text();
        assert.equal(res.status, 200);
        return res.headers.get('x-switchyard-rule-id');
      };
      const after = async (want: string) => {
        for (let i = 0; i < 100; i++) {
          if ((await ruleId()) === want) return;
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.fail(`rule ${want} never applied`);
      };
      assert.equal(await ruleId(), 'first-rule');
      writeFileSync(rulesFile, rule('second-rule'));
      proc.kill('SIGHUP');
      await after('second-rule');
      writeFileSync(rulesFile, 'rules:\n  - {id: broken, when: "tier ==", route: mock/mock-model}\n');
      proc.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await ruleId(), 'second-rule', 'the running rules stay');
      assert.equal(proc.exitCode, null, 'still serving');
    });
  });
});

describe('switchyard serve config reload', { timeout: 60_000 }, () => {
  it('SIGHUP serves a virtual key added to the config file; a config that does not load leaves the running keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-serve-keys-'));
    const child = { proc: null as ChildProcess | null };
    try {
      const port = await freePort();
      const config = join(dir, 'switchyard.yaml');
      const write = (keys: string) => writeFileSync(config, `
server: {port: ${port}}
logging: {level: fatal}
providers:
  mock: {type: mock, models: ["*"]}
audit: {enabled: false}
governance:
  virtual_keys:
${keys}
`);
      const key = (id: string, more = '') => `    - {id: ${id}, key_hash: "${hashKey(`sk-sy-serve-${id}-0000`)}"${more}}\n`;
      write(key('vk-old'));
      const { proc, url } = await serve(config, port, (p) => (child.proc = p));
      const status = async (id: string) => {
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer sk-sy-serve-${id}-0000` },
          body: JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: 'hi' }] }),
        });
        await res.text();
        return res.status;
      };
      const until = async (id: string, want: number) => {
        for (let i = 0; i < 100; i++) {
          if ((await status(id)) === want) return;
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.fail(`${id} never answered ${want}`);
      };
      assert.equal(await status('vk-old'), 200);
      assert.equal(await status('vk-new'), 401);
      write(key('vk-old') + key('vk-new'));
      proc.kill('SIGHUP');
      await until('vk-new', 200);
      // A team no one defined: the config does not load, and the running keys stay.
      write(key('vk-old') + key('vk-new') + key('vk-bad', ', team: nobody'));
      proc.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await status('vk-new'), 200, 'the running keys stay');
      assert.equal(await status('vk-bad'), 401);
      assert.equal(proc.exitCode, null, 'still serving');
    } finally {
      child.proc?.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('switchyard serve reload storm', { timeout: 60_000 }, () => {
  it('SIGHUPs that come while a reload waits or runs make one more reload, not one each', async () => {
    // Enough rules that each compile holds the event loop for a while.
    const rules = Array.from({ length: 2000 }, (_, i) => `  - {id: r${i}, when: 'model == "m-${i}" && headers[?"x-c"].orValue("") == "c-${i}"', route: mock/mock-model}`);
    await withRules(`rules:\n${rules.join('\n')}\n`, '', async ({ proc, url }) => {
      const reloads = async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return Number(/^switchyard_rule_reloads_total\{result="ok"\} (\d+)/m.exec(text)?.[1] ?? 0);
      };
      for (let i = 0; i < 8; i++) {
        proc.kill('SIGHUP');
        await new Promise((r) => setTimeout(r, 15));
      }
      // Wait until the reloads stop coming.
      let last = -1;
      for (let n = await reloads(); n !== last; n = await reloads()) {
        last = n;
        await new Promise((r) => setTimeout(r, 1500));
      }
      assert.ok(last >= 1 && last <= 3, `8 SIGHUPs in 120 ms made ${last} reloads`);
      assert.equal(proc.exitCode, null, 'still serving');
    });
  });
});

describe('switchyard serve draining', { timeout: 60_000 }, () => {
  it('a SIGHUP while draining neither ends the process nor loses the in-flight stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-serve-drain-hup-'));
    const child = { proc: null as ReturnType<typeof spawn> | null };
    try {
      const port = await freePort();
      const db = join(dir, 'audit.db');
      const config = join(dir, 'switchyard.yaml');
      // A stream of 40 chunks 50 ms apart, well inside the grace period.
      writeFileSync(config, `
server: {port: ${port}, allow_unauthenticated: true, shutdown_grace_ms: 20000}
logging: {level: fatal}
providers:
  mock: {type: mock, models: ["*"], options: {chunks: 40, chunk_delay_ms: 50}}
audit: {sinks: [{type: sqlite, path: ${db}}]}
`);
      const { proc, url } = await serve(config, port, (p) => (child.proc = p));
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      const decision = res.headers.get('x-switchyard-decision-id')!;
      const reader = res.body!.getReader();
      await reader.read(); // the stream has started
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      // Until /healthz is refused the signal may not have been handled yet: wait for it.
      for (let i = 0; ; i++) {
        try { await fetch(`${url}/healthz`); } catch { break; }
        assert.ok(i < 200, 'the gateway never stopped accepting');
        await new Promise((r) => setTimeout(r, 50));
      }
      proc.kill('SIGHUP');
      let text = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
      assert.match(text, /data: \[DONE\]/, 'the stream ran to its end');
      const [code, signal] = await exited;
      assert.deepEqual([code, signal], [0, null]);
      const sqlite = new Database(db, { readonly: true });
      const row = sqlite.prepare('SELECT decision_id FROM audit_events WHERE decision_id = ?').get(decision);
      sqlite.close();
      assert.ok(row, 'the stream has its audit event');
    } finally {
      if (child.proc?.exitCode === null) child.proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
