// The writer of the lazy snapshot races, run as a separate process:
//   node rewriter.js <path> <milliseconds> <source>...
// The file starts as the first source's bytes. Each cycle pauses up to 30 ms
// (so that the reader takes its lease again and makes lazy snapshots), opens
// the file for writing (which breaks the reader's lease and waits until the
// reader has swapped its lazy snapshots and let go), checks that the file
// still holds exactly what was written last (a JS write into a snapshot must
// never reach the file), truncates it to a random size (sometimes 0) and
// writes the next source's bytes, then closes. Consecutive sources differ in
// every page, so a snapshot that still shared the file's pages would see
// other bytes (or, past the cut, fault). Always a change: an open that wrote
// nothing would make the reader back off its lease (native/lease_policy.h).
// Prints "ready" once booted, starts once <path>.go exists (wait-for-go.js),
// and prints { cycles, maxOpenMs, foreign } at the end; foreign counts the
// cycles that found the file holding anything else than the last source.
'use strict';
const fs = require('node:fs');
const { waitForGo } = require('./wait-for-go');
const [path, millisecondsText, ...sourcePaths] = process.argv.slice(2);
const sources = sourcePaths.map((source) => fs.readFileSync(source));
fs.writeSync(1, 'ready\n');  // booted (see truncator.js)
waitForGo(path);
const deadline = Date.now() + Number(millisecondsText);
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

let cycles = 0;
let maxOpenMs = 0;
let foreign = 0;
let last = sources[0];
const held = Buffer.alloc(Math.max(...sources.map((source) => source.length)));
while (Date.now() < deadline) {
  pause(Math.random() * 30);
  const started = process.hrtime.bigint();
  const fd = fs.openSync(path, 'r+');  // breaks the lease; returns once it is released
  maxOpenMs = Math.max(maxOpenMs, Number(process.hrtime.bigint() - started) / 1e6);
  const length = fs.readSync(fd, held, 0, held.length, 0);
  if (length !== last.length || !held.subarray(0, length).equals(last)) foreign++;
  const next = sources[(cycles + 1) % sources.length];
  fs.ftruncateSync(fd, Math.random() < 0.2 ? 0 : Math.floor(Math.random() * next.length));
  fs.writeSync(fd, next, 0, next.length, 0);
  fs.closeSync(fd);
  last = next;
  cycles++;
}
process.stdout.write(JSON.stringify({ cycles, maxOpenMs, foreign }));
