// Three-valued results over a whole segment, one byte per row: `t[i] = 1` when row i is
// true, `n[i] = 1` when it is unknown (it read a null field), false when neither. `n` is
// null when no row is unknown, which is the common case and saves a pass per operator.
// The rules are the reference evaluator's (expr/evaluate.ts), as segcore's
// ThreeValuedLogicOp: false and unknown = false, true or unknown = true, not unknown = unknown.

export interface Tri {
  readonly t: Uint8Array;
  readonly n: Uint8Array | null;
}

export function constTri(rows: number, v: boolean | null): Tri {
  if (v === null) return { t: new Uint8Array(rows), n: new Uint8Array(rows).fill(1) };
  return { t: new Uint8Array(rows).fill(v ? 1 : 0), n: null };
}

export function andTri(items: readonly Tri[], rows: number): Tri {
  const t = new Uint8Array(rows).fill(1);
  let anyUnknown = false;
  for (const it of items) {
    for (let i = 0; i < rows; i++) t[i]! &= it.t[i]!;
    if (it.n !== null) anyUnknown = true;
  }
  if (!anyUnknown) return { t, n: null };
  // Unknown where no item is false and not all are true.
  const notFalse = new Uint8Array(rows).fill(1);
  for (const it of items) {
    const n = it.n;
    if (n === null) for (let i = 0; i < rows; i++) notFalse[i]! &= it.t[i]!;
    else for (let i = 0; i < rows; i++) notFalse[i]! &= it.t[i]! | n[i]!;
  }
  for (let i = 0; i < rows; i++) notFalse[i]! &= t[i]! ^ 1;
  return { t, n: notFalse };
}

export function orTri(items: readonly Tri[], rows: number): Tri {
  const t = new Uint8Array(rows);
  let n: Uint8Array | null = null;
  for (const it of items) {
    for (let i = 0; i < rows; i++) t[i]! |= it.t[i]!;
    if (it.n !== null) {
      n ??= new Uint8Array(rows);
      for (let i = 0; i < rows; i++) n[i]! |= it.n[i]!;
    }
  }
  // Unknown only where nothing was true.
  if (n !== null) for (let i = 0; i < rows; i++) n[i]! &= t[i]! ^ 1;
  return { t, n };
}

export function notTri(a: Tri, rows: number): Tri {
  const t = new Uint8Array(rows);
  const n = a.n;
  if (n === null) for (let i = 0; i < rows; i++) t[i] = a.t[i]! ^ 1;
  else for (let i = 0; i < rows; i++) t[i] = (a.t[i]! | n[i]!) ^ 1;
  return { t, n };
}

/** Rows where `valid` says null become unknown (and not true). */
export function maskNulls(t: Uint8Array, valid: Uint8Array | undefined, rows: number): Tri {
  if (valid === undefined) return { t, n: null };
  const n = new Uint8Array(rows);
  let any = false;
  for (let i = 0; i < rows; i++) {
    if (valid[i] === 0) { n[i] = 1; t[i] = 0; any = true; }
  }
  return { t, n: any ? n : null };
}
