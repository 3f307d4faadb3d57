// The writer of the lease race tests, run as a separate process:
//   node lease-writer.js <path> <fileLength> <milliseconds> [mode]
// Unlike truncator.js it does not keep the file open: each cycle pauses a
// little (so the reader can take its lease again), then opens the file for
// writing, which breaks the reader's lease and waits for its release,
// truncates it to a random size and writes the pattern back, then closes.
// mode 'otrunc' instead opens with O_RDONLY|O_TRUNC, which truncates to 0
// without breaking any lease (hole 1), then regrows through a write open.
// Prints "ready" once booted, starts once <path>.go exists (wait-for-go.js),
// and prints { cycles, maxOpenMs } at the end.
'use strict';
const fs = require('node:fs');
const { patternBuffer } = require('./pattern.cjs');
const { waitForGo } = require('./wait-for-go');
const [path, lengthText, millisecondsText, mode = 'rewrite'] = process.argv.slice(2);
const length = Number(lengthText);
fs.writeSync(1, 'ready\n');  // booted (see truncator.js)
waitForGo(path);
const deadline = Date.now() + Number(millisecondsText);
const pattern = patternBuffer(0, length);
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

let cycles = 0;
let maxOpenMs = 0;
while (Date.now() < deadline) {
  pause(Math.random() * 30);
  if (mode === 'otrunc') {
    fs.closeSync(fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_TRUNC));
    pause(Math.random() * 10);
  }
  const started = process.hrtime.bigint();
  const fd = fs.openSync(path, 'r+');  // breaks the lease; returns once it is released
  maxOpenMs = Math.max(maxOpenMs, Number(process.hrtime.bigint() - started) / 1e6);
  const size = mode === 'otrunc' ? 0 : Math.random() < 0.2 ? 0 : Math.floor(Math.random() * length);
  fs.ftruncateSync(fd, size);
  for (let at = size; at < length; at += 4096) fs.writeSync(fd, pattern, at, Math.min(4096, length - at), at);
  fs.closeSync(fd);
  cycles++;
}
process.stdout.write(JSON.stringify({ cycles, maxOpenMs }));
