// A child-process script whose WebAssembly loads land far out of bounds, many
// times: each must stay the runtime's own trap (a catchable
// WebAssembly.RuntimeError), whatever fault handler safe-mmap installed
// (faults/lazy-foreign-segv on Linux, windows/foreign-faults on Windows).

export const WASM_TRAPS = 1000;

// (module (memory 1) (func (export "load") (param i32) (result i32) local.get 0 i32.load))
export const WASM_OUT_OF_BOUNDS = `{
  const bytes = new Uint8Array([0,97,115,109,1,0,0,0, 1,6,1,96,1,127,1,127, 3,2,1,0, 5,3,1,0,1,
    7,8,1,4,108,111,97,100,0,0, 10,9,1,7,0,32,0,40,2,0,11]);
  const { load } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
  const outcomes = {};
  for (let i = 0; i < ${WASM_TRAPS}; i++) {
    // Far past the one page of memory (64 KiB), at a new address each time.
    let outcome;
    try { outcome = 'returned ' + load(0x10000000 + i * 4096); }
    catch (error) { outcome = error.constructor.name + ': ' + (error instanceof WebAssembly.RuntimeError); }
    outcomes[outcome] = (outcomes[outcome] || 0) + 1;
  }
  console.log('in bounds', load(16));
  console.log('outcomes', JSON.stringify(outcomes));
}`;

/** What WASM_OUT_OF_BOUNDS prints when every load trapped as it should. */
export const WASM_ALL_TRAPPED = `outcomes {"RuntimeError: true":${WASM_TRAPS}}`;
