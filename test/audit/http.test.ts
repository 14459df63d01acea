import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditRequestFromQuery, auditResponse } from '../../src/audit/http.js';
import { SwitchyardError } from '../../src/errors.js';

const NOW = new Date('2025-06-02T00:00:00.000Z');

function badRequest(query: unknown): { param: unknown; message: string } {
  try {
    auditRequestFromQuery(query, NOW);
  } catch (e) {
    assert.ok(e instanceof SwitchyardError);
    assert.equal(e.code, 'SY_ERR_BAD_REQUEST');
    assert.equal(e.status, 400);
    return { param: e.details?.param, message: e.message };
  }
  assert.fail(`accepted ${JSON.stringify(query)}`);
}

describe('GET /admin/audit parameters', () => {
  it('turns every filter parameter into the filter', () => {
    const r = auditRequestFromQuery({
      since: '1h', until: '2025-06-01T23:59:00Z', rule: 'premium-tier', via: 'rule', provider: 'groq', model: 'llama',
      customer: 'acme', team: 'ml', virtual_key: 'vk', status: '5xx', fallback_reason: 'timeout',
      decision_id: 'd1', request_id: 'r1', limit: '20', cursor: 'abc',
    }, NOW);
    assert.deepEqual(r, {
      summary: undefined,
      filter: {
        from: new Date('2025-06-01T23:00:00.000Z'), to: new Date('2025-06-01T23:59:00Z'), rule_id: 'premium-tier', via: 'rule',
        provider: 'groq', model: 'llama', customer: 'acme', team: 'ml', virtual_key: 'vk', status: '5xx', fallback_reason: 'timeout',
        decision_id: 'd1', request_id: 'r1', limit: 20, cursor: 'abc',
      },
    });
    assert.deepEqual(auditRequestFromQuery({ from: '7d', status: '429', summary: 'spend' }, NOW), {
      summary: 'spend', filter: { from: new Date('2025-05-26T00:00:00.000Z'), status: 429 },
    });
    assert.deepEqual(auditRequestFromQuery({ since: '1M' }, NOW).filter.from, new Date('2025-05-02T00:00:00.000Z'));
    assert.deepEqual(auditRequestFromQuery(undefined, NOW), { filter: {}, summary: undefined });
  });

  it('refuses bad parameters with SY_ERR_BAD_REQUEST naming the parameter', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ team: ['a', 'b'] }, 'team', /given once/],
      [{ tema: 'a' }, 'tema', /unknown audit parameter `tema`/],
      [{ via: 'magic' }, 'via', /one of rule, balance, pinned, none/],
      [{ status: '99' }, 'status', /HTTP status like 429 or a class like 5xx/],
      [{ status: '6xx' }, 'status', /HTTP status/],
      [{ fallback_reason: 'sad' }, 'fallback_reason', /rate_limited, server_error/],
      [{ limit: '0' }, 'limit', /from 1 to 1000/],
      [{ limit: '1.5' }, 'limit', /from 1 to 1000/],
      [{ since: 'yesterday' }, 'since', /ISO date-time or a duration/],
      [{ from: '2025-13-45' }, 'from', /ISO date-time/],
      [{ since: '1h', from: '2h' }, 'since', /same filter/],
      [{ from: '1h', to: '2h' }, 'to', /time range is empty/],
      [{ team: '' }, 'team', /must not be empty/],
      [{ summary: 'everything' }, 'summary', /rules, fallbacks, spend/],
    ];
    for (const [query, param, message] of cases) {
      const got = badRequest(query);
      assert.equal(got.param, param, JSON.stringify(query));
      assert.match(got.message, message);
    }
  });

  it('reads a time without an offset as UTC, whatever the time zone of the process', () => {
    // The date alone was UTC and a date-time without an offset local time: the same URL meant another hour on another server.
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      assert.deepEqual(auditRequestFromQuery({ since: '2025-06-01T12:30', until: '2025-06-01 13:00:00.5' }, NOW).filter, {
        from: new Date('2025-06-01T12:30:00.000Z'), to: new Date('2025-06-01T13:00:00.500Z'),
      });
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    assert.deepEqual(auditRequestFromQuery({ since: '2025-06-01', until: '2025-06-01T14:00+02:00' }, NOW).filter, {
      from: new Date('2025-06-01T00:00:00.000Z'), to: new Date('2025-06-01T12:00:00.000Z'),
    });
  });

  it('refuses a date the calendar lacks and a duration reaching back before any date, instead of matching something else or nothing', () => {
    const cases: [unknown, string, RegExp][] = [
      // Date rolls these over to March 2 and 3.
      [{ since: '2025-02-30' }, 'since', /ISO date-time or a duration/],
      [{ until: '2025-02-31T00:00Z' }, 'until', /ISO date-time or a duration/],
      [{ since: '2025-06-01garbage' }, 'since', /ISO date-time or a duration/],
      // Before: an Invalid Date, compared as NULL, so an empty answer for "everything in the last 99999999999 days".
      [{ since: '99999999999d' }, 'since', /reaches back before any date/],
      [{ until: '300000000M' }, 'until', /reaches back before any date/],
      // The range error names the parameters given, not their aliases.
      [{ since: '1h', until: '2h' }, 'until', /`since` must be before `until`/],
    ];
    for (const [query, param, message] of cases) {
      const got = badRequest(query);
      assert.equal(got.param, param, JSON.stringify(query));
      assert.match(got.message, message);
    }
    assert.deepEqual(auditRequestFromQuery({ since: '2024-02-29' }, NOW).filter.from, new Date('2024-02-29T00:00:00.000Z'));
  });

  it('answers with a page or a summary', async () => {
    const calls: unknown[] = [];
    const log = {
      query: async (f: unknown) => { calls.push(['query', f]); return { events: [], next_cursor: null }; },
      summary: async (k: unknown, f: unknown) => { calls.push(['summary', k, f]); return []; },
    };
    assert.deepEqual(await auditResponse(log, { team: 'ml' }, NOW), { events: [], next_cursor: null });
    assert.deepEqual(await auditResponse(log, { summary: 'rules', since: '1d' }, NOW), { summary: 'rules', rows: [] });
    assert.deepEqual(calls, [['query', { team: 'ml' }], ['summary', 'rules', { from: new Date('2025-06-01T00:00:00.000Z') }]]);
    await assert.rejects(auditResponse(log, { limit: 'lots' }, NOW), { code: 'SY_ERR_BAD_REQUEST' });
  });
});
