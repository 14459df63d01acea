/**
 * What `npm pack` puts in the package: everything the commands read at run time (the
 * compiled CLI, the audit writer's worker entry, the schemas) and the example policy
 * whole — the rules and the config that names their providers, so that
 * `switchyard test --config node_modules/switchyard/switchyard.example.yaml` runs from an
 * install — and none of the repository's tests, sources or scratch files.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { compileRuleBundle, createRouter, findTestFiles, loadTestCases, runTests } from '../../src/rules/index.js';
import { tempTree } from './helpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** The packed file list, without running `prepare` (the build): about 1 s. */
function packedFiles(): string[] {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
}

describe('the npm package', { timeout: 60_000 }, () => {
  const files = packedFiles();

  it('holds what the commands read at run time', () => {
    const needed = [
      'bin/switchyard.js', 'package.json', 'dist/cli/main.js', 'dist/audit/sinks/sqlite-thread.js',
      ...readdirSync(join(ROOT, 'schema')).map((f) => `schema/${f}`),
      ...readdirSync(join(ROOT, 'rules')).map((f) => `rules/${f}`),
      'switchyard.example.yaml',
    ];
    for (const f of needed) assert.ok(files.includes(f), `${f} is not in the package`);
  });

  it('holds no tests, sources, benchmarks or scratch files', () => {
    const stray = files.filter((f) => /^(test|src|bench|scripts|\.tmp|\.ci|node_modules)\//.test(f) || f.endsWith('.tgz'));
    assert.deepEqual(stray, []);
  });

  it('holds no compiled file whose source is gone (a deleted or renamed module stays importable otherwise)', () => {
    const stale = files.filter((f) => f.startsWith('dist/')).filter((f) => {
      const source = f.replace(/^dist\//, 'src/').replace(/\.map$/, '').replace(/\.js$/, '.ts');
      return !existsSync(join(ROOT, source));
    });
    assert.deepEqual(stale, []);
  });

  it('its example config, rules and rule tests work together as packed', () => {
    const dir = tempTree({});
    try {
      for (const f of files.filter((p) => !p.startsWith('dist/') && !p.startsWith('bin/'))) cpSync(join(ROOT, f), join(dir, f));
      const loaded = loadConfig({ path: join(dir, 'switchyard.example.yaml'), env: {}, missingEnv: 'warning' });
      assert.ok(loaded.config, JSON.stringify(loaded.issues.filter((i) => i.severity === 'error')));
      const { bundle, issues } = compileRuleBundle(loaded.config);
      assert.ok(bundle, JSON.stringify(issues));
      const found = findTestFiles(loaded.config.rulePaths);
      assert.ok(found.files.length > 0, 'the example rule tests are found');
      const cases = loadTestCases(found.files, bundle);
      assert.deepEqual(cases.issues, []);
      const report = runTests(createRouter(bundle), cases.cases);
      assert.equal(report.failed, 0);
      assert.ok(report.passed > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
