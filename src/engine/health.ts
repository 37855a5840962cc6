// What the engine knows about its own health: storage faults it is living with (a full
// volume, an I/O error) and the repairs it made on its own. A fault is noted where it
// happens (the log, the metadata journal, a flush, an index file) and cleared where the
// same kind of write next succeeds, so `report()` says "degraded" exactly while some
// writes are being refused, and why.
//
// Owned by one Elanus; its callers all run on the event loop, and each call is one
// synchronous step, so there is nothing to interleave.

import type { EngineEvents, HealthComponent, HealthReason, HealthReport, RepairKind } from '../gateway/api.js';
export { repairKinds, type EngineEvents, type HealthComponent, type HealthReason, type HealthReport, type RepairKind } from '../gateway/api.js';
import { repairKinds } from '../gateway/api.js';

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
