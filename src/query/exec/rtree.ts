// RTREE on a Geometry field: per sealed (or flushed) segment, a packed R-tree (flatbush)
// of each row's bounding box, built the first time a filter asks and kept with the
// segment object. A spatial leaf asks it for candidate rows, whose boxes can meet the
// query's, and runs the exact predicate (expr/spatial.ts) on those only, as Milvus's
// RTREE does. Every box test is a necessary condition of the predicate, so the rows it
// skips are rows the predicate rejects: answers are the same with and without the index.
import Flatbush from 'flatbush';
import { effectiveIndexType } from '../../catalog/indexes.js';
import { geometryOf, type Geometry } from '../../catalog/geometry.js';
import type { FieldSchema, IndexMeta } from '../../catalog/types.js';
import type { Column } from '../../segments/columns.js';
import type { Segment } from '../../segments/segment.js';
import type { Spatial } from '../expr/checked.js';
import { earthRadiusMeters, metersPerDegreeAt, spatialHolds } from '../expr/spatial.js';
import type { Tri } from './tri.js';

/** Rows of one segment by shape, each kind with its own tree of boxes. */
export interface RTreeIndex {
  /** Points with a latitude in [-90, 90] (ST_DWITHIN measures them by haversine). */
  readonly points: Tree | undefined;
  /** Every other non-empty geometry (ST_DWITHIN measures them in degrees). */
  readonly shapes: Tree | undefined;
  /** Rows no box describes (empty geometries, points off the globe's latitudes): always candidates. */
  readonly always: readonly number[];
}

interface Tree { readonly tree: Flatbush; readonly rows: Uint32Array }

const built = new WeakMap<Segment, Map<number, RTreeIndex>>();

/** The field's R-tree in `seg` when an RTREE spec covers it and the segment is immutable. */
export function rtreeOf(seg: Segment, field: FieldSchema, col: Column, rows: number, indexes: readonly IndexMeta[] | undefined): RTreeIndex | undefined {
  if (indexes === undefined || (seg.state !== 'sealed' && seg.state !== 'flushed')) return undefined;
  const spec = indexes.find((x) => x.fieldId === field.fieldId);
  if (spec === undefined || effectiveIndexType(spec, field) !== 'RTREE') return undefined;
  let m = built.get(seg);
  if (m === undefined) built.set(seg, (m = new Map()));
  let ix = m.get(field.fieldId);
  if (ix === undefined) m.set(field.fieldId, (ix = buildRTree(col, rows)));
  return ix;
}

function buildRTree(col: Column, rows: number): RTreeIndex {
  const values = col.values as readonly (string | null)[];
  const points: Array<[number, Geometry]> = [];
  const shapes: Array<[number, Geometry]> = [];
  const always: number[] = [];
  for (let r = 0; r < rows; r++) {
    const v = values[r];
    if (v === null || v === undefined || (col.valid !== undefined && col.valid[r] === 0)) continue; // null: unknown, never a candidate
    const g = geometryOf(v);
    if (g.isEmpty()) always.push(r);
    else if (g.getGeometryType() !== 'Point') shapes.push([r, g]);
    else if (Math.abs(g.getCoordinate()!.y) <= 90) points.push([r, g]);
    else always.push(r);
  }
  return { points: tree(points), shapes: tree(shapes), always };
}

function tree(items: ReadonlyArray<[number, Geometry]>): Tree | undefined {
  if (items.length === 0) return undefined;
  const t = new Flatbush(items.length);
  const rows = new Uint32Array(items.length);
  items.forEach(([r, g], i) => {
    const e = g.getEnvelopeInternal();
    t.add(e.getMinX(), e.getMinY(), e.getMaxX(), e.getMaxY());
    rows[i] = r;
  });
  t.finish();
  return { tree: t, rows };
}

// Box bounds are widened by this much (relative, plus an absolute floor) so that rounding
// in the bound can only add candidates, never drop one the exact test would accept.
const slackRelative = 1e-9;
const slackAbsolute = 1e-12;
const widen = (x: number) => x * (1 + slackRelative) + slackAbsolute;

/** The spatial leaf over the segment: candidates from the index, the exact test on each. */
export function rtreeSpatial(ix: RTreeIndex, c: Spatial, col: Column, rows: number): Tri {
  const t = new Uint8Array(rows);
  const values = col.values as readonly (string | null)[];
  const test = (r: number) => {
    if (r < rows) t[r] = spatialHolds(c.op, geometryOf(values[r]!), c.query, c.distance) ? 1 : 0;
  };
  for (const r of ix.always) test(r);
  const search = (tr: Tree | undefined, minX: number, minY: number, maxX: number, maxY: number) => {
    if (tr === undefined) return;
    for (const i of tr.tree.search(minX, minY, maxX, maxY)) test(tr.rows[i]!);
  };
  if (c.op === 'dwithin') {
    const q = c.query.getCoordinate()!;
    // Shapes: their distance in degrees times metersPerDegreeAt(query latitude) is at most
    // d, so their box lies within d / that factor of the point in both axes.
    const deg = widen(c.distance / metersPerDegreeAt(q.y));
    search(ix.shapes, q.x - deg, q.y - deg, q.x + deg, q.y + deg);
    // Points: a haversine distance is at least R·|Δlatitude| when both latitudes are in
    // [-90, 90], so only a band of latitudes can be near; longitudes wrap, so all of them.
    if (Math.abs(q.y) <= 90) {
      const dLat = widen(((c.distance / earthRadiusMeters) * 180) / Math.PI);
      search(ix.points, -Infinity, q.y - dLat, Infinity, q.y + dLat);
    } else search(ix.points, -Infinity, -Infinity, Infinity, Infinity);
  } else if (!c.query.isEmpty()) {
    // Every relation but disjointness needs a common point, so the boxes must meet.
    const e = c.query.getEnvelopeInternal();
    search(ix.points, e.getMinX(), e.getMinY(), e.getMaxX(), e.getMaxY());
    search(ix.shapes, e.getMinX(), e.getMinY(), e.getMaxX(), e.getMaxY());
  }
  return { t, n: nullRows(col, rows) };
}

function nullRows(col: Column, rows: number): Uint8Array | null {
  const values = col.values as readonly unknown[];
  let n: Uint8Array | null = null;
  for (let r = 0; r < rows; r++) {
    if (values[r] === null || values[r] === undefined || (col.valid !== undefined && col.valid[r] === 0)) (n ??= new Uint8Array(rows))[r] = 1;
  }
  return n;
}
