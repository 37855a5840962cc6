// `elanus inspect DIR [--json]`: runs inspect.ts and prints its report, as text for a
// person or as one JSON document for a program. Exit codes: 0 nothing damaged, 1 damage
// found (listed in the report), 2 DIR is not an Elanus data folder (NOT_A_DATA_DIR),
// 3 the folder could not be read (permissions, an I/O error).
import { isElanusError } from '../errors/index.js';
import { inspectFolder, type CollectionReport, type InspectReport } from './inspect.js';

export async function runInspect(dir: string, opts: { readonly json?: boolean }): Promise<number> {
  let report: InspectReport;
  try {
    report = await inspectFolder(dir);
  } catch (e) {
    if (!isElanusError(e)) throw e;
    console.error(`elanus: ${e.code}: ${e.message}`);
    return e.code === 'NOT_A_DATA_DIR' ? 2 : 3;
  }
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.damage.length > 0 ? 1 : 0;
}

export function formatReport(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`data folder ${r.path}${r.inUseBy === null ? '' : ` (in use by process ${r.inUseBy}; read beside it, nothing changed)`}`);
  lines.push(`  meta/ ${bytes(r.bytes.meta)}, wal/ ${bytes(r.bytes.wal)}, objects/ ${bytes(r.bytes.objects)}`);
  lines.push(`  metadata revision ${r.metadata.revision}, ${r.metadata.keys} keys; databases: ${r.databases.join(', ') || '(none)'}`);
  lines.push(`  ${r.collections.length} collection${r.collections.length === 1 ? '' : 's'}`);
  for (const c of r.collections) for (const l of collectionLines(c)) lines.push(l);
  if (r.notes.length > 0) {
    lines.push('notes (tidied up by the next open):');
    for (const n of r.notes) lines.push(`  ${n}`);
  }
  if (r.damage.length === 0) {
    lines.push('damage: none');
  } else {
    lines.push(`damage: ${r.damage.length}`);
    for (const d of r.damage) lines.push(`  ${d.kind}: ${d.path}: ${d.detail}`);
  }
  return `${lines.join('\n')}\n`;
}

function collectionLines(c: CollectionReport): string[] {
  const out = [
    `  ${c.database}.${c.name} (id ${c.id}): ${c.fields} fields, ${c.shards} shard${c.shards === 1 ? '' : 's'}, ${c.loaded ? 'loaded' : 'not loaded'}`,
    `    partitions: ${c.partitions.join(', ')}`,
    `    indexes: ${c.indexes.length === 0 ? '(none)' : c.indexes.map((i) => `${i.name} on ${i.field} (${i.type})`).join(', ')}`,
    `    flushed segments: ${c.segments.count}, ${c.segments.rows} rows, ${bytes(c.segments.bytes)}; L0 delete files: ${c.l0.count}, ${c.l0.deletes} deletes, ${bytes(c.l0.bytes)}; index files: ${c.indexFiles.count}, ${bytes(c.indexFiles.bytes)}`,
  ];
  for (const s of c.log) {
    const torn = s.tornTailBytes > 0 ? `, torn tail ${s.tornTailBytes} bytes` : '';
    out.push(`    shard ${s.shard} log ${s.topic}: checkpoint ${s.checkpoint}, offsets ${s.first}..${s.end} (end exclusive), ${s.pastCheckpoint} records past the checkpoint, ${bytes(s.logBytes)}${torn}`);
  }
  return out;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]} (${n} B)`;
}
