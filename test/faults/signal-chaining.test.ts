// The guard claims only its own faults. In a child process with the addon
// loaded and a guarded read done, foreign signals and faults behave exactly as
// they would without safe-mmap.
import { runNodeScript } from '../support/processes';
import { useTempDir } from '../support/temp-dir';
import { buildTestModule } from '../support/test-modules';

// This file also runs under Bun and Deno (test/runtimes/run.sh).
const isDeno = 'Deno' in globalThis;

const dir = useTempDir();
let path: string;
beforeAll(() => { path = dir.patternFile('chain', 3 * 4096); });

const loadAndRead = (file: string) => `{
  const { open } = require('.');
  open(${JSON.stringify(file)}).view().readUInt32LE(0);
}`;

// A sent SIGBUS is not ours whatever the runtime does with it: Node dies of it,
// Deno installs a SIGBUS handler of its own at start-up and survives it. So
// each check compares with the same script run without safe-mmap.
const SENT_BY_ITSELF = `process.kill(process.pid, 'SIGBUS');
  setTimeout(() => console.log('survived'), 1000);`;
const SENT_BY_ANOTHER_PROCESS = `require('node:child_process').execFileSync('kill', ['-BUS', String(process.pid)]);
  setTimeout(() => console.log('survived'), 1000);`;

const outcome = (child: { status: number | null; signal: string | null; stdout: string }) =>
  ({ status: child.status, signal: child.signal, stdout: child.stdout });

// Under qemu-user 7.2 a process-directed signal can be parked on a thread
// whose emulated mask blocks it (Node's inspector thread, the lease watcher):
// the process then survives a sent SIGBUS, with or without safe-mmap (CONTRIBUTING.md,
// qemu and arm64: a C program without safe-mmap shows it in 6 of 20 rounds).
// There, and only when the signal was not delivered, a run is repeated up to
// twice: a guard that swallowed sent signals fails every run and still fails
// the test.
const emulated = process.env.SAFE_MMAP_TEST_QEMU === '1';
const notSurvived = (child: { signal: string | null; stdout: string }) =>
  !(child.signal === null && child.stdout.includes('survived'));
function runSendingSigbus(script: string, delivered = notSurvived) {
  let child = runNodeScript(script);
  for (let retry = 0; emulated && retry < 2 && !delivered(child); retry++) child = runNodeScript(script);
  return child;
}

test('process.kill(process.pid, "SIGBUS") ends the process as it would without safe-mmap', () => {
  const without = runSendingSigbus(SENT_BY_ITSELF);
  const child = runSendingSigbus(`${loadAndRead(path)}\n${SENT_BY_ITSELF}`);
  expect(outcome(child)).toEqual(outcome(without));
  if (!isDeno) expect(child.signal).toBe('SIGBUS');
});

test('a SIGBUS sent by another process is not claimed (its si_code is SI_USER, not a kernel code)', () => {
  const without = runSendingSigbus(SENT_BY_ANOTHER_PROCESS);
  const child = runSendingSigbus(`${loadAndRead(path)}\n${SENT_BY_ANOTHER_PROCESS}`);
  expect(outcome(child)).toEqual(outcome(without));
  if (!isDeno) expect(child.signal).toBe('SIGBUS');
});

test('a SIGBUS fault the guard does not claim still crashes by SIGBUS (no loop, no swallow)', () => {
  // With the claim switched off, the handler must forward to the default
  // action: the same path every fault outside a guarded range takes.
  const victim = dir.patternFile('unclaimed', 3 * 4096);
  const child = runNodeScript(`
    const fs = require('node:fs');
    const { open } = require('.');
    const view = open(${JSON.stringify(victim)}, { validate: 'fault' }).view();
    fs.truncateSync(${JSON.stringify(victim)}, 0);
    view.readUInt32LE(8192);
    console.log('survived');`, { SAFE_MMAP_TEST_DISABLE_GUARD: '1' });
  expect(child.signal).toBe('SIGBUS');
  expect(child.stdout).not.toContain('survived');
});

test('a handler installed before safe-mmap still receives the signals that are not ours', () => {
  const child = runNodeScript(`
    process.on('SIGBUS', () => { console.log('previous handler ran'); process.exit(0); });
    ${loadAndRead(path)}
    // kill(1), not process.kill: Bun's process.kill resets a SIGBUS action
    // that is not its own to SIG_DFL before sending.
    require('node:child_process').execFileSync('kill', ['-BUS', String(process.pid)]);
    setTimeout(() => { console.log('not delivered'); process.exit(3); }, 2000);`);
  expect(child.status).toBe(0);
  expect(child.stdout).toContain('previous handler ran');
});

test('a handler installed before safe-mmap runs under its own signal mask, as the kernel would run it', () => {
  // The probe (test/support/signal-probe) installs a SIGBUS handler whose sa_mask
  // holds SIGUSR2, without SA_NODEFER, and records the mask it ran under.
  // safe-mmap's handler, installed after it with an empty mask and
  // SA_NODEFER, must forward to it with SIGUSR2 and SIGBUS blocked. libuv's
  // handler (process.on('SIGBUS')) relies on this: interrupted by a SIGCHLD
  // while it holds its lock, it deadlocks.
  const probe = buildTestModule('signal-probe', dir.path);
  const script = (withSafeMmap: boolean) => `
    const probe = require(${JSON.stringify(probe)});
    if (probe.install() !== 0) throw new Error('sigaction failed');
    ${withSafeMmap ? loadAndRead(path) : ''}
    require('node:child_process').execFileSync('kill', ['-BUS', String(process.pid)]);
    setTimeout(() => console.log(JSON.stringify(
      { runs: probe.runs(), ownMaskBlocked: probe.ownMaskBlocked(), signalBlocked: probe.signalBlocked() })), 100);`;
  const report = (child: { stdout: string; stderr: string }) => {
    const line = child.stdout.trim().split('\n').pop();
    if (!line) throw new Error(`no report: ${child.stderr}`);
    return JSON.parse(line);
  };
  const without = report(runSendingSigbus(script(false), (run) => run.stdout.includes('"runs":1')));
  expect(without).toEqual({ runs: 1, ownMaskBlocked: 1, signalBlocked: 1 });  // the kernel's way
  const child = report(runSendingSigbus(script(true), (run) => run.stdout.includes('"runs":1')));
  expect(child).toEqual(without);
});

// (module (memory 1) (func (export "load") (param i32) (result i32) local.get 0 i32.load))
const WASM_OUT_OF_BOUNDS = `{
  const bytes = new Uint8Array([0,97,115,109,1,0,0,0, 1,6,1,96,1,127,1,127, 3,2,1,0, 5,3,1,0,1,
    7,8,1,4,108,111,97,100,0,0, 10,9,1,7,0,32,0,40,2,0,11]);
  const { load } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  console.log('in bounds', load(16));
  try { load(10_000_000); console.log('no error'); }
  catch (error) { console.log(error.constructor.name, error.message); }
}`;

test('a WebAssembly out-of-bounds access still traps as a catchable error (SIGSEGV is left to Node)', () => {
  // V8 bounds-checks wasm memory with guard pages and its SIGSEGV trap
  // handler on x64 Linux; the trap surfaces as WebAssembly.RuntimeError.
  const without = runNodeScript(WASM_OUT_OF_BOUNDS);
  const victim = dir.patternFile('wasm', 3 * 4096);
  const withSafeMmap = runNodeScript(`
    const fs = require('node:fs');
    const { open } = require('.');
    const view = open(${JSON.stringify(victim)}).view();
    fs.truncateSync(${JSON.stringify(victim)}, 0);
    const faultBefore = (() => { try { view.readUInt32LE(8192); } catch (e) { return e.code; } })();
    ${WASM_OUT_OF_BOUNDS}
    const faultAfter = (() => { try { view.readUInt32LE(4096); } catch (e) { return e.code; } })();
    console.log(faultBefore, faultAfter);`);
  // V8 says "memory access out of bounds", JavaScriptCore (Bun) "Out of bounds memory access".
  expect(without.stdout).toMatch(/^RuntimeError .*out of bounds/im);
  expect(withSafeMmap.status).toBe(0);
  expect(withSafeMmap.stdout).toContain(without.stdout);
  expect(withSafeMmap.stdout).toContain('ERR_MAPPED_FILE_TRUNCATED ERR_MAPPED_FILE_TRUNCATED');
});
