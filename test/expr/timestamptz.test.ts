// Timestamptz filters as Milvus's Plan.g4 writes them: `field [± INTERVAL '…'] op ISO '…'`
// and the same written the other way round, taken whole (so `not` and `and` bind around
// them), ISO and INTERVAL as keywords only before a string (a field may be called `iso`),
// `is null`; and the refusals of Milvus's checker, each with its code and column. Rows
// hold microseconds, as segments do; expected ids are worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, parseFilter, printFilter } from '../../src/query/expr/index.js';
import { ElanusError } from '../../src/errors/index.js';
import { DataType, type CollectionSchema } from '../../src/catalog/types.js';
import { field } from './schema.js';

const schema: CollectionSchema = {
  fields: [
    field('id', DataType.Int64, { isPrimary: true }),
    field('ts', DataType.Timestamptz, { nullable: true }),
    field('iso', DataType.Int64),
    field('name', DataType.VarChar, { maxLength: 16 }),
  ],
  enableDynamicField: false,
  description: '',
};

const s = 1_000_000;
/** 2025-01-01T00:00:00Z, in seconds. */
const jan1 = 1_735_689_600;
const rows: Array<{ id: number; ts: number | null; iso: number; name: string }> = [
  { id: 1, ts: jan1 * s, iso: 1, name: 'a' },
  { id: 2, ts: (jan1 + 3600) * s, iso: 2, name: 'b' },
  { id: 3, ts: (jan1 + 30 * 86400) * s + 1, iso: 3, name: 'c' },
  { id: 4, ts: null, iso: 4, name: 'd' },
  { id: 5, ts: -1, iso: 5, name: 'e' },
];

function ids(filter: string, timezone?: string): number[] {
  const f = compileFilter(schema, filter, undefined, timezone);
  return rows.filter((r) => f.test((fs) => (r as Record<string, unknown>)[fs.name] ?? null, () => null)).map((r) => r.id);
}

test('valid Timestamptz filters select the rows worked out by hand', () => {
  const cases: Array<[string, number[], string?]> = [
    ["ts == ISO '2025-01-01T00:00:00Z'", [1]],
    ["ts == ISO '2025-01-01T08:00:00+08:00'", [1]],
    ["ts != ISO '2025-01-01T00:00:00Z'", [2, 3, 5]],
    ["ts > ISO '2025-01-01T00:00:00Z'", [2, 3]],
    ["ts >= ISO '2025-01-01 01:00:00+01'", [1, 2, 3]],
    ["ts < ISO '1970-01-01T00:00:00Z'", [5]],
    ["ts <= ISO '2025-01-31T00:00:00.000001Z'", [1, 2, 3, 5]],
    ["ts < ISO '2025-01-31T00:00:00.000001Z'", [1, 2, 5]],
    ["ISO '2025-01-01T00:00:00Z' < ts", [2, 3]],
    ["iso '2025-01-01T00:00:00Z' >= ts", [1, 5]],
    // No offset: the read's timezone.
    ["ts == ISO '2025-01-01T09:00:00'", [1], 'Asia/Tokyo'],
    ["ts == ISO '2025-01-01T09:00:00'", [], 'UTC'],
    // Interval arithmetic on the UTC calendar.
    ["ts + INTERVAL 'PT1H' == ISO '2025-01-01T01:00:00Z'", [1]],
    ["ts - INTERVAL 'PT1H' == ISO '2025-01-01T00:00:00Z'", [2]],
    ["ts + interval 'P1M' > ISO '2025-03-02T00:00:00Z'", [3]],
    ["ts + INTERVAL 'P' == ISO '2025-01-01T00:00:00Z'", [1]],
    ["ISO '2025-01-01T02:00:00Z' <= ts + INTERVAL 'PT1H'", [2, 3]],
    ["ts - INTERVAL 'P1Y' < ISO '1969-01-01T00:00:00Z'", [5]],
    // Combined: taken whole, so not/and/or apply to the comparison; a null ts is unknown.
    ["not ts > ISO '2025-01-01T00:00:00Z'", [1, 5]],
    ["ts >= ISO '2025-01-01T00:00:00Z' and ts < ISO '2025-01-02T00:00:00Z'", [1, 2]],
    ["ts < ISO '2000-01-01T00:00:00Z' or id == 4", [4, 5]],
    ['ts is null', [4]],
    ['ts IS NOT NULL and name in ["a", "e"]', [1, 5]],
    // A field named iso is still a field.
    ['iso > 3', [4, 5]],
  ];
  for (const [filter, expected, tz] of cases) assert.deepEqual(ids(filter, tz), expected, `${filter} (${tz ?? 'UTC'})`);
});

test('Timestamptz comparisons print back and parse to the same tree, the reverse form turned round', () => {
  assert.equal(printFilter(parseFilter("ts > ISO '2025-01-01T00:00:00Z'")), '(ts > ISO "2025-01-01T00:00:00Z")');
  assert.equal(printFilter(parseFilter("ISO '2025-01-01T00:00:00Z' < ts - INTERVAL 'P1D'")), '(ts - INTERVAL "P1D" > ISO "2025-01-01T00:00:00Z")');
  const again = "(ts + INTERVAL \"PT1H\" <= ISO \"2025-01-01T00:00:00Z\")";
  assert.equal(printFilter(parseFilter(again)), again);
});

test('refused Timestamptz filters: the code, the message and the column', () => {
  const goldens: Array<[string, string, string]> = [
    ["id > ISO '2025-01-01T00:00:00Z'", 'FILTER_TYPE', "filter: field 'id' is not a timestamptz datatype at column 1"],
    ["nope > ISO '2025-01-01T00:00:00Z'", 'FILTER_TYPE', 'filter: can not translate identifier: nope at column 1'],
    ["ts > ISO 'soon'", 'FILTER_TYPE', "filter: invalid timestamp string: 'soon': does not match any known format at column 10"],
    ["ts > ISO '2025-01-01T00:00:00+15:00'", 'FILTER_TYPE', "filter: invalid timestamp string: '2025-01-01T00:00:00+15:00': UTC offset hour 15 is out of the valid range [-12, 14] at column 10"],
    ["ts + INTERVAL '1D' > ISO '2025-01-01T00:00:00Z'", 'FILTER_TYPE', 'filter: invalid ISO 8601 duration "1D"; write it as PnYnMnDTnHnMnS, e.g. P1D or PT3H at column 15'],
    ['ts > 5', 'FILTER_TYPE', 'filter: Timestamptz field "ts" can only be compared with an ISO timestamp literal or tested with is null at column 1; write ts > ISO \'2025-01-01T00:00:00Z\' or ts + INTERVAL \'P1D\' > ISO \'…\''],
    ['ts in [1, 2]', 'FILTER_TYPE', 'filter: Timestamptz field "ts" can only be compared with an ISO timestamp literal or tested with is null at column 1; write ts > ISO \'2025-01-01T00:00:00Z\' or ts + INTERVAL \'P1D\' > ISO \'…\''],
    ["ISO '2025-01-01T00:00:00Z' == ISO '2025-01-01T00:00:00Z'", 'FILTER_SYNTAX', "filter: ISO '…' must be compared with a Timestamptz field, as in ISO '2025-01-01T00:00:00Z' < ts at column 1"],
    ["ts + INTERVAL 'P1D' + INTERVAL 'P1D' > ISO '2025-01-01T00:00:00Z'", 'FILTER_SYNTAX', "filter: INTERVAL '…' may only follow a Timestamptz field compared with ISO '…', as in ts + INTERVAL 'P1D' > ISO '2025-01-01T00:00:00Z' at column 6"],
    ["ts + INTERVAL 'P1D'", 'FILTER_SYNTAX', "filter: INTERVAL '…' may only follow a Timestamptz field compared with ISO '…', as in ts + INTERVAL 'P1D' > ISO '2025-01-01T00:00:00Z' at column 6"],
  ];
  for (const [filter, code, message] of goldens) {
    assert.throws(() => compileFilter(schema, filter), (e: unknown) => {
      assert.ok(e instanceof ElanusError, filter);
      assert.equal(e.code, code, filter);
      assert.equal(e.message, message, filter);
      return true;
    });
  }
});
