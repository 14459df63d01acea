/**
 * The README's gateway config examples load: every ```yaml block whose top-level keys are
 * gateway config sections (providers, governance, dispatch, audit, ...), with a mock
 * provider added where the block names none and its env.VARS left unset. Its rule file
 * example compiles against its providers and governance examples, and its rule tests pass.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { compileRuleBundle, createRouter, findTestFiles, loadTestCases, runTests } from '../../src/rules/index.js';
import { rendered, tempTree } from './helpers.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const SCHEMA = JSON.parse(readFileSync(new URL('../../schema/gateway.schema.json', import.meta.url), 'utf8')) as { properties: Record<string, unknown> };
const SECTIONS = new Set(Object.keys(SCHEMA.properties));

/** The README's YAML blocks, with the line each starts on. */
const BLOCKS = [...README.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => ({ line: README.slice(0, m.index).split('\n').length + 1, text: m[1] }));

/** The one block whose text starts so. */
function blockStarting(prefix: string): string {
  const found = BLOCKS.filter((b) => b.text.startsWith(prefix));
  assert.equal(found.length, 1, `README blocks starting ${JSON.stringify(prefix)}`);
  return found[0].text;
}

/** The README's YAML blocks that are gateway config. */
function configBlocks(): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  for (const b of BLOCKS) {
    let value: unknown;
    try {
      value = parse(b.text);
    } catch {
      continue; // fragments showing alternatives (two `when:` lines) are not documents
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const keys = Object.keys(value);
    // A rule file has its own $schema (and `rules` as a list).
    const schema = (value as Record<string, unknown>).$schema;
    if (keys.length === 0 || !keys.every((k) => SECTIONS.has(k)) || (typeof schema === 'string' && !schema.includes('gateway'))) continue;
    out.push(b);
  }
  return out;
}

describe("the README's config examples", () => {
  const blocks = configBlocks();

  it('finds the examples', () => {
    assert.ok(blocks.length >= 5, `found ${blocks.length}`);
  });

  for (const b of blocks) {
    it(`README.md:${b.line} loads`, () => {
      const value = parse(b.text) as Record<string, unknown>;
      const config = value.providers === undefined ? `${b.text}\nproviders: {mock: {type: mock, models: ["*"]}}\n` : b.text;
      const dir = tempTree({ 'switchyard.yaml': config });
      const { issues } = loadConfig({ path: 'switchyard.yaml', cwd: dir, env: {}, missingEnv: 'warning' });
      const errors = issues.filter((i) => i.severity === 'error');
      assert.equal(rendered(errors, dir), '', `README.md:${b.line}`);
    });
  }

  it('the rule file example compiles against the providers and governance examples, and the rule test example passes', () => {
    const governance = BLOCKS.filter((b) => b.text.startsWith('governance:') && b.text.includes('virtual_keys'));
    assert.equal(governance.length, 1);
    const dir = tempTree({
      'switchyard.yaml': `${blockStarting('providers:')}${governance[0].text}rules: {paths: [rules/]}\n`,
      'rules/readme.yaml': blockStarting('$schema: ../schema/rules.schema.json').replace('../schema/', `${new URL('../../schema/', import.meta.url).pathname}`),
      'rules/readme.test.yaml': blockStarting('# rules/premium.test.yaml'),
    });
    const { config, issues } = loadConfig({ path: 'switchyard.yaml', cwd: dir, env: {}, missingEnv: 'warning' });
    assert.ok(config, rendered(issues.filter((i) => i.severity === 'error'), dir));
    const compiled = compileRuleBundle(config);
    assert.ok(compiled.bundle, rendered(compiled.issues, dir));
    const cases = loadTestCases(findTestFiles(config.rulePaths).files, compiled.bundle);
    assert.deepEqual(cases.issues, []);
    const report = runTests(createRouter(compiled.bundle), cases.cases);
    assert.deepEqual([report.passed, report.failed], [3, 0]);
  });
});
