// Program B of the race tests, run as a separate process:
//   node truncator.js <path> <fileLength> <milliseconds>
// It prints "ready" once booted, and starts once the file <path>.go exists
// (wait-for-go.js), so that the readers can map the whole file first (a reader
// that maps a file truncated to 0 has nothing to race).
// Repeatedly truncates the file to a random size (often not page-aligned,
// sometimes 0) and writes the pattern back with write(2) in page-sized steps,
// so the file only ever holds pattern bytes or is shorter. Exits by itself.
'use strict';
const fs = require('node:fs');
const { patternBuffer } = require('./pattern.cjs');
const { waitForGo } = require('./wait-for-go');
const [path, lengthText, millisecondsText] = process.argv.slice(2);
const length = Number(lengthText);
// Booted: the test starts its readers' window now, not at spawn, since a
// process can take seconds to boot (Node under qemu-user does).
fs.writeSync(1, 'ready\n');
waitForGo(path);
const deadline = Date.now() + Number(millisecondsText);

const pattern = patternBuffer(0, length);

let cycles = 0;
const fd = fs.openSync(path, 'r+');
while (Date.now() < deadline) {
  const size = Math.random() < 0.2 ? 0 : Math.floor(Math.random() * length);
  fs.ftruncateSync(fd, size);
  for (let at = size; at < length; at += 4096) {
    fs.writeSync(fd, pattern, at, Math.min(4096, length - at), at);
  }
  cycles++;
}
fs.closeSync(fd);
process.stdout.write(JSON.stringify({ cycles }));
