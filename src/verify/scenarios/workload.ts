// The operations workers draw at random on a data set, by weight; and the small loops
// every scenario uses (repeat while running, prune the model now and then).
import type { ScenarioContext } from '../context.js';
import { filters } from '../values.js';
import type { Random } from '../../testing/random.js';
import { clientStride, pickKeys, type DataSet } from './dataset.js';

export interface Mix {
  readonly insert: number;
  readonly upsert: number;
  readonly delete: number;
  readonly point: number;
  readonly range: number;
  readonly count: number;
  readonly search: number;
  readonly flush: number;
}

export const oltpMix: Mix = Object.freeze({ insert: 14, upsert: 20, delete: 8, point: 16, range: 8, count: 12, search: 16, flush: 1 });

/** Rows per write batch, at most. */
const batchMax = 50;

/** One operation drawn from `mix`, on keys of [0, space) or (one in five) keys this client inserted. */
export async function dataOp(ds: DataSet, client: number, rng: Random, space: number, mix: Mix): Promise<void> {
  const total = mix.insert + mix.upsert + mix.delete + mix.point + mix.range + mix.count + mix.search + mix.flush;
  let x = rng.int(total);
  const keys = (n: number) => {
    if (rng.int(5) > 0) return pickKeys(rng, Math.max(1, space), n);
    const own = new Set<number>();
    for (let i = 0; i < n; i++) {
      const k = ds.ownFreshKey(client, rng);
      if (k !== undefined) own.add(k);
    }
    return own.size > 0 ? [...own] : pickKeys(rng, Math.max(1, space), n);
  };
  if ((x -= mix.insert) < 0) return void (await ds.insertFresh(client, 1 + rng.int(batchMax)));
  if ((x -= mix.upsert) < 0) return void (await ds.upsert(client, keys(1 + rng.int(batchMax))));
  if ((x -= mix.delete) < 0) return void (await ds.delete(client, keys(1 + rng.int(10))));
  if ((x -= mix.point) < 0) return ds.point(client, keys(1 + rng.int(20)), rng.int(5) === 0);
  if ((x -= mix.range) < 0) {
    const f = rng.int(3) === 0 ? rng.int(filters.length) : 0;
    const own = rng.int(4) === 0 ? ds.ownFreshKey(client, rng) : undefined;
    if (own !== undefined) return ds.range(client, own, own + (10 + rng.int(40)) * clientStride, f);
    const from = rng.int(Math.max(1, space));
    return ds.range(client, from, from + 100 + rng.int(400), f);
  }
  if ((x -= mix.count) < 0) return ds.count(client, rng.int(filters.length));
  if ((x -= mix.search) < 0) return ds.search(client, rng, rng.int(2) === 0 ? 0 : rng.int(filters.length));
  return ds.flush(client);
}

/** Runs `step` again and again while the scenario runs. */
export async function repeat(ctx: ScenarioContext, step: () => Promise<void>): Promise<void> {
  while (ctx.running()) await step();
}

/** Sleeps `ms`, waking early when the scenario stops. */
export async function pause(ctx: ScenarioContext, ms: number): Promise<void> {
  const until = ctx.clock.now() + ms;
  while (ctx.running() && ctx.clock.now() < until) await new Promise((r) => setTimeout(r, Math.min(100, until - ctx.clock.now())));
}

/** Lets the model forget superseded writes every few seconds. */
export async function pruner(ctx: ScenarioContext): Promise<void> {
  while (ctx.running()) {
    await pause(ctx, 2_000);
    ctx.prune();
  }
}
