export { errorRegistry, type ErrorCode, type ErrorSpec } from './registry.js';
export { ElanusError, fail, isElanusError, assert, AssertionFailure, type ErrorDetails } from './error.js';
