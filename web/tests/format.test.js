// The console's formatting of times and distances (src/util.js), in Node: times in UTC,
// 24-hour and labelled; distances to a precision that never rounds a distance up to the
// limit it is below; UTC fields read back exactly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utc, utcInText, km, toInputUtc, fromInputUtc, setFormatLocale } from '../src/util.js';

setFormatLocale('en');

test('times are UTC, 24-hour, labelled', () => {
  assert.equal(utc('2026-12-02T12:45:07.123Z'), '2026-12-02 12:45:07 UTC');
  assert.equal(utc('2026-12-02T00:45:07Z', false), '2026-12-02 00:45 UTC');
  assert.equal(utcInText('no answer from IL by 2025-12-01T10:00:00.000Z'), 'no answer from IL by 2025-12-01 10:00:00 UTC');
});

test('UTC fields: written and read back, nonsense refused', () => {
  const ms = Date.parse('2026-12-02T13:05:00Z');
  assert.equal(toInputUtc(ms), '2026-12-02 13:05');
  assert.equal(fromInputUtc('2026-12-02 13:05'), '2026-12-02T13:05:00.000Z');
  assert.equal(fromInputUtc('2026-12-02T13:05'), '2026-12-02T13:05:00.000Z');
  // Seconds, where a time must be that precise (a patrol starting in a few seconds).
  assert.equal(fromInputUtc('2026-12-02 13:05:42'), '2026-12-02T13:05:42.000Z');
  for (const bad of ['2026-02-30 10:00', '2026-12-02 24:10', '2026-12-02 13:05:60', '2026-12-02 13:05:4', '12/02/2026, 1:05 PM', '']) assert.equal(fromInputUtc(bad), null, bad);
});

test('distances: sensible precision, never rounded up to their limit', () => {
  assert.equal(km(1.96, 2), '1.96 km');
  assert.equal(km(1.999, 2), '1.999 km');
  assert.equal(km(2), '2 km');
  assert.equal(km(0.5), '0.5 km');
  assert.equal(km(12.345), '12.3 km');
  assert.equal(km(150.4), '150 km');
  setFormatLocale('ru');
  assert.equal(km(1.96, 2), '1,96 km');
  setFormatLocale('en');
});
