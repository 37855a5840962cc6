// A Gateway whose calls go to whatever engine this node runs now (cluster mode: a
// standby node serves nothing itself until it wins the coordinator election, then
// starts an engine). The protocol layers are handed this one object when the server
// starts; each call looks up the current engine when it is made, so no call is ever
// held against an engine that was replaced.
import { ElanusError } from '../errors/index.js';
import type { Gateway } from './api.js';

/** What a node without an engine says about itself. */
const standby = Object.freeze({
  backgroundErrors: Object.freeze([]) as readonly unknown[],
  health: () => ({ status: 'ok' as const, reasons: [] }),
  repairCounts: () => new Map(),
  searchCounters: () => ({}),
  // No engine, so no index: /metrics on a standby (which describes the node) reads zeros.
  vectorIndexStats: () => ({ built: 0, loaded: 0, failed: 0, discarded: 0, memoryBytes: 0, interim: { chunks: 0, built: 0, failed: 0, dropped: 0, memoryBytes: 0 } }),
});

/**
 * A Gateway that calls `current()`'s engine; while there is none, state calls answer as
 * an idle node does and every other call fails with NOT_COORDINATOR (`why` says why).
 */
export function switchableGateway(current: () => Gateway | undefined, why: () => string): Gateway {
  return new Proxy({} as Gateway, {
    get(_target, name) {
      const engine = current();
      if (engine) {
        const value = (engine as unknown as Record<string | symbol, unknown>)[name];
        return typeof value === 'function' ? value.bind(engine) : value;
      }
      if (typeof name === 'string' && name in standby) return standby[name as keyof typeof standby];
      // A thenable check (await on the gateway) must not look like a call.
      if (name === 'then') return undefined;
      return () => {
        throw new ElanusError('NOT_COORDINATOR', { detail: why() });
      };
    },
  });
}
