// The --spawn server's lifecycle inside a run: kill -9 with everything in flight,
// waiting for the exit and for each operation's outcome, then a restart on the same
// folder and a new client; or a clean restart (SIGTERM, which flushes) for the audit.
// A server that exits by itself, or does not come back, is a 'crash' and ends the run.
//
// Stopping and starting take time that grows with the data (a SIGTERM flushes every
// collection; a start reads every segment and replays the log): a server that takes longer than `stopGraceMs` to stop, or
// `startTimeoutMs` to serve, is taken to hang. The slowest stop and start are reported.
import type { ScenarioContext, ServerControl } from './context.js';
import { ServerProcess } from './spawn.js';
import type { Target } from './target.js';

/** How long a SIGTERM may take before the server is taken to hang (and killed). */
export const stopGraceMs = 5 * 60_000;
/** How long a start may take before the server is taken not to come back. */
export const startTimeoutMs = 5 * 60_000;

export class SpawnedServer implements ServerControl {
  kills = 0;
  restarts = 0;
  private ctx: ScenarioContext | undefined;

  constructor(
    readonly dataDir: string,
    private readonly args: readonly string[],
    private proc: ServerProcess,
    private readonly connect: (address: string) => Promise<Target>,
    private readonly drainTimeoutMs: number,
    private readonly onStart?: (pid: number) => void,
  ) {}

  get process(): ServerProcess {
    return this.proc;
  }

  attach(ctx: ScenarioContext): void {
    this.ctx = ctx;
    this.watch(this.proc);
  }

  async killAndRestart(whileStopped?: () => Promise<void>): Promise<void> {
    const ctx = this.context();
    const incarnation = ctx.history.incarnation;
    ctx.gate.close();
    ctx.killedIncarnations.add(incarnation);
    this.proc.kill();
    this.kills++;
    try {
      const exit = await this.proc.exited;
      await ctx.drained(this.drainTimeoutMs);
      ctx.endIncarnation(incarnation, exit.atMs);
      await this.startNext(this.args);
      if (!ctx.aborted) await whileStopped?.();
    } finally {
      ctx.gate.open();
    }
  }

  async restart(args: readonly string[] = []): Promise<void> {
    const ctx = this.context();
    const incarnation = ctx.history.incarnation;
    ctx.gate.close();
    try {
      await ctx.drained(this.drainTimeoutMs);
      ctx.killedIncarnations.add(incarnation);
      const startedMs = ctx.clock.now();
      const exit = await this.proc.stop(stopGraceMs);
      this.slowest('stopMsMax', exit.atMs - startedMs);
      if (exit.code !== 0) {
        const how = exit.signal === 'SIGKILL' ? `did not stop within ${stopGraceMs / 1000} s of SIGTERM and was killed` : `stopped by SIGTERM exited with ${exit.code ?? exit.signal}`;
        ctx.violations.add({ kind: 'crash', message: `the server ${how}:\n${this.proc.lastLines().slice(-15).join('\n')}` });
      }
      ctx.endIncarnation(incarnation, exit.atMs);
      await this.startNext([...this.args, ...args]);
    } finally {
      ctx.gate.open();
    }
  }

  /** Stops the server at the end of a run (SIGTERM). */
  async shutdown(): Promise<void> {
    await this.ctx?.target.close();
    const exit = await this.proc.stop();
    if (exit.code !== 0 && exit.signal !== 'SIGKILL' && this.ctx) {
      this.ctx.violations.add({ kind: 'crash', message: `the server stopped by SIGTERM exited with ${exit.code ?? exit.signal}:\n${this.proc.lastLines().slice(-15).join('\n')}` });
    }
  }

  private async startNext(args: readonly string[]): Promise<void> {
    const ctx = this.context();
    await ctx.target.close();
    try {
      const startedMs = ctx.clock.now();
      this.proc = await ServerProcess.restart({ dataDir: this.dataDir, args, startTimeoutMs }, this.proc.port);
      this.slowest('startMsMax', ctx.clock.now() - startedMs);
      ctx.history.incarnation++;
      ctx.target = await this.connect(this.proc.address);
    } catch (e) {
      ctx.violations.add({ kind: 'crash', message: `the server did not start again on its data folder: ${String((e as Error)?.message ?? e)}` });
      ctx.abort('the server did not start again');
      return;
    }
    this.restarts++;
    this.watch(this.proc);
    if (this.proc.pid !== undefined) this.onStart?.(this.proc.pid);
  }

  private watch(proc: ServerProcess): void {
    const incarnation = this.ctx?.history.incarnation ?? 0;
    void proc.exited.then((exit) => {
      if (!proc.crashed || !this.ctx) return;
      // The operations the crash cut off are explained by it; the crash is the violation.
      this.ctx.killedIncarnations.add(incarnation);
      this.ctx.violations.add({
        kind: 'crash',
        message: `the server exited by itself (${exit.code ?? exit.signal}); its last lines:\n${proc.lastLines().slice(-20).join('\n')}`,
        evidence: { errors: proc.errors.slice(-10) },
      });
      this.ctx.abort('the server crashed');
    });
  }

  /** Keeps the largest duration seen under `figure`, in whole ms. */
  private slowest(figure: string, ms: number): void {
    const ctx = this.context();
    ctx.figures[figure] = Math.max(Number(ctx.figures[figure] ?? 0), Math.round(ms));
  }

  private context(): ScenarioContext {
    if (!this.ctx) throw new Error('SpawnedServer used before attach()');
    return this.ctx;
  }
}
