// A key moved to another partition by an upsert hides its old row. Dropping the
// partition that holds the new row removes the key; the old row must not come back
// after a restart, whether each version was flushed or only in the log, and whether
// or not the machine lost power right after the drop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, Elanus } from '../../src/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';

const name = 'moves';
const limits = { backgroundIntervalMs: 0 };

for (const flushOld of [false, true]) {
  for (const flushNew of [false, true]) {
    for (const powerLoss of [false, true]) {
      test(`old row ${flushOld ? 'flushed' : 'in the log'}, new row ${flushNew ? 'flushed' : 'in the log'}${powerLoss ? ', power loss after the drop' : ''}: the key stays gone`, async () => {
        const fs = new FaultFileSystem({ seed: 3 });
        let db = await Elanus.open({ path: '/d', fs, limits });
        await db.createCollection({
          collection_name: name,
          fields: [
            { name: 'id', data_type: DataType.Int64, is_primary_key: true },
            { name: 'v', data_type: DataType.Int32 },
            { name: 'vec', data_type: DataType.FloatVector, dim: 2 },
          ],
        });
        await db.createPartition({ collection_name: name, partition_name: 'b' });
        await db.insert({ collection_name: name, data: [{ id: 1, v: 1, vec: [1, 0] }, { id: 2, v: 1, vec: [0, 1] }] });
        if (flushOld) await db.flush({ collection_names: [name] });
        await db.upsert({ collection_name: name, partition_name: 'b', data: [{ id: 1, v: 2, vec: [1, 1] }] });
        if (flushNew) await db.flush({ collection_names: [name] });
        await db.dropPartition({ collection_name: name, partition_name: 'b' });
        await db.loadCollection({ collection_name: name });
        const live = await db.query({ collection_name: name, limit: 10, output_fields: ['v'], consistency_level: 'Strong' });
        assert.deepEqual(live.data, [{ id: 2, v: 1 }]);
        if (powerLoss) fs.powerLoss();
        else await db.close();
        db = await Elanus.open({ path: '/d', fs, limits });
        const after = await db.query({ collection_name: name, limit: 10, output_fields: ['v'], consistency_level: 'Strong' });
        assert.deepEqual(after.data, [{ id: 2, v: 1 }]);
        assert.equal((await db.count({ collection_name: name, consistency_level: 'Strong' })).data, 1);
        await db.close();
      });
    }
  }
}
