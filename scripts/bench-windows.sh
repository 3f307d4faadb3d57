#!/usr/bin/env bash
# npm run bench:windows: bench/windows.js (what validation costs without a
# lease) under the official node.exe in Wine, loading the win32 prebuild,
# then under this machine's Node for the same cases side by side. Wine is not
# Windows: docs/benchmarks.md says what the figures mean.
#   scripts/bench-windows.sh [rounds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
source scripts/ci-lib.sh

ci_windows_setup
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# node-gyp-build prefers build/Release (the Linux addon) to the prebuild.
cp -r bench lib package.json "$work/"
ln -s "$root/node_modules" "$work/node_modules"
bash scripts/prebuild.sh win32  # the current sources
mkdir -p "$work/prebuilds"
cp -r prebuilds/win32-x64 "$work/prebuilds/"
echo "## Windows x64 under Wine ($("$CI_WINE" --version))"
(cd "$work" && ci_wine_node bench/windows.js "${1:-15}")
echo
echo "## Linux x64, the same cases"
node bench/windows.js "${1:-15}"
