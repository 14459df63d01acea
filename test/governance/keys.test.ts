import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import type { CommandIO } from '../../src/cli/command.js';
import { generateKey, hashKey, KeyIndex, parseKeyHash } from '../../src/governance/keys.js';

describe('generateKey', () => {
  it('has the recognizable prefix and 256 random bits', () => {
    const key = generateKey();
    assert.match(key, /^sk-sy-[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(key.slice('sk-sy-'.length), 'base64url').length, 32);
    assert.match(generateKey('acme_'), /^acme_[A-Za-z0-9_-]{43}$/);
  });

  it('never repeats', () => {
    const keys = new Set(Array.from({ length: 10_000 }, () => generateKey()));
    assert.equal(keys.size, 10_000);
  });

  it('refuses prefixes that would be hard to copy or spot', () => {
    for (const bad of ['sk sy', 'sk/', 'x'.repeat(33), 'ключ-']) assert.throws(() => generateKey(bad), /prefix/);
  });
});

describe('hashKey', () => {
  it('is sha256 or HMAC-SHA256 of the key, in config form, and round-trips through parseKeyHash', () => {
    const key = generateKey();
    const plain = hashKey(key);
    assert.equal(plain, `sha256:${createHash('sha256').update(key).digest('hex')}`);
    const hmac = hashKey(key, 'hmac-sha256', 'secret');
    assert.equal(hmac, `hmac-sha256:${createHmac('sha256', 'secret').update(key).digest('hex')}`);
    assert.deepEqual(parseKeyHash(plain)?.algorithm, 'sha256');
    assert.equal(parseKeyHash(hmac)?.digest.toString('hex'), hmac.slice('hmac-sha256:'.length));
    assert.equal(parseKeyHash('md5:abc'), null);
    assert.throws(() => hashKey(key, 'hmac-sha256'), /key_secret/);
  });
});

describe('KeyIndex', () => {
  it('finds entries by the digest of the presented key, for both algorithms', () => {
    const a = generateKey();
    const b = generateKey();
    const index = new KeyIndex<string>('s3cret');
    index.add(hashKey(a), 'A');
    index.add(hashKey(b, 'hmac-sha256', 's3cret'), 'B');
    assert.equal(index.find(a), 'A');
    assert.equal(index.find(b), 'B');
    assert.equal(index.find(generateKey()), undefined);
    assert.equal(index.find(hashKey(a)), undefined, 'the hash is not a key');
  });

  it('an HMAC hash made with another secret does not match', () => {
    const k = generateKey();
    const index = new KeyIndex<string>('right');
    index.add(hashKey(k, 'hmac-sha256', 'wrong'), 'K');
    assert.equal(index.find(k), undefined);
  });

  it('refuses malformed hashes and HMAC hashes without a secret', () => {
    assert.throws(() => new KeyIndex<string>().add('sha256:xyz', 'x'), /malformed/);
    assert.throws(() => new KeyIndex<string>().add(hashKey('k', 'hmac-sha256', 's'), 'x'), /key_secret/);
  });
});

function io(env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): CommandIO & { out: string; err: string } {
  const r = {
    out: '',
    err: '',
    env,
    cwd,
    stdout: { write: (s: string) => (r.out += s) },
    stderr: { write: (s: string) => (r.err += s) },
  };
  return r;
}

describe('switchyard keys create', () => {
  it('prints the key once and its key_hash line', async () => {
    const t = io();
    assert.equal(await main(['keys', 'create'], t), 0);
    const m = /^key: (sk-sy-\S+)\nkey_hash: (sha256:[0-9a-f]{64})\n$/.exec(t.out);
    assert.ok(m, t.out);
    assert.equal(hashKey(m[1]), m[2]);
    assert.match(t.err, /only this once/);
  });

  it('--prefix and --json', async () => {
    const t = io();
    assert.equal(await main(['keys', 'create', '--prefix', 'acme-', '--json'], t), 0);
    const { key, key_hash } = JSON.parse(t.out) as { key: string; key_hash: string };
    assert.match(key, /^acme-/);
    assert.equal(hashKey(key), key_hash);
  });

  it('--hmac uses governance.key_secret of the config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-keys-'));
    writeFileSync(join(dir, 'switchyard.yaml'), 'providers: {local: {type: mock}}\ngovernance: {key_secret: env.SY_TEST_KEY_SECRET}\n');
    const t = io({ SY_TEST_KEY_SECRET: 'hmac-secret' }, dir);
    assert.equal(await main(['keys', 'create', '--hmac', '--config', 'switchyard.yaml', '--json'], t), 0, t.err);
    const { key, key_hash } = JSON.parse(t.out) as { key: string; key_hash: string };
    assert.equal(key_hash, hashKey(key, 'hmac-sha256', 'hmac-secret'));

    const noSecret = io({}, dir);
    writeFileSync(join(dir, 'plain.yaml'), 'providers: {local: {type: mock}}\n');
    assert.equal(await main(['keys', 'create', '--hmac', '--config', 'plain.yaml'], noSecret), 2);
    assert.match(noSecret.err, /key_secret/);

    const broken = io({ SY_TEST_KEY_SECRET: 'hmac-secret' }, dir);
    writeFileSync(join(dir, 'broken.yaml'), 'providers: {local: {type: mock}}\ngovernance:\n  key_secret: env.SY_TEST_KEY_SECRET\n  virtual_keys: [{id: vk, key_hash: "sha256:REPLACE"}]\n');
    assert.equal(await main(['keys', 'create', '--hmac', '--config', 'broken.yaml'], broken), 2);
    assert.match(broken.err, /broken\.yaml:4:\d+: error\[.*key_hash/, 'names the error that stops it');
    assert.match(broken.err, /fix the errors above first/);
  });

  it('bad usage exits 2', async () => {
    for (const argv of [['keys'], ['keys', 'rotate'], ['keys', 'create', '--prefix', 'a b'], ['keys', 'create', 'extra']]) {
      const t = io();
      assert.equal(await main(argv, t), 2, argv.join(' '));
    }
  });
});
