// The checks at the end of a data scenario: with nothing in flight, the full check of
// every data set and the catalog; then, with --spawn, a clean restart (background work
// off, so the folder stays still), the same checks again, and the data folder's files
// against the segments the catalog names.
import { orphans } from '../checker.js';
import type { ScenarioContext } from '../context.js';
import { segmentFiles } from '../spawn.js';
import type { SegmentsInfo } from '../target.js';
import type { DataSet } from './dataset.js';
import type { Lifecycles } from './lifecycles.js';

export interface AuditParts {
  readonly datasets: readonly DataSet[];
  readonly lifecycles?: Lifecycles;
}

export async function finalChecks(ctx: ScenarioContext, parts: AuditParts): Promise<void> {
  // --cluster: a kill still in progress ends first (its failures are explained until then).
  await ctx.server?.settled?.();
  if (!ctx.aborted) {
    await ctx.quiesce(async () => {
      for (const ds of parts.datasets) {
        await ds.fullCheck(0, ds.model.openWrites() === 0, 'end');
        await ds.checkCatalog(0, 'end');
        // --cluster: every gateway counts the same (worker g talks to gateway g mod N).
        for (let g = 1; g < ctx.gateways.length; g++) for (let f = 0; f < 2; f++) await ds.count(g, f, true);
      }
      await parts.lifecycles?.checkCatalog(0, 'end');
    });
  }
  if (ctx.server && !ctx.aborted) {
    await ctx.server.restart(['--background-interval-ms', '0']);
    if (!ctx.aborted) {
      for (const ds of parts.datasets) {
        await ds.fullCheck(0, true, 'after a clean restart');
        await ds.checkCatalog(0, 'after a clean restart');
      }
      await parts.lifecycles?.checkCatalog(0, 'after a clean restart');
      if (ctx.server.dataDir !== undefined) await checkFiles(ctx, ctx.server.dataDir);
    }
  }
  ctx.settleCounts();
}

/** How long the file check waits for index builds to finish (they write files). */
const indexBuildWaitMs = 60_000;

/**
 * Files (objects of the engine's ObjectStore, by key) that the catalog does not name,
 * after drops and the garbage collection that runs at open. A flushed segment is
 * `segments/<collection id>/<segment id>.seg` and its vector index
 * `segments/<collection id>/<segment id>.<index id>.vidx`; GetPersistentSegmentInfo
 * names every flushed segment and DescribeIndex every index. The client has no call
 * that names L0 delete files, so those are checked only to belong to a live collection.
 */
export async function checkFiles(ctx: ScenarioContext, dataDir: string): Promise<void> {
  const listed = await ctx.call(0, 'check-files', (t) => t.listCollections(), { bypassGate: true });
  if (listed.r.outcome !== 'ok') return;
  const named = new Set<string>();
  const liveDirs = new Set<string>();
  for (const name of listed.r.value) {
    let info: SegmentsInfo | undefined;
    // Index builds run after a restart too; their files are named only once finished.
    for (const until = ctx.clock.now() + indexBuildWaitMs; ;) {
      const { r } = await ctx.call(0, 'check-files', (t) => t.segments(name), { collection: name, bypassGate: true });
      if (r.outcome !== 'ok') return;
      info = r.value;
      if (info.indexPendingRows === 0 || ctx.clock.now() > until) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    liveDirs.add(`segments/${info.collectionId}/`);
    for (const s of info.segmentIds) {
      named.add(`segments/${info.collectionId}/${s}.seg`);
      for (const ix of info.indexIds) named.add(`segments/${info.collectionId}/${s}.${ix}.vidx`);
    }
  }
  const files = await segmentFiles(dataDir);
  const l0 = /^segments\/\d+\/L0-\d+-\d+\.del$/;
  const inLiveDir = (f: string) => [...liveDirs].some((d) => f.startsWith(d));
  for (const f of files) if (inLiveDir(f) && l0.test(f)) named.add(f);
  for (const d of liveDirs) named.add(d);
  const found = orphans(files, named);
  ctx.checked('orphan-files', files.length);
  ctx.figures.segmentFiles = files.length;
  if (found.length > 0) {
    ctx.violations.add({ kind: 'orphan-files', message: `${found.length} file(s) in the data folder that no collection's segments name: ${found.slice(0, 10).join(', ')}`, evidence: { orphans: found, named: [...named].sort() } });
  }
}
