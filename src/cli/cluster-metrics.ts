// A cluster node's own figures beside the server's metrics (api/metrics.ts): its role
// now, its read replica's work, and (on the coordinator) the reads each replica failed
// and the coordinator answered itself. Read when Prometheus scrapes, from the counters the
// replica and the directory keep.
import { Gauge, type Registry } from 'prom-client';
import type { ClusterNode } from './cluster-node.js';

export function registerClusterMetrics(registry: Registry, node: ClusterNode): void {
  new Gauge({
    name: 'elanus_cluster_coordinator',
    help: '1 while this node holds the coordinator lease and runs the engine, else 0',
    registers: [registry],
    collect() {
      this.set(node.isCoordinator() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'elanus_replica_operations',
    help: 'Since this node\'s read replica started (it restarts when the node becomes coordinator): partial reads answered for the coordinator, reads refused (another catalog version, a compaction after the snapshot, a purged log), copies rebuilt and rebuilds that failed, and this node\'s own clients\' reads answered from it (gateway_answered) or sent to the coordinator after all (gateway_forwarded)',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const stats = node.replicaStats();
      if (!stats) return;
      this.set({ kind: 'reads' }, stats.reads);
      this.set({ kind: 'refused' }, stats.behind);
      this.set({ kind: 'rebuilds' }, stats.rebuilds);
      this.set({ kind: 'rebuild_failures' }, stats.rebuildFailures);
      this.set({ kind: 'gateway_answered' }, stats.gatewayAnswered);
      this.set({ kind: 'gateway_forwarded' }, stats.gatewayForwarded);
    },
  });
  new Gauge({
    name: 'elanus_replica_views',
    help: 'Since this node started: views (snapshot and log positions) its replica reads asked the coordinator for (asked), and Bounded or Eventually reads that took a recent one (reused)',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      const stats = node.ticketStats();
      this.set({ kind: 'asked' }, stats.asked);
      this.set({ kind: 'reused' }, stats.reused);
    },
  });
  new Gauge({
    name: 'elanus_replica_fallbacks',
    help: 'On the coordinator: reads a replica failed and the coordinator answered itself, by replica node, since this node became coordinator',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [replica, n] of node.replicas()?.fallbacks ?? []) this.set({ replica }, n);
    },
  });
  new Gauge({
    name: 'elanus_replicas_serving',
    help: 'On the coordinator: read replicas registered and not skipped for a recent failure',
    registers: [registry],
    collect() {
      this.set(node.replicas()?.nodes().length ?? 0);
    },
  });
}
