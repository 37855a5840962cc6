// The invariants, as pure judgments over the model and what a read returned. Each
// returns nothing when the observation is legal, or the kind of violation and a
// sentence saying why. The scenarios feed them through `Observer` (observer.ts), which
// adds the history slice and the seed.
import type { Write } from './model.js';
import type { ViolationKind } from './violations.js';
import type { State } from './values.js';

export interface Judgment {
  readonly kind: ViolationKind;
  readonly message: string;
}

const show = (w: Write) => (w.value === null ? 'absent' : `version ${w.value}`) + (w.op > 0 ? ` (op ${w.op}${w.acked ? '' : ', outcome unknown'})` : w.op === 0 ? ' (seen by an earlier check)' : ' (never written)');

const listOf = (candidates: readonly Write[]) => candidates.map(show).join(', ');

/**
 * One key as a read saw it. `visible(v)` says whether the read would return a row of
 * version v (a filter may hide it); `observed` is the version returned, or null when the
 * read covered the key and returned nothing for it. `durable` marks a check made with
 * nothing in flight (after a restart, at the end): there, an older value means the newer
 * acknowledged write is gone for good.
 */
export function judgeKey(key: number, candidates: readonly Write[], observed: State, visible: (v: number) => boolean, durable: boolean): Judgment | undefined {
  if (observed === null) {
    if (candidates.some((w) => w.value === null || !visible(w.value))) return undefined;
    return { kind: 'lost-write', message: `key ${key} is missing; it must be one of: ${listOf(candidates)}` };
  }
  if (candidates.some((w) => w.value === observed)) {
    if (visible(observed)) return undefined;
    return { kind: 'corrupt-row', message: `key ${key} (version ${observed}) was returned by a read whose filter it does not match` };
  }
  const list = listOf(candidates);
  if (candidates.every((w) => w.value === null)) {
    const never = candidates.length === 1 && candidates[0]!.op === -1;
    return never
      ? { kind: 'phantom', message: `key ${key} was never written, yet a read returned it (version ${observed})` }
      : { kind: 'resurrected', message: `key ${key} shows version ${observed} after it was deleted; it must be one of: ${list}` };
  }
  return durable
    ? { kind: 'lost-write', message: `key ${key} shows version ${observed}: an acknowledged later write is lost; it must be one of: ${list}` }
    : { kind: 'stale-read', message: `key ${key} shows version ${observed}, not the latest acknowledged write; it must be one of: ${list}` };
}

/** count(*) against the bounds the model allows. */
export function judgeCount(what: string, got: number, min: number, max: number): Judgment | undefined {
  if (Number.isInteger(got) && got >= min && got <= max) return undefined;
  const expected = min === max ? `exactly ${min}` : `between ${min} and ${max}`;
  return { kind: 'count-mismatch', message: `${what} returned ${got}, expected ${expected}` };
}

/** Scores of one result list: finite, and ordered best first. */
export function judgeOrder(scores: readonly number[], largerIsBetter: boolean): Judgment | undefined {
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!Number.isFinite(s)) return { kind: 'search-order', message: `hit ${i} has the score ${s}` };
    if (i > 0) {
      const prev = scores[i - 1]!;
      if (largerIsBetter ? s > prev : s < prev) return { kind: 'search-order', message: `hit ${i} (score ${s}) is better than hit ${i - 1} (score ${prev})` };
    }
  }
  return undefined;
}

/** Duplicates in a list of keys, each once. */
export function duplicates(keys: readonly number[]): number[] {
  const seen = new Set<number>();
  const twice = new Set<number>();
  for (const k of keys) (seen.has(k) ? twice : seen).add(k);
  return [...twice];
}

/** Files on disk that the catalog does not name. */
export function orphans(onDisk: readonly string[], named: ReadonlySet<string>): string[] {
  return onDisk.filter((f) => !named.has(f));
}
