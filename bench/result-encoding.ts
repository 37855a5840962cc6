// Result encoding on the server: a query of --rows rows with a --dim-d float vector and a
// string, read from the engine and turned into the gRPC reply's FieldData, then encoded
// by protobuf as the server sends it. Two paths side by side in one process:
//   rows:    the engine's rows (one object per row, each vector an array of numbers),
//            encoded column by column from those objects (what hybrid search and REST
//            still do);
//   columns: the engine's columns (vectors stay one flat Float32Array from the segments),
//            encoded from them (what Query and Search do).
// Memory: the bytes the JS heap and array buffers grow by while one result is held.
//   node --expose-gc dist/bench/result-encoding.js [--rows 2000] [--dim 128] [--reps 40]
import { DataType } from '../src/catalog/index.js';
import { Elanus } from '../src/engine/index.js';
import { fieldsDataFromColumns, fieldsDataFromRows, outputNamesOfColumns } from '../src/api/grpc/convert.js';
import { root } from '../src/api/proto.js';
import { fmt, gc, hasGc, machine, memNow, now, parseArgs, printTable, removeDir, rng, scratchDir, writeResult } from './lib.js';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const rows = Number(args.rows ?? 2000);
  const dim = Number(args.dim ?? 128);
  const reps = Number(args.reps ?? 40);
  const dir = scratchDir('elanus-bench-encoding-');
  const db = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
  try {
    await db.createCollection({ collection_name: 'c', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim },
      { name: 's', data_type: DataType.VarChar, max_length: 32 },
    ] });
    await db.loadCollection({ collection_name: 'c' });
    const r = rng(7);
    for (let from = 0; from < rows; from += 1000) {
      const n = Math.min(1000, rows - from);
      await db.insert({ collection_name: 'c', data: Array.from({ length: n }, (_, i) => ({ id: from + i, v: Array.from({ length: dim }, () => r()), s: `row ${from + i}` })) });
    }
    const coll = db.collectionMeta({ collection_name: 'c' });
    const reply = root.lookupType('milvus.proto.milvus.QueryResults');
    const req = { collection_name: 'c', filter: 'id >= 0', output_fields: ['v', 's'], limit: rows, consistency_level: 'Strong' as const };
    const names = ['id', 'v', 's'];
    const paths: Record<string, () => Promise<unknown>> = {
      rows: async () => fieldsDataFromRows(coll, (await db.query(req)).data, names),
      columns: async () => {
        const q = await db.queryColumns(req);
        return fieldsDataFromColumns(coll, q.columns!, outputNamesOfColumns(coll, q.columns!));
      },
    };
    const out: Record<string, { engineMs: number; encodeMs: number; heldBytes: number; replyBytes: number }> = {};
    for (const round of [1, 2]) {
      for (const [name, run] of Object.entries(paths)) {
        for (let i = 0; i < 5; i++) await run();
        let engineMs = 0;
        let encodeMs = 0;
        let replyBytes = 0;
        for (let i = 0; i < reps; i++) {
          const t0 = now();
          const fields = await run();
          const t1 = now();
          const bytes = reply.encode(reply.fromObject({ fields_data: fields, collection_name: 'c', output_fields: names })).finish();
          encodeMs += now() - t1;
          engineMs += t1 - t0;
          replyBytes = bytes.length;
        }
        gc();
        const before = memNow();
        const held = await run();
        const after = memNow();
        if (!held) throw new Error('no result');
        const heldBytes = after.js - before.js;
        if (round === 2) out[name] = { engineMs: engineMs / reps, encodeMs: encodeMs / reps, heldBytes, replyBytes };
      }
    }
    const ratio = (k: 'engineMs' | 'encodeMs') => fmt(out.rows![k] / out.columns![k], 2);
    printTable(`result encoding: query of ${rows} rows x ${dim}-d vector + string (ms per query, round 2 of 2)`, ['', 'rows', 'columns', 'rows / columns'], [
      ['engine read + FieldData', fmt(out.rows!.engineMs, 2), fmt(out.columns!.engineMs, 2), ratio('engineMs')],
      ['protobuf encode', fmt(out.rows!.encodeMs, 2), fmt(out.columns!.encodeMs, 2), ratio('encodeMs')],
      [`heap + buffers held by one result${hasGc() ? '' : ' (run with --expose-gc)'}, MB`, fmt(out.rows!.heldBytes / 1e6, 2), fmt(out.columns!.heldBytes / 1e6, 2), ''],
      ['reply bytes', String(out.rows!.replyBytes), String(out.columns!.replyBytes), ''],
    ]);
    writeResult('result-encoding', { machine: machine(), rows, dim, reps, results: out });
  } finally {
    await db.close();
    removeDir(dir);
  }
}

await main();
