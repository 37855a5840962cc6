// `explain`: the checked filter tree as an indented plan. Every leaf names its access
// path as evaluate-segment.ts would take it — an index (its type and kind on which
// field), a column scan, or the row-by-row fallback (JSON paths, arithmetic, array
// elements and functions; fallback.ts) — and, when segments are given, how each segment
// would be read: on a sealed (or flushed) segment the index's own estimate of the
// matching rows (scalar-index.ts estimate*) decides between the index and a scan
// (indexSelectivityMax), and the estimates are summed over the segments that take the
// index; growing segments always scan. Nothing is evaluated.
import type { CollectionSchema, FieldSchema, IndexMeta } from '../../catalog/types.js';
import { effectiveIndexType } from '../../catalog/indexes.js';
import type { Segment } from '../../segments/segment.js';
import { compileFilter, type Checked, type Value } from '../expr/index.js';
import type { FilterParams } from '../expr/index.js';
import { flipOp } from './compare.js';
import { likeShape } from './like.js';
import {
  estimateCompare, estimateContains, estimateIn, estimateLike, indexSelectivityMax, indexWorthIt,
  scalarIndexKind, scalarIndexOf, type ScalarIndex,
  estimateJsonCompare, estimateJsonIn, jsonIndexOf, jsonIndexSpec, type JsonIndex,
} from './scalar-index.js';
import type { JsonRef } from '../expr/checked.js';
import type { ExecOptions } from './view.js';

/** The plan of `text` over the collection; with `segments`, per access path the segments and estimated rows. */
export function explainFilter(
  schema: CollectionSchema, text: string, params: FilterParams | undefined, indexes: readonly IndexMeta[] | undefined,
  segments?: readonly Segment[], options?: ExecOptions, timezone?: string,
): string {
  if (text.trim() === '') return 'all rows (no filter)';
  const tree = compileFilter(schema, text, params, timezone).checked;
  const max = options?.indexSelectivityMax ?? indexSelectivityMax;
  const out: string[] = [];
  if (segments !== undefined) {
    const rows = segments.reduce((n, s) => n + s.rowCount, 0);
    const sealed = segments.filter(isSealed).length;
    out.push(`filter over ${segments.length} segment${segments.length === 1 ? '' : 's'} (${sealed} sealed), ${rows} rows; indexSelectivityMax ${max}`);
  }
  node(tree, 0, { schema, indexes: indexes ?? [], segments, max }, out);
  return out.join('\n');
}

interface Ctx {
  readonly schema: CollectionSchema;
  readonly indexes: readonly IndexMeta[];
  readonly segments: readonly Segment[] | undefined;
  readonly max: number;
}

const isSealed = (s: Segment) => s.state === 'sealed' || s.state === 'flushed';
const pad = (depth: number) => '  '.repeat(depth);

function node(c: Checked, depth: number, ctx: Ctx, out: string[]): void {
  switch (c.kind) {
    case 'and': case 'or':
      out.push(`${pad(depth)}${c.kind.toUpperCase()}`);
      for (const x of c.items) node(x, depth + 1, ctx, out);
      return;
    case 'not':
      out.push(`${pad(depth)}NOT`);
      node(c.operand, depth + 1, ctx, out);
      return;
    default:
      out.push(`${pad(depth)}${show(c)}`);
      for (const line of access(c, ctx)) out.push(`${pad(depth + 1)}-> ${line}`);
  }
}

/** An indexable leaf: its field and how an index estimates it (undefined: the index cannot answer). */
interface Indexable {
  readonly field: FieldSchema;
  /** Whether an index of this kind can answer the leaf at all. */
  readonly can: (kind: ScalarIndex['kind']) => boolean;
  readonly estimate: (ix: ScalarIndex, rows: number) => number | undefined;
  /** The path without an (answering) index. */
  readonly otherwise: 'scan' | 'row-by-row';
}

function indexable(c: Checked): Indexable | undefined {
  switch (c.kind) {
    case 'compare': {
      const side = c.left.kind === 'field' && c.right.kind === 'const' ? { f: c.left.field, op: c.op, v: c.right.value }
        : c.left.kind === 'const' && c.right.kind === 'field' ? { f: c.right.field, op: flipOp(c.op), v: c.left.value } : undefined;
      if (side === undefined) return undefined;
      const { f, op, v } = side;
      return {
        field: f, otherwise: 'scan',
        can: (k) => k === 'sorted' || (k === 'bitmap' && (op === '==' || op === '!=')),
        estimate: (ix, rows) => estimateCompare(ix, f, op, v, rows),
      };
    }
    case 'in': {
      if (c.value.kind !== 'field') return undefined;
      const f = c.value.field;
      return { field: f, otherwise: 'scan', can: (k) => k !== 'array', estimate: (ix, rows) => estimateIn(ix, f, c.values, rows) };
    }
    case 'like': {
      if (c.value.kind !== 'field') return undefined;
      const f = c.value.field;
      const shape = likeShape(c.pattern).kind;
      return {
        field: f, otherwise: 'scan',
        can: (k) => k === 'bitmap' && (shape === 'prefix' || shape === 'exact'),
        estimate: (ix, rows) => estimateLike(ix, f, c.pattern, rows),
      };
    }
    case 'contains': {
      if (c.target.kind !== 'field') return undefined;
      return { field: c.target.field, otherwise: 'row-by-row', can: (k) => k === 'array', estimate: (ix, rows) => estimateContains(ix, c.mode, c.values, rows) };
    }
    default: return undefined;
  }
}

/** The access path lines of a leaf. */
function access(c: Checked, ctx: Ctx): string[] {
  const jl = jsonAccess(c, ctx);
  if (jl !== undefined) return jl;
  const sl = spatialAccess(c, ctx);
  if (sl !== undefined) return sl;
  const ixl = indexable(c);
  if (ixl === undefined) {
    const path = staticPath(c);
    if (ctx.segments === undefined) return [path];
    const rows = ctx.segments.reduce((n, s) => n + s.rowCount, 0);
    return [`${path}: ${count(ctx.segments.length, 'segment')}, ${rows} rows`];
  }
  const f = ixl.field;
  const spec = ctx.indexes.find((x) => x.fieldId === f.fieldId);
  const kind = spec === undefined ? undefined : scalarIndexKind(spec, f);
  const via = spec !== undefined && kind !== undefined && ixl.can(kind) ? `index ${spec.indexType} (${kind}) on ${f.name}` : undefined;
  const base = ixl.otherwise === 'scan' ? `scan ${f.name}` : 'row-by-row';
  const other = ixl.otherwise === 'scan' ? base : 'row-by-row (no array index)';
  if (ctx.segments === undefined) return [via ?? other];
  // Per segment, as evaluate-segment.ts chooses: grouped by path, in order of appearance.
  const groups = new AccessGroups();
  const add = groups.add.bind(groups);
  const col = ctx.schema.fields.findIndex((x) => x.fieldId === f.fieldId);
  for (const seg of ctx.segments) {
    if (!isSealed(seg)) { add(`${base} (growing)`, seg.rowCount); continue; }
    const ix = via === undefined ? undefined : scalarIndexOf(seg, f, seg.column(col), seg.rowCount, ctx.indexes);
    const est = ix === undefined ? undefined : ixl.estimate(ix, seg.rowCount);
    if (est === undefined) add(other, seg.rowCount);
    else if (indexWorthIt(est, seg.rowCount, ctx.max)) add(via!, seg.rowCount, est);
    else add(`${base} (index estimate above ${ctx.max} of the rows)`, seg.rowCount, est);
  }
  return groups.lines(via ?? other);
}

/**
 * A spatial leaf on a field with an RTREE spec: sealed segments take candidates from the
 * tree and test them exactly (rtree.ts, always, as Milvus does), growing ones go row by row.
 */
function spatialAccess(c: Checked, ctx: Ctx): string[] | undefined {
  if (c.kind !== 'spatial') return undefined;
  const f = c.target.field;
  const spec = ctx.indexes.find((x) => x.fieldId === f.fieldId && effectiveIndexType(x, f) === 'RTREE');
  if (spec === undefined) return undefined;
  const via = `index RTREE on ${f.name}, then the exact predicate`;
  if (ctx.segments === undefined) return [via];
  const groups = new AccessGroups();
  for (const seg of ctx.segments) groups.add(isSealed(seg) ? via : 'row-by-row (geometry) (growing)', seg.rowCount);
  return groups.lines(via);
}

/** A comparison or `in` on a JSON path that an INVERTED json_path index covers: its access lines, else undefined. */
function jsonAccess(c: Checked, ctx: Ctx): string[] | undefined {
  let ref: JsonRef;
  let estimate: (ix: JsonIndex, rows: number) => number | undefined;
  if (c.kind === 'compare' && c.left.kind === 'json' && c.right.kind === 'const') {
    const { op } = c; const v = c.right.value; ref = c.left; estimate = (ix, rows) => estimateJsonCompare(ix, op, v, rows);
  } else if (c.kind === 'compare' && c.left.kind === 'const' && c.right.kind === 'json') {
    const op = flipOp(c.op); const v = c.left.value; ref = c.right; estimate = (ix, rows) => estimateJsonCompare(ix, op, v, rows);
  } else if (c.kind === 'in' && c.value.kind === 'json') {
    const vs = c.values; ref = c.value; estimate = (ix, rows) => estimateJsonIn(ix, vs, rows);
  } else return undefined;
  // A path into the dynamic field ($meta) is looked up on the dynamic field's indexes.
  const f = ref.field ?? ctx.schema.fields.find((x) => x.isDynamic);
  if (f === undefined) return undefined;
  const found = jsonIndexSpec(ctx.indexes, f, ref.path);
  if (found === undefined) return undefined;
  // Whether the leaf's constant(s) fit the cast type: probe an empty index.
  const probe: JsonIndex = { kind: 'json', cast: found.cast, keys: new Float64Array(0), order: new Uint32Array(0), rowsOf: new Map(), unknown: null };
  if (estimate(probe, 0) === undefined) return undefined;
  const via = `index ${found.spec.indexType} (json ${found.cast}) on ${show(ref)}`;
  const base = 'row-by-row (JSON path)';
  if (ctx.segments === undefined) return [via];
  const groups = new AccessGroups();
  const add = groups.add.bind(groups);
  const col = ctx.schema.fields.findIndex((x) => x.fieldId === f.fieldId);
  for (const seg of ctx.segments) {
    if (!isSealed(seg)) { add(`${base} (growing)`, seg.rowCount); continue; }
    const ix = jsonIndexOf(seg, f, seg.column(col), ref.path, seg.rowCount, ctx.indexes);
    const est = ix === undefined ? undefined : estimate(ix, seg.rowCount);
    if (est === undefined) add(base, seg.rowCount);
    else if (indexWorthIt(est, seg.rowCount, ctx.max)) add(via, seg.rowCount, est);
    else add(`${base} (index estimate above ${ctx.max} of the rows)`, seg.rowCount, est);
  }
  return groups.lines(via);
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Segments grouped by the access path they would take, in order of appearance, with summed rows and estimates. */
class AccessGroups {
  private readonly groups = new Map<string, { segs: number; rows: number; est: number | undefined }>();

  add(label: string, rows: number, est?: number): void {
    const g = this.groups.get(label);
    if (g === undefined) this.groups.set(label, { segs: 1, rows, est });
    else {
      g.segs++;
      g.rows += rows;
      if (est !== undefined) g.est = (g.est ?? 0) + est;
    }
  }

  lines(whenEmpty: string): string[] {
    if (this.groups.size === 0) return [`${whenEmpty}: no segments`];
    return [...this.groups].map(([label, g]) =>
      `${label}: ${count(g.segs, 'segment')}, ${g.est !== undefined ? `est. ${g.est} of ${g.rows} rows` : `${g.rows} rows`}`);
  }
}

/** The path of a leaf no index answers. */
function staticPath(c: Checked): string {
  switch (c.kind) {
    case 'const': return 'constant';
    case 'field': return c.type === 'bool' ? `scan ${c.field.name}` : rowReason(c);
    case 'is_null': return c.target.kind === 'field' ? `scan ${c.target.field.name} (validity)` : rowReason(c);
    default: return rowReason(c);
  }
}

function rowReason(c: Checked): string {
  const why: string[] = [];
  const walk = (x: Checked): void => {
    const r = x.kind === 'json' ? 'JSON path' : x.kind === 'arith' || x.kind === 'tz_arith' ? 'arithmetic'
      : x.kind === 'elem' ? 'array element' : x.kind === 'length' || x.kind === 'contains' ? 'array function' : x.kind === 'spatial' ? 'geometry'
        : x.kind === 'compare' && x.left.kind !== 'const' && x.right.kind !== 'const' ? 'field against field' : undefined;
    if (r !== undefined && !why.includes(r)) why.push(r);
    for (const k of children(x)) walk(k);
  };
  walk(c);
  return `row-by-row${why.length ? ` (${why.join(', ')})` : ''}`;
}

function children(c: Checked): Checked[] {
  switch (c.kind) {
    case 'arith': case 'compare': return [c.left, c.right];
    case 'not': return [c.operand];
    case 'length': case 'is_null': case 'exists': case 'contains': return [c.target];
    case 'in': case 'like': return [c.value];
    case 'and': case 'or': return [...c.items];
    default: return [];
  }
}

/** A leaf in filter syntax (close to the source; constants as the checker bound them). */
export function show(c: Checked): string {
  switch (c.kind) {
    case 'const': return value(c.value);
    case 'field': return c.field.name;
    case 'json': return `${c.field?.name ?? '$meta'}${c.path.map((p) => `[${JSON.stringify(p)}]`).join('')}`;
    case 'elem': return `${c.field.name}[${c.index}]`;
    case 'arith': return `(${show(c.left)} ${c.op} ${show(c.right)})`;
    case 'length': return `array_length(${show(c.target)})`;
    case 'compare': return `${show(c.left)} ${c.op} ${show(c.right)}`;
    case 'in': return `${show(c.value)} in ${value(c.values)}`;
    case 'like': return `${show(c.value)} like ${JSON.stringify(c.pattern)}`;
    case 'is_null': return `${show(c.target)} is ${c.negated ? 'not ' : ''}null`;
    case 'exists': return `exists ${show(c.target)}`;
    case 'contains':
      return c.mode === 'one' ? `array_contains(${show(c.target)}, ${value(c.values[0]!)})` : `array_contains_${c.mode}(${show(c.target)}, ${value(c.values)})`;
    case 'not': return `not (${show(c.operand)})`;
    case 'and': case 'or': return c.items.map((x) => `(${show(x)})`).join(` ${c.kind} `);
    case 'spatial': return `st_${c.op}(${c.target.field.name}, ${JSON.stringify(c.wkt)}${c.op === 'dwithin' ? `, ${c.distance}` : ''})`;
    case 'tz_arith': {
      const iv = c.interval;
      const text = `P${iv.years}Y${iv.months}M${iv.days}DT${iv.hours}H${iv.minutes}M${iv.seconds}S`;
      return `${c.field.name} ${c.sign > 0 ? '+' : '-'} INTERVAL ${JSON.stringify(text)} ${c.op} ${c.value.toString()}`;
    }
  }
}

function value(v: Value): string {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${(v as readonly Value[]).map(value).join(', ')}]`;
  return String(v);
}
