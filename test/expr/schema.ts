// A schema with one field of each filterable kind, shared by the filter tests.
import { DataType, type CollectionSchema, type FieldSchema } from '../../src/catalog/types.js';

let nextId = 100;
export function field(name: string, type: DataType, extra: Partial<FieldSchema> = {}): FieldSchema {
  return {
    fieldId: nextId++, name, description: '', type, isPrimary: false, autoId: false,
    nullable: false, isPartitionKey: false, isDynamic: false, ...extra,
  };
}

export const fields = {
  id: field('id', DataType.Int64, { isPrimary: true }),
  price: field('price', DataType.Double),
  stock: field('stock', DataType.Int32, { nullable: true }),
  big: field('big', DataType.Int64, { nullable: true }),
  ratio: field('ratio', DataType.Float),
  color: field('color', DataType.VarChar, { maxLength: 64, nullable: true }),
  flag: field('flag', DataType.Bool, { nullable: true }),
  product: field('product', DataType.JSON, { nullable: true }),
  tags: field('tags', DataType.Array, { elementType: DataType.VarChar, maxCapacity: 16 }),
  nums: field('nums', DataType.Array, { elementType: DataType.Int64, maxCapacity: 16, nullable: true }),
  vec: field('vec', DataType.FloatVector, { dim: 2 }),
  meta: field('$meta', DataType.JSON, { isDynamic: true }),
};

export const schema: CollectionSchema = { fields: Object.values(fields), enableDynamicField: true, description: '' };
export const staticSchema: CollectionSchema = {
  fields: Object.values(fields).filter((f) => !f.isDynamic), enableDynamicField: false, description: '',
};

export type Row = Partial<Record<keyof typeof fields, unknown>> & { $meta?: Record<string, unknown> };

/** The row reader compileFilter expects, over a plain object keyed by field name. */
export function reader(row: Row): [(f: FieldSchema) => unknown, () => Record<string, unknown> | null] {
  return [(f) => (row as Record<string, unknown>)[f.name] ?? null, () => row.$meta ?? null];
}

/** Four rows over `schema`, shared by the evaluation goldens (evaluate.test.ts, milvus-rules.test.ts). */
export const rows: readonly Row[] = [
  { id: 1, price: 120, stock: 10, big: '9007199254740993', ratio: Math.fround(0.1), color: 'red', flag: true,
    product: { model: 'JSN-087', tags: ['electronics', 'sale', 'new'], dims: [1, 2, 3], n: 5 },
    tags: ['a', 'b'], nums: [1, 2, 3, 4], $meta: { age: 30, city: 'Paris', sub: { x: 1 } } },
  { id: 2, price: 80, stock: 60, big: 9007199254740992, ratio: 0.5, color: 'green', flag: false,
    product: { model: 'ABC-1', tags: ['home'], n: 2.5 },
    tags: ['b'], nums: [5], $meta: { age: 17 } },
  { id: 3, price: 300, stock: null, big: null, ratio: 1, color: null, flag: null,
    product: null, tags: [], nums: null, $meta: {} },
  { id: 4, price: 100.5, stock: 49, big: '-9223372036854775808', ratio: 2, color: 'prefix_%x', flag: true,
    product: { model: null, tags: 'sale', n: '5' },
    tags: ['a', 'c', 'd', 'e'], nums: [], $meta: { age: '30', city: 'Zürich' } },
];
