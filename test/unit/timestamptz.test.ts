// Timestamptz text ⇄ microseconds (catalog/timestamptz.ts) against values worked out by
// hand: the forms Milvus's ParseTimeTz accepts and refuses, offsets, naive strings in a
// timezone (with a daylight-saving change), the RFC 3339 text results carry, and INTERVAL
// arithmetic on the UTC calendar as segcore does it (timegm normalization).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addInterval, formatTimestamptz, isTimezoneValid, parseInterval, parseTimestamptz, type Interval } from '../../src/catalog/timestamptz.js';

/** 2025-01-01T00:00:00Z in microseconds: 20,089 days after the epoch. */
const jan1 = 20_089n * 86_400n * 1_000_000n;
const hour = 3_600_000_000n;

test('absolute forms: RFC 3339, a space instead of T, short offsets after a space, Z', () => {
  const cases: [string, bigint][] = [
    ['2025-01-01T00:00:00Z', jan1],
    ['2025-01-01T08:00:00+08:00', jan1],
    ['2024-12-31T19:00:00-05:00', jan1],
    ['2025-01-01 08:00:00+08:00', jan1],
    ['2025-01-01 08:00:00+08', jan1],
    ['2025-01-01 00:00:00Z', jan1],
    ['2025-01-01T00:00:00.5Z', jan1 + 500_000n],
    ['2025-01-01T00:00:00.123456Z', jan1 + 123_456n],
    // Digits past the sixth are cut off, never rounded up.
    ['2025-01-01T00:00:00.123456999Z', jan1 + 123_456n],
    ['2025-01-01T14:00:00+14:00', jan1],
    ['2024-12-31T12:00:00-12:00', jan1],
    ['1969-12-31T23:59:59.999999Z', -1n],
    ['1970-01-01T00:00:00Z', 0n],
  ];
  for (const [text, us] of cases) assert.equal(parseTimestamptz(text, 'UTC'), us, text);
});

test('strings without an offset are local time of the default timezone', () => {
  assert.equal(parseTimestamptz('2025-01-01T00:00:00', 'UTC'), jan1);
  assert.equal(parseTimestamptz('2025-01-01 08:00:00', 'Asia/Shanghai'), jan1);
  assert.equal(parseTimestamptz('2025-01-01T09:00:00.25', 'Asia/Tokyo'), jan1 + 250_000n);
  // New York: -05:00 in January, -04:00 in July.
  assert.equal(parseTimestamptz('2024-12-31T19:00:00', 'America/New_York'), jan1);
  const july1 = jan1 + 181n * 24n * hour;
  assert.equal(parseTimestamptz('2025-07-01T00:00:00', 'America/New_York'), july1 + 4n * hour);
  // An offset in the text wins over the default timezone.
  assert.equal(parseTimestamptz('2025-01-01T00:00:00Z', 'Asia/Shanghai'), jan1);
});

test('refused: other forms, impossible dates and times, offsets outside [-12:00, +14:00]', () => {
  for (const text of [
    'not a time', '', '2025-01-01', '2025-01-01T00:00', '2025/01/01 00:00:00', '2025-01-01T00:00:00+08',
    '2025-01-01t00:00:00Z', '2025-01-01T00:00:00z', '2025-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2025-13-01T00:00:00Z',
    '2025-01-01T24:00:00Z', '2025-01-01T00:60:00Z', '2025-01-01T00:00:60Z', '2025-01-01T00:00:00+14:30', '2025-01-01T00:00:00-12:30',
    '2025-01-01T00:00:00+15:00', '2025-01-01T00:00:00.1234567890Z', ' 2025-01-01T00:00:00Z',
  ]) {
    assert.equal(typeof parseTimestamptz(text, 'UTC'), 'string', text);
  }
  assert.match(parseTimestamptz('2025-01-01T00:00:00+15:00', 'UTC') as string, /UTC offset hour 15 is out of the valid range \[-12, 14\]/);
  // Leap day of a leap year is a date.
  assert.equal(typeof parseTimestamptz('2024-02-29T00:00:00Z', 'UTC'), 'bigint');
});

test('results: RFC 3339 in the timezone, Z for zero offsets, fraction without trailing zeros', () => {
  assert.equal(formatTimestamptz(jan1, 'UTC'), '2025-01-01T00:00:00Z');
  assert.equal(formatTimestamptz(jan1, 'Asia/Shanghai'), '2025-01-01T08:00:00+08:00');
  assert.equal(formatTimestamptz(jan1, 'America/New_York'), '2024-12-31T19:00:00-05:00');
  assert.equal(formatTimestamptz(jan1 + 500_000n, 'UTC'), '2025-01-01T00:00:00.5Z');
  assert.equal(formatTimestamptz(jan1 + 123_450n, 'Asia/Kolkata'), '2025-01-01T05:30:00.12345+05:30');
  assert.equal(formatTimestamptz(-1n, 'UTC'), '1969-12-31T23:59:59.999999Z');
  // Europe/London in winter is at offset zero: Z, as Go writes it.
  assert.equal(formatTimestamptz(jan1, 'Europe/London'), '2025-01-01T00:00:00Z');
  for (const tz of ['UTC', 'Asia/Shanghai', 'America/New_York', 'Asia/Kolkata']) {
    const us = jan1 + 987_654n;
    assert.equal(parseTimestamptz(formatTimestamptz(us, tz), 'UTC'), us, tz);
  }
});

test('timezone names: IANA names and UTC; offsets and unknown names are not timezones', () => {
  for (const tz of ['UTC', 'Asia/Shanghai', 'America/New_York', 'Europe/London']) assert.equal(isTimezoneValid(tz), true, tz);
  for (const tz of ['', '+08:00', 'Mars/Olympus', 'Asia/Nowhere', 42]) assert.equal(isTimezoneValid(tz), false, String(tz));
});

test('INTERVAL: ISO 8601 durations as Milvus parses them', () => {
  const iv = (y: number, mo: number, d: number, h: number, mi: number, s: number): Interval => ({ years: y, months: mo, days: d, hours: h, minutes: mi, seconds: s });
  assert.deepEqual(parseInterval('P1Y2M3DT4H5M6S'), iv(1, 2, 3, 4, 5, 6));
  assert.deepEqual(parseInterval('P2M'), iv(0, 2, 0, 0, 0, 0));
  assert.deepEqual(parseInterval('PT2M'), iv(0, 0, 0, 0, 2, 0));
  assert.deepEqual(parseInterval('P0D'), iv(0, 0, 0, 0, 0, 0));
  assert.deepEqual(parseInterval('P'), iv(0, 0, 0, 0, 0, 0));
  assert.deepEqual(parseInterval('PT'), iv(0, 0, 0, 0, 0, 0));
  for (const bad of ['', '1Y2M', 'P1Y2X', 'P1H', 'P1W', 'PT1.5S', 'p1d']) assert.equal(typeof parseInterval(bad), 'string', bad);
});

test('INTERVAL arithmetic on the UTC calendar, normalized as timegm does', () => {
  const p = (s: string) => parseInterval(s) as Interval;
  const at = (s: string) => parseTimestamptz(s, 'UTC') as bigint;
  assert.equal(addInterval(at('2025-01-31T00:00:00Z'), p('P1M'), 1), at('2025-03-03T00:00:00Z'));
  assert.equal(addInterval(at('2024-01-31T00:00:00Z'), p('P1M'), 1), at('2024-03-02T00:00:00Z'));
  assert.equal(addInterval(at('2024-02-29T12:00:00Z'), p('P1Y'), 1), at('2025-03-01T12:00:00Z'));
  assert.equal(addInterval(at('2025-01-01T00:00:00.25Z'), p('PT2H'), -1), at('2024-12-31T22:00:00.25Z'));
  assert.equal(addInterval(at('2025-03-31T23:30:00Z'), p('P1DT1H'), 1), at('2025-04-02T00:30:00Z'));
  assert.equal(addInterval(at('1970-01-01T00:00:00Z'), p('PT1S'), -1), -1_000_000n);
  assert.equal(addInterval(at('1969-12-31T23:59:59.5Z'), p('PT1S'), 1), 500_000n);
});
