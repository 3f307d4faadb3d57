// The writer of the change-notification tests and benchmark, run as a separate process:
//   node watch-writer.js <path> <writes> [delayMs]
// Warms up (the first call of writeSync compiles it), waits delayMs, then
// opens the file O_WRONLY|O_APPEND, which breaks a reader's read lease and
// waits for its release, and appends 16 bytes `writes` times. Prints
// { opened, firstWrite, lastWrite, size }: process.hrtime.bigint()
// (CLOCK_MONOTONIC, comparable across processes) before the open, right
// after the first and the last write returned, as strings; and the size then.
'use strict';
const fs = require('node:fs');
const [path, writesText, delayText = '0'] = process.argv.slice(2);
const writes = Number(writesText);
const record = Buffer.from('0123456789abcde\n');
const sink = fs.openSync('/dev/null', 'w');
for (let i = 0; i < 100; i++) { fs.writeSync(sink, record); process.hrtime.bigint(); }
fs.closeSync(sink);
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(delayText));
const opened = process.hrtime.bigint();
const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND);
fs.writeSync(fd, record);
const firstWrite = process.hrtime.bigint();
let lastWrite = firstWrite;
for (let i = 1; i < writes; i++) {
  fs.writeSync(fd, record);
  lastWrite = process.hrtime.bigint();
}
const size = fs.fstatSync(fd).size;
fs.closeSync(fd);
process.stdout.write(JSON.stringify({ opened: String(opened), firstWrite: String(firstWrite),
  lastWrite: String(lastWrite), size }));
