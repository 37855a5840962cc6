// Where a test finds the binary of a server it starts (etcd, nats-server). A developer
// without it gets a skip that names the Debian package to install; CI sets
// ELANUS_REQUIRE_SERVERS=1, under which a missing binary is a failure, so that a broken
// install step cannot turn the cluster tests into silent skips.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Folders searched besides PATH: Debian installs some servers in sbin, outside a user's PATH. */
const extraDirs = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The path of the executable `name` (a path as given, else looked up on PATH and the
 * sbin folders), or undefined: the caller skips its tests, naming `debianPackage`.
 * Throws instead under ELANUS_REQUIRE_SERVERS=1.
 */
export function serverBinary(name: string, debianPackage: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...extraDirs];
  const candidates = isAbsolute(name) || name.includes('/') ? [name] : dirs.map((d) => join(d, name));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here: try the next.
    }
  }
  if (process.env.ELANUS_REQUIRE_SERVERS === '1') {
    throw new Error(`${name} is required (ELANUS_REQUIRE_SERVERS=1) but not found: apt-get install ${debianPackage}`);
  }
  return undefined;
}
