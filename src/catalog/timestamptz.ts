// Timestamptz values, as Milvus 2.6 reads and writes them (its pkg/util/timestamptz):
// stored as int64 microseconds since 1970-01-01T00:00:00Z; read from ISO 8601 text,
// where a string without an offset is local time of a timezone (the collection's, the
// database's, or UTC); written back as RFC 3339 text in a timezone, with at most six
// fraction digits and no trailing zeros. Time zones come from the ICU data Node carries.
//
// What Milvus accepts, and so what this accepts:
//   2025-01-01T08:00:00+08:00   2025-01-01T00:00:00.5Z      (RFC 3339, `T` and `Z` upper case)
//   2025-01-01 08:00:00+08:00   2025-01-01 08:00:00+08      2025-01-01 00:00:00Z
//   2025-01-01T08:00:00         2025-01-01 08:00:00.123     (no offset: the default timezone)
// A fraction may have 1 to 9 digits (truncated to microseconds); an explicit offset must
// lie in [-12:00, +14:00].

export const timezoneKey = 'timezone';
export const defaultTimezone = 'UTC';

const offsetSecondsMax = 14 * 3600;
const offsetSecondsMin = -12 * 3600;
const usPerSecond = 1_000_000n;

const absoluteT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const absoluteSpace = /^(\d{4})-(\d{2})-(\d{2}) (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}|[+-]\d{2})$/;
const naive = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** A timezone name Milvus takes: an IANA name such as "Asia/Shanghai", or "UTC" (not an offset). */
export function isTimezoneValid(tz: unknown): tz is string {
  if (typeof tz !== 'string' || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz)) return false;
  try {
    formatterOf(tz);
    return true;
  } catch {
    return false;
  }
}

/**
 * Microseconds since the epoch of `text`, or the reason it is not a timestamp. `timezone`
 * (already checked with isTimezoneValid) places a string written without an offset.
 */
export function parseTimestamptz(text: string, timezone: string): bigint | string {
  let m = absoluteT.exec(text) ?? absoluteSpace.exec(text);
  if (m) {
    const fields = dateFields(m);
    if (typeof fields === 'string') return fields;
    const offset = offsetSecondsOf(m[8]!);
    if (offset === undefined) return `offset ${m[8]} is not an offset`;
    if (offset > offsetSecondsMax || offset < offsetSecondsMin) {
      return `UTC offset hour ${Math.trunc(offset / 3600)} is out of the valid range [-12, 14]`;
    }
    return fields.localUs - BigInt(offset) * usPerSecond;
  }
  m = naive.exec(text);
  if (!m) return 'does not match any known format';
  const fields = dateFields(m);
  if (typeof fields === 'string') return fields;
  // Go's rule for local time (time.Date): take the offset in force at the local
  // reading taken as UTC; if the instant that gives lies in another period, use that
  // period's offset instead.
  const localMs = Number(fields.localSeconds) * 1000;
  const first = offsetSecondsAt(localMs, timezone);
  const second = offsetSecondsAt(localMs - first * 1000, timezone);
  return fields.localUs - BigInt(second) * usPerSecond;
}

/** RFC 3339 text of `us` in `timezone`: `Z` for a zero offset, else ±hh:mm; fraction trimmed. */
export function formatTimestamptz(us: bigint, timezone: string): string {
  const seconds = floorDiv(us, usPerSecond);
  const fraction = Number(us - seconds * usPerSecond);
  const offset = offsetSecondsAt(Number(seconds) * 1000, timezone);
  const local = new Date((Number(seconds) + offset) * 1000);
  const year = local.getUTCFullYear();
  const date = `${year < 0 ? '-' + pad(-year, 4) : pad(year, 4)}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)}`;
  const time = `${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${pad(local.getUTCSeconds(), 2)}`;
  const frac = fraction === 0 ? '' : '.' + pad(fraction, 6).replace(/0+$/, '');
  return `${date}T${time}${frac}${offsetText(offset)}`;
}

/** An ISO 8601 duration as Milvus's INTERVAL takes it: PnYnMnDTnHnMnS, every part optional. */
export interface Interval {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

const duration = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
/** segcore adds each part to a C `int` field of a `struct tm`. */
const intervalPartMax = 2 ** 31 - 1;

export function parseInterval(text: string): Interval | string {
  const m = duration.exec(text);
  if (!m) return `invalid ISO 8601 duration ${JSON.stringify(text)}; write it as PnYnMnDTnHnMnS, e.g. P1D or PT3H`;
  const parts = m.slice(1, 7).map((x) => (x === undefined ? 0 : Number(x)));
  if (parts.some((x) => x > intervalPartMax)) return `duration ${JSON.stringify(text)} has a part larger than ${intervalPartMax}`;
  const [years, months, days, hours, minutes, seconds] = parts as [number, number, number, number, number, number];
  return Object.freeze({ years, months, days, hours, minutes, seconds });
}

/**
 * `us` plus (sign 1) or minus (sign -1) the interval, on the UTC calendar as segcore does
 * it: each part is added to the broken-down UTC time and the result normalized (Jan 31 +
 * P1M is Mar 3 or 2, as timegm gives); the sub-second part is kept. Undefined when the
 * result lies outside the dates a Date holds (segcore refuses those too).
 */
export function addInterval(us: bigint, iv: Interval, sign: 1 | -1): bigint | undefined {
  const seconds = floorDiv(us, usPerSecond);
  const fraction = us - seconds * usPerSecond;
  const t = new Date(Number(seconds) * 1000);
  if (Number.isNaN(t.getTime())) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(t.getUTCFullYear() + sign * iv.years, t.getUTCMonth() + sign * iv.months, t.getUTCDate() + sign * iv.days);
  d.setUTCHours(t.getUTCHours() + sign * iv.hours, t.getUTCMinutes() + sign * iv.minutes, t.getUTCSeconds() + sign * iv.seconds, 0);
  const ms = d.getTime();
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms / 1000) * usPerSecond + fraction;
}

interface Fields { readonly localSeconds: bigint; readonly localUs: bigint }

/** The wall-clock reading of a match (groups 1-7) as if it were UTC. */
function dateFields(m: RegExpExecArray): Fields | string {
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return 'month out of range';
  if (day < 1 || day > daysIn(year, month)) return 'day out of range';
  if (hour > 23) return 'hour out of range';
  if (minute > 59) return 'minute out of range';
  if (second > 59) return 'second out of range';
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  const localSeconds = BigInt(d.getTime() / 1000);
  // Digits past the sixth are cut off, as Go's UnixMicro does (never rounded up).
  const us = m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, '0').slice(0, 6));
  return { localSeconds, localUs: localSeconds * usPerSecond + us };
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function offsetSecondsOf(text: string): number | undefined {
  if (text === 'Z') return 0;
  const m = /^([+-])(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const hours = Number(m[2]);
  const minutes = m[3] === undefined ? 0 : Number(m[3]);
  if (hours > 24 || minutes > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
}

/** ±hh:mm of an offset in seconds (any seconds part dropped, as Go prints it), or Z. */
function offsetText(offset: number): string {
  if (offset === 0) return 'Z';
  const abs = Math.abs(offset);
  return `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600), 2)}:${pad(Math.floor((abs % 3600) / 60), 2)}`;
}

/**
 * The offset from UTC, in seconds, in force in `timezone` at the instant `ms`. Formatters
 * are kept per timezone: a handful of names in practice, bounded by timezonesCachedMax.
 */
function offsetSecondsAt(ms: number, timezone: string): number {
  if (timezone === 'UTC') return 0;
  const name = formatterOf(timezone).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT(?:([+-])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?)?$/.exec(name);
  if (!m || m[1] === undefined) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0));
}

const timezonesCachedMax = 256;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
    if (formatters.size >= timezonesCachedMax) formatters.clear();
    formatters.set(timezone, f);
  }
  return f;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
