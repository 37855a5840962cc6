// The executor against the reference evaluator: random collections and rows, random
// well-typed filters over every operator and function, and for every row the executor's
// three-valued result (true / false / unknown) must be the reference's. Runs
// EXEC_DIFF_RUNS scenarios (default 2000) of up to 100 filters each, about 100,000
// filters in all and never fewer than 50,000; a failure shrinks to a small filter over a
// few rows and names the filter, the row and both answers. Every filter runs twice: over
// the scenario's segment without indexes, and over a sealed segment of the same rows with
// an index spec (random type) on every indexable scalar field, so that the scalar indexes
// (exec/scalar-index.ts) are held to the same reference — three times: with the planner's
// default indexSelectivityMax and with it forced to 0 (every leaf scans) and 1 (every leaf
// an index can answer takes it), so both sides of the planner's choice are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ElanusError } from '../../src/errors/index.js';
import { checkFilter, evaluate, parseFilter, printFilter, type Checked, type Expr } from '../../src/query/expr/index.js';
import { evaluateSegmentTri } from '../../src/query/exec/index.js';
import { valueAt } from '../../src/segments/columns.js';
import type { Segment } from '../../src/segments/segment.js';
import type { CollectionSchema } from '../../src/catalog/types.js';
import { filterOf, indexesOf, options, rowOf, schemaOf, segmentOf } from './gen.js';

const filtersPerRun = 100;
// About 50 filters per scenario on average (the count is uniform up to filtersPerRun).
const runsDefault = 2000;
const runs = Number(process.env.EXEC_DIFF_RUNS ?? runsDefault);
const filtersMin = 50_000;

/** The reference, row by row, reading values exactly as filter.ts used to. */
function reference(tree: Checked, schema: CollectionSchema, seg: Segment, row: number): unknown {
  const index = new Map(schema.fields.map((f, i) => [f.fieldId, i]));
  const dynamic = schema.fields.findIndex((f) => f.isDynamic);
  return evaluate(tree, {
    row: (f) => valueAt(f, seg.column(index.get(f.fieldId)!), row),
    meta: () => (dynamic >= 0 ? ((seg.column(dynamic).values as readonly unknown[])[row] as Record<string, unknown> | null) : null),
  });
}

const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));

test('executor agrees with the reference evaluator on random filters and data', () => {
  let checkedFilters = 0;
  let refused = 0;
  const scenario = options.chain((o) => fc.record({
    o: fc.constant(o),
    rows: fc.array(rowOf(o), { minLength: 1, maxLength: 40, size: 'max' }),
    filters: fc.array(filterOf(o), { minLength: 1, maxLength: filtersPerRun, size: 'max' }),
    indexes: indexesOf(schemaOf(o)),
  }));
  const started = Date.now();
  let indexedFilters = 0;
  fc.assert(fc.property(scenario, ({ o, rows, filters, indexes }) => {
    const schema = schemaOf(o);
    const seg = segmentOf(schema, o, rows);
    const sealed = segmentOf(schema, { ...o, growing: false }, rows);
    const indexNames = indexes.map((x) => `${x.fieldName}:${x.indexType}`).join(' ');
    for (const f of filters) {
      const text = printFilter(f as Expr);
      let tree: Checked;
      try {
        tree = checkFilter(schema, parseFilter(text));
      } catch (e) {
        // Constant division by zero and the like: refused before any row is read.
        if (e instanceof ElanusError) { refused++; continue; }
        throw e;
      }
      checkedFilters++;
      const got = evaluateSegmentTri(tree, schema, seg);
      // The planner's default threshold, and both branches forced: 0 always scans, 1
      // always takes an index that can answer (exec/scalar-index.ts indexSelectivityMax).
      const planned = [
        { name: 'default', tri: evaluateSegmentTri(tree, schema, sealed, indexes) },
        { name: 'indexSelectivityMax 0', tri: evaluateSegmentTri(tree, schema, sealed, indexes, { indexSelectivityMax: 0 }) },
        { name: 'indexSelectivityMax 1', tri: evaluateSegmentTri(tree, schema, sealed, indexes, { indexSelectivityMax: 1 }) },
      ];
      indexedFilters++;
      for (let r = 0; r < rows.length; r++) {
        const want = reference(tree, schema, seg, r);
        const wantTruth = want === true ? true : want === null ? null : false;
        const gotTruth = got.t[r] === 1 ? true : got.n !== null && got.n[r] === 1 ? null : false;
        if (gotTruth !== wantTruth) {
          assert.fail(`filter ${text}\nrow ${r}: ${show(rows[r])}\nexecutor ${gotTruth}, reference ${String(want)}`);
        }
        for (const { name, tri } of planned) {
          const ixTruth = tri.t[r] === 1 ? true : tri.n !== null && tri.n[r] === 1 ? null : false;
          if (ixTruth !== wantTruth) {
            assert.fail(`filter ${text}\nindexes ${indexNames} (${name})\nrow ${r}: ${show(rows[r])}\nexecutor with indexes ${ixTruth}, reference ${String(want)}`);
          }
        }
      }
    }
  }), { numRuns: runs, seed: process.env.EXEC_DIFF_SEED ? Number(process.env.EXEC_DIFF_SEED) : undefined });
  const ms = Date.now() - started;
  console.log(`exec differential: ${checkedFilters} filters checked (${refused} refused by the checker), ${indexedFilters} also with scalar indexes, in ${ms} ms`);
  if (runs >= runsDefault) assert.ok(checkedFilters >= filtersMin, `only ${checkedFilters} filters checked; raise the runs`);
});
