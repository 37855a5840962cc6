// Preloaded into every test process (scripts/run-tests.mjs). An unhandled rejection or
// an uncaught exception is a bug: print it and make the process fail, even when the
// test that caused it already passed.
function die(kind: string, e: unknown): void {
  console.error(`\n${kind}:`, e);
  process.exitCode = 1;
  // Leave a moment for the reporter to print, then stop.
  setTimeout(() => process.exit(1), 50).unref();
}
process.on('unhandledRejection', (e) => die('unhandled rejection', e));
process.on('uncaughtException', (e) => die('uncaught exception', e));
