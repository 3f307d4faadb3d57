{
  "targets": [
    {
      "target_name": "safe_mmap",
      # The portable sources; each platform adds its own below (native/platform.h).
      "sources": ["native/addon.cc", "native/change_detector.cc", "native/copy_work.cc", "native/js_errors.cc", "native/lazy_bindings.cc", "native/lease_policy.cc", "native/lock_waiters.cc", "native/mapping.cc", "native/mapping_hints.cc", "native/mapping_reads.cc", "native/mapping_wrap.cc", "native/placement.cc", "native/pool.cc", "native/search.cc", "native/shared_atomics.cc", "native/testing.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-O2", "-fno-exceptions", "-fvisibility=hidden", "-Wall", "-Wextra"],
      "cflags_cc!": ["-fno-rtti"],
      "conditions": [
        ["OS!='win'", {
          "sources": ["native/platform_posix.cc", "native/guard.cc", "native/async_waits.cc", "native/change_watch.cc", "native/change_watch_bindings.cc", "native/futex_waits.cc", "native/lazy_ranges.cc", "native/lease.cc", "native/lease_watcher.cc", "native/record_locks.cc"]
        }],
        # Windows: built by scripts/prebuild.sh win32 with mingw-w64 (this list
        # is what it compiles); MSVC builds from source are untested.
        ["OS=='win'", {
          "sources": ["native/win32/platform.cc", "native/win32/guard.cc", "native/win32/record_locks.cc", "native/win32/unsupported.cc"]
        }],
        ["OS=='linux'", {
          # The glibc floor (native/glibc_floor.h): force-included first in
          # every source, so each new file is held to it; the stubs that held
          # the pinned functions before glibc 2.34 are linked for old systems.
          "cflags": ["-include", "<(module_root_dir)/native/glibc_floor.h"],
          # -z nodelete: Node unloads (dlclose) an addon that only a worker
          # loaded when that worker exits, but the lease watcher thread, the
          # change-watch thread and the SIGBUS handler are process-wide and outlive it: unmapped, the
          # watcher's next round or the next SIGBUS would run code that is
          # gone (SIGSEGV; test/workers.test.ts).
          "ldflags": ["-Wl,-z,nodelete", "-Wl,--no-as-needed", "-l:libpthread.so.0", "-l:libdl.so.2", "-l:librt.so.1"]
        }],
        ["OS=='mac'", {
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "MACOSX_DEPLOYMENT_TARGET": "10.15"
          }
        }]
      ]
    }
  ]
}
