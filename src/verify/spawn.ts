// `--spawn`: an Elanus server in a child process on a temporary data folder, which the
// verifier may SIGKILL and start again on the same folder (and, when it can, the same
// port). Started as `node dist/src/cli/main.js serve --data-dir <dir> --port <p>`; the
// port is read from the server's "serving" log line, so `--port 0` works.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { listObjectFiles } from '../testing/index.js';

const mainScript = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Monotonic time of the exit (the clock of clock.ts). */
  readonly atMs: number;
}

export interface ServerOptions {
  readonly dataDir: string;
  /** More `elanus serve` flags, e.g. ['--segment-rows-max', '500']. */
  readonly args?: readonly string[];
  readonly startTimeoutMs?: number;
}

/** Output lines kept per process, for a crash report. */
const tailLinesMax = 60;

/** Servers still running: killed when this process exits, so none is left behind. */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(proc: ChildProcess): void {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
}

/** Kills every server this process started (on SIGINT/SIGTERM of the verifier). */
export function killAllServers(): void {
  for (const p of live) p.kill('SIGKILL');
}

export class ServerProcess {
  readonly exited: Promise<Exit>;
  /** Lines the server logged at level error or fatal. */
  readonly errors: string[] = [];
  private readonly tail: string[] = [];
  private stopping = false;
  private exit: Exit | undefined;

  private constructor(private readonly proc: ChildProcess, readonly port: number, exited: Promise<Exit>, tail: string[]) {
    this.exited = exited.then((e) => (this.exit = e));
    this.tail = tail;
  }

  /** Starts a server and resolves once it serves; rejects with its output if it does not. */
  static async start(opts: ServerOptions, port = 0): Promise<ServerProcess> {
    const args = [mainScript, 'serve', '--data-dir', opts.dataDir, '--port', String(port), '--log-level', 'info', '--log-format', 'json', ...(opts.args ?? [])];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(proc);
    const tail: string[] = [];
    const errors: string[] = [];
    const keep = (line: string) => {
      tail.push(line);
      if (tail.length > tailLinesMax) tail.shift();
    };
    const exited = new Promise<Exit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal, atMs: performance.now() })));
    createInterface({ input: proc.stderr! }).on('line', (l) => keep(`stderr: ${l}`));
    let onServing: (port: number) => void = () => undefined;
    const serving = new Promise<number>((resolve) => (onServing = resolve));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      keep(line);
      let rec: { level?: number; port?: number; msg?: string } | undefined;
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        return;
      }
      if ((rec?.level ?? 0) >= 50) errors.push(line);
      if (typeof rec?.port === 'number' && rec.msg?.startsWith('serving')) onServing(rec.port);
    });
    const timeoutMs = opts.startTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      serving.then((p) => ({ kind: 'serving' as const, port: p })),
      exited.then((e) => ({ kind: 'exited' as const, exit: e })),
      new Promise<{ kind: 'timeout' }>((r) => (timer = setTimeout(() => r({ kind: 'timeout' }), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (outcome.kind !== 'serving') {
      if (outcome.kind === 'timeout') proc.kill('SIGKILL');
      const why = outcome.kind === 'timeout' ? `did not serve within ${timeoutMs} ms` : `exited (${outcome.exit.code ?? outcome.exit.signal}) before serving`;
      throw new StartError(`the server on ${opts.dataDir} ${why}:\n${tail.join('\n')}`, tail.join('\n').includes('EADDRINUSE'));
    }
    const server = new ServerProcess(proc, outcome.port, exited, tail);
    for (const e of errors) server.errors.push(e);
    return server;
  }

  /** Starts on `port`, or on a free port when that one is taken. */
  static async restart(opts: ServerOptions, port: number): Promise<ServerProcess> {
    try {
      return await ServerProcess.start(opts, port);
    } catch (e) {
      if (e instanceof StartError && e.portTaken && port !== 0) return ServerProcess.start(opts, 0);
      throw e;
    }
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Whether the process ended without being told to. */
  get crashed(): boolean {
    return this.exit !== undefined && !this.stopping;
  }

  /** kill -9, now. */
  kill(): void {
    this.stopping = true;
    this.proc.kill('SIGKILL');
  }

  /** SIGTERM (flush and stop), then SIGKILL if it takes longer than `graceMs`. */
  async stop(graceMs = 30_000): Promise<Exit> {
    this.stopping = true;
    if (this.exit) return this.exit;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last lines the process wrote. */
  lastLines(): string[] {
    return [...this.tail];
  }
}

export class StartError extends Error {
  constructor(message: string, readonly portTaken: boolean) {
    super(message);
  }
}

/**
 * The engine's segment, L0 and index files in a data folder, by key (`segments/12/34.seg`):
 * each is one object of its ObjectStore (testing/object-files.ts).
 */
export async function segmentFiles(dataDir: string): Promise<string[]> {
  return (await listObjectFiles(dataDir)).map((o) => o.key);
}

/** The server's event-loop delay p99 from its Prometheus metrics, in ms (undefined when it has none). */
export async function serverLoopDelayP99Ms(address: string): Promise<number | undefined> {
  try {
    const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return undefined;
    const m = /^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([0-9.eE+-]+)$/m.exec(await res.text());
    return m ? Number(m[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}
