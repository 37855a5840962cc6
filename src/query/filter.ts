// What a request's filter selects, in the form the reads need: everything, a set of
// primary keys (looked up through the key index), or a predicate over (segment, row)
// compiled from the filter expression language (expr/).
import { ElanusError } from '../errors/index.js';
import type { CollectionSchema } from '../catalog/types.js';
import { valueAt } from '../segments/columns.js';
import type { Segment } from '../segments/segment.js';
import { compileFilter } from './expr/index.js';
import { parsePkFilter } from './pk-filter.js';

export type Filter =
  | { readonly kind: 'all' }
  | { readonly kind: 'keys'; readonly values: readonly unknown[] }
  | { readonly kind: 'predicate'; readonly test: (seg: Segment, row: number) => boolean };

export function resolveFilter(schema: CollectionSchema, expr: unknown, params?: Record<string, unknown>): Filter {
  const pk = schema.fields.find((f) => f.isPrimary)!;
  if (expr === undefined || expr === null || (typeof expr === 'string' && expr.trim() === '')) return { kind: 'all' };
  if (params === undefined || Object.keys(params).length === 0) {
    // `pk in [...]` and `pk == x` go through the key index instead of a scan.
    try {
      return parsePkFilter(pk, expr);
    } catch (e) {
      if (!(e instanceof ElanusError)) throw e;
    }
  }
  if (typeof expr !== 'string') throw new ElanusError('INVALID_ARGUMENT', { detail: 'filter must be a string' });
  const compiled = compileFilter(schema, expr, params);
  const index = new Map(schema.fields.map((f, i) => [f.fieldId, i]));
  const dynamic = schema.fields.findIndex((f) => f.isDynamic);
  return {
    kind: 'predicate',
    test: (seg, row) => compiled.test(
      (f) => valueAt(f, seg.column(index.get(f.fieldId)!), row),
      () => (dynamic >= 0 ? ((seg.column(dynamic).values as readonly unknown[])[row] as Record<string, unknown> | null) : null),
    ),
  };
}
