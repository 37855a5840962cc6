// Resolves names against the collection schema: a field, a path into a JSON field or an
// element of an Array field, or — when the dynamic field is enabled — a key of `$meta`
// (Milvus reads an unknown bare name `age` as `$meta["age"]`).
import { DataType, dataTypeName, isVector, type CollectionSchema, type FieldSchema } from '../../catalog/types.js';
import type { Ident, Path } from './ast.js';
import { checked, type Checked, type StaticType } from './checked.js';
import { failAt } from './errors.js';
import { closest } from './suggest.js';

export function staticTypeOf(t: DataType): StaticType | undefined {
  switch (t) {
    case DataType.Bool: return 'bool';
    case DataType.Int8: case DataType.Int16: case DataType.Int32: case DataType.Int64: return 'int';
    case DataType.Float: case DataType.Double: return 'float';
    case DataType.String: case DataType.VarChar: return 'string';
    case DataType.JSON: return 'json';
    case DataType.Array: return 'array';
    case DataType.Geometry: return 'geometry';
    default: return undefined;
  }
}

export function resolveName(schema: CollectionSchema, ref: Ident | Path): Checked {
  const path = ref.kind === 'path' ? ref.path : [];
  const pos = ref.pos;
  if (ref.name === '$meta') {
    if (!schema.enableDynamicField) failAt('FILTER_TYPE', 'the collection has no dynamic field, so "$meta" cannot be used', pos);
    return checked({ kind: 'json', field: null, path, type: 'json', pos });
  }
  const field = schema.fields.find((f) => f.name === ref.name && !f.isDynamic);
  if (field === undefined) {
    if (schema.enableDynamicField) return checked({ kind: 'json', field: null, path: [ref.name, ...path], type: 'json', pos });
    const names = schema.fields.filter((f) => !f.isDynamic).map((f) => f.name);
    const guess = closest(ref.name, names);
    failAt('FILTER_TYPE', `unknown field "${ref.name}"`, pos, guess !== undefined ? `did you mean "${guess}"?` : `fields: ${names.join(', ')}`);
  }
  if (isVector(field.type)) failAt('FILTER_TYPE', `vector field "${field.name}" cannot be used in a filter`, pos);
  // Milvus 2.6: an Array of Structs field and its sub-fields cannot appear in filters.
  if (field.type === DataType.ArrayOfStruct) failAt('FILTER_TYPE', `Array of Structs field "${field.name}" (and its sub-fields) cannot be used in a filter, as in Milvus 2.6`, pos);
  if (field.type === DataType.Timestamptz) {
    failAt('FILTER_TYPE', `Timestamptz field "${field.name}" can only be compared with an ISO timestamp literal or tested with is null`, pos,
      `write ${field.name} > ISO '2025-01-01T00:00:00Z' or ${field.name} + INTERVAL 'P1D' > ISO '…'`);
  }
  const type = staticTypeOf(field.type);
  if (type === undefined) failAt('FILTER_TYPE', `field "${field.name}" of type ${dataTypeName(field.type)} cannot be used in a filter`, pos);
  if (type === 'json') return checked({ kind: 'json', field, path, type, pos });
  if (path.length === 0) {
    const elem = type === 'array' && field.elementType !== undefined ? staticTypeOf(field.elementType) : undefined;
    return checked(elem ? { kind: 'field', field, type, elem, pos } : { kind: 'field', field, type, pos });
  }
  if (type === 'array' && path.length === 1 && typeof path[0] === 'number') {
    const elem = field.elementType !== undefined ? staticTypeOf(field.elementType) : undefined;
    if (elem === undefined) failAt('FILTER_TYPE', `Array field "${field.name}" has no usable element type`, pos);
    return checked({ kind: 'elem', field, index: path[0], type: elem, pos });
  }
  failAt('FILTER_TYPE', `${dataTypeName(field.type)} field "${field.name}" cannot be indexed with ${path.map((k) => `[${JSON.stringify(k)}]`).join('')}`,
    pos, type === 'array' ? 'an Array field takes one integer index, as in arr[0]' : 'only JSON and Array fields take [...]');
}

/** How error messages name an operand: `VarChar field "name"`, `JSON value info["a"]`, `a string`. */
export function describe(c: Checked): string {
  switch (c.kind) {
    case 'field': return `${dataTypeName(c.field.type)} field "${c.field.name}"`;
    case 'elem': return `element ${c.index} of Array field "${c.field.name}"`;
    case 'json': {
      const base = c.field === null ? '$meta' : c.field.name;
      return `JSON value ${base}${c.path.map((k) => `[${JSON.stringify(k)}]`).join('')}`;
    }
    case 'const': return constName(c.type);
    default: return `an expression of type ${c.type}`;
  }
}

function constName(t: StaticType): string {
  switch (t) {
    case 'int': return 'an integer';
    case 'float': return 'a float';
    case 'string': return 'a string';
    case 'bool': return 'a boolean';
    case 'array': return 'an array';
    case 'json': return 'a JSON value';
    case 'geometry': return 'a geometry';
  }
}

export function fieldOf(c: Checked): FieldSchema | undefined {
  return c.kind === 'field' || c.kind === 'elem' ? c.field : undefined;
}
