// Filtered scans on 1,000,000 rows: count(*) with each of the filters, through
// the engine, beside a plain loop over the same values in typed arrays / JS arrays (the
// floor any scan has to pay). Scalar indexes come later; this measures the scan path.
//
//   node dist/bench/filter.js [--rows 1000000] [--reps 3]
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Elanus, DataType } from '../src/index.js';
import { FaultFileSystem } from '../src/testing/index.js';
import { fmt, fmtInt, median, now, parseArgs, resultsDir, rng } from './lib.js';

const args = parseArgs(process.argv.slice(2));
const rows = Number(args.rows ?? 1_000_000);
const reps = Number(args.reps ?? 3);
const rand = rng(7);
const cat = new Int32Array(rows);
const price = new Float64Array(rows);
const name: string[] = new Array(rows);
const info: Array<{ a: number }> = new Array(rows);
const arr: number[][] = new Array(rows);
for (let i = 0; i < rows; i++) {
  cat[i] = Math.floor(rand() * 10);
  price[i] = rand() * 1000;
  name[i] = `${['abc', 'abd', 'xyz', 'qrs'][i % 4]}-${i}`;
  info[i] = { a: Math.floor(rand() * 100) };
  arr[i] = Array.from({ length: 1 + (i % 4) }, () => Math.floor(rand() * 50));
}
const inList = Array.from({ length: 100 }, (_, k) => k * 7);

// The memory file system: what is measured is the scan, not the disk.
const db = await Elanus.open({ path: '/bench', fs: new FaultFileSystem(), limits: { backgroundIntervalMs: 0, segmentRowsMax: 200_000 } });
await db.createCollection({ collection_name: 'f', fields: [
  { name: 'id', data_type: DataType.Int64, is_primary_key: true },
  { name: 'cat', data_type: DataType.Int32 },
  { name: 'price', data_type: DataType.Double },
  { name: 'name', data_type: DataType.VarChar, max_length: 32 },
  { name: 'info', data_type: DataType.JSON },
  { name: 'arr', data_type: DataType.Array, element_type: DataType.Int32, max_capacity: 8 },
  { name: 'v', data_type: DataType.FloatVector, dim: 2 },
] });
const t0 = now();
for (let b = 0; b < rows; b += 10_000) {
  const data = Array.from({ length: Math.min(10_000, rows - b) }, (_, k) => {
    const i = b + k;
    return { id: i, cat: cat[i], price: price[i], name: name[i], info: info[i], arr: arr[i], v: [0, 0] };
  });
  await db.insert({ collection_name: 'f', data });
}
await db.flush({ collection_names: ['f'] });
await db.loadCollection({ collection_name: 'f' });
console.log(`loaded ${fmtInt(rows)} rows in ${fmt((now() - t0) / 1000, 1)} s`);

const cases: Array<{ name: string; filter: string; floor: () => number }> = [
  { name: 'equality, low cardinality', filter: 'cat == 3', floor: () => { let n = 0; for (let i = 0; i < rows; i++) if (cat[i] === 3) n++; return n; } },
  { name: 'numeric range', filter: '100 <= price < 200', floor: () => { let n = 0; for (let i = 0; i < rows; i++) if (price[i]! >= 100 && price[i]! < 200) n++; return n; } },
  { name: 'in with 100 values', filter: `cat in [${inList.join(', ')}]`, floor: () => { const s = new Set(inList); let n = 0; for (let i = 0; i < rows; i++) if (s.has(cat[i]!)) n++; return n; } },
  { name: 'JSON path comparison', filter: 'info["a"] > 90', floor: () => { let n = 0; for (let i = 0; i < rows; i++) if (info[i]!.a > 90) n++; return n; } },
  { name: 'array_contains', filter: 'array_contains(arr, 7)', floor: () => { let n = 0; for (let i = 0; i < rows; i++) if (arr[i]!.includes(7)) n++; return n; } },
  { name: "like 'abc%'", filter: 'name like "abc%"', floor: () => { let n = 0; for (let i = 0; i < rows; i++) if (name[i]!.startsWith('abc')) n++; return n; } },
];

// One untimed pass of everything first, so no case pays for the JIT's warm-up.
for (const c of cases) {
  await db.count({ collection_name: 'f', filter: c.filter, consistency_level: 'Eventually' });
  c.floor();
}
const out: Array<Record<string, unknown>> = [];
const measure = async (filter: string): Promise<{ rowsPerSecond: number[]; matches: number }> => {
  const r: number[] = [];
  let matches = 0;
  for (let k = 0; k < reps; k++) {
    const t = now();
    matches = (await db.count({ collection_name: 'f', filter, consistency_level: 'Eventually' })).data;
    r.push(rows / ((now() - t) / 1000));
  }
  return { rowsPerSecond: r, matches };
};
console.log('| filter | expression | matches | Elanus rows/s | plain loop rows/s | Elanus / loop |');
console.log('|---|---|---:|---:|---:|---:|');
for (const c of cases) {
  const mine: number[] = [];
  const floor: number[] = [];
  let matches = 0;
  for (let r = 0; r < reps; r++) {
    let t = now();
    matches = (await db.count({ collection_name: 'f', filter: c.filter, consistency_level: 'Eventually' })).data;
    mine.push(rows / ((now() - t) / 1000));
    t = now();
    const expected = c.floor();
    floor.push(rows / ((now() - t) / 1000));
    if (expected !== matches) throw new Error(`${c.name}: engine counted ${matches}, the loop ${expected}`);
  }
  const m = median(mine);
  const f = median(floor);
  console.log(`| ${c.name} | \`${c.filter.length > 40 ? c.filter.slice(0, 40) + '…' : c.filter}\` | ${fmtInt(matches)} | ${fmtInt(m)} | ${fmtInt(f)} | ${fmt((m / f) * 100, 1)}% |`);
  out.push({ name: c.name, filter: c.filter, matches, rowsPerSecond: mine, floorRowsPerSecond: floor });
}
// The same filters with scalar indexes on the fields that have one in Milvus.
const indexed: Array<{ field: string; type: string; params?: Record<string, string>; cases: string[] }> = [
  { field: 'cat', type: 'BITMAP', cases: ['equality, low cardinality', 'in with 100 values'] },
  { field: 'price', type: 'STL_SORT', cases: ['numeric range'] },
  { field: 'name', type: 'Trie', cases: ["like 'abc%'"] },
  { field: 'arr', type: 'INVERTED', cases: ['array_contains'] },
  { field: 'info', type: 'INVERTED', params: { json_path: 'info["a"]', json_cast_type: 'DOUBLE' }, cases: ['JSON path comparison'] },
];
console.log('\n| filter | index | Elanus rows/s without index | with index | with / without |');
console.log('|---|---|---:|---:|---:|');
for (const ix of indexed) {
  await db.createIndex({ collection_name: 'f', field_name: ix.field, index_type: ix.type, ...(ix.params !== undefined ? { params: ix.params } : {}) });
  for (const name of ix.cases) {
    const c = cases.find((x) => x.name === name)!;
    await measure(c.filter); // builds the index of each segment (lazily, on first use)
    const m = await measure(c.filter);
    const before = median((out.find((o) => o.name === name)!.rowsPerSecond as number[]));
    const after = median(m.rowsPerSecond);
    if (m.matches !== out.find((o) => o.name === name)!.matches) throw new Error(`${name}: ${m.matches} matches with the index`);
    console.log(`| ${name} | ${ix.type} on ${ix.field} | ${fmtInt(before)} | ${fmtInt(after)} | ${fmt(after / before, 2)}x |`);
    out.find((o) => o.name === name)!.indexed = { index: ix.type, rowsPerSecond: m.rowsPerSecond };
  }
}
const mem = process.memoryUsage();
console.log(`memory: heap ${fmt(mem.heapUsed / 1e6, 0)} MB, array buffers ${fmt(mem.arrayBuffers / 1e6, 0)} MB, RSS ${fmt(mem.rss / 1e6, 0)} MB; engine memoryBytes ${fmt(db.memoryBytes({ collection_name: 'f' }) / 1e6, 0)} MB`);
await db.close();
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'filter.json'), JSON.stringify({ rows, reps, cases: out }, null, 2));
