// Names of databases, collections, aliases, partitions, fields and indexes: one check,
// with Milvus's rules, codes and texts for each kind (its proxy's validate functions).
// Programs and Milvus's own tests match the texts, and the codes differ by kind: 1100 for
// collection and alias names, 1701 for fields, 802 for databases, and a plain error
// (65535) for partitions and indexes.
import { type ErrorCode, fail } from '../errors/index.js';
import { nameLengthMax } from './limits.js';

export type NameKind = 'database' | 'collection' | 'alias' | 'partition' | 'field' | 'index';

interface Rules {
  readonly code: ErrorCode;
  /** How the name is called in the texts: "collection name", "a index name"... */
  readonly called: string;
  readonly empty: string;
  readonly tooLong: string;
  readonly firstChar: string;
  readonly chars: string;
}

const capital = (s: string) => s[0]!.toUpperCase() + s.slice(1);

// The texts follow Milvus 2.6: lower case for collection, alias and database names,
// capitalised sentences for the others, as its proxy writes them.
const rulesOf: Readonly<Record<NameKind, Rules>> = {
  collection: lower('INVALID_COLLECTION_NAME', 'collection name'),
  alias: lower('INVALID_COLLECTION_NAME', 'collection alias'),
  database: lower('INVALID_DATABASE_NAME', 'database name'),
  partition: upper('INVALID_PARTITION_NAME', 'partition name', false),
  field: upper('INVALID_FIELD_NAME', 'field name', true),
  index: upper('INVALID_INDEX_NAME', 'index name', true),
};

function lower(code: ErrorCode, called: string): Rules {
  return {
    code, called,
    empty: `${called} should not be empty`,
    tooLong: `the length of a ${called} must be less than ${nameLengthMax} characters`,
    firstChar: `the first character of a ${called} must be an underscore or letter`,
    chars: `${called} can only contain numbers, letters and underscores`,
  };
}

function upper(code: ErrorCode, called: string, serialComma: boolean): Rules {
  const a = called.startsWith('index') ? 'a index' : `a ${called.split(' ')[0]}`;
  const end = serialComma ? '.' : '';
  return {
    code, called,
    empty: `${capital(called)} should not be empty${end}`,
    tooLong: `The length of ${a} name must be less than ${nameLengthMax} characters${end}`,
    firstChar: `The first character of ${a} name must be an underscore or letter${end}`,
    chars: `${capital(called)} can only contain numbers, letters${serialComma ? ',' : ''} and underscores${end}`,
  };
}

/**
 * Words of the filter language a field may not be named (Milvus's keyword list), so that
 * every field can be named in a filter. Matched as written: "like" is reserved, "Like" is not.
 */
export const reservedFieldNames: ReadonlySet<string> = new Set([
  'like', 'exists', 'EXISTS', 'and', 'or', 'not', 'in',
  'json_contains', 'JSON_CONTAINS', 'json_contains_all', 'JSON_CONTAINS_ALL', 'json_contains_any', 'JSON_CONTAINS_ANY',
  'array_contains', 'ARRAY_CONTAINS', 'array_contains_all', 'ARRAY_CONTAINS_ALL', 'array_contains_any', 'ARRAY_CONTAINS_ANY',
  'array_length', 'ARRAY_LENGTH', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE',
  'text_match', 'TEXT_MATCH', 'phrase_match', 'PHRASE_MATCH', 'random_sample', 'RANDOM_SAMPLE',
]);

const first = /^[A-Za-z_]/;
const rest = /^[A-Za-z0-9_]*$/;

/** Checks a name's form (not whether it exists); the refusal carries Milvus's code and text. */
export function validateName(kind: NameKind, name: unknown): string {
  const r = rulesOf[kind];
  const shown = typeof name === 'string' ? name : String(name ?? '');
  const refuse = (rule: string): never => fail(r.code, { what: r.called, name: shown, rule });
  if (typeof name !== 'string' || name.trim() === '') refuse(r.empty);
  const s = name as string;
  if (s.length > nameLengthMax) refuse(r.tooLong);
  if (!first.test(s)) refuse(r.firstChar);
  if (!rest.test(s)) refuse(r.chars);
  if (kind === 'field' && reservedFieldNames.has(s)) refuse(`${s} is keyword in milvus.`);
  return s;
}
