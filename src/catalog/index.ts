export * from './types.js';
export * from './limits.js';
export { normalizeSchema, normalizeAddedField, validateName, scalarProblem, int64Of, dynamicFieldName, type FieldInput } from './schema.js';
export { Catalog, keys as catalogKeys, defaultDatabase, defaultPartition, deepFreeze } from './catalog.js';
export { IdAllocator } from './id-allocator.js';
export {
  normalizeIndex, normalizeIndexProperty, requireIndexProperty, sameIndexSpec, indexesOf, allowedIndexTypes, defaultMetric,
  effectiveIndexType, indexPropertyRules, jsonCastTypes, type IndexInput, type IndexSpec,
} from './indexes.js';
