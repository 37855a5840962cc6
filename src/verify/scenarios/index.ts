export type { Scenario } from './scenario.js';
import { consumerGroups } from './consumer-groups.js';
import { killUpsert } from './kill-upsert.js';
import { lifecycle } from './lifecycle.js';
import { mixed } from './mixed.js';
import { olapOltp } from './olap-oltp.js';
import { partitionDdl } from './partition-ddl.js';
import type { Scenario } from './scenario.js';

/** The scenarios: one per story of DESIGN.md, in the story's order, then lifecycle (issue 12: every size, every fault). */
export const scenarios: readonly Scenario[] = Object.freeze([mixed, partitionDdl, consumerGroups, killUpsert, olapOltp, lifecycle]);

export function scenarioByName(name: string): Scenario | undefined {
  return scenarios.find((s) => s.name === name);
}
