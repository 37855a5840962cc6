// `field in [...]` over a whole column: the list becomes a Set of the column's own value
// type, holding only the constants some row could equal (compareValues(v, x) === 0), so
// that the loop is one Set lookup per row. NaN is left out: a Set finds NaN, equality does not.
import { DataType, type FieldSchema } from '../../catalog/types.js';
import type { Column } from '../../segments/columns.js';
import type { Value } from '../expr/index.js';
import { maskNulls, type Tri } from './tri.js';

export function inColumn(field: FieldSchema, col: Column, values: readonly Value[], rows: number): Tri | undefined {
  const v = col.values;
  const set = new Set<unknown>();
  const t = new Uint8Array(rows);
  switch (field.type) {
    case DataType.Int8: case DataType.Int16: case DataType.Int32: case DataType.Float: case DataType.Double: {
      if (!(v instanceof Int8Array || v instanceof Int16Array || v instanceof Int32Array || v instanceof Float32Array || v instanceof Float64Array)) return undefined;
      for (const x of values) {
        if (typeof x === 'number' && !Number.isNaN(x)) set.add(x);
        // An integer no double equals exactly cannot match any row.
        else if (typeof x === 'bigint' && BigInt(Number(x)) === x) set.add(Number(x));
      }
      for (let i = 0; i < rows; i++) t[i] = set.has(v[i]) ? 1 : 0;
      break;
    }
    case DataType.Int64: {
      if (!(v instanceof BigInt64Array)) return undefined;
      for (const x of values) {
        if (typeof x === 'bigint') set.add(x);
        else if (typeof x === 'number' && Number.isInteger(x)) set.add(BigInt(x));
      }
      for (let i = 0; i < rows; i++) t[i] = set.has(v[i]) ? 1 : 0;
      break;
    }
    case DataType.Bool: {
      if (!(v instanceof Uint8Array)) return undefined;
      for (const x of values) if (typeof x === 'boolean') set.add(x ? 1 : 0);
      for (let i = 0; i < rows; i++) t[i] = set.has(v[i]) ? 1 : 0;
      break;
    }
    case DataType.VarChar: case DataType.String: {
      if (ArrayBuffer.isView(v)) return undefined;
      for (const x of values) if (typeof x === 'string') set.add(x);
      const list = v as readonly unknown[];
      for (let i = 0; i < rows; i++) t[i] = set.has(list[i]) ? 1 : 0;
      break;
    }
    default: return undefined;
  }
  return maskNulls(t, col.valid, rows);
}
