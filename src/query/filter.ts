// What a request's filter selects, in the form the reads need: everything, a set of
// primary keys (looked up through the key index), or a predicate over (segment, row)
// compiled from the filter expression language (expr/). The filter is parsed and checked
// once; the key plan is read off the checked tree (`pk in [...]`, `pk == x`, and `or`s of
// them), so it takes template values and every spelling the grammar takes. The predicate evaluates the
// filter over a whole segment at once (exec/) the first time a read asks about one of
// its rows, and answers every later row of that segment from the cached bytes.
import { ElanusError } from '../errors/index.js';
import { type CollectionSchema, DataType, type FieldSchema, type IndexMeta } from '../catalog/types.js';
import type { Segment } from '../segments/segment.js';
import { type Checked, compileFilter } from './expr/index.js';
import { evaluateSegment } from './exec/index.js';

export type Filter =
  | { readonly kind: 'all' }
  | { readonly kind: 'keys'; readonly values: readonly unknown[] }
  | {
    readonly kind: 'predicate';
    readonly test: (seg: Segment, row: number) => boolean;
    /** The whole segment's answers (1 = matches), for scans that visit every row. */
    readonly bits: (seg: Segment) => Uint8Array;
  };

/**
 * A filter as the gateway plans it, once per request: plain data (the checked tree, not
 * closures), so it can be handed to the shards' readers in this process or over a wire.
 * `key` names the filter for the sealed-segment answer cache (same text and values, same key).
 */
export type FilterPlan =
  | { readonly kind: 'all' }
  | { readonly kind: 'keys'; readonly values: readonly unknown[] }
  | { readonly kind: 'predicate'; readonly checked: Checked; readonly key: string };

/**
 * Parses and checks a filter once; `pk in [...]` and `pk == x` become a key plan.
 * `timezone` places ISO timestamp literals written without an offset.
 */
export function planFilter(schema: CollectionSchema, expr: unknown, params?: Record<string, unknown>, timezone?: string): FilterPlan {
  const pk = schema.fields.find((f) => f.isPrimary)!;
  if (expr === undefined || expr === null || (typeof expr === 'string' && expr.trim() === '')) return { kind: 'all' };
  if (typeof expr !== 'string') throw new ElanusError('INVALID_ARGUMENT', { detail: 'filter must be a string' });
  const compiled = compileFilter(schema, expr, params, timezone);
  // `pk in [...]` and `pk == x` go through the key index instead of a scan.
  const keys = keysOf(compiled.checked, pk);
  if (keys !== undefined) return { kind: 'keys', values: keys };
  // The timezone is part of the key: it changes what `ISO '2025-01-01T00:00:00'` means.
  return { kind: 'predicate', checked: compiled.checked, key: `${schema.fields.length}\u0000${expr}\u0000${stableJson(params)}\u0000${timezone ?? ''}` };
}

/** `indexes`, the collection's index specs, lets sealed segments answer from scalar indexes (exec/). */
export function resolveFilter(schema: CollectionSchema, expr: unknown, params?: Record<string, unknown>, indexes?: readonly IndexMeta[], timezone?: string): Filter {
  return bindFilter(planFilter(schema, expr, params, timezone), schema, indexes);
}

/** A planned filter over this process's segments. */
export function bindFilter(plan: FilterPlan, schema: CollectionSchema, indexes?: readonly IndexMeta[]): Filter {
  if (plan.kind !== 'predicate') return plan;
  const { checked, key } = plan;
  // A Filter lives for one read, so this cache does too. A growing segment may gain rows
  // while a read runs; a row past the cached end evaluates the segment again. Rows never
  // change once written, so earlier answers stay right. A sealed segment's answers are
  // also kept across reads (sealedAnswers): its rows are frozen, so the same filter text
  // gives the same bytes until the segment is gone (deletes are applied separately).
  const cache = new WeakMap<Segment, Uint8Array>();
  const bits = (seg: Segment, row = seg.rowCount - 1) => {
    let b = cache.get(seg);
    if (b === undefined || row >= b.length) {
      const sealed = seg.state !== 'growing';
      b = sealed ? sealedAnswers.get(seg)?.get(key) : undefined;
      if (b === undefined) {
        b = evaluateSegment(checked, schema, seg, indexes);
        if (sealed) remember(seg, key, b);
      }
      cache.set(seg, b);
    }
    return b;
  };
  return { kind: 'predicate', test: (seg, row) => bits(seg, row)[row] === 1, bits: (seg) => bits(seg) };
}

/**
 * The primary keys a checked filter selects when it is nothing but key equality: `pk in
 * [...]`, `pk == x` (either side), and `or`s of those. Keys of the primary key's own type
 * only (bigint for Int64, string for VarChar): anything else (a float, a mixed list) is
 * left to the predicate, which compares as the language says. Undefined when not a key plan.
 */
export function keysOf(c: Checked, pk: FieldSchema): Array<bigint | string> | undefined {
  const isPk = (x: Checked) => x.kind === 'field' && x.field.name === pk.name;
  const ok = (v: unknown): v is bigint | string => (pk.type === DataType.Int64 ? typeof v === 'bigint' : typeof v === 'string');
  switch (c.kind) {
    case 'in':
      return isPk(c.value) && c.values.every(ok) ? (c.values as Array<bigint | string>) : undefined;
    case 'compare': {
      if (c.op !== '==') return undefined;
      const value = isPk(c.left) && c.right.kind === 'const' ? c.right.value : isPk(c.right) && c.left.kind === 'const' ? c.left.value : undefined;
      return ok(value) ? [value] : undefined;
    }
    case 'or': {
      const all: Array<bigint | string> = [];
      for (const item of c.items) {
        const k = keysOf(item, pk);
        if (k === undefined) return undefined;
        for (const v of k) all.push(v);
      }
      return all;
    }
    default:
      return undefined;
  }
}

/** Filter answers of sealed segments, by filter text: the most recent few per segment. */
const sealedAnswers = new WeakMap<Segment, Map<string, Uint8Array>>();
const sealedAnswersPerSegment = 8;

function remember(seg: Segment, key: string, bits: Uint8Array): void {
  let m = sealedAnswers.get(seg);
  if (!m) sealedAnswers.set(seg, (m = new Map()));
  m.delete(key);
  m.set(key, bits);
  if (m.size > sealedAnswersPerSegment) m.delete(m.keys().next().value!);
}

function stableJson(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
}
