// The process the index-build kill test kills: opens the folder, makes sure the
// collection has its rows flushed (first run), creates the HNSW index if it has none,
// prints "BUILDING", and waits for the background builds; prints "BUILT" when done.
//   node index-child.js <path>
import { DataType, Elanus } from '../../src/index.js';
import { indexRows, indexCollection, indexDim, vectorOf } from './index-data.js';

const db = await Elanus.open({ path: process.argv[2]!, limits: { backgroundIntervalMs: 0, segmentRowsMax: 4000 } });
if (!(await db.hasCollection({ collection_name: indexCollection })).value) {
  await db.createCollection({
    collection_name: indexCollection,
    fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'vector', data_type: DataType.FloatVector, dim: indexDim }],
  });
  for (let f = 0; f < indexRows; f += 2000) {
    await db.insert({ collection_name: indexCollection, data: Array.from({ length: 2000 }, (_, k) => ({ id: f + k, vector: vectorOf(f + k) })) });
  }
  await db.flush({ collection_names: [indexCollection] });
}
const has = (await db.describeIndex({ collection_name: indexCollection }).catch(() => undefined)) !== undefined;
if (!has) await db.createIndex({ collection_name: indexCollection, field_name: 'vector', index_type: 'HNSW', metric_type: 'L2', params: { M: 16, efConstruction: 200 } });
process.stdout.write('BUILDING\n');
await db.waitForIndexes();
process.stdout.write('BUILT\n');
// Stay up until killed.
setInterval(() => {}, 1000);

