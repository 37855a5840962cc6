// node's test runner counts a skipped test in its summary but not a skipped suite: a
// `describe(name, { skip })` prints one line and leaves "skipped 0", so a run without the
// data sets looked complete. A suite that needs something absent is reported here as one
// skipped test with the reason, and counted.
import { describe, test } from 'node:test';

/** `describe(name, fn)`, or, when `missing` gives a reason, one skipped (and counted) test in its place. */
export function describeNeeding(missing: string | false, name: string, fn: () => void): void {
  if (missing) test(name, { skip: missing }, () => undefined);
  else describe(name, fn);
}
