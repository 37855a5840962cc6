// Handshake, health and metrics: what the SDK calls before anything else.
import { randomInt } from 'node:crypto';
import { okStatus } from '../../status.js';
import type { Handler } from '../context.js';
import { systemTopology, localNode } from './topology.js';

/** The Milvus version this server speaks (the SDK picks features by it). */
export const milvusVersion = 'v2.6.0';
export const elanusVersion = '0.1.0';

export const systemHandlers: Record<string, Handler> = {
  async Connect() {
    return {
      status: okStatus,
      server_info: { build_tags: `elanus-${elanusVersion}`, build_time: '', git_commit: '', go_version: `node ${process.version}`, deploy_mode: 'STANDALONE', reserved: {} },
      // A non-zero identifier: the SDK treats 0 as "not connected".
      identifier: String(randomInt(1, 2 ** 47)),
    };
  },
  // Older SDKs' handshake: Milvus answers success with its deploy mode as the reason.
  async RegisterLink() {
    return { status: { ...okStatus, reason: 'STANDALONE' }, address: null };
  },
  async GetVersion() {
    return { status: okStatus, version: milvusVersion };
  },
  async CheckHealth(_r, ctx) {
    // As Milvus reports a write quota: the server is up and serves reads (isHealthy), and
    // says through its quota states that writes are refused, and why.
    const h = ctx.engine.health();
    const denyToWrite = 5;
    return {
      status: okStatus,
      isHealthy: true,
      reasons: h.reasons.map((r) => `${r.component} (${r.subject}): ${r.message}`),
      quota_states: h.status === 'ok' ? [] : [denyToWrite],
    };
  },
  async GetComponentStates() {
    const info = { nodeID: '1', role: 'standalone', state_code: 1, extra_info: [] };
    return { state: info, subcomponent_states: [info], status: okStatus };
  },
  async AllocTimestamp(_r, ctx) {
    return { status: okStatus, timestamp: ctx.engine.allocTimestamp().toString() };
  },
  async GetMetrics(r, ctx) {
    let kind = '';
    try {
      kind = String((JSON.parse(r.request || '{}') as { metric_type?: string }).metric_type ?? '');
    } catch {
      kind = '';
    }
    const dbs = (await ctx.engine.listDatabases()).db_names;
    const collections = [];
    for (const db of dbs) {
      for (const c of (await ctx.engine.showCollections({ db_name: db })).data) {
        const segs = ctx.engine.segmentInfo({ db_name: db, collection_name: c.name });
        collections.push({ db, name: c.name, id: c.id, loaded: c.loadedPercentage === 100, segments: segs.length, rows_stored: segs.reduce((n, s) => n + s.rows, 0) });
      }
    }
    const response = {
      metric_type: kind || 'system_info',
      component: 'standalone',
      version: milvusVersion,
      elanus_version: elanusVersion,
      uptime_s: Math.round(process.uptime()),
      memory: process.memoryUsage(),
      collections,
      // Milvus's system topology: this process plays every role, as a standalone Milvus does.
      ...(kind === 'system_info' || kind === '' ? { nodes_info: systemTopology(collections.filter((c) => c.loaded)) } : {}),
    };
    return { status: okStatus, response: JSON.stringify(response), component_name: `proxy${localNode}` };
  },
};
