// What the engine knows about its own health: storage faults it is living with (a full
// volume, an I/O error) and the repairs it made on its own. A fault is noted where it
// happens (the log, the metadata journal, a flush, an index file) and cleared where the
// same kind of write next succeeds, so `report()` says "degraded" exactly while some
// writes are being refused, and why.
//
// Owned by one Elanus; its callers all run on the event loop, and each call is one
// synchronous step, so there is nothing to interleave.

export type HealthComponent = 'log' | 'metadata' | 'segments' | 'indexes';

export interface HealthReason {
  readonly component: HealthComponent;
  /** What is affected: a log topic, a collection's shard, an index file... */
  readonly subject: string;
  /** The error code (STORAGE_FULL, STORAGE_IO, ...). */
  readonly code: string;
  readonly message: string;
  /** Wall-clock ms of the first failure of this run of failures. */
  readonly sinceMs: number;
}

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly reasons: readonly HealthReason[];
}

/** Self-repairs, each logged at warn and counted (issue 12: no silent repair). */
export type RepairKind =
  /** A vector index file was damaged or unreadable; the index was built again from the segment. */
  | 'index-rebuilt'
  /** The log's last file ended in a record cut short (a write that was never acknowledged); it was cut off. */
  | 'log-tail-truncated'
  /** The metadata journal ended in a record cut short; it was cut off. */
  | 'journal-tail-truncated'
  /** Files no metadata names (left by a crash mid-flush, -compaction or -drop) were removed at open. */
  | 'orphan-files-removed';

export const repairKinds: readonly RepairKind[] = ['index-rebuilt', 'log-tail-truncated', 'journal-tail-truncated', 'orphan-files-removed'];

export interface EngineEvents {
  /** A repair the engine made on its own; `detail` names the file and why. */
  repaired?(kind: RepairKind, detail: Readonly<Record<string, unknown>>): void;
  /** A component started failing (reason) or recovered (undefined). */
  health?(component: HealthComponent, subject: string, reason: HealthReason | undefined): void;
}

export class Health {
  private readonly faults = new Map<string, HealthReason>();
  readonly repairs = new Map<RepairKind, number>(repairKinds.map((k) => [k, 0]));
  /** Faults noted so far, by component (a counter for metrics). */
  readonly faultsNoted = new Map<HealthComponent, number>();

  constructor(private readonly nowMs: () => number, private readonly events: EngineEvents = {}) {}

  fault(component: HealthComponent, subject: string, error: unknown): void {
    this.faultsNoted.set(component, (this.faultsNoted.get(component) ?? 0) + 1);
    const key = `${component}\u0000${subject}`;
    if (this.faults.has(key)) return;
    const e = error as { code?: unknown; message?: unknown } | undefined;
    const reason: HealthReason = Object.freeze({
      component,
      subject,
      code: typeof e?.code === 'string' ? e.code : 'INTERNAL',
      message: typeof e?.message === 'string' ? e.message : String(error),
      sinceMs: this.nowMs(),
    });
    this.faults.set(key, reason);
    this.events.health?.(component, subject, reason);
  }

  healed(component: HealthComponent, subject: string): void {
    if (this.faults.delete(`${component}\u0000${subject}`)) this.events.health?.(component, subject, undefined);
  }

  /** Clears every fault of a component whose subject starts with `prefix` (a dropped collection's). */
  forget(component: HealthComponent, prefix: string): void {
    for (const [k, r] of this.faults) if (r.component === component && r.subject.startsWith(prefix)) this.faults.delete(k);
  }

  has(component: HealthComponent): boolean {
    for (const r of this.faults.values()) if (r.component === component) return true;
    return false;
  }

  repaired(kind: RepairKind, detail: Readonly<Record<string, unknown>>): void {
    this.repairs.set(kind, (this.repairs.get(kind) ?? 0) + 1);
    this.events.repaired?.(kind, detail);
  }

  report(): HealthReport {
    const reasons = [...this.faults.values()].sort((a, b) => a.sinceMs - b.sinceMs);
    return Object.freeze({ status: reasons.length === 0 ? 'ok' : 'degraded', reasons });
  }
}
