// Finds the binary of a server a test starts for real (etcd, nats-server, ...). A test
// whose server is missing is skipped and says which Debian package brings it; CI sets
// ELANUS_REQUIRE_SERVERS=1, and there a missing server fails the run instead, so a CI
// machine without it cannot pass by skipping.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The path of the executable `name` (looked up on PATH unless it is a path), or
 * undefined when there is none: the caller skips its tests, naming `debianPackage`.
 * Throws instead when the environment sets ELANUS_REQUIRE_SERVERS=1.
 */
export function serverBinary(name: string, debianPackage: string): string | undefined {
  const candidates = isAbsolute(name) || name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '').map((d) => join(d, name));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here: the next folder of PATH.
    }
  }
  if (process.env.ELANUS_REQUIRE_SERVERS === '1') {
    throw new Error(`${name} is not installed, and ELANUS_REQUIRE_SERVERS=1 requires it: apt-get install ${debianPackage}`);
  }
  return undefined;
}
