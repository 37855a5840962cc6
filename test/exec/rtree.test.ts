// RTREE against the reference: every spatial operator over random geometries (points near
// the date line and the poles, points off the globe's latitudes, lines, polygons, multi
// geometries, empties and nulls), evaluated row by row by the reference and over a sealed
// segment through its R-tree. The index only prunes, so the answers must be identical,
// unknowns included; and it must prune (a far query reads no candidate row).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, type CollectionSchema, type IndexMeta } from '../../src/catalog/types.js';
import { parseWkt } from '../../src/catalog/geometry.js';
import { compileFilter } from '../../src/query/expr/index.js';
import { evaluateSegmentTri, explainFilter } from '../../src/query/exec/index.js';
import { rtreeOf } from '../../src/query/exec/rtree.js';
import { rng } from '../grpc/helpers.js';
import { field } from '../expr/schema.js';
import { segmentOf } from './gen.js';

const geo = field('geo', DataType.Geometry, { nullable: true });
const schema: CollectionSchema = { fields: [field('id', DataType.Int64, { isPrimary: true }), geo], enableDynamicField: false, description: '' };
const rtree: IndexMeta[] = [{ indexId: 1, indexName: 'g', fieldId: geo.fieldId, fieldName: 'geo', indexType: 'RTREE', params: { index_type: 'RTREE' }, createdTs: 0 } as unknown as IndexMeta];

const r = rng(7);
const num = (lo: number, hi: number) => Math.round((lo + r() * (hi - lo)) * 1000) / 1000;
const pt = () => [num(-180, 180), num(-90, 90)] as const;
const near = (x: number, y: number, d: number) => `${num(x - d, x + d)} ${num(y - d, y + d)}`;

function randomGeometry(): string | null {
  const [x, y] = pt();
  const s = num(0.001, 5);
  switch (Math.floor(r() * 10)) {
    case 0: return null;
    case 1: return r() < 0.5 ? 'POINT EMPTY' : 'POLYGON EMPTY';
    case 2: return `POINT (${r() < 0.5 ? 179.99 : -179.99} ${num(-1, 1)})`; // by the date line
    case 3: return `POINT (${num(-180, 180)} ${r() < 0.5 ? 95 : -91})`; // off the globe's latitudes
    case 4: return `LINESTRING (${near(x, y, s)}, ${near(x, y, s)})`;
    case 5: return `POLYGON ((${x} ${y}, ${x + s} ${y}, ${x + s} ${y + s}, ${x} ${y + s}, ${x} ${y}))`;
    case 6: return `MULTIPOINT ((${near(x, y, s)}), (${near(x, y, s)}))`;
    case 7: return `POINT (${num(-5, 5)} ${num(-5, 5)})`;
    default: return `POINT (${x} ${y})`;
  }
}

function randomFilter(): string {
  const [x, y] = pt();
  const s = num(0.5, 20);
  const box = `POLYGON ((${x} ${y}, ${x + s} ${y}, ${x + s} ${y + s}, ${x} ${y + s}, ${x} ${y}))`;
  const small = `POLYGON ((-3 -3, 3 -3, 3 3, -3 3, -3 -3))`;
  const ops = ['ST_EQUALS', 'ST_TOUCHES', 'ST_OVERLAPS', 'ST_CROSSES', 'ST_CONTAINS', 'ST_INTERSECTS', 'ST_WITHIN'];
  switch (Math.floor(r() * 6)) {
    case 0: return `ST_DWITHIN(geo, 'POINT (${x} ${y})', ${Math.floor(r() * 2_000_000)})`;
    case 1: return `ST_DWITHIN(geo, 'POINT (${r() < 0.5 ? 180 : -180} ${num(-1, 1)})', ${Math.floor(r() * 100_000)})`;
    case 2: return `ST_DWITHIN(geo, 'POINT (0 ${r() < 0.5 ? 89.9 : -89.9})', ${Math.floor(r() * 2_000_000)})`;
    case 3: return `${ops[Math.floor(r() * ops.length)]}(geo, '${small}')`;
    case 4: return `${ops[Math.floor(r() * ops.length)]}(geo, 'LINESTRING (${near(0, 0, 5)}, ${near(0, 0, 5)})')`;
    default: return `${ops[Math.floor(r() * ops.length)]}(geo, '${box}')`;
  }
}

test('RTREE answers equal the reference on random geometries and filters', () => {
  const rows = Array.from({ length: 600 }, () => [randomGeometry()] as unknown[]);
  const values = rows.map((row) => row[0] as string | null);
  // Stored values are normal WKT, as inserts store them.
  const normal = values.map((v) => {
    if (v === null) return null;
    const p = parseWkt(v);
    assert.ok(!('problem' in p), v);
    return p.wkt;
  });
  const seg = segmentOf(schema, { growing: false } as never, normal.map((v) => [v]));
  let hits = 0;
  for (let k = 0; k < 150; k++) {
    const text = randomFilter();
    const f = compileFilter(schema, text);
    const want = normal.map((v) => (v === null ? null : f.test((fs) => (fs.name === 'geo' ? v : null), () => null)));
    const got = evaluateSegmentTri(f.checked, schema, seg, rtree);
    const scan = evaluateSegmentTri(f.checked, schema, seg);
    for (let i = 0; i < normal.length; i++) {
      const g = got.n?.[i] ? null : got.t[i] === 1;
      assert.equal(g, want[i], `${text}, row ${i} ${normal[i]}`);
      assert.equal(scan.n?.[i] ? null : scan.t[i] === 1, want[i], `${text} (scan), row ${i}`);
      if (g === true) hits++;
    }
  }
  assert.ok(hits > 30, `the filters matched ${hits} rows: too few to show anything`);
});

test('the R-tree prunes: a query far from every box takes no candidate but the always-rows', () => {
  const normal = ['POINT (1 1)', 'POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))', 'POINT EMPTY', 'POINT (3 95)', null];
  const seg = segmentOf(schema, { growing: false } as never, normal.map((v) => [v]));
  const ix = rtreeOf(seg, geo, seg.column(1), seg.rowCount, rtree)!;
  assert.ok(ix !== undefined);
  assert.deepEqual(ix.always, [2, 3]);
  assert.equal(ix.points!.tree.search(50, 50, 60, 60).length, 0);
  assert.equal(ix.shapes!.tree.search(50, 50, 60, 60).length, 0);
  assert.equal(ix.points!.tree.search(0.5, 0.5, 2, 2).length, 1);
  const growing = segmentOf(schema, { growing: true } as never, normal.map((v) => [v]));
  assert.equal(rtreeOf(growing, geo, growing.column(1), growing.rowCount, rtree), undefined, 'growing segments scan');
});

test('explain names the RTREE path on sealed segments and row by row on growing ones', () => {
  const normal = ['POINT (1 1)', null];
  const sealed = segmentOf(schema, { growing: false } as never, normal.map((v) => [v]));
  const growing = segmentOf(schema, { growing: true } as never, normal.map((v) => [v]));
  const text = `ST_WITHIN(geo, 'POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0))')`;
  assert.equal(explainFilter(schema, text, undefined, rtree), [
    `st_within(geo, "POLYGON ((0 0, 2 0, 2 2, 0 2, 0 0))")`,
    `  -> index RTREE on geo, then the exact predicate`,
  ].join('\n'));
  const lines = explainFilter(schema, text, undefined, rtree, [sealed, growing]).split('\n');
  assert.ok(lines.some((l) => l.includes('index RTREE on geo, then the exact predicate: 1 segment, 2 rows')), lines.join('\n'));
  assert.ok(lines.some((l) => l.includes('row-by-row (geometry) (growing): 1 segment, 2 rows')), lines.join('\n'));
  assert.match(explainFilter(schema, text, undefined, []), /row-by-row \(geometry\)/);
});
