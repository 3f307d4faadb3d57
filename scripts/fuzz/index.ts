// Bad-input fuzz: fast-check generates calls to every public function and
// option of safe-mmap (open, every MappedFile and MappedView method) with
// wrong types, extreme numbers, values near the bounds, closed files and views
// of closed files, files truncated or extended after mapping, read-only and
// read-write mappings. Every outcome must be one that docs/api.md and
// src/errors.ts document:
//   - a normal return (async methods: a Promise that fulfils; a stream: 'end');
//   - a TypeError/RangeError/Error with one of Node's ERR_* codes that Buffer
//     and fs give, or ERR_MAPPED_FILE_READ_ONLY (oracle.ts, DOCUMENTED_CODES);
//   - an fs-style system error (code E..., a `syscall`, a numeric `errno`);
//   - MappedFileClosed or MappedFileTruncated with their codes; AbortError;
//   - an error thrown by the caller's own object (a valueOf or getter that
//     throws, a revoked Proxy), passed through unchanged;
//   - a TypeError/RangeError without a code only where the same call on what
//     docs/api.md says the method behaves like throws the same class and
//     message: a Buffer of the view's length (a Uint8Array for set()), or fs
//     for open(), read()/readAsync() (fs.readSync) and createReadStream(), or
//     Atomics for a MappedAtomics operation. These are V8's own coercion errors
//     ("Cannot convert a Symbol value to a number"), which Buffer throws too.
// Anything else is unexpected: an error without a code that Buffer would not
// throw (a bug like "Cannot read properties of undefined"), a code with the
// wrong class, MappedFileIOError (nothing here injects I/O errors), an async
// call or a stream that has not settled after CASE_TIMEOUT_MS (a hang), a sync
// call that slow, a descriptor left open, or a read-only file changed on disk
// (no write method on a read-only mapping may change it: "no data is lost").
// A crash kills the process: the soak runs the fuzz in a child to count it.
//
// Async methods (flushAsync, snapshotAsync, copyAsync, indexOfAsync, readAsync...) are
// awaited. They are `async` functions, so argument errors become rejections,
// as docs/api.md says; a synchronous throw from one is counted as unexpected.
// createReadStream() throws synchronously for bad options, as
// fs.createReadStream does; a fault is an 'error' event.
//
// The modules: pools.ts (what a parameter may be given), cases.ts (which call
// on which subject), fixtures.ts and values.ts (the files and the values a
// case gets), oracle.ts (which outcomes are documented), run.ts (the runner).
//
//   const report = await runBadInputFuzz(require('safe-mmap'), { runs: 3000, seed: 42, dir });
// Each unexpected `call` starts with its case number: { only: [n] } replays it.
//   node lib-scripts/scripts/fuzz/index.js [runs] [seed]   runs it against lib/.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPackage } from '../package';
import { runBadInputFuzz } from './run';

export { METHOD_NAMES } from './cases';
export { CASE_TIMEOUT_MS } from './oracle';
export { runBadInputFuzz, type FuzzOptions, type FuzzReport } from './run';

if (require.main === module) {
  const runs = Number(process.argv[2] || 1000);
  const seed = Number(process.argv[3] || 1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-fuzz-'));
  runBadInputFuzz(loadPackage(), { runs, seed, dir }).then((report) => {
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(JSON.stringify(report, null, 2));
    process.exit(report.unexpectedCount === 0 ? 0 : 1);
  });
}
