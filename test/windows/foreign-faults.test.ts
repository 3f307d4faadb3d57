// The guard's vectored exception handler (native/win32/guard.cc) claims only
// faults inside a guarded range on a thread that is running a guarded
// access. Everything else continues the search as if safe-mmap were not
// there: V8's own WebAssembly trap handler still turns an out-of-bounds
// access into a RuntimeError, and a NULL load or a store to a read-only page
// in native code that is none of ours (test/support/null-deref) still kills
// the process with STATUS_ACCESS_VIOLATION. Each child first has the guard
// claim a real fault (a read past the end of a file cut under its view), so
// the handler is installed and has run. A handler that claimed every access
// violation makes the wasm case hang or misreport and the native faults loop.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../support/processes';
import { buildTestModule } from '../support/test-modules';
import { ACCESS_VIOLATION_EXIT, wineHost } from '../support/wine';
import { WASM_ALL_TRAPPED, WASM_OUT_OF_BOUNDS, WASM_TRAPS } from '../support/wasm-traps';

const host = wineHost();
const dir = mkdtempSync(join(host.dir, 'foreign-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const nullDeref = buildTestModule('null-deref', dir);


let counter = 0;

/** Runs `then` in a child after safe-mmap claimed one fault in it; resolves with its exit code and output. */
async function afterAClaimedFault(then: string): Promise<{ code: number | null; stdout: string }> {
  const path = join(dir, `file-${counter++}`);
  writeFileSync(path, Buffer.alloc(1 << 20, 1));
  const child = spawn(process.execPath, ['-e', `
    const fs = require('fs');
    const { open, MappedFileTruncated } = require('.');
    const view = open(${JSON.stringify(path)}, { validate: 'fault' }).view();
    view.readUInt8(900000);
    fs.writeFileSync(${JSON.stringify(`${path}.mapped`)}, '');
    while (fs.statSync(${JSON.stringify(path)}).size !== 4096) {}
    try { view.readUInt8(900000); } catch (error) { console.log('claimed', error instanceof MappedFileTruncated); }
    ${then}
    console.log('survived');`], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!existsSync(`${path}.mapped`) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  host.truncate(path, 4096);
  return { code: await exited, stdout };
}

test(`${WASM_TRAPS} WebAssembly out-of-bounds loads stay RuntimeErrors`, async () => {
  const { code, stdout } = await afterAClaimedFault(WASM_OUT_OF_BOUNDS);
  expect(stdout).toContain('claimed true');
  expect(stdout).toContain('in bounds 0');
  expect(stdout).toContain(WASM_ALL_TRAPPED);
  expect(code).toBe(0);
});

test.each(['readNull', 'writeReadOnly'])('%s in a module that is not ours still kills the process', async (method) => {
  const { code, stdout } = await afterAClaimedFault(`require(${JSON.stringify(nullDeref)}).${method}();`);
  expect(stdout).toContain('claimed true');
  expect(stdout).not.toContain('survived');
  expect(code).toBe(ACCESS_VIOLATION_EXIT);
});
