import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRORS, SwitchyardError, renderError, type ErrorCode, type ErrorSpec } from '../../src/errors.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test('every error code is documented in the README with its status', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    assert.ok(row, `${code} is missing from the README's error table`);
    assert.match(row, new RegExp(`\\| ${spec.status} \\|`), `${code}: the README gives another status than ${spec.status}`);
  }
});

test('the README documents no code that does not exist', () => {
  const documented = [...readme.matchAll(/^\| `(SY_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  for (const code of documented) assert.ok(code in ERRORS, `README documents unknown code ${code}`);
});

test("every code renders in both dialects with its stable code (in OpenAI's dialect, OpenAI's own code where it has one)", () => {
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    const e = new SwitchyardError(code, 'm');
    const o = renderError('openai', e) as { error: { code: string; type: string; message: string } };
    assert.equal(o.error.code, (ERRORS[code] as ErrorSpec).openaiCode ?? code);
    assert.equal(o.error.type, ERRORS[code].openaiType);
    const a = renderError('anthropic', e) as { type: string; error: { code: string; type: string } };
    assert.equal(a.type, 'error');
    assert.equal(a.error.code, code);
    assert.equal(a.error.type, ERRORS[code].anthropicType);
  }
});

test('a previous response not found carries the code OpenAI gives it, by which clients resend the whole conversation', () => {
  const e = new SwitchyardError('SY_ERR_PREVIOUS_RESPONSE_NOT_FOUND', 'gone', { details: { param: 'previous_response_id' } });
  assert.deepEqual(renderError('openai', e), { error: { message: 'gone', type: 'invalid_request_error', code: 'previous_response_not_found', param: 'previous_response_id' } });
  assert.equal((renderError('anthropic', e) as { error: { code: string } }).error.code, 'SY_ERR_PREVIOUS_RESPONSE_NOT_FOUND');
});

test("a provider's refusal passed through to an Anthropic client has Anthropic's type for its status", () => {
  const type = (status: number) => (renderError('anthropic', new SwitchyardError('SY_ERR_UPSTREAM_CLIENT_ERROR', 'm', { status })) as { error: { type: string } }).error.type;
  assert.deepEqual([400, 404, 413, 422].map(type), ['invalid_request_error', 'not_found_error', 'request_too_large', 'invalid_request_error']);
});

test("an upstream timeout reaches an Anthropic client with Anthropic's type for a 504, timeout_error", () => {
  const a = renderError('anthropic', new SwitchyardError('SY_ERR_UPSTREAM_TIMEOUT', 'm')) as { error: { type: string } };
  assert.equal(a.error.type, 'timeout_error');
  assert.equal(ERRORS.SY_ERR_UPSTREAM_TIMEOUT.status, 504);
});
