#!/usr/bin/env bash
# The fault tests under Bun and Deno: jest itself runs under each runtime
# (both run it, in band as jest.config.js asks), so the test files are the very
# ones `npm test` runs under Node, and every child process they spawn through
# process.execPath (truncator, runNodeScript, loaders) is that runtime too.
#
#   bash test/runtimes/run.sh [results_dir]
#
# Installs the pinned runtimes from test/runtimes/package-lock.json (npm
# packages `bun` and `deno`, whose platform packages hold the real binaries),
# then writes <results_dir>/bun.json and <results_dir>/deno.json (jest's JSON:
# numPassedTests, numFailedTests, numRuntimeErrorTestSuites) and prints one
# "runtime: N passed, N failed" line each. Exits non-zero when any failed.
# Needs what the Node suite needs (root, /dev/fuse, libfuse3-dev, tmpfs) and the
# package built (npm ci) first.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
results_dir=${1:-$(mktemp -d)}
mkdir -p "$results_dir"

# The fault cases: same-process and cross-process truncation in both modes,
# workers, EIO on faultfs and on a full tmpfs, the async forms, the stream,
# search under truncation, signal chaining, the thread state a caught fault
# must leave intact (PKRU: the crash Deno had), and loading by require / import;
# and lazy snapshots: where they are made or copied, that they outlive their
# file, that foreign SIGSEGVs still reach the runtime, and what postMessage
# does with them (each runtime's answer is pinned in lazy-workers); and the
# processes that share a file: atomics, waits (their threads and threadsafe
# functions), truncation under a waiter, record locks, the ring buffer recipe.
# Not watch: its tests compare process.hrtime across processes, which Bun and
# Deno count from each process's start (docs/platforms.md).
FAULT_TESTS=(
  test/faults/truncation-same-process.test.ts
  test/faults/truncation-race.test.ts
  test/faults/workers.test.ts
  test/faults/faultfs.test.ts
  test/faults/io-error.test.ts
  test/api/async.test.ts
  test/api/async-fast-path.test.ts  # both async paths, and the turn budget without libuv's loop counter
  test/api/read-stream.test.ts
  test/faults/search-truncation.test.ts
  test/faults/signal-chaining.test.ts
  test/faults/fault-recovery-state.test.ts
  test/tooling/runtime-loading.test.ts
  test/api/lazy-lifetime.test.ts
  test/api/lazy-fallbacks.test.ts
  test/api/lazy-workers.test.ts
  test/faults/lazy-foreign-segv.test.ts
  test/api/atomics.test.ts
  test/api/wait-async.test.ts
  test/faults/shared-counters.test.ts
  test/faults/shared-ping-pong.test.ts
  test/faults/shared-wait-truncation.test.ts
  test/api/locks.test.ts
  test/cookbook/cookbook-ring-buffer.test.ts
)

npm ci --prefix "$here" --no-audit --no-fund </dev/null >/dev/null
bun="$here/node_modules/.bin/bun"
deno="$here/node_modules/.bin/deno"

cd "$root"
status=0
for runtime in bun deno; do
  case $runtime in
    bun) command=("$bun" --bun) ;;  # --bun: jest's `#!/usr/bin/env node` must not bring Node back
    deno) command=("$deno" run --allow-all) ;;
  esac
  echo "runtimes: $runtime $("${command[0]}" --version | head -n 1)"
  results="$results_dir/$runtime.json"
  rm -f "$results"
  SAFE_MMAP_EXPECTED_RUNTIME=$runtime NO_COLOR=1 \
    "${command[@]}" node_modules/jest/bin/jest.js --json --outputFile="$results" "${FAULT_TESTS[@]}" </dev/null \
    || status=$?
  # A runtime that died before jest wrote its results counts as a failed file.
  if [[ ! -s $results ]]; then
    echo '{"numPassedTests":0,"numFailedTests":0,"numRuntimeErrorTestSuites":1}' >"$results"
    status=1
  fi
  node -e '
    const [runtime, file] = process.argv.slice(1);
    const r = JSON.parse(require("node:fs").readFileSync(file, "utf8"));
    const failed = (r.numFailedTests || 0) + (r.numRuntimeErrorTestSuites || 0);
    console.log(`${runtime}: ${r.numPassedTests || 0} passed, ${failed} failed`);
  ' "$runtime" "$results"
done
exit "$status"
