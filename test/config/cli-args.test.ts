/** The shared CLI argument parser. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs, UsageError, type FlagSpecs } from '../../src/cli/args.js';
import { servePort } from '../../src/cli/commands/serve.js';

const spec: FlagSpecs = {
  config: { type: 'string', description: 'config', valueName: 'FILE' },
  json: { type: 'boolean', description: 'json' },
  tag: { type: 'string', description: 'tag', multiple: true },
  'fail-under-coverage': { type: 'string', description: 'percent' },
};

describe('parseArgs', () => {
  it('reads --x value, --x=value, booleans, repeatable flags and positionals in any order', () => {
    const a = parseArgs(['one', '--config', 'a.yaml', '--json', '--tag=x', 'two', '--tag', 'y=z'], spec);
    assert.deepEqual(a.positionals, ['one', 'two']);
    assert.equal(a.string('config'), 'a.yaml');
    assert.equal(a.boolean('json'), true);
    assert.deepEqual(a.strings('tag'), ['x', 'y=z']);
    assert.equal(a.boolean('help'), false);
    assert.equal(a.string('missing'), undefined);
  });

  it('accepts --flag=true/false for booleans, and values that look like numbers or start with one dash', () => {
    assert.equal(parseArgs(['--json=false'], spec).boolean('json'), false);
    assert.equal(parseArgs(['--json=true'], spec).boolean('json'), true);
    assert.equal(parseArgs(['--fail-under-coverage', '-5'], spec).number('fail-under-coverage'), -5);
    assert.equal(parseArgs(['--config='], spec).string('config'), '');
  });

  it('treats everything after -- as positionals, and - as a positional (stdin)', () => {
    assert.deepEqual(parseArgs(['--', '--json', '-x'], spec).positionals, ['--json', '-x']);
    assert.deepEqual(parseArgs(['-'], spec).positionals, ['-']);
  });

  it('always accepts -h and --help', () => {
    assert.equal(parseArgs(['-h'], {}).boolean('help'), true);
    assert.equal(parseArgs(['--help'], {}).boolean('help'), true);
  });

  const errors: [string[], string][] = [
    [['--confgi', 'a.yaml'], 'unknown option --confgi; did you mean --config?'],
    [['--verbose'], 'unknown option --verbose'],
    [['-x'], 'unknown option -x'],
    [['--config'], '--config needs a value (FILE)'],
    [['--config', '--json'], '--config needs a value (FILE)'],
    [['--json=yes'], '--json takes no value (or =true/=false), got "yes"'],
    [['--config', 'a', '--config', 'b'], '--config given more than once'],
  ];
  for (const [argv, message] of errors) {
    it(`rejects ${argv.join(' ')}`, () => {
      assert.throws(() => parseArgs(argv, spec), (e: unknown) => e instanceof UsageError && e.message === message);
    });
  }

  it('number() rejects what is not a number', () => {
    const a = parseArgs(['--fail-under-coverage', 'lots'], spec);
    assert.throws(() => a.number('fail-under-coverage'), { name: 'UsageError', message: '--fail-under-coverage must be a number, got "lots"' });
  });

  it('returns frozen values', () => {
    const a = parseArgs(['p'], spec);
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a.positionals) && Object.isFrozen(a.flags));
  });
});

describe('switchyard serve --port and $PORT', () => {
  it('takes --port over $PORT, leaves both unset to server.port, and reads an empty $PORT as unset rather than port 0', () => {
    assert.equal(servePort('8081', '9090'), 8081);
    assert.equal(servePort(undefined, '9090'), 9090);
    assert.equal(servePort(undefined, undefined), undefined);
    assert.equal(servePort(undefined, ''), undefined);
    assert.equal(servePort(undefined, ' '), undefined);
    assert.equal(servePort('0', undefined), 0);
  });

  it('refuses what is not a port, naming where it came from', () => {
    assert.throws(() => servePort('', undefined), (e: Error) => e instanceof UsageError && /--port must be a port number, got ""/.test(e.message));
    assert.throws(() => servePort('80a', undefined), /--port must be a port number/);
    assert.throws(() => servePort(undefined, '70000'), /\$PORT must be a port number, got "70000"/);
  });
});
