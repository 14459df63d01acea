/** `switchyard validate` and the CLI dispatcher: output, --json, exit codes 0/1/2. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CommandIO } from '../../src/cli/command.js';
import { EXAMPLE_ENV, tempTree, text } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

async function run(argv: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }) {
  let stdout = '';
  let stderr = '';
  const io: CommandIO = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: opts.env ?? {},
    cwd: opts.cwd,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const GOOD_CONFIG = `
  providers:
    local: {type: mock, models: ["*"]}
  governance:
    teams: [{id: ml-research, tier: premium}]
`;
const GOOD_RULES = {
  'rules/premium.yaml': text(`
    rules:
      - id: premium
        when: tier == "premium"
        route: local/big-model
      - id: long-prompts
        when: params.max_tokens > 4000
        route: local/long-model
  `),
  'rules/team.yaml': text(`
    rules:
      - id: ml-team
        scope: {team: ml-research}
        when: model == "gpt-4o"
        route: local/research-model
  `),
};

describe('switchyard validate', () => {
  it('a valid config and rules: the summary line, exit 0', async () => {
    const cwd = tempTree({ 'switchyard.yaml': text(GOOD_CONFIG), ...GOOD_RULES });
    const r = await run(['validate'], { cwd });
    assert.equal(r.stdout, 'ok: 1 config, 2 rule files, 3 rules\n');
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
  });

  it('config errors: every issue with its location (relative to the working directory) and caret, then the counts, exit 1', async () => {
    const cwd = tempTree({
      'conf/gw.yaml': text(`
        providers:
          local: {type: mock, wieght: 1}
        server: {port: -1}
      `),
    });
    const r = await run(['validate', '--config', 'conf/gw.yaml'], { cwd });
    assert.equal(r.stdout, `${text(`
      conf/gw.yaml:2:23: error[schema]: unknown property "wieght" in providers.local; did you mean "weight"?
        2 |   local: {type: mock, wieght: 1}
          |                       ^
      conf/gw.yaml:3:16: error[schema]: server.port must be >= 0, got -1
        3 | server: {port: -1}
          |                ^
      2 errors, 0 warnings; rules were not checked because the config has errors
    `)}\n`);
    assert.equal(r.code, 1);
  });

  it('an unset env.NAME, the config\'s only error, leaves the rules checked all the same', async () => {
    const cwd = tempTree({
      'switchyard.yaml': text(`
        providers:
          oa: {type: openai, keys: [{name: k, value: env.OA_KEY}], models: ["*"]}
      `),
      'rules/bad.yaml': text(`
        rules:
          - id: broken
            when: tier > 3
            route: oa/gpt-4o
      `),
    });
    const r = await run(['validate'], { cwd });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /switchyard\.yaml:2:\d+: error\[env_missing\]: environment variable OA_KEY is not set/);
    assert.match(r.stdout, /rules\/bad\.yaml:3:11: error\[cel_type\]: CEL type error: no such overload: string > int/);
    assert.doesNotMatch(r.stdout, /rules were not checked/);
  });

  it('rule errors fail the check too', async () => {
    const cwd = tempTree({
      'switchyard.yaml': text(GOOD_CONFIG),
      'rules/bad.yaml': text(`
        rules:
          - id: broken
            when: tier ==
            route: nowhere/model
      `),
    });
    const r = await run(['validate'], { cwd });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /rules\/bad\.yaml:3:\d+: error\[/);
    assert.match(r.stdout, /\n\d+ errors?, 0 warnings\n$/);
  });

  it('--json prints {ok, issues: [{severity, code, message, file, line, col}]}', async () => {
    const cwd = tempTree({ 'switchyard.yaml': 'providers:\n  local: {type: mock, weight: -2}\n' });
    const r = await run(['validate', '--json'], { cwd });
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.equal(out.ok, false);
    assert.deepEqual(out.issues, [{
      severity: 'error', code: 'schema', file: 'switchyard.yaml', line: 2, col: 31,
      message: 'providers.local.weight must be >= 0, got -2 (0 means it serves only when a rule or a pinned provider/model names it)',
    }]);
    assert.deepEqual(out.summary, { errors: 1, warnings: 0, rule_files: 0, rules: 0 });

    const good = await run(['validate', '--json'], { cwd: tempTree({ 'switchyard.yaml': text(GOOD_CONFIG), ...GOOD_RULES }) });
    assert.equal(good.code, 0);
    assert.deepEqual(JSON.parse(good.stdout), { ok: true, issues: [], summary: { errors: 0, warnings: 0, rule_files: 2, rules: 3 } });
  });

  it('warnings alone exit 0 (--allow-missing-env turns unset variables into warnings)', async () => {
    const cwd = tempTree({ 'switchyard.yaml': 'providers:\n  openai: {type: openai, keys: [{name: k, value: env.OPENAI_API_KEY}]}\n' });
    const strict = await run(['validate'], { cwd });
    assert.equal(strict.code, 1);
    const lenient = await run(['validate', '--allow-missing-env'], { cwd });
    assert.equal(lenient.code, 0);
    assert.match(lenient.stdout, /^switchyard\.yaml:2:50: warning\[env_missing\]: environment variable OPENAI_API_KEY is not set/);
    assert.match(lenient.stdout, /\nok: 1 config, 0 rule files, 0 rules \(1 warning\)\n$/);
  });

  it('the config may be given as an argument; without one the embedded default is checked', async () => {
    const cwd = tempTree({ 'a.yaml': text(GOOD_CONFIG) });
    assert.equal((await run(['validate', 'a.yaml'], { cwd })).stdout, 'ok: 1 config, 0 rule files, 0 rules\n');
    assert.equal((await run(['validate'], { cwd })).stdout, 'ok: 1 config (embedded default), 0 rule files, 0 rules\n');
    assert.equal((await run(['validate'], { cwd, env: { SWITCHYARD_CONFIG: 'a.yaml' } })).stdout, 'ok: 1 config, 0 rule files, 0 rules\n');
  });

  it('bad usage or an unreadable config exits 2', async () => {
    const cwd = tempTree({ 'a.yaml': text(GOOD_CONFIG) });
    const unknown = await run(['validate', '--jsn'], { cwd });
    assert.deepEqual([unknown.code, unknown.stdout], [2, '']);
    assert.equal(unknown.stderr, "switchyard validate: unknown option --jsn; did you mean --json?\nRun 'switchyard validate --help' for usage.\n");
    assert.equal((await run(['validate', 'a.yaml', 'b.yaml'], { cwd })).code, 2);
    assert.equal((await run(['validate', 'a.yaml', '--config', 'a.yaml'], { cwd })).code, 2);
    const missing = await run(['validate', '--config', 'nope.yaml'], { cwd });
    assert.equal(missing.code, 2);
    assert.equal(missing.stdout, `error[config_not_found]: config file not found: ${join(cwd, 'nope.yaml')}\n1 error, 0 warnings\n`);
  });

  it('no config file beside a rules/ folder: exit 2, not an "ok" that checked none of it', async () => {
    // A CI job whose config is named otherwise (gateway.yaml) or lives elsewhere used to
    // pass on "ok: 1 config (embedded default), 0 rule files", its rules unread.
    const cwd = tempTree({ 'gateway.yaml': text(GOOD_CONFIG), ...GOOD_RULES });
    const r = await run(['validate'], { cwd });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, `error[no_config_file]: no config file was found (switchyard.yaml, switchyard.yml, switchyard.json in ${cwd}, SWITCHYARD_CONFIG or --config) and the embedded default reads no rule files: the rules/ folder here was not checked; name the config with --config\n1 error, 0 warnings\n`);
    const json = await run(['validate', '--json'], { cwd });
    assert.equal(json.code, 2);
    assert.equal(JSON.parse(json.stdout).ok, false);
    assert.equal((await run(['validate', '--config', 'gateway.yaml'], { cwd })).code, 0);
    // SWITCHYARD_RULES points the embedded default at rule folders: then they are checked.
    assert.equal((await run(['validate'], { cwd: tempTree({ ...GOOD_RULES }), env: { SWITCHYARD_RULES: 'rules' } })).code, 1, 'its rules name providers the default lacks');
  });

  it('a rule file given as the config exits 2 saying what it is; so do test and explain', async () => {
    const cwd = tempTree({ 'switchyard.yaml': text(GOOD_CONFIG), ...GOOD_RULES, 'req.json': '{"model": "m"}' });
    const r = await run(['validate', 'rules/premium.yaml'], { cwd });
    assert.equal(r.code, 2);
    assert.match(r.stdout, /^error\[not_a_config\]: \S+rules\/premium\.yaml is a rule file \(it has a "rules:" list\), not a gateway config/);
    assert.equal((await run(['test', '--config', 'rules/premium.yaml'], { cwd })).code, 2);
    assert.equal((await run(['explain', '--config', 'rules/premium.yaml', '--request', 'req.json'], { cwd })).code, 2);
  });

  it('never prints a secret, in text or JSON', async () => {
    const cwd = tempTree({
      'switchyard.yaml': text(`
        server: {admin_token: env.SWITCHYARD_ADMIN_TOKEN, prot: 1}
        providers:
          openai:
            type: openai
            keys:
              - {name: a, value: env.OPENAI_API_KEY, wieght: 1}
              - {name: b, value: sk-literal-SECRET-77, wieght: 1}
      `),
    });
    for (const argv of [['validate'], ['validate', '--json']]) {
      const r = await run(argv, { cwd, env: EXAMPLE_ENV });
      assert.equal(r.code, 1);
      for (const secret of [...Object.values(EXAMPLE_ENV), 'sk-literal-SECRET-77']) {
        assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `${argv.join(' ')} printed ${secret}`);
      }
    }
  });

  it('the example config and the bundled rules validate (secrets from env)', async () => {
    const r = await run(['validate', '--config', 'switchyard.example.yaml'], { cwd: ROOT, env: EXAMPLE_ENV });
    assert.match(r.stdout, /^ok: 1 config, \d+ rule files?, \d+ rules?/m);
    assert.equal(r.code, 0, r.stdout);
  });
});

describe('switchyard (dispatcher)', () => {
  const cwd = ROOT;
  it('--help lists every command of the CLI contract', async () => {
    const r = await run(['--help'], { cwd });
    assert.equal(r.code, 0);
    const names = [...r.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]);
    assert.deepEqual(names, ['serve', 'validate', 'test', 'explain', 'audit', 'replay', 'diff', 'keys']);
  });

  it('no command prints the help to stderr and exits 2', async () => {
    const r = await run([], { cwd });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Usage: switchyard <command>/);
  });

  it('an unknown command suggests a near one and exits 2', async () => {
    const r = await run(['valdate'], { cwd });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'switchyard: unknown command "valdate"; did you mean "validate"?\nRun \'switchyard --help\' for the commands.\n');
    assert.equal((await run(['--json'], { cwd })).code, 2);
  });

  it('<command> --help and help <command> print its usage and options', async () => {
    const a = await run(['validate', '--help'], { cwd });
    const b = await run(['help', 'validate'], { cwd });
    assert.equal(a.code, 0);
    assert.equal(a.stdout, b.stdout);
    assert.match(a.stdout, /^Usage: switchyard validate/);
    assert.match(a.stdout, /\n {2}--config FILE {2,}Gateway config/);
    assert.match(a.stdout, /\n {2}--json {2,}/);
    assert.match(a.stdout, /\n {2}-h, --help {2,}Show this help\n$/);
  });

  it('--version prints the package version', async () => {
    const r = await run(['--version'], { cwd });
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});

describe('the CLI as a process', () => {
  // tsx by URL: `--import tsx` would be resolved from the temporary working directory.
  const tsx = import.meta.resolve('tsx');
  const cli = (args: string[], cwd: string) => spawnSync(process.execPath, ['--import', tsx, join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' },
  });

  it('exits 0, 1 and 2', () => {
    const cwd = tempTree({ 'good.yaml': text(GOOD_CONFIG), 'bad.yaml': 'providers: {x: {type: nope}}\n' });
    const ok = cli(['validate', 'good.yaml'], cwd);
    assert.deepEqual([ok.status, ok.stdout], [0, 'ok: 1 config, 0 rule files, 0 rules\n']);
    const bad = cli(['validate', 'bad.yaml', '--json'], cwd);
    assert.equal(bad.status, 1);
    assert.equal(JSON.parse(bad.stdout).issues[0].line, 1);
    const usage = cli(['validate', '--nope'], cwd);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /unknown option --nope/);
  });

  it('stops quietly, with its own exit code, when the reader of its output goes away (| head)', async () => {
    const rules = Array.from({ length: 50 }, (_, i) => `  - {id: never-${i}, when: "1 == 2", route: local/m}`).join('\n');
    const cwd = tempTree({ 'switchyard.yaml': text(GOOD_CONFIG), 'rules/many.yaml': `rules:\n${rules}\n` });
    const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src/cli/main.ts'), 'validate'], { cwd, env: { PATH: process.env.PATH ?? '' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The reader is gone before the first line is written.
    child.stdout.destroy();
    const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    assert.equal(stderr, '');
    assert.equal(status, 0, 'warnings only: validate passes');
  });

  it('bin/switchyard.js explains how to build when dist/ is missing', () => {
    const dir = tempTree({ 'package.json': '{"type": "module"}', 'bin/switchyard.js': readFileSync(join(ROOT, 'bin/switchyard.js'), 'utf8') });
    const r = spawnSync(process.execPath, [join(dir, 'bin/switchyard.js'), 'validate'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /npm run build/);
  });
});
