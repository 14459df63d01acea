import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calendarWindow, parseDuration, rollingWindow } from '../../src/governance/periods.js';

const at = (iso: string) => Date.parse(iso);
const iso = (w: { start: number; end: number }) => [new Date(w.start).toISOString(), new Date(w.end).toISOString()];

describe('periods', () => {
  it('parses durations and refuses zero or junk', () => {
    assert.deepEqual(parseDuration('1M'), { amount: 1, unit: 'M' });
    assert.deepEqual(parseDuration('500ms'), { amount: 500, unit: 'ms' });
    for (const bad of ['0d', '1y', 'd', '-1d', '1.5h']) assert.throws(() => parseDuration(bad), /invalid duration/);
  });

  it('calendar days start at UTC midnight', () => {
    assert.deepEqual(iso(calendarWindow(parseDuration('1d'), at('2025-03-09T23:59:59.999Z'))), ['2025-03-09T00:00:00.000Z', '2025-03-10T00:00:00.000Z']);
    assert.deepEqual(iso(calendarWindow(parseDuration('1d'), at('2025-03-10T00:00:00.000Z'))), ['2025-03-10T00:00:00.000Z', '2025-03-11T00:00:00.000Z']);
  });

  it('calendar weeks start on Monday 00:00 UTC', () => {
    // 2025-01-05 is a Sunday, 2025-01-06 a Monday.
    assert.deepEqual(iso(calendarWindow(parseDuration('1w'), at('2025-01-05T23:00:00Z'))), ['2024-12-30T00:00:00.000Z', '2025-01-06T00:00:00.000Z']);
    assert.deepEqual(iso(calendarWindow(parseDuration('1w'), at('2025-01-06T00:00:00Z'))), ['2025-01-06T00:00:00.000Z', '2025-01-13T00:00:00.000Z']);
  });

  it('calendar months start on the 1st, whatever their length, across years and leap days', () => {
    assert.deepEqual(iso(calendarWindow(parseDuration('1M'), at('2024-02-29T12:00:00Z'))), ['2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z']);
    assert.deepEqual(iso(calendarWindow(parseDuration('1M'), at('2024-12-31T23:59:59Z'))), ['2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
    assert.deepEqual(iso(calendarWindow(parseDuration('3M'), at('2025-05-20T00:00:00Z'))), ['2025-04-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z']);
  });

  it('smaller calendar units align to their own boundaries', () => {
    assert.deepEqual(iso(calendarWindow(parseDuration('1h'), at('2025-01-01T10:59:00Z'))), ['2025-01-01T10:00:00.000Z', '2025-01-01T11:00:00.000Z']);
    assert.deepEqual(iso(calendarWindow(parseDuration('15m'), at('2025-01-01T10:44:00Z'))), ['2025-01-01T10:30:00.000Z', '2025-01-01T10:45:00.000Z']);
  });

  it('rolling periods run from their start; rolling months clamp to the month end', () => {
    assert.deepEqual(iso(rollingWindow(parseDuration('1d'), at('2025-01-01T10:30:00Z'))), ['2025-01-01T10:30:00.000Z', '2025-01-02T10:30:00.000Z']);
    assert.deepEqual(iso(rollingWindow(parseDuration('1M'), at('2025-01-31T10:00:00Z'))), ['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z']);
    assert.deepEqual(iso(rollingWindow(parseDuration('1M'), at('2025-12-15T00:00:00Z'))), ['2025-12-15T00:00:00.000Z', '2026-01-15T00:00:00.000Z']);
  });
});
