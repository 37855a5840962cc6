// The in-process demo: what a first-time user runs to see the engine keep its data
// across a restart.
import { Elanus } from '../engine/index.js';
import { DataType } from '../catalog/index.js';

export async function runDemo(path: string): Promise<number> {
  const name = 'demo_books';
  let db = await Elanus.open({ path });
  console.log(`opened ${path}`);
  if ((await db.hasCollection({ collection_name: name })).value) await db.dropCollection({ collection_name: name });
  await db.createCollection({
    collection_name: name,
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'title', data_type: DataType.VarChar, max_length: 200 },
      { name: 'year', data_type: DataType.Int32 },
      { name: 'embedding', data_type: DataType.FloatVector, dim: 8 },
    ],
  });
  const rows = Array.from({ length: 1000 }, (_, i) => ({
    id: i,
    title: `book ${i}`,
    year: 1900 + (i % 120),
    embedding: Array.from({ length: 8 }, (_, k) => Math.sin(i * 0.37 + k)),
  }));
  await db.insert({ collection_name: name, data: rows });
  await db.flush({ collection_names: [name] });
  await db.insert({ collection_name: name, data: rows.slice(0, 10).map((r) => ({ ...r, title: `${r.title} (2nd edition)` })) });
  await db.delete({ collection_name: name, ids: [998, 999] });
  console.log('created a collection, inserted 1,000 rows, flushed, upserted 10 and deleted 2 (only in the log)');
  await db.close();

  db = await Elanus.open({ path });
  await db.loadCollection({ collection_name: name });
  const count = await db.count({ collection_name: name, consistency_level: 'Strong' });
  const got = await db.get({ collection_name: name, ids: [3], output_fields: ['title', 'year'] });
  const hits = await db.search({ collection_name: name, data: rows[42]!.embedding, limit: 3, metric_type: 'L2', output_fields: ['title'] });
  console.log(`after a restart: count(*) = ${count.data} (expected 998)`);
  console.log(`row 3: ${JSON.stringify(got.data[0])}`);
  console.log(`nearest to book 42: ${JSON.stringify(hits.results)}`);
  await db.close();
  return count.data === 998 ? 0 : 1;
}
