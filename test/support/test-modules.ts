// The test-only Node-API modules (test/support/<name>/<name>.c): each declares the
// few Node-API functions it uses, so a bare `cc -shared` builds it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Builds test/support/<name>/<name>.c into `outDir`/<name>.node and returns its path. */
export function buildTestModule(name: string, outDir: string): string {
  const output = join(outDir, `${name}.node`);
  // SAFE_MMAP_TEST_CC: the arm64 CI stage (under qemu) builds it with the cross compiler.
  execFileSync(process.env.SAFE_MMAP_TEST_CC ?? 'cc', ['-shared', '-fPIC', '-O1', '-Wall', '-o', output,
    join(__dirname, name, `${name}.c`)]);
  return output;
}
