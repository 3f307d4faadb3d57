// safe-mmap's SIGSEGV handler (installed with the first lazy snapshot, for
// writes that meet a swap's protection) claims only faults in its own lazy
// ranges. Everything else goes on as without safe-mmap: a WebAssembly
// out-of-bounds access is still the runtime's trap (a catchable
// WebAssembly.RuntimeError, through V8's SIGSEGV trap handler on Linux), many
// times over, and a real NULL dereference or write to a read-only page in
// native code (test/support/null-deref) still kills the process by SIGSEGV.
// Each case runs in a child, and compares with the same script run without
// safe-mmap. A handler that claimed every SIGSEGV makes the wasm case hang
// and the native faults loop (the children time out).
// This file also runs under Bun and Deno (test/runtimes/run.sh).
import { spawnSync } from 'node:child_process';
import { PACKAGE_ROOT } from '../support/processes';
import { useTempDir } from '../support/temp-dir';
import { buildTestModule } from '../support/test-modules';
import { WASM_ALL_TRAPPED, WASM_OUT_OF_BOUNDS, WASM_TRAPS } from '../support/wasm-traps';

const dir = useTempDir();
const LAZY_LENGTH = 1 << 20;
let path: string;
let nullDeref: string;
beforeAll(() => {
  path = dir.patternFile('lazy', LAZY_LENGTH);
  nullDeref = buildTestModule('null-deref', dir.path);
});

// Generous: a child boots in well under a second natively, several under
// qemu-user; only a handler that swallows faults gets near it.
const CHILD_TIMEOUT_MS = 20_000;

function run(script: string) {
  const child = spawnSync(process.execPath, ['-e', script],
    { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, killSignal: 'SIGKILL' });
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr,
    timedOut: (child.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
}

/** Loads safe-mmap and makes a lazy snapshot (which installs the SIGSEGV handler); prints its state. */
const WITH_LAZY_SNAPSHOT = () => `
  const { open, checkSnapshot } = require('.');
  const file = open(${JSON.stringify(path)});
  const snapshot = file.view().snapshot({ lazy: true });
  console.log('snapshot', checkSnapshot(snapshot));`;

test(`a WebAssembly out-of-bounds load, ${WASM_TRAPS} times, is still a WebAssembly.RuntimeError with a lazy snapshot made`, () => {
  const without = run(WASM_OUT_OF_BOUNDS);
  const withLazy = run(`${WITH_LAZY_SNAPSHOT()}
    ${WASM_OUT_OF_BOUNDS}
    // And the snapshot reads right after the traps.
    const expected = require('./test/support/pattern.cjs').patternBuffer(0, ${LAZY_LENGTH});
    console.log('intact', snapshot.equals(expected), checkSnapshot(snapshot));`);
  expect(without.stdout).toContain(WASM_ALL_TRAPPED);
  expect(withLazy).toMatchObject({ status: 0, signal: null, timedOut: false });
  expect(withLazy.stdout).toContain('snapshot mapped');
  expect(withLazy.stdout).toContain(without.stdout);
  expect(withLazy.stdout).toContain('intact true mapped');
});

describe.each([
  ['a NULL dereference (SEGV_MAPERR)', 'readNull'],
  ['a write to a read-only page (SEGV_ACCERR)', 'writeReadOnly'],
])('%s in a native module', (what, call) => {
  test('still kills the process by SIGSEGV with a lazy snapshot made, as without safe-mmap', () => {
    const crash = `
      const crasher = require(${JSON.stringify(nullDeref)});
      console.log('calling');
      crasher.${call}();
      console.log('survived');`;
    const without = run(crash);
    const withLazy = run(`${WITH_LAZY_SNAPSHOT()}${crash}`);
    expect(withLazy.stdout).toContain('snapshot mapped');
    expect(withLazy.stdout).toContain('calling');
    expect(withLazy.stdout).not.toContain('survived');
    expect(withLazy.timedOut).toBe(false);
    expect({ status: withLazy.status, signal: withLazy.signal })
      .toEqual({ status: without.status, signal: without.signal });
    if (!('Deno' in globalThis) && !('Bun' in globalThis)) expect(withLazy.signal).toBe('SIGSEGV');
  });
});
