// The version `elanus --version` prints: package.json's, read at run time so it is never
// out of step with the package. The file is found by walking up from this module
// (dist/src/cli/ in a checkout, node_modules/elanus/dist/src/cli/ when installed), to the
// first package.json named "elanus": a layout change of dist/ cannot make it read another
// package's file.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders walked up from this module before giving up. */
const packageSearchDepthMax = 6;

export function elanusVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < packageSearchDepthMax; i++) {
    const pkg = readPackage(join(dir, 'package.json'));
    if (pkg?.name === 'elanus' && typeof pkg.version === 'string') return pkg.version;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // Only a broken install gets here; the command still answers rather than crash.
  return 'unknown (no package.json of elanus found above the program)';
}

function readPackage(path: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
