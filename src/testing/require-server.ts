// Where a test finds the binary of a server it starts (etcd, nats-server, an S3 stand-in).
// A developer without it gets a skip that names the Debian package to install; CI sets
// ELANUS_REQUIRE_SERVERS=1, under which a missing binary is a failure, so that a broken
// install step cannot turn the cluster tests into silent skips.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Folders searched besides PATH: Debian installs some servers in sbin, outside a user's PATH. */
const extraDirs = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The path of the executable `name`, or undefined (skip the test); throws under ELANUS_REQUIRE_SERVERS=1. */
export function serverBinary(name: string, debianPackage: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...extraDirs];
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not in this folder: try the next.
    }
  }
  if (process.env.ELANUS_REQUIRE_SERVERS === '1') {
    throw new Error(`${name} is required (ELANUS_REQUIRE_SERVERS=1) but not found; install the Debian package ${debianPackage}`);
  }
  return undefined;
}
