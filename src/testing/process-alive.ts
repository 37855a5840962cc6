// Whether a process runs: signal 0 checks that the pid exists (and may be signalled)
// without sending anything. The verifier's cluster control, the tests and the benchmarks
// that start and kill servers ask it.
export function processAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
