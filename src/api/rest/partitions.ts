// /v2/vectordb/partitions/*: create, drop, has, list, load, release, get_stats.
import { requireString, requireStringList } from './body.js';
import type { RestCall, RestHandler } from './envelope.js';

function partitionReq({ body, db }: RestCall) {
  return { db_name: db, collection_name: requireString(body, 'collectionName'), partition_name: requireString(body, 'partitionName') };
}

function partitionsReq({ body, db }: RestCall) {
  return { db_name: db, collection_name: requireString(body, 'collectionName'), partition_names: requireStringList(body, 'partitionNames') };
}

export const partitionRoutes: Readonly<Record<string, RestHandler>> = {
  'partitions/create': async (c) => {
    await c.engine.createPartition(partitionReq(c));
    return {};
  },

  'partitions/drop': async (c) => {
    await c.engine.dropPartition(partitionReq(c));
    return {};
  },

  'partitions/has': async (c) => ({ has: (await c.engine.hasPartition(partitionReq(c))).value }),

  'partitions/list': async ({ engine, body, db }) => (await engine.showPartitions({ db_name: db, collection_name: requireString(body, 'collectionName') })).partition_names,

  'partitions/load': async (c) => {
    await c.engine.loadPartitions(partitionsReq(c));
    return {};
  },

  'partitions/release': async (c) => {
    await c.engine.releasePartitions(partitionsReq(c));
    return {};
  },

  'partitions/get_stats': async (c) => ({ rowCount: (await c.engine.getPartitionStatistics(partitionReq(c))).data.row_count }),
};
