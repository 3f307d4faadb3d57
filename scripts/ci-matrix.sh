#!/usr/bin/env bash
# CI stage "matrix" (and `npm run test:matrix`): the test suite under each
# other Node version CI covers (NODE_MATRIX_X64 in scripts/ci-lib.sh: 18, 22
# and 24; the main suite runs on the machine's Node 20), with the addon that
# build/Release holds: Node-API keeps one binary good for all of them.
# Results go to RESULTS_DIR/node-<version>.json; with no RESULTS_DIR, to a
# temporary directory that is summed and removed.
#   scripts/ci-matrix.sh [RESULTS_DIR] [VERSION...]
# Left out (the main suite runs them on Node 20):
# - package.test.ts: the tarball stage installs the package under each version;
# - glibc-floor.test.ts: host tools reading ELF files, no Node in it;
# - asan.test.ts: builds an ASan addon against the machine's Node 20 headers;
# - close-race-valgrind.test.ts: its suppressions (test/support/node-v8.supp)
#   are for Node 20's V8; under Node 22 valgrind reports errors outside them;
# - the files whose reference is the running Node's Buffer (buffer-parity,
#   view-properties, write-parity, bad-input, bad-input-fuzz, reliability):
#   safe-mmap's Buffer-like methods follow Node 20's Buffer, and Buffer itself
#   differs on edge cases between versions (Node 22 and 24's copy() accepts any
#   TypedArray or DataView as target, Node 20's only a Uint8Array). docs/platforms.md says more.
#   fs-read.test.ts likewise: its reference is the running Node's fs.readSync,
#   whose argument checks differ between versions; file.read follows Node 20's.
# - on Node 18 only, cookbook-pmtiles.test.ts: its reference, pmtiles' own
#   FileSource, needs the global File (Node 20 and later).
# - on Node 22 and 24, lifecycle.test.ts: its RSS bound after 100,000 cycles
#   (10 MiB) is Node 20's; Node 24 measured 12.3 MiB once under load (and
#   16.4 MiB before), its heap grows differently. Leaks are checked on Node 20,
#   and by valgrind and ASan there.
# - event-loop.test.ts: its 20 ms bound on the async delay is Node 20's (5 ms
#   measured there); Node 18 measured 41-49 ms, Node 22 and 24 5-29 ms from run
#   to run on this shared machine. Not investigated; docs/platforms.md says so.
#   soak.test.ts too: its last part is the bad-input fuzz, and Node 24.22.3's
#   own Buffer.includes, called there as the reference, aborts the process
#   (node_buffer.cc IndexOfString: "Assertion failed: args[5]->IsNumber()").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/ci-lib.sh
own_results=0
results_dir=${1:-}
if [[ -z $results_dir ]]; then results_dir=$(mktemp -d); own_results=1; fi
shift || true
versions=("$@")
if ((${#versions[@]} == 0)); then versions=("${NODE_MATRIX_X64[@]}"); fi

if [[ ! -e build/Release/safe_mmap.node ]]; then npx node-gyp rebuild >/dev/null; fi
if [[ ! -e lib/index.js ]]; then npm run build:ts >/dev/null; fi

files=()
for file in test/*/*.test.ts; do
  case ${file##*/} in
    package.test.ts|glibc-floor.test.ts|asan.test.ts|close-race-valgrind.test.ts|event-loop.test.ts) ;;
    buffer-parity.test.ts|view-properties.test.ts|write-parity.test.ts) ;;
    bad-input.test.ts|bad-input-fuzz.test.ts|reliability.test.ts|soak.test.ts|fs-read.test.ts) ;;
    *) files+=("$file") ;;
  esac
done

status=0
for version in "${versions[@]}"; do
  node=$(ci_node x64 "$version")
  started=$SECONDS
  version_files=()
  for file in "${files[@]}"; do
    if [[ $version == 18.* && $file == test/cookbook/cookbook-pmtiles.test.ts ]]; then continue; fi
    if [[ $version != 18.* && $file == test/api/lifecycle.test.ts ]]; then continue; fi
    version_files+=("$file")
  done
  echo "ci-matrix: Node $("$node" --version): ${#version_files[@]} test files"
  # The version's bin first on PATH: scripts that run `node` get the same one.
  PATH="$(dirname "$node"):$PATH" "$node" node_modules/jest/bin/jest.js --json \
    --outputFile="$results_dir/node-$version.json" "${version_files[@]}" </dev/null || status=1
  if [[ ! -s $results_dir/node-$version.json ]]; then ci_result "$results_dir/node-$version.json" 0 0 1; fi
  echo "ci-matrix: Node $version took $((SECONDS - started)) s"
done

if ((own_results)); then
  node scripts/ci-summary.js "$results_dir" || status=1
  rm -rf "$results_dir"
fi
exit "$status"
