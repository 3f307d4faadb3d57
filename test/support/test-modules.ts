// The test-only Node-API modules (test/support/<name>/<name>.c): each declares the
// few Node-API functions it uses, so a bare `cc -shared` builds it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Builds test/support/<name>/<name>.c into `outDir`/<name>.node and returns its path.
 * On Windows (under Wine, with no compiler) the windows CI stage has built them
 * beforehand with mingw (scripts/prebuild.sh win32-module) into SAFE_MMAP_TEST_MODULES.
 */
export function buildTestModule(name: string, outDir: string): string {
  if (process.platform === 'win32') {
    const built = join(process.env.SAFE_MMAP_TEST_MODULES ?? '', `${name}.node`);
    if (!process.env.SAFE_MMAP_TEST_MODULES || !existsSync(built)) {
      throw new Error(`no prebuilt ${name}.node: run the Windows tests through scripts/ci-windows.sh`);
    }
    return built;
  }
  const output = join(outDir, `${name}.node`);
  // SAFE_MMAP_TEST_CC: the arm64 CI stage (under qemu) builds it with the cross compiler.
  execFileSync(process.env.SAFE_MMAP_TEST_CC ?? 'cc', ['-shared', '-fPIC', '-O1', '-Wall', '-o', output,
    join(__dirname, name, `${name}.c`)]);
  return output;
}
