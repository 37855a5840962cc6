// `npm pack`'s prepack step: puts the native addon, built for N-API 8, into
// prebuilds/<platform>-<arch>/elanus.napi.node, where node-gyp-build finds it once the
// package is installed (src/index/native.ts), so that an install needs neither a compiler
// nor minutes of C++. One N-API 8 binary loads on every Node release that has N-API 8,
// which every Node that package.json's engines allows does. prebuilds/ is not in git.
//
// The addon comes from node-gyp's own build folder, brought up to date by an incremental
// `node-gyp build` (nothing is recompiled when the sources have not changed). Not
// prebuildify: it always rebuilds from clean (minutes on two cores) and moves the binary
// out of build/Release, which development, .ci/run and tests running beside `npm pack`
// load. The file name follows prebuildify's tags (name.napi.node), which node-gyp-build reads.
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build', 'Release', 'elanus_vector.node');
const outDir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const out = join(outDir, 'elanus.napi.node');

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
}

// npm hands its bundled node-gyp to lifecycle scripts; outside npm, the one on PATH.
const gyp = process.env.npm_config_node_gyp ? [process.execPath, process.env.npm_config_node_gyp] : ['node-gyp'];
// Headers of the running Node, when its release carries them (scripts/node-version.sh's
// do), so that node-gyp downloads nothing.
const env = { ...process.env };
const ownHeaders = join(dirname(dirname(process.execPath)), 'include', 'node', 'node_api.h');
if (!env.npm_config_nodedir && existsSync(ownHeaders)) env.npm_config_nodedir = dirname(dirname(dirname(ownHeaders)));

const configured = existsSync(join(root, 'build', 'Makefile')) || existsSync(join(root, 'build', 'binding.sln'));
run(gyp[0], [...gyp.slice(1), configured ? 'build' : 'rebuild', '-j', 'max'], env);

rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
copyFileSync(built, out);
// Debug symbols are most of the file; the tarball does not need them.
if (process.platform === 'linux') run('strip', ['--strip-all', out]);
console.log(`prebuild: ${out}`);
