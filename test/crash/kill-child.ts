// Runs a crash test's child process and kills it with SIGKILL `runMs` after it says READY,
// reading its protocol on stdout: `I <json>` an operation is in flight, `A` it was
// acknowledged. Shared by the kill -9 tests of credentials and of roles.
import { spawn } from 'node:child_process';

export function runUntilKilled<Op>(childPath: string, args: readonly string[], runMs: number): Promise<{ acked: Op[]; inFlight: Op | undefined }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: Op[] = [];
    let inFlight: Op | undefined;
    let buffer = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'READY') setTimeout(() => child.kill('SIGKILL'), runMs);
        else if (line.startsWith('I ')) inFlight = JSON.parse(line.slice(2)) as Op;
        else if (line === 'A') {
          acked.push(inFlight!);
          inFlight = undefined;
        }
      }
    });
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`the child exited (${code ?? signal}) before it was killed:\n${stderr}`));
      else resolve({ acked, inFlight });
    });
  });
}
