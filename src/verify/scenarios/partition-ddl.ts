// Story 2: many partition lifecycles at once on a collection with BITMAP-indexed scalar
// fields — create → insert → flush → release → drop; create → insert → flush → rebuild
// index → load → search → release → search again (a clean error) → drop; the same with
// hybrid search — while a dropper releases and drops partitions under them and a client
// keeps writing and counting in `_default`.
import { DataSet } from './dataset.js';
import { finalChecks } from './audit.js';
import { bitmapIndexes, Lifecycles, type Variant } from './lifecycles.js';
import type { Scenario } from './scenario.js';
import { dataOp, oltpMix, pruner, repeat } from './workload.js';

const variants: readonly Variant[] = ['release-drop', 'search', 'hybrid'];

export const partitionDdl: Scenario = {
  name: 'partition-ddl',
  summary: 'story 2: concurrent partition lifecycles with BITMAP indexes, index rebuilds, (hybrid) search, release and drop, racing a dropper',
  needs: 'any',
  async run(ctx) {
    const o = ctx.options;
    const ds = new DataSet(ctx, 'elanus_verify_ddl', { dim: o.dim, hybrid: true });
    await ds.create([...bitmapIndexes, { field: 'vec2', indexName: 'vec2_flat', indexType: 'FLAT', metric: 'L2' }]);
    const rows = Math.min(o.rows, 5_000);
    await ds.preload(rows);
    const lc = new Lifecycles(ctx, ds.collection, ds.schema, 100);
    const workers: Array<Promise<void>> = [pruner(ctx)];
    const lifecycleClients = Math.max(2, o.concurrency - 2);
    for (let c = 1; c <= lifecycleClients; c++) {
      const rng = ctx.rng(c);
      let i = c;
      workers.push(repeat(ctx, () => lc.run(c, rng, variants[i++ % variants.length]!)));
    }
    workers.push(lc.dropper(lifecycleClients + 1, ctx.rng(lifecycleClients + 1)));
    const dataClient = lifecycleClients + 2;
    const dataRng = ctx.rng(dataClient);
    workers.push(repeat(ctx, () => dataOp(ds, dataClient, dataRng, rows, oltpMix)));
    await Promise.all(workers);
    ctx.figures.partitionLifecycles = lc.completed;
    ctx.figures.partitionsCreated = lc.catalog.size;
    await finalChecks(ctx, { datasets: [ds], lifecycles: lc });
  },
};
