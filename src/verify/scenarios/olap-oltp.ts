// Story 5: the streaming path (query iterators, large range queries) and the
// request/response path (point queries, searches, counts, writes) on one collection at
// once. An iterator must return keys in order, each once, and skip no key that was
// live throughout; every value it returns must be legal at some moment of its run.
import { filters } from '../values.js';
import { DataSet, queryLimitMax } from './dataset.js';
import { finalChecks } from './audit.js';
import type { Scenario } from './scenario.js';
import { dataOp, oltpMix, pruner, repeat } from './workload.js';

export const olapOltp: Scenario = {
  name: 'olap-oltp',
  summary: 'story 5: query iterators and large streaming queries beside point queries, searches and writes on one collection',
  needs: 'any',
  async run(ctx) {
    const o = ctx.options;
    const ds = new DataSet(ctx, 'elanus_verify_olap', { dim: o.dim, hybrid: false });
    await ds.create();
    await ds.preload(o.rows);
    const iterators = Math.max(1, Math.floor(o.concurrency / 4));
    const streams = Math.max(1, Math.floor(o.concurrency / 8));
    const workers: Array<Promise<void>> = [pruner(ctx)];
    for (let c = 1; c <= o.concurrency; c++) {
      const rng = ctx.rng(c);
      if (c <= iterators) {
        workers.push(repeat(ctx, () => ds.iterate(c, rng.int(3) === 0 ? rng.int(filters.length) : 0, 100 + rng.int(900))));
      } else if (c <= iterators + streams) {
        // A large query: as many rows as one query may return, over a random window.
        workers.push(repeat(ctx, () => {
          const from = rng.int(Math.max(1, o.rows));
          return ds.range(c, from, from + Math.min(queryLimitMax, 2_000 + rng.int(14_000)), rng.int(2) === 0 ? 0 : rng.int(filters.length));
        }));
      } else {
        workers.push(repeat(ctx, () => dataOp(ds, c, rng, o.rows, oltpMix)));
      }
    }
    await Promise.all(workers);
    ctx.figures.keys = ds.keys.size;
    await finalChecks(ctx, { datasets: [ds] });
  },
};
