// Program B of the race tests, run as a separate process:
//   node truncator.js <path> <fileLength> <milliseconds>
// It starts once the file <path>.go exists, so that the readers can map the
// whole file first (a reader that maps a file truncated to 0 has nothing to race).
// A file, not a line on stdin: the reader that says "go" then reads
// synchronously, and under Bun a pipe write is only flushed once the event loop
// runs again, so the line would arrive after the race.
// Repeatedly truncates the file to a random size (often not page-aligned,
// sometimes 0) and writes the pattern back with write(2) in page-sized steps,
// so the file only ever holds pattern bytes or is shorter. Exits by itself.
'use strict';
const fs = require('node:fs');
const [path, lengthText, millisecondsText] = process.argv.slice(2);
const length = Number(lengthText);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const waitUntil = Date.now() + 60_000;  // a test that failed before "go" leaves no orphan behind
while (!fs.existsSync(`${path}.go`)) {  // wait for "go"
  if (Date.now() > waitUntil) process.exit(1);
  Atomics.wait(sleeper, 0, 0, 1);
}
const deadline = Date.now() + Number(millisecondsText);

const pattern = Buffer.allocUnsafe(length);
for (let i = 0; i < length; i++) pattern[i] = 1 + ((i * 31 + 7) % 255);

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
