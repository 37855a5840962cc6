export { parseFilter } from './parser.js';
export { printFilter } from './print.js';
export { checkFilter, type FilterParams } from './check.js';
export { resolveName } from './names.js';
export { compileFilter, evaluate, type CompiledFilter, type RowReader, type MetaReader } from './evaluate.js';
export { tokenize, type Token, type TokenType } from './lexer.js';
export { exprLengthMax, exprDepthMax } from './limits.js';
export type { Expr } from './ast.js';
export type { Checked, Value, StaticType } from './checked.js';
