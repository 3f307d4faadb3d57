#!/usr/bin/env bash
# CI stage "tarball": `npm pack`, then for each Node version (18, 20, 22, 24 on
# x64, 20 on arm64 under qemu, and Windows' 20 under Wine) install the tarball into an empty project
# with no compiler reachable (PATH holds only node, npm and sh), require() and
# import it, and read a truncated file (scripts/tarball-check/). The prebuild
# must be what loads: node-gyp-build reports prebuilds/linux-<arch>/, the
# installed package has no build/, and with no compiler a fallback to a
# source build could not have succeeded. Windows: npm (Linux's) installs the
# tarball into the project, then node.exe under Wine runs the test with which
# the package's install step (node-gyp-build) decides to build from source,
# where no compiler exists at all: the win32-x64 prebuild must load, and
# check.cjs and check.mjs must load it.
# Usage: scripts/ci-tarball.sh RESULTS_DIR
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
results_dir=${1:?usage: scripts/ci-tarball.sh RESULTS_DIR}
source scripts/ci-lib.sh
ci_arm64_setup
ci_windows_setup

npm_cli=$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

# 1. Pack in a copy: prepack's prebuildify moves build/Release's addon into
# prebuilds/, which would take it from under this checkout.
mkdir "$work/package" "$work/packed"
for entry in *; do
  case $entry in node_modules|build|lib|lib-scripts|prebuilds|*.tgz) ;; *) cp -r "$entry" "$work/package/" ;; esac
done
mkdir "$work/package/prebuilds"
ln -s "$root/node_modules" "$work/package/node_modules"
(cd "$work/package" && npm pack --pack-destination "$work/packed" </dev/null >"$work/pack.log" 2>&1) || { cat "$work/pack.log" >&2; exit 1; }
tarball=$(ls "$work"/packed/*.tgz)
contents=$(tar -tzf "$tarball")
for prebuild in linux-x64/safe-mmap.glibc.node linux-arm64/safe-mmap.glibc.node win32-x64/safe-mmap.node; do
  if grep -qx "package/prebuilds/$prebuild" <<<"$contents"; then
    passed=$((passed + 1)); echo "ci-tarball: carries prebuilds/$prebuild"
  else
    failed=$((failed + 1)); echo "ci-tarball: FAILED: no prebuilds/$prebuild in $(basename "$tarball")"
  fi
done

# 2. Install and use it under each Node.
check() {  # check LABEL NODE ARCH
  local label=$1 node=$2 arch=$3
  local project="$work/project-$label" bin="$work/bin-$label"
  mkdir -p "$project" "$bin"
  ln -s "$node" "$bin/node"
  ln -s "$(readlink -f /bin/sh)" "$bin/sh"
  printf '#!%s\nexec "%s" "%s" "$@"\n' "$(readlink -f /bin/sh)" "$node" "$npm_cli" >"$bin/npm"
  chmod +x "$bin/npm"
  for tool in cc gcc c++ g++ make python3; do
    if PATH=$bin command -v "$tool" >/dev/null; then echo "ci-tarball: $tool is reachable" >&2; return 1; fi
  done
  cp scripts/tarball-check/check.cjs scripts/tarball-check/check.mjs "$project/"
  echo '{"name": "tarball-check", "version": "1.0.0", "private": true}' >"$project/package.json"
  (cd "$project" && env PATH="$bin" \
    npm install "$tarball" --no-audit --no-fund --loglevel=error </dev/null) || return 1
  if [[ -e $project/node_modules/safe-mmap/build ]]; then echo "ci-tarball: the install compiled build/" >&2; return 1; fi
  local script output
  for script in check.cjs check.mjs; do
    output=$(cd "$project" && env PATH="$bin" node "$script" </dev/null) || return 1
    echo "ci-tarball: $label $script: $output"
    local expected
    for expected in '"ok":true' '"code":"ERR_MAPPED_FILE_TRUNCATED"' "\"arch\":\"$arch\""; do
      grep -qF "$expected" <<<"$output" || return 1
    done
    grep -q "\"addon\":\"prebuilds/linux-$arch/safe-mmap.glibc.node\"" <<<"$output" || return 1
  done
}

# check_windows: the Windows install, as the header says.
check_windows() {
  local project="$work/project-win32"
  mkdir -p "$project"
  cp scripts/tarball-check/check.cjs scripts/tarball-check/check.mjs "$project/"
  echo '{"name": "tarball-check", "version": "1.0.0", "private": true}' >"$project/package.json"
  (cd "$project" && npm install "$tarball" --ignore-scripts --no-audit --no-fund --loglevel=error </dev/null) || return 1
  # The install step's own test (node-gyp-build's bin.js runs build-test.js
  # first and builds from source only when it fails): the prebuild must load.
  (cd "$project/node_modules/safe-mmap" && ci_wine_node ../node-gyp-build/build-test.js) || return 1
  if [[ -e $project/node_modules/safe-mmap/build ]]; then echo "ci-tarball: the install compiled build/" >&2; return 1; fi
  local script output expected
  for script in check.cjs check.mjs; do
    output=$(cd "$project" && ci_wine_node "$script") || return 1
    echo "ci-tarball: win32 $script: $output"
    for expected in '"ok":true' '"code":"UNKNOWN"' '"arch":"x64"' '"addon":"prebuilds\\win32-x64\\safe-mmap.node"'; do
      grep -qF "$expected" <<<"$output" || { echo "ci-tarball: win32 $script: no $expected" >&2; return 1; }
    done
  done
}

nodes=("x64-$(node --version | tr -d v):$(command -v node):x64")
for version in "${NODE_MATRIX_X64[@]}"; do nodes+=("x64-$version:$(ci_node x64 "$version"):x64"); done
nodes+=("arm64-$NODE_ARM64:$CI_NODE_ARM64:arm64")
for entry in "${nodes[@]}"; do
  IFS=: read -r label node arch <<<"$entry"
  started=$SECONDS
  if check "$label" "$node" "$arch"; then
    passed=$((passed + 1)); echo "ci-tarball: $label passed ($((SECONDS - started)) s)"
  else
    failed=$((failed + 1)); echo "ci-tarball: $label FAILED ($((SECONDS - started)) s)"
  fi
done

started=$SECONDS
if check_windows; then
  passed=$((passed + 1)); echo "ci-tarball: win32-x64-$NODE_WIN_X64 under Wine passed ($((SECONDS - started)) s)"
else
  failed=$((failed + 1)); echo "ci-tarball: win32-x64-$NODE_WIN_X64 under Wine FAILED ($((SECONDS - started)) s)"
fi
ci_wine_stop  # nothing of Wine's outlives the stage

ci_result "$results_dir/tarball.json" "$passed" "$failed" 0
echo "ci-tarball: $passed passed, $failed failed"
((failed == 0))
