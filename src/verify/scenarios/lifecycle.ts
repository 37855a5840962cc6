// Issue 12, "exact at every size and through every fault": rounds of one collection
// each, swept over vector shapes (float dimensions 2 to 4,096, binary 8 to 4,096 bits)
// and sizes up to --rows (1,000,000 by default; fewer as dimensions grow, see
// lifecycle-plan.ts). A round inserts its rows in batches, then runs a seeded sequence
// of steps — flushes, mass deletes (every key, half of them by a range or by parity,
// by a filter, by primary keys), upserts over deleted keys, compactions, index rebuilds,
// release and load, restarts with SIGTERM and with SIGKILL, and SIGKILLs in the middle
// of a write — and after every step checks count(*), get(), a filtered query and
// searches against the model; after every restart, every key. A round ends with a
// restart and its collection is dropped; the last one gets the final checks (a clean
// restart, every key again, the data folder's files).
//
// The plan depends only on the seed (and --rows, --dims), so --seed replays the same
// rounds and steps; only the moment of a kill within a write varies, and with it which
// of the batches in flight the server had applied.
import { shapeName } from '../context.js';
import { finalChecks } from './audit.js';
import { Round } from './lifecycle-round.js';
import { planRound, sweep } from './lifecycle-plan.js';
import type { Scenario } from './scenario.js';

export const lifecycle: Scenario = {
  name: 'lifecycle',
  summary: 'issue 12: vector dims 2 to 4,096 (float and binary), rows up to 1M, mass deletes, upserts over deleted keys, flush, compaction, index builds, release/load, clean and kill -9 restarts; exact after every step',
  needs: 'spawn',
  defaultRows: 1_000_000,
  async run(ctx) {
    const o = ctx.options;
    const shapes = o.shapes ?? sweep;
    const seen = new Set<string>();
    let round: Round | undefined;
    for (let r = 0; ctx.running(); r++) {
      if (round) await round.drop();
      const plan = planRound({ seed: o.seed, rowsMax: o.rows, shapes }, r);
      round = new Round(ctx, plan);
      seen.add(shapeName(plan.shape));
      ctx.figures.rounds = r + 1;
      ctx.figures.shapes = [...seen].join(' ');
      await round.run();
      // Keys inserted, not the plan's size: a round's later inserts may not use all of it.
      ctx.figures.keysMostInARound = Math.max(Number(ctx.figures.keysMostInARound ?? 0), round.keysWritten);
      if (o.rounds !== undefined && r + 1 >= o.rounds) ctx.stop(`${o.rounds} rounds done`);
    }
    if (round) await finalChecks(ctx, { datasets: [round.ds] });
  },
};
