#!/usr/bin/env bash
# npm run test:asan [-- test files...]
#
# Builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer and
# runs jest on it. All of it happens in a temporary copy of the package (its
# node_modules linked, not copied), so build/ and lib/ here are never touched.
#
#   bash scripts/asan.sh                        every test file but the excluded ones below
#   bash scripts/asan.sh close-race test/api/grow.test.ts   the named ones ("x" is test/<tier>/x.test.ts)
#
# Node itself is not built with ASan, so its runtime is loaded first with
# LD_PRELOAD; child processes the tests spawn inherit it and the options.
# Every sanitizer report goes to a file in a log directory, children's too,
# whatever their test makes of their exit status, and the run fails when there
# is any. ASAN_OPTIONS from the environment are added (and win), log_path
# excepted. SAFE_MMAP_ASAN_KEEP=1 keeps the copy and prints where it is.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Not run here: package (npm pack builds its own, unsanitized addon),
# close-race-valgrind (valgrind cannot run an ASan process), event-loop (its
# latency bounds do not hold at ASan's speed), glibc-floor (it checks the
# prebuilds, which the copy has not, and the floor of a build that links
# libasan means nothing) and asan itself (this script).
EXCLUDED=(package close-race-valgrind event-loop glibc-floor asan)

is_excluded() {  # is_excluded test/<tier>/<name>.test.ts
  local name
  for name in "${EXCLUDED[@]}"; do [[ "${1##*/}" == "$name.test.ts" ]] && return 0; done
  return 1
}

tests=()
if (($# == 0)); then
  for file in "$ROOT"/test/*/*.test.ts; do
    file=${file#"$ROOT"/}
    is_excluded "$file" || tests+=("$file")
  done
else
  for argument in "$@"; do
    file=${argument#./}
    if [[ "$file" != */* && "$file" != *.ts ]]; then
      matches=("$ROOT"/test/*/"$file".test.ts)
      file=${matches[0]#"$ROOT"/}
    fi
    [[ -f "$ROOT/$file" || ! -f "$ROOT/$file.test.ts" ]] || file="$file.test.ts"
    if [[ ! -f "$ROOT/$file" ]]; then echo "asan: no test file $file" >&2; exit 2; fi
    if [[ "${file##*/}" == asan.test.ts ]]; then echo "asan: $file runs this script" >&2; exit 2; fi
    tests+=("$file")
  done
fi

if [[ ! -d "$ROOT/node_modules/node-gyp" || ! -d "$ROOT/node_modules/jest" ]]; then
  echo "asan: run npm install (or npm ci) first: node-gyp and jest come from node_modules" >&2
  exit 2
fi

ASAN_RUNTIME=$(gcc -print-file-name=libasan.so)
if [[ "$ASAN_RUNTIME" != /* || ! -e "$ASAN_RUNTIME" ]]; then
  echo "asan: gcc has no libasan.so (install gcc's libasan)" >&2
  exit 2
fi

started=$SECONDS
WORK=$(mktemp -d "${TMPDIR:-/tmp}/safe-mmap-asan-XXXXXX")
cleanup() {
  if [[ "${SAFE_MMAP_ASAN_KEEP:-}" == 1 ]]; then echo "asan: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---- the copy -------------------------------------------------------------------
PACKAGE="$WORK/package"
LOGS="$WORK/logs"
mkdir -p "$PACKAGE" "$LOGS"
# Everything but what .gitignore lists as built or installed.
tar -C "$ROOT" --exclude=./.git --exclude=./node_modules --exclude=./build --exclude=./lib --exclude=./lib-scripts \
  --exclude=./prebuilds --exclude=./coverage --exclude=./tmp --exclude='./*.tgz' -cf - . | tar -C "$PACKAGE" -xf -
ln -s "$ROOT/node_modules" "$PACKAGE/node_modules"

# ---- sanitized build ------------------------------------------------------------
# node-gyp: the installed Node headers when they match this node, as .ci/run
# does (an explicit npm_config_nodedir wins).
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node_version.h ]]; then
  header_version=$(awk '/^#define NODE_(MAJOR|MINOR|PATCH)_VERSION /{v = v (v ? "." : "") $3} END {print v}' \
    /usr/include/node/node_version.h)
  if [[ "v$header_version" == "$(node --version)" ]]; then export npm_config_nodedir=/usr; fi
fi

# The Makefile node-gyp writes appends CXXFLAGS and LDFLAGS after binding.gyp's
# flags, so these add to the release build (-O2 stays).
# UBSan traps (ud2, SIGILL) instead of calling libubsan: gcc's libubsan is a
# second sanitizer runtime, and with libasan preloaded its calls to the
# exported __sanitizer_set_report_path bind to libasan's copy, so its reports
# ignore log_path and go to a stderr the tests may swallow. A trap is a deadly
# signal that ASan reports (handle_sigill=1) like its own errors, with the
# stack; -fno-crossjumping keeps one trap per check, so the line is exact.
SANITIZE="-fsanitize=address,undefined -fsanitize-undefined-trap-on-error -fno-sanitize-recover=all"
echo "asan: building the addon with $SANITIZE in $PACKAGE"
if ! (cd "$PACKAGE" &&
      CXXFLAGS="$SANITIZE -fno-omit-frame-pointer -fno-crossjumping -g" LDFLAGS="$SANITIZE" \
        node node_modules/node-gyp/bin/node-gyp.js rebuild >"$WORK/build.log" 2>&1); then
  cat "$WORK/build.log" >&2
  echo "asan: the sanitized build failed" >&2
  exit 1
fi
ADDON="$PACKAGE/build/Release/safe_mmap.node"

# The flags reached the compiler: the addon calls ASan's checks, and holds
# UBSan's traps by the hundred (a plain build has one or two ud2).
undefined_symbols=$(nm -D --undefined-only "$ADDON")
for symbol in __asan_report_load __asan_report_store; do
  if ! grep -q "$symbol" <<<"$undefined_symbols"; then
    echo "asan: $ADDON references no $symbol* symbol: it is not built with ASan" >&2
    exit 1
  fi
done
traps=$(objdump -d "$ADDON" | grep -c $'\tud2' || true)
if ((traps < 100)); then
  echo "asan: $ADDON holds $traps ud2 traps: it is not built with UBSan" >&2
  exit 1
fi

(cd "$PACKAGE" && node node_modules/typescript/bin/tsc -p tsconfig.build.json &&
  node node_modules/typescript/bin/tsc -p tsconfig.scripts.json)

# ---- sanitizer options ------------------------------------------------------------
# handle_sigbus=0: the addon's guard owns SIGBUS. ASan's handler, installed
#   first, would become the guard's "previous action", so every SIGBUS the
#   guard does not claim would end in an ASan report and SIGABRT where the
#   tests (signal-chaining) expect death by SIGBUS.
# handle_segv=0: Node installs its own SIGSEGV handler (the WebAssembly trap
#   handler) over ASan's and does not chain to it, so 1 would change nothing;
#   2 (ASan keeps the signal) breaks wasm bounds traps. A SIGSEGV in the addon
#   (a read of unmapped memory, which ASan's shadow does not cover) kills the
#   process without a report; test/tooling/close-race-valgrind covers that.
# handle_sigill=1: UBSan's traps above.
# detect_leaks=0: Node does not free everything at exit; LeakSanitizer would
#   report V8's and Node's allocations, not ours.
# quarantine_size_mb=64: ASan keeps freed memory from reuse (256 MB by
#   default) to catch use after free. lifecycle and reliability bound RSS growth
#   after a 10,000-cycle warm-up; 64 MB fills during it, 256 MB fills during
#   the measurement (+85 MB).
# abort_on_error=1: the first error ends the process by SIGABRT, which a test
#   checking a child's exit sees; log_path: every report lands in $LOGS.
export LD_PRELOAD="$ASAN_RUNTIME${LD_PRELOAD:+:$LD_PRELOAD}"
export ASAN_OPTIONS="handle_sigbus=0:handle_segv=0:handle_sigill=1:detect_leaks=0:quarantine_size_mb=64:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}:log_path=$LOGS/asan"

# The runtime really is in a node that loads this addon.
if ! (cd "$PACKAGE" && node -e '
  require(".");
  const maps = require("node:fs").readFileSync("/proc/self/maps", "utf8");
  for (const library of ["/libasan.so", process.argv[1]]) {
    if (!maps.includes(library)) { console.error(`asan: ${library} is not loaded`); process.exit(1); }
  }' "$ADDON"); then
  exit 1
fi
echo "asan: AddressSanitizer and UBSan (trapping, $traps checks) active, $ASAN_RUNTIME preloaded"
echo "asan: ASAN_OPTIONS=$ASAN_OPTIONS"
echo "asan: running ${#tests[@]} test files: ${tests[*]}"

# ---- the tests ------------------------------------------------------------------------
jest_status=0
(cd "$PACKAGE" && node node_modules/jest/bin/jest.js --runTestsByPath "${tests[@]}") </dev/null || jest_status=$?

# A report that holds nothing but ASan's warning that it ignored
# __asan_handle_no_return is what a siglongjmp off an alternate signal stack
# gives. fault-recovery-state's control children do exactly that, on purpose
# (SAFE_MMAP_TEST_RECOVER_IN_HANDLER=1: the old exit, from inside the handler,
# that the test shows to lose state); the guard itself leaves the handler
# through sigreturn and never jumps off that stack. Such a report is printed
# and not counted; any other line in it counts.
reports=()
for report in "$LOGS"/*; do
  [[ -e $report ]] || continue
  if ! grep -v -e '^==[0-9]*==WARNING: ASan is ignoring requested __asan_handle_no_return: ' \
      -e '^False positive error reports may follow$' -e '^For details see https://github.com/google/sanitizers/issues/189$' \
      "$report" | grep -q .; then
    echo "asan: ${report##*/}: only the warning of a jump off the alternate signal stack (a control child of fault-recovery-state), not counted:" >&2
    cat "$report" >&2
    continue
  fi
  reports+=("$report")
done
if ((${#reports[@]} > 0)); then
  for report in "${reports[@]}"; do
    echo "asan: ---- sanitizer report ${report##*/} ----" >&2
    cat "$report" >&2
  done
  if grep -q 'AddressSanitizer: ILL' "${reports[@]}"; then
    echo "asan: an ILL report with a frame in native/ is a UBSan check that failed at that line" >&2
  fi
  echo "asan: FAILED: ${#reports[@]} sanitizer report(s) (jest exit status $jest_status), $((SECONDS - started)) s" >&2
  exit 1
fi
if ((jest_status != 0)); then
  echo "asan: FAILED: jest exit status $jest_status, no sanitizer report, $((SECONDS - started)) s" >&2
  exit "$jest_status"
fi
echo "asan: passed: ${#tests[@]} test files, no sanitizer report, $((SECONDS - started)) s"
