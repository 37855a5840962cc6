// `field like pattern` over a VarChar column. The patterns users write most — `abc%`,
// `%abc`, `%abc%` and `abc` — become startsWith / endsWith / includes / ===; anything
// else (`_`, escapes, `%` inside) runs the checked tree's regular expression per row.
import type { Column } from '../../segments/columns.js';
import type { Tri } from './tri.js';

export type LikeShape = { readonly kind: 'prefix' | 'suffix' | 'infix' | 'exact'; readonly text: string } | { readonly kind: 'regex' };

/**
 * The fast shape of a pattern. A surrogate in the literal sends it to the regex: the
 * regex counts code points, and `%` must not end or begin inside a character.
 */
export function likeShape(pattern: string): LikeShape {
  let start = 0;
  let end = pattern.length;
  while (start < end && pattern[start] === '%') start++;
  while (end > start && pattern[end - 1] === '%') end--;
  const text = pattern.slice(start, end);
  if (/[%_\\\uD800-\uDFFF]/.test(text)) return { kind: 'regex' };
  const lead = start > 0;
  const trail = end < pattern.length;
  if (lead && trail) return { kind: 'infix', text };
  if (lead) return { kind: 'suffix', text };
  if (trail) return { kind: 'prefix', text };
  return { kind: 'exact', text };
}

export function likeColumn(col: Column, pattern: string, regex: RegExp, rows: number): Tri | undefined {
  if (ArrayBuffer.isView(col.values)) return undefined;
  const v = col.values as readonly unknown[];
  const valid = col.valid;
  const shape = likeShape(pattern);
  const t = new Uint8Array(rows);
  let n: Uint8Array | null = null;
  for (let i = 0; i < rows; i++) {
    const s = v[i];
    if ((valid !== undefined && valid[i] === 0) || typeof s !== 'string') {
      (n ??= new Uint8Array(rows))[i] = 1;
      continue;
    }
    let r: boolean;
    switch (shape.kind) {
      case 'prefix': r = s.startsWith(shape.text); break;
      case 'suffix': r = s.endsWith(shape.text); break;
      case 'infix': r = s.includes(shape.text); break;
      case 'exact': r = s === shape.text; break;
      case 'regex': r = regex.test(s); break;
    }
    t[i] = r ? 1 : 0;
  }
  return { t, n };
}
