// The public surface of the `elanus` package.
export { Elanus, defaultLimits, crashPoints, type OpenOptions, type EngineLimits, type CrashPoint } from './engine/index.js';
export { DataType, type ConsistencyLevel, type FieldInput } from './catalog/index.js';
export { ElanusError, errorRegistry, isElanusError, type ErrorCode } from './errors/index.js';
export type { FileSystem } from './storage/index.js';
