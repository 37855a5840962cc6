// The geometry operators of the filter language, with Milvus's semantics: the row's
// geometry is the first argument (ST_CONTAINS(geo, 'wkt') holds when the row's geometry
// contains the given one), the relations are JTS's DE-9IM predicates (jsts; Milvus asks
// GDAL, which asks GEOS, JTS's C++ port), and ST_DWITHIN measures as Milvus's
// Geometry::dwithin does (see dwithin below).
import type { Geometry } from '../../catalog/geometry.js';
import DistanceOp from 'jsts/org/locationtech/jts/operation/distance/DistanceOp.js';
import RelateOp from 'jsts/org/locationtech/jts/operation/relate/RelateOp.js';

export type SpatialOp = 'equals' | 'touches' | 'overlaps' | 'crosses' | 'contains' | 'intersects' | 'within' | 'dwithin';

/** The filter functions, as written (lower case; the lexer also takes them all upper case). */
export const spatialFunctions: Readonly<Record<string, SpatialOp>> = Object.freeze({
  st_equals: 'equals', st_touches: 'touches', st_overlaps: 'overlaps', st_crosses: 'crosses',
  st_contains: 'contains', st_intersects: 'intersects', st_within: 'within', st_dwithin: 'dwithin',
});

/** Earth's mean radius, in meters, as Milvus's haversine takes it. */
export const earthRadiusMeters = 6371000;
/** Meters per degree of latitude in Milvus's degrees-to-meters conversion. */
export const metersPerDegreeLat = 111320;

/**
 * Whether `row` stands in relation `op` to `query`. A relation the geometry engine cannot
 * compute (a topology error on a malformed geometry collection) is false, not a failed read.
 */
export function spatialHolds(op: SpatialOp, row: Geometry, query: Geometry, distanceMeters: number): boolean {
  try {
    switch (op) {
      case 'equals': return RelateOp.equalsTopo(row, query) as boolean;
      case 'touches': return RelateOp.touches(row, query) as boolean;
      case 'overlaps': return RelateOp.overlaps(row, query) as boolean;
      case 'crosses': return RelateOp.crosses(row, query) as boolean;
      case 'contains': return RelateOp.contains(row, query) as boolean;
      case 'intersects': return RelateOp.intersects(row, query) as boolean;
      case 'within': return RelateOp.contains(query, row) as boolean;
      case 'dwithin': return dwithin(row, query, distanceMeters);
    }
  } catch {
    return false;
  }
}

/**
 * ST_DWITHIN(geo, 'POINT(lon lat)', d), d in meters, as Milvus 2.6 computes it: a point
 * row by the haversine distance on a sphere of earthRadiusMeters; any other row by the
 * planar distance in degrees to the query point, times metersPerDegreeLat ·
 * sqrt((1 + cos²(query latitude)) / 2). At most d is within.
 */
export function dwithin(row: Geometry, query: Geometry, d: number): boolean {
  const q = query.getCoordinate()!;
  const qx = q.x;
  const qy = q.y;
  if (row.getGeometryType() === 'Point' && !row.isEmpty()) {
    const p = row.getCoordinate()!;
    return haversineMeters(p.y, p.x, qy, qx) <= d;
  }
  if (row.isEmpty()) return false;
  return (DistanceOp.distance(row, query) as number) * metersPerDegreeAt(qy) <= d;
}

export function metersPerDegreeAt(latDeg: number): number {
  const c = Math.cos((latDeg * Math.PI) / 180);
  return metersPerDegreeLat * Math.sqrt((1 + c * c) / 2);
}

export function haversineMeters(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const dLat = (lat2 - lat1) * r;
  const dLon = (lon2 - lon1) * r;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(dLon / 2) ** 2;
  return earthRadiusMeters * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
}
