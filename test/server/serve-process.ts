// `elanus serve` as a child process, as a user runs it: the compiled CLI on a data folder
// and port 0; the port is read from its JSON start-up line, and every line it prints is
// kept (tests look for warnings in them).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const mainJs = join(process.cwd(), 'dist/src/cli/main.js');

export interface ServeProcess {
  readonly proc: ChildProcess;
  readonly port: number;
  /** Every stdout line so far (JSON log lines). */
  readonly lines: string[];
  /** SIGTERM, then resolves when the process has exited. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills whatever is still running (for an after() hook). */
export function killAll(): void {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

export async function serve(dataDir: string, args: readonly string[] = []): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [mainJs, 'serve', '--port', '0', '--data-dir', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port within 30 s:\n${lines.join('\n')}`)), 30_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lines.push(line);
      try {
        const j = JSON.parse(line) as { port?: number; msg?: string };
        if (typeof j.port === 'number' && j.port > 0 && j.msg?.startsWith('serving')) {
          clearTimeout(timer);
          resolve(j.port);
        }
      } catch {
        // not a log line
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}):\n${lines.join('\n')}`));
    });
  });
  return {
    proc, port, lines,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** The value of one Prometheus series (name with its labels as printed), or undefined. */
export async function metric(port: number, series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (const line of text.split('\n')) if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}
