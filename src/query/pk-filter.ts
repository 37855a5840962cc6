// Until the filter-expression issue lands, queries accept the expressions that select by
// primary key — `pk in [1, 2]`, `pk == 3`, `pk in ["a"]` — which is what the SDK's get()
// and delete-by-ids send. Anything else is a coded NOT_SUPPORTED, never a silent guess.
import { fail } from '../errors/index.js';
import type { FieldSchema } from '../catalog/types.js';

export type PkFilter = { kind: 'all' } | { kind: 'keys'; values: unknown[] };

export function parsePkFilter(pk: FieldSchema, expr: unknown): PkFilter {
  if (expr === undefined || expr === null || (typeof expr === 'string' && expr.trim() === '')) return { kind: 'all' };
  if (typeof expr !== 'string') fail('INVALID_ARGUMENT', { detail: 'filter must be a string' });
  const s = expr.trim();
  const name = pk.name.replace(/[$]/g, '\\$');
  const inMatch = new RegExp(`^${name}\\s+in\\s+\\[(.*)\\]$`, 's').exec(s);
  const eqMatch = new RegExp(`^${name}\\s*==\\s*(.+)$`, 's').exec(s);
  const body = inMatch ? `[${inMatch[1]}]` : eqMatch ? `[${eqMatch[1]}]` : undefined;
  if (body === undefined) {
    fail('NOT_SUPPORTED', { what: `filter ${JSON.stringify(expr.length > 60 ? expr.slice(0, 60) + '…' : expr)} (only "${pk.name} in [...]" and "${pk.name} == value" until filter expressions land)` });
  }
  // Single-quoted strings are valid in Milvus's grammar; JSON wants double quotes.
  const json = body.replace(/'((?:[^'\\]|\\.)*)'/g, (_, x: string) => JSON.stringify(x.replace(/\\'/g, "'")));
  let values: unknown;
  try {
    // Int64 literals beyond 2^53 must keep every digit: parse them as strings.
    values = JSON.parse(json.replace(/(?<=[[,\s])(-?\d{16,})(?=\s*[\],])/g, '"$1"'));
  } catch {
    // `id in [1] or id in [2]` and `id == 1 && id == 2` match the patterns above too, with
    // the rest of the expression inside the "list": names or operators outside string
    // literals mean a valid expression this parser does not handle yet, not a typo.
    if (/[A-Za-z_&|<>=!()+*/%]/.test(json.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) {
      fail('NOT_SUPPORTED', { what: `filter ${JSON.stringify(expr.length > 60 ? expr.slice(0, 60) + '…' : expr)} (only "${pk.name} in [...]" and "${pk.name} == value" until filter expressions land)` });
    }
    fail('INVALID_ARGUMENT', { detail: `cannot parse the key list in filter ${JSON.stringify(expr)}` });
  }
  return { kind: 'keys', values: values as unknown[] };
}
