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

const host = wineHost();
const dir = mkdtempSync(join(host.dir, 'foreign-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const nullDeref = buildTestModule('null-deref', dir);

const WASM_TRAPS = 1000;
// (module (memory 1) (func (export "load") (param i32) (result i32) local.get 0 i32.load))
const WASM_OUT_OF_BOUNDS = `{
  const bytes = new Uint8Array([0,97,115,109,1,0,0,0, 1,6,1,96,1,127,1,127, 3,2,1,0, 5,3,1,0,1,
    7,8,1,4,108,111,97,100,0,0, 10,9,1,7,0,32,0,40,2,0,11]);
  const { load } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  const outcomes = {};
  for (let i = 0; i < ${WASM_TRAPS}; i++) {
    let outcome;
    try { outcome = 'returned ' + load(0x10000000 + i * 4096); }
    catch (error) { outcome = error.constructor.name + ': ' + (error instanceof WebAssembly.RuntimeError); }
    outcomes[outcome] = (outcomes[outcome] || 0) + 1;
  }
  console.log('in bounds', load(16));
  console.log('outcomes', JSON.stringify(outcomes));
}`;

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
  expect(stdout).toContain(`outcomes {"RuntimeError: true":${WASM_TRAPS}}`);
  expect(code).toBe(0);
});

test.each(['readNull', 'writeReadOnly'])('%s in a module that is not ours still kills the process', async (method) => {
  const { code, stdout } = await afterAClaimedFault(`require(${JSON.stringify(nullDeref)}).${method}();`);
  expect(stdout).toContain('claimed true');
  expect(stdout).not.toContain('survived');
  expect(code).toBe(ACCESS_VIOLATION_EXIT);
});
