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
# others come from the official binaries that npm's node-linux-<arch> packages ship.
NODE_MATRIX_X64=(18.20.8 22.23.5 24.22.3)
NODE_ARM64=20.20.2

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

# ci_node ARCH VERSION: prints the path of that official Node binary, fetched
# once with `npm pack node-linux-ARCH@VERSION` (npm install refuses a foreign
# architecture; pack + tar does not care).
ci_node() {
  local arch=$1 version=$2
  local dir="$CI_CACHE/node/node-linux-$arch-$version"
  if [[ ! -x "$dir/bin/node" ]]; then
    local tmp
    tmp=$(mktemp -d "$CI_CACHE/node-download.XXXXXX")
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" </dev/null >/dev/null && tar -xzf ./*.tgz)
    rm -rf "$dir"
    mkdir -p "$CI_CACHE/node"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir/bin/node"
}

# ci_result FILE PASSED FAILED ERRORS: a jest-style results file for a stage
# that is not jest.
ci_result() {
  printf '{"numPassedTests": %d, "numFailedTests": %d, "numRuntimeErrorTestSuites": %d}\n' "$2" "$3" "$4" >"$1"
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
