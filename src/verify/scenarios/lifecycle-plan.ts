// The seeded plan of a lifecycle run. Round r's collection shape, its size, its first
// index and its steps are a pure function of (seed, r, rows, shapes): the same seed
// replays the same rounds and steps, and a test can look at the sweep without a server.
//
// Shapes come in a seeded order that visits every shape of the sweep once before any
// comes again, so a run of n rounds covers min(n, shapes) of them, the extremes
// included. Rows shrink as dimensions grow (rowsCap): the server holds every row in
// memory, a compaction copies a group of segments once more, and the verifier must
// stay small too (it keeps versions, never vectors).
import { Random } from '../../testing/random.js';
import type { VectorShape } from '../context.js';
import type { IndexSpec } from '../target.js';
import { filters, type Filter } from '../values.js';

/** Float dimensions of the sweep: the extremes, odd sizes, and the common embedding sizes. */
export const floatDims: readonly number[] = Object.freeze([2, 3, 8, 16, 31, 64, 100, 128, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096]);
/** Binary dimensions (bits) of the sweep. */
export const binaryDims: readonly number[] = Object.freeze([8, 16, 64, 128, 256, 512, 1024, 2048, 4096]);

export const sweep: readonly VectorShape[] = Object.freeze([
  ...floatDims.map((dim) => Object.freeze({ binary: false, dim })),
  ...binaryDims.map((dim) => Object.freeze({ binary: true, dim })),
]);

/**
 * Vector bytes one round may hold: 512 MiB. With it a round reaches 1,000,000 rows up to
 * 128 floats (and at every binary size up to 4,096 bits), 174,762 rows of 768 floats and
 * 32,768 of 4,096 floats; the server then needs a few GiB at most (rows, a compaction's
 * copy, an index), the verifier a few hundred bytes per key.
 */
export const roundVectorBytesMax = 512 * 1024 * 1024;

/** Bytes of one row's vector. */
export function vectorBytes(shape: VectorShape): number {
  return shape.binary ? shape.dim / 8 : shape.dim * 4;
}

/** The most rows a round of this shape may have. */
export function rowsCap(shape: VectorShape, rowsMax: number): number {
  return Math.max(1, Math.min(rowsMax, Math.floor(roundVectorBytesMax / vectorBytes(shape))));
}

export type DeleteHow = 'all' | 'half-range' | 'half-mod' | 'filter' | 'keys';

/**
 * One step of a round. `kill` (write steps only): the server is killed with SIGKILL once
 * that share of the step's batches has been sent, with the batch in flight.
 */
export type Step =
  | { readonly kind: 'insert'; readonly rows: number; readonly flushEvery: number; readonly kill?: number }
  | { readonly kind: 'flush' }
  | { readonly kind: 'delete'; readonly how: DeleteHow; readonly filter?: Filter; readonly share?: number; readonly kill?: number }
  | { readonly kind: 'upsert'; readonly deletedShare: number; readonly liveShare: number; readonly kill?: number }
  | { readonly kind: 'compact' }
  | { readonly kind: 'index'; readonly index: IndexSpec }
  | { readonly kind: 'release-load' }
  | { readonly kind: 'restart'; readonly how: 'clean' | 'kill' };

export interface RoundPlan {
  readonly round: number;
  readonly collection: string;
  readonly shape: VectorShape;
  /** Keys the round inserts in all (its first insert and later ones). */
  readonly rows: number;
  readonly index: IndexSpec;
  readonly steps: readonly Step[];
}

export interface PlanOptions {
  readonly seed: number;
  readonly rowsMax: number;
  readonly shapes: readonly VectorShape[];
}

/** Steps between the first insert and the last restart, at least. */
const stepsMin = 6;
const stepsSpread = 10;
/** Share of write steps that are cut by a kill -9. */
const killDuringShare = 0.15;

const weights: ReadonlyArray<readonly [Exclude<Step['kind'], 'restart'> | 'clean' | 'kill', number]> = [
  ['insert', 8], ['flush', 12], ['delete', 16], ['upsert', 12], ['compact', 12], ['index', 6], ['release-load', 6], ['clean', 7], ['kill', 7],
];

/** Round r of a run. */
export function planRound(o: PlanOptions, round: number): RoundPlan {
  const shape = shapeOf(o, round);
  const rng = new Random((o.seed ^ Math.imul(round + 1, 0x85ebca6b) ^ 0x6c6966) >>> 0);
  const cap = rowsCap(shape, o.rowsMax);
  // Half the rounds go to the cap, the others anywhere from a hundred rows up, evenly on a log scale.
  const low = Math.min(cap, 100);
  const rows = rng.int(2) === 0 ? cap : Math.round(low * (cap / low) ** rng.next());
  const first = Math.max(1, Math.round(rows * (0.5 + rng.next() / 2)));
  let left = rows - first;
  let indexes = 0;
  const steps: Step[] = [insertStep(rng, first)];
  const n = stepsMin + rng.int(stepsSpread);
  for (let i = 0; i < n; i++) {
    const kind = pickWeighted(rng);
    if (kind === 'insert' && left > 0) {
      const add = Math.max(1, Math.round(left * (0.3 + rng.next() * 0.7)));
      left -= add;
      steps.push(insertStep(rng, add));
    } else if (kind === 'insert' || kind === 'upsert') {
      steps.push(withKill(rng, { kind: 'upsert', deletedShare: rng.pick([1, 0.5, 0.1]), liveShare: rng.pick([0, 0.05, 0.2]) }));
    } else if (kind === 'delete') {
      steps.push(deleteStep(rng, rows));
    } else if (kind === 'index') {
      steps.push({ kind: 'index', index: indexSpec(rng, shape, ++indexes) });
    } else if (kind === 'clean' || kind === 'kill') {
      steps.push({ kind: 'restart', how: kind });
    } else {
      steps.push({ kind });
    }
  }
  // Every round ends with a restart, so that what its last steps wrote is read back from disk.
  steps.push({ kind: 'restart', how: rng.int(2) === 0 ? 'clean' : 'kill' });
  return Object.freeze({ round, collection: `elanus_verify_lifecycle_${round}`, shape, rows, index: indexSpec(rng, shape, 0), steps: Object.freeze(steps) });
}

/** The shape of round r: a seeded order of the shapes, every one once per pass. */
function shapeOf(o: PlanOptions, round: number): VectorShape {
  const n = o.shapes.length;
  const pass = Math.floor(round / n);
  const rng = new Random((o.seed ^ Math.imul(pass + 1, 0x9e3779b1) ^ 0x73686170) >>> 0);
  const order = o.shapes.map((_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return o.shapes[order[round % n]!]!;
}

function pickWeighted(rng: Random): (typeof weights)[number][0] {
  const total = weights.reduce((s, [, w]) => s + w, 0);
  let x = rng.int(total);
  for (const [kind, w] of weights) if ((x -= w) < 0) return kind;
  return weights[0]![0];
}

function withKill<S extends Step>(rng: Random, step: S): S {
  return rng.next() < killDuringShare ? { ...step, kill: rng.next() } : step;
}

/**
 * Rows inserted in batches, flushed after every `flushEvery` rows and at the end (0:
 * never; then only the growing segment's own limits seal it): ten flushed segments, or
 * one every few thousand rows, make the small segments compaction merges.
 */
function insertStep(rng: Random, rows: number): Step {
  const flushEvery = rng.pick([0, Math.ceil(rows / 10), 1_000 + rng.int(50_000)]);
  return withKill(rng, { kind: 'insert', rows, flushEvery: flushEvery >= rows ? 0 : flushEvery });
}

function deleteStep(rng: Random, rows: number): Step {
  const how = rng.pick<DeleteHow>(['all', 'half-range', 'half-mod', 'filter', 'filter', 'keys', 'keys']);
  const half = Math.floor(rows / 2);
  const filter: Filter | undefined =
    how === 'all' ? { name: 'all-keys', expr: 'id >= 0', matches: () => true }
      : how === 'half-range' ? { name: `below-${half}`, expr: `id < ${half}`, matches: (k) => k < half }
        : how === 'half-mod' ? { name: 'even', expr: 'id % 2 == 0', matches: (k) => k % 2 === 0 }
          : how === 'filter' ? filters[1 + rng.int(filters.length - 1)]
            : undefined;
  return withKill(rng, { kind: 'delete', how, ...(filter ? { filter } : {}), ...(how === 'keys' ? { share: rng.pick([1, 0.5, 0.5, 0.01]) } : {}) });
}

/** An index for the shape: an exact one (FLAT, BIN_FLAT) or an approximate one; `n` makes its name new. */
export function indexSpec(rng: Random, shape: VectorShape, n: number): IndexSpec {
  const base = { field: 'vec', metric: shape.binary ? 'HAMMING' : 'L2' };
  const type = shape.binary ? rng.pick(['BIN_FLAT', 'BIN_IVF_FLAT']) : rng.pick(['FLAT', 'HNSW', 'IVF_FLAT']);
  const params = type === 'HNSW' ? { M: rng.pick([8, 16]), efConstruction: rng.pick([32, 64]) }
    : type.endsWith('IVF_FLAT') ? { nlist: rng.pick([8, 64, 128, 1024]) }
      : undefined;
  return Object.freeze({ ...base, indexName: `vec_${type.toLowerCase()}_${n}`, indexType: type, ...(params ? { params: Object.freeze(params) } : {}) });
}

/** Whether searches under this index are exact (brute force), so their answers can be compared with the model's. */
export function isExact(index: IndexSpec): boolean {
  return index.indexType === 'FLAT' || index.indexType === 'BIN_FLAT';
}

/** A step in a few words, for the history and the progress. */
export function describeStep(s: Step): string {
  const kill = 'kill' in s && s.kill !== undefined ? `, kill -9 at ${Math.round(s.kill * 100)}%` : '';
  switch (s.kind) {
    case 'insert': return `insert ${s.rows} rows${s.flushEvery ? `, flush every ${s.flushEvery}` : ''}${kill}`;
    case 'delete': return `delete ${s.how}${s.filter ? ` (${s.filter.expr})` : ''}${s.share !== undefined ? ` ${s.share * 100}% of live keys` : ''}${kill}`;
    case 'upsert': return `upsert ${s.deletedShare * 100}% of deleted keys, ${s.liveShare * 100}% of live ones${kill}`;
    case 'index': return `index ${s.index.indexType} ${JSON.stringify(s.index.params ?? {})}`;
    case 'restart': return s.how === 'clean' ? 'restart (SIGTERM)' : 'restart (kill -9)';
    default: return s.kind;
  }
}
