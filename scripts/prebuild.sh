#!/usr/bin/env bash
# npm run prebuild (and prepack): the prebuilds that the tarball ships,
#   prebuilds/linux-x64/safe-mmap.glibc.node    built here with g++,
#   prebuilds/linux-arm64/safe-mmap.glibc.node  cross-built with Debian's g++-aarch64-linux-gnu,
# tagged glibc (--tag-libc), so that node-gyp-build on Alpine (musl) does not
# pick them and builds from source instead,
#   prebuilds/win32-x64/safe-mmap.node          cross-built with Debian's mingw-w64,
# the Linux ones held to the glibc floor by native/glibc_floor.h (test/tooling/glibc-floor.test.ts
# checks them). `scripts/prebuild.sh x64`, `arm64` or `win32` makes one of them.
# The arm64 build runs in a directory of its own: node-gyp-build prefers
# build/Release to prebuilds/ whatever its architecture, so an arm64
# build/Release here would shadow the x64 prebuild and break this checkout.
# On a host other than linux-x64 only the host's prebuild is made.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
which=${1:-all}

# Windows x64, with mingw-w64's g++ and no node-gyp (it would want MSVC).
# The sources are binding.gyp's portable list plus its OS=='win' list, so
# the two builds cannot drift apart. node.exe exports N-API and libuv: the
# import library is made from node-api-headers' .def files plus the two libuv
# functions native/win32/platform.cc calls, and binds to NODE.EXE by name, as
# an addon linked against node.lib does. libstdc++, libgcc and winpthread are
# linked statically: a Windows machine has none of them.
win32_import_library() {
  local def
  def=$(mktemp)
  { echo 'NAME NODE.EXE'; echo 'EXPORTS'
    { grep -hvE '^(NAME|EXPORTS)' node_modules/node-api-headers/def/node_api.def node_modules/node-api-headers/def/js_native_api.def
      printf '%s\n' uv_get_osfhandle uv_translate_sys_error
    } | sed '/^[[:space:]]*$/d' | sort -u
  } >"$def"
  x86_64-w64-mingw32-dlltool -d "$def" -l "$1" -D NODE.EXE
  rm -f "$def"
}

# `scripts/prebuild.sh win32-module SOURCE.c OUTPUT.node`: a test-only C module
# (test/support/<name>/) for node.exe, which the windows CI stage builds here
# because there is no compiler under Wine (test/support/test-modules.ts).
build_win32_module() {
  local library
  library=$(mktemp -d)
  win32_import_library "$library/libnode.a"
  x86_64-w64-mingw32-gcc -shared -O1 -Wall -o "$2" "$1" "$library/libnode.a" -static-libgcc
  rm -rf "$library"
}
if [[ $which == win32-module ]]; then build_win32_module "$2" "$3"; exit 0; fi

build_win32() {
  local cxx=x86_64-w64-mingw32-g++-posix
  if ! command -v "$cxx" >/dev/null; then
    echo "prebuild: $cxx is missing; the tarball must carry win32-x64 too (apt-get install g++-mingw-w64-x86-64-posix)" >&2
    exit 1
  fi
  local work headers
  work=$(mktemp -d)
  headers=$(node -p "require('node-api-headers').include_dir")
  win32_import_library "$work/libnode.a"
  local sources
  mapfile -t sources < <(node -e "
    const gyp = JSON.parse(require('fs').readFileSync('binding.gyp', 'utf8').replace(/^\s*#.*$/gm, ''));
    const target = gyp.targets[0];
    const windows = target.conditions.find(([when]) => when === \"OS=='win'\")[1];
    for (const source of [...target.sources, ...windows.sources]) console.log(source);")
  local objects=() pids=() source object pid
  for source in "${sources[@]}"; do
    object="$work/$(basename "${source%.cc}")-$(dirname "$source" | tr / _).o"
    "$cxx" -c "$source" -o "$object" -std=c++17 -O2 -fno-exceptions -fvisibility=hidden -Wall -Wextra \
      -DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
      -D_WIN32_WINNT=0x0A00 -DWIN32_LEAN_AND_MEAN -DNOMINMAX -DBUILDING_NODE_EXTENSION \
      -I "$headers" -I "$(node -p "require('node-addon-api').include_dir")" -idirafter /usr/include/node &
    # uv.h (placement.cc's loop counter types) from the machine's Node headers, the
    # same that node-gyp builds the Linux addon against (npm's nodedir=/usr).
    objects+=("$object")
    pids+=($!)
    while (($(jobs -r | wc -l) >= 2)); do sleep 0.05; done
  done
  for pid in "${pids[@]}"; do wait "$pid"; done  # set -e: a failed compile stops here
  mkdir -p prebuilds/win32-x64
  "$cxx" -shared -o prebuilds/win32-x64/safe-mmap.node "${objects[@]}" "$work/libnode.a" \
    -static-libgcc -static-libstdc++ -Wl,-Bstatic -lwinpthread -Wl,-Bdynamic -lntdll -lkernel32 -s
  rm -rf "$work"
}
if [[ $which == win32 ]]; then build_win32; exit 0; fi

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
if [[ $which == all ]]; then build_win32; fi
