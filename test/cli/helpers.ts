// Runs the real `elanus` command as a child process: `serve` on port 0, reading the bound
// port from the startup log line, as an operator's tooling would.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const cliPath = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  /** Every JSON log line written so far. */
  readonly logs: Array<Record<string, unknown>>;
  readonly exited: Promise<Exit>;
}

/** Starts `elanus <args>` with a clean ELANUS_* environment plus `env`. */
export function run(args: readonly string[], env: Record<string, string> = {}): Child {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ELANUS_')));
  const proc = spawn(process.execPath, [cliPath, ...args], { env: { ...clean, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    partial += chunk;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not a log line (the demo prints plain text); kept in stdout only.
      }
      proc.stdout.emit('log');
    }
  });
  proc.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { proc, logs, exited };
}

export interface Serving extends Child {
  readonly port: number;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/** Starts `elanus serve --port 0 ...` and waits for the "serving" log line. */
export async function serve(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 10_000): Promise<Serving> {
  const child = run(['serve', '--port', '0', ...args], env);
  const port = await new Promise<number>((resolve, reject) => {
    let settled = false;
    const settle = (e: Error | undefined, port?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.proc.stdout.off('log', check);
      if (e) {
        child.proc.kill('SIGKILL');
        reject(e);
      } else {
        resolve(port!);
      }
    };
    const check = () => {
      const line = child.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('serving'));
      if (line) settle(undefined, line.port as number);
    };
    const timer = setTimeout(() => settle(new Error(`no "serving" log line within ${timeoutMs} ms`)), timeoutMs);
    child.proc.stdout.on('log', check);
    child.exited.then((x) => settle(new Error(`serve exited (${x.code ?? x.signal}) before serving: ${x.stderr}`)), settle);
  });
  return {
    ...child,
    port,
    stop(signal = 'SIGTERM') {
      child.proc.kill(signal);
      return child.exited;
    },
  };
}
