#!/usr/bin/env bash
# npm run prebuild (and prepack): the prebuilds that the tarball ships,
#   prebuilds/linux-x64/safe-mmap.glibc.node    built here with g++,
#   prebuilds/linux-arm64/safe-mmap.glibc.node  cross-built with Debian's g++-aarch64-linux-gnu,
# tagged glibc (--tag-libc), so that node-gyp-build on Alpine (musl) does not
# pick them and builds from source instead,
# both held to the glibc floor by native/glibc_floor.h (test/tooling/glibc-floor.test.ts
# checks them). `scripts/prebuild.sh x64` or `arm64` makes one of them.
# The arm64 build runs in a directory of its own: node-gyp-build prefers
# build/Release to prebuilds/ whatever its architecture, so an arm64
# build/Release here would shadow the x64 prebuild and break this checkout.
# On a host other than linux-x64 only the host's prebuild is made.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
which=${1:-all}

if [[ $which == all || $which == x64 || "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
  npx prebuildify --napi --strip --tag-libc
fi
if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 || $which == x64 ]]; then exit 0; fi

for tool in aarch64-linux-gnu-g++ aarch64-linux-gnu-gcc aarch64-linux-gnu-strip; do
  if ! command -v "$tool" >/dev/null; then
    echo "prebuild: $tool is missing; the tarball must carry linux-arm64 too (apt-get install g++-aarch64-linux-gnu)" >&2
    exit 1
  fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r binding.gyp package.json native "$work/"
ln -s "$root/node_modules" "$work/node_modules"  # binding.gyp asks node-addon-api for its headers
CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
  npx prebuildify --napi --strip --tag-libc --arch arm64 --strip-bin aarch64-linux-gnu-strip --cwd "$work" --out "$root"
