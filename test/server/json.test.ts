import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fewOpenings, jsonDepth, parseJsonBody } from '../../src/server/json.js';
import { SwitchyardError } from '../../src/errors.js';

const code = (f: () => unknown) => {
  try { f(); } catch (e) { return (e as SwitchyardError).code; }
  return null;
};

test('depth counts nesting outside strings only', () => {
  assert.equal(jsonDepth('{"a":[1,{"b":"[[[{{{"}]}'), 3);
  assert.equal(jsonDepth('"\\"[["'), 0);
  assert.equal(jsonDepth('[]'), 1);
});

test('bodies are refused with stable codes', () => {
  assert.equal(code(() => parseJsonBody('', 8)), 'SY_ERR_INVALID_JSON');
  assert.equal(code(() => parseJsonBody('{"a":', 8)), 'SY_ERR_INVALID_JSON');
  assert.equal(code(() => parseJsonBody('[1]', 8)), 'SY_ERR_BAD_REQUEST');
  assert.equal(code(() => parseJsonBody('"x"', 8)), 'SY_ERR_BAD_REQUEST');
  assert.equal(code(() => parseJsonBody('{"a":[[[[[[[[[1]]]]]]]]]}', 8)), 'SY_ERR_JSON_TOO_DEEP');
  assert.equal(code(() => parseJsonBody('{"a":{"__proto__":{"x":1}}}', 8)), 'SY_ERR_FORBIDDEN_KEY');
  assert.equal(code(() => parseJsonBody('{"\\u005f_proto__":{"x":1}}', 8)), 'SY_ERR_FORBIDDEN_KEY');
  assert.equal(code(() => parseJsonBody('{"constructor":{"prototype":{"x":1}}}', 8)), 'SY_ERR_FORBIDDEN_KEY');
});

test('near misses pass', () => {
  assert.deepEqual(parseJsonBody('{"constructor":"a string","text":"__proto__ in prose \\u00e9"}', 8), { constructor: 'a string', text: '__proto__ in prose é' });
  assert.deepEqual(parseJsonBody('{"a":[[1]]}', 3), { a: [[1]] });
  // RFC 8259 §8.1: a parser may ignore a byte order mark; Windows tools write one.
  assert.deepEqual(parseJsonBody('\ufeff{"a":1}', 3), { a: 1 });
  assert.equal(code(() => parseJsonBody('\ufeff', 8)), 'SY_ERR_INVALID_JSON');
});

test('depth skips escaped quotes and backslash runs as JSON.parse reads them', () => {
  assert.equal(jsonDepth('{"a":"\\\\"}'), 1, 'an escaped backslash does not escape the quote after it');
  assert.equal(jsonDepth('{"a":"\\\\\\"[[[","b":[[1]]}'), 3);
  assert.equal(jsonDepth('["\\\\\\\\",["x"]]'), 2);
  assert.equal(jsonDepth('{"a":"[[[ never closed'), 1);
  for (const text of ['{"k":"v\\"}{[","x":[{"y":"\\\\"}]}', '[["\\"\\\\\\""],"]]]"]']) {
    let deepest = 0;
    const walk = (v: unknown, d: number): void => {
      if (v === null || typeof v !== 'object') return;
      deepest = Math.max(deepest, d);
      for (const c of Object.values(v)) walk(c, d + 1);
    };
    walk(JSON.parse(text), 1);
    assert.equal(jsonDepth(text), deepest, text);
  }
});

test('depth reads a long string without visiting its every character', () => {
  // The base64 of an image is most of a large body: skipping it by a search keeps the
  // depth check a small part of what reading the body costs.
  const text = JSON.stringify({ messages: [{ content: [{ image_url: { url: `data:image/png;base64,${'iVBORw0KGgo'.repeat(100_000)}` } }] }] });
  const charCodeAt = String.prototype.charCodeAt;
  let reads = 0;
  String.prototype.charCodeAt = function (this: string, i: number) {
    reads++;
    return charCodeAt.call(this, i);
  };
  let depth: number;
  try {
    depth = jsonDepth(text);
  } finally {
    String.prototype.charCodeAt = charCodeAt;
  }
  assert.equal(depth, 6);
  assert.ok(reads < 1000, `${reads} characters read of ${text.length}`);
});

test('a body with few opening brackets is taken without the depth scan, and one with many is scanned', () => {
  // Brackets in strings count: the count only bounds the depth from above.
  assert.equal(fewOpenings('{"a":"[[["}', 3), false);
  assert.equal(fewOpenings('{"a":"[["}', 3), true);
  assert.equal(fewOpenings('{"a":[1,{"b":2}]}', 3), true);
  assert.equal(fewOpenings('', 0), true);
  // As deep as allowed, with no bracket to spare, and one level deeper.
  assert.deepEqual(parseJsonBody('{"a":[{"b":1}]}', 3), { a: [{ b: 1 }] });
  assert.equal(code(() => parseJsonBody('{"a":[{"b":[1]}]}', 3)), 'SY_ERR_JSON_TOO_DEEP');
  // Many brackets, shallow nesting: the scan decides, and it passes.
  assert.deepEqual(parseJsonBody('{"a":"[[[[[[[[","b":[1],"c":{"d":2}}', 2), { a: '[[[[[[[[', b: [1], c: { d: 2 } });
  // Many brackets, deep nesting among them: refused.
  assert.equal(code(() => parseJsonBody('{"a":"{{{{{{","b":[[[1]]]}', 3)), 'SY_ERR_JSON_TOO_DEEP');
});
