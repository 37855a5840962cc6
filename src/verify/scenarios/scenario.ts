// A scenario: one failure story from DESIGN.md, as a workload and its checks.
import type { ScenarioContext } from '../context.js';

export interface Scenario {
  readonly name: string;
  /** The story it tells, in one line. */
  readonly summary: string;
  /**
   * 'any': against --target or --spawn; 'spawn': needs --spawn (it kills the server);
   * 'in-process': runs Elanus's own log in this process, needs neither.
   */
  readonly needs: 'any' | 'spawn' | 'in-process';
  /** Rows when --rows is not given, if not the verifier's default (lifecycle: its largest rounds). */
  readonly defaultRows?: number;
  run(ctx: ScenarioContext): Promise<void>;
}
