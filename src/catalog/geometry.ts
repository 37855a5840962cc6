// Geometry values: Well-Known Text in, the geometry (jsts, a port of JTS, whose C++ port
// GEOS is what Milvus's GDAL calls for the same predicates) for filters, and one normal
// text per geometry for storage and output. A value is stored as that normal text: it
// reads back to the same coordinates (numbers are written in their shortest round-trip
// form), and a column of strings goes through the log, segment files and compaction as
// VarChar does.
import GeometryFactory from 'jsts/org/locationtech/jts/geom/GeometryFactory.js';
import type JstsGeometry from 'jsts/org/locationtech/jts/geom/Geometry.js';
import WKTReader from 'jsts/org/locationtech/jts/io/WKTReader.js';
import WKTWriter from 'jsts/org/locationtech/jts/io/WKTWriter.js';

/** jsts's geometry, with the methods its bundled declarations leave out. */
export type Geometry = JstsGeometry & {
  getGeometryType(): string;
  isEmpty(): boolean;
  /** A point's coordinate (x = longitude, y = latitude); null when empty. */
  getCoordinate(): { readonly x: number; readonly y: number } | null;
};

/** The longest WKT text accepted for one value or filter argument, in characters. */
export const geometryWktLengthMax = 1 << 20;

const factory = new GeometryFactory();
const reader = new WKTReader(factory);
const writer = new WKTWriter(factory);

const geometryTypes = ['POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING', 'MULTIPOLYGON', 'GEOMETRYCOLLECTION'];

export type ParsedGeometry = { readonly geometry: Geometry; readonly wkt: string } | { readonly problem: string };

/**
 * Parses one WKT value: the seven OGC types, 2D, case-insensitive. Refused: text after
 * the geometry (the reader would drop it silently), Z/M coordinates, unclosed rings,
 * numbers beyond a double's range. `wkt` is the normal text: `POINT (1 2)`, `LINESTRING (0 0, 1 1)`.
 */
export function parseWkt(text: unknown): ParsedGeometry {
  if (typeof text !== 'string') return { problem: 'is not a WKT string' };
  if (text.length > geometryWktLengthMax) return { problem: `is longer than ${geometryWktLengthMax} characters` };
  const t = text.trim();
  const head = /^[A-Za-z]+/.exec(t)?.[0]?.toUpperCase();
  if (head === undefined || !geometryTypes.includes(head)) return { problem: `is not WKT (expected one of ${geometryTypes.join(', ')})` };
  // The reader stops at the geometry's end and ignores what follows: a value must end there.
  if (!/\)$/.test(t) && !/\bEMPTY$/i.test(t)) return { problem: 'is not WKT (text after the geometry, or an unclosed list)' };
  let geometry: Geometry;
  try {
    geometry = reader.read(t) as Geometry;
  } catch (e) {
    return { problem: `is not valid WKT: ${(e as Error).message}` };
  }
  // The writer prints each number in its shortest round-trip form (1e-7, 0.30000000000000004),
  // which the reader reads back to the same double; numbers beyond a double's range were refused above.
  return { geometry, wkt: writer.write(geometry) };
}

/**
 * The geometry of a stored value (already normal WKT). Filters read each row's value
 * many times; the parse is cached per text, bounded, oldest out first.
 */
export function geometryOf(wkt: string): Geometry {
  const hit = cache.get(wkt);
  if (hit) return hit;
  const p = parseWkt(wkt);
  // Stored values were parsed before they were stored: failing here is a programmer error.
  if ('problem' in p) throw new Error(`stored geometry ${JSON.stringify(wkt.slice(0, 40))} ${p.problem}`);
  if (cache.size >= geometryCacheEntriesMax) cache.delete(cache.keys().next().value as string);
  cache.set(wkt, p.geometry);
  return p.geometry;
}

const geometryCacheEntriesMax = 65_536;
const cache = new Map<string, Geometry>();
