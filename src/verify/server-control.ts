// The --spawn server's lifecycle inside a run: kill -9 with everything in flight,
// waiting for the exit and for each operation's outcome, then a restart on the same
// folder and a new client; or a clean restart (SIGTERM, which flushes) for the audit.
// A server that exits by itself, or does not come back, is a 'crash' and ends the run.
import type { ScenarioContext, ServerControl } from './context.js';
import { ServerProcess } from './spawn.js';
import type { Target } from './target.js';

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
      const exit = await this.proc.stop();
      if (exit.code !== 0) {
        ctx.violations.add({ kind: 'crash', message: `the server stopped by SIGTERM exited with ${exit.code ?? exit.signal}:\n${this.proc.lastLines().slice(-15).join('\n')}` });
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
      this.proc = await ServerProcess.restart({ dataDir: this.dataDir, args }, this.proc.port);
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

  private context(): ScenarioContext {
    if (!this.ctx) throw new Error('SpawnedServer used before attach()');
    return this.ctx;
  }
}
