// Story 1: inserts, deletes, queries, searches and whole partition lifecycles at once,
// on a collection with every scalar type the story names and an indexed 128-dim vector.
import { DataSet } from './dataset.js';
import { finalChecks } from './audit.js';
import { Lifecycles } from './lifecycles.js';
import type { Scenario } from './scenario.js';
import { dataOp, oltpMix, pruner, repeat } from './workload.js';

export const mixed: Scenario = {
  name: 'mixed',
  summary: 'story 1: inserts, deletes, queries, searches and partition lifecycles (create → insert → flush → index → load → search → drop) at once',
  needs: 'any',
  async run(ctx) {
    const o = ctx.options;
    const ds = new DataSet(ctx, 'elanus_verify_mixed', { dim: o.dim, hybrid: false });
    await ds.create();
    await ds.preload(o.rows);
    const lc = new Lifecycles(ctx, ds.collection, ds.schema, 200);
    const lifecycleClients = Math.max(1, Math.floor(o.concurrency / 8));
    const workers: Array<Promise<void>> = [pruner(ctx)];
    for (let c = 1; c <= o.concurrency; c++) {
      const rng = ctx.rng(c);
      workers.push(c <= lifecycleClients
        ? repeat(ctx, () => lc.run(c, rng, 'mixed'))
        : repeat(ctx, () => dataOp(ds, c, rng, o.rows, oltpMix)));
    }
    await Promise.all(workers);
    ctx.figures.partitionLifecycles = lc.completed;
    ctx.figures.keys = ds.keys.size;
    await finalChecks(ctx, { datasets: [ds], lifecycles: lc });
  },
};
