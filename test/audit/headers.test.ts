// stripCredentialHeaders against its definition: every own header with a value, credentials
// dropped, names lowercased, several values joined; and its result recognised as stripped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isCredentialHeader, stripCredentialHeaders } from '../../src/audit/headers.js';

type Headers = Record<string, string | string[] | undefined>;

/** The definition, without the name cache or the mark. */
function reference(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || isCredentialHeader(name)) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

const NAMES = [
  'authorization', 'Authorization', 'proxy-authorization', 'x-api-key', 'X-Api-Key', 'x-switchyard-key', 'api-key',
  'x-goog-api-key', 'cookie', 'Cookie', 'set-cookie', 'x-session-token', 'X-Client-Secret', 'x-password', 'x-oauth-id',
  'x-tier', 'X-Tier', 'host', 'content-type', 'user-agent', 'accept', 'x-stainless-lang', 'X-Stainless-OS', 'x-request-id',
];
const nameArb = fc.oneof(fc.constantFrom(...NAMES), fc.string({ minLength: 1, maxLength: 12 }));
const valueArb = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined));
const headersArb = fc.dictionary(nameArb, valueArb, { maxKeys: 20 });

describe('stripCredentialHeaders', () => {
  it('strips as its definition does, over varied header sets', () => {
    fc.assert(fc.property(headersArb, (headers) => {
      assert.deepStrictEqual(stripCredentialHeaders(headers), reference(headers));
    }), { numRuns: 2000 });
  });

  it('returns its own result unchanged, and a copy of it afresh', () => {
    fc.assert(fc.property(headersArb, (headers) => {
      const out = stripCredentialHeaders(headers);
      assert.equal(stripCredentialHeaders(out), out);
      assert.deepStrictEqual(Reflect.ownKeys(out), Object.keys(out), 'nothing but the headers is visible on it');
      const copy = { ...out, authorization: 'Bearer sk' };
      const again = stripCredentialHeaders(copy);
      assert.notEqual(again, copy);
      assert.deepStrictEqual(again, out);
    }), { numRuns: 500 });
  });
});
