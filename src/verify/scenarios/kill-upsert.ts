// Story 4: keys 0 .. N-1 preloaded; batched upserts of 200 keys walking the key space,
// searches, flushes and queries, while the server is killed with SIGKILL at random
// moments and restarted. Upserts never change the number of keys, so count(*) must be
// exactly N at every moment; after every restart, with nothing in flight, every key is
// read back and must hold its latest acknowledged version (or one whose outcome the
// kill left unknown), and every count with and without a filter must match.
import { filters } from '../values.js';
import { DataSet } from './dataset.js';
import { finalChecks } from './audit.js';
import type { Scenario } from './scenario.js';
import { pause, pruner, repeat } from './workload.js';
import { pickKeys } from './dataset.js';

export const upsertBatch = 200;

export const killUpsert: Scenario = {
  name: 'kill-upsert',
  summary: 'story 4: batched upserts, searches, flushes and queries while the server is killed with SIGKILL and restarted; count(*) exact after every restart',
  needs: 'spawn',
  async run(ctx) {
    const o = ctx.options;
    const server = ctx.server!;
    const ds = new DataSet(ctx, 'elanus_verify_kill', { dim: o.dim, hybrid: false });
    await ds.create();
    await ds.preload(o.rows);
    const n = o.rows;
    const upserters = Math.max(1, Math.floor(o.concurrency / 2));
    const workers: Array<Promise<void>> = [pruner(ctx)];
    for (let c = 1; c <= o.concurrency; c++) {
      const rng = ctx.rng(c);
      if (c <= upserters) {
        // Each upserter walks the key space from its own starting point, 200 keys a batch.
        let at = Math.floor(((c - 1) * n) / upserters);
        workers.push(repeat(ctx, async () => {
          const keys = Array.from({ length: Math.min(upsertBatch, n) }, (_, i) => (at + i) % n);
          at = (at + upsertBatch) % n;
          await ds.upsert(c, keys);
        }));
      } else {
        workers.push(repeat(ctx, async () => {
          const x = rng.int(10);
          if (x < 3) await ds.search(c, rng, rng.int(2) === 0 ? 0 : rng.int(filters.length));
          else if (x < 5) await ds.count(c, rng.int(filters.length));
          else if (x < 7) await ds.point(c, pickKeys(rng, n, 1 + rng.int(20)), rng.int(4) === 0);
          else if (x < 9) {
            const from = rng.int(n);
            await ds.range(c, from, from + 200 + rng.int(800), 0);
          } else {
            await ds.flush(c);
          }
        }));
      }
    }
    const killer = ctx.rng(0x6b696c6c);
    workers.push((async () => {
      while (ctx.running()) {
        // A random moment: the server runs between a tenth of killEveryMs and all of it.
        const every = o.killEveryMs;
        await pause(ctx, every / 10 + killer.int(Math.max(1, Math.round((every * 9) / 10))));
        if (!ctx.running()) break;
        await server.killAndRestart(async () => {
          // Every key, count(*) without a filter and with one filter, in turn.
          await ds.fullCheck(0, true, `after kill ${server.kills}`, [0, 1 + (server.kills % (filters.length - 1))]);
          await ds.checkCatalog(0, `after kill ${server.kills}`);
        });
        if (o.kills !== undefined && server.kills >= o.kills) ctx.stop(`${server.kills} kills done`);
      }
    })());
    await Promise.all(workers);
    ctx.figures.kills = server.kills;
    ctx.figures.keys = ds.keys.size;
    await finalChecks(ctx, { datasets: [ds] });
  },
};
