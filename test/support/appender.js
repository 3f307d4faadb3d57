// A log writer in its own process: appends `count` records to `path`, each
// "<index>:<payload>\n" with a payload of varying length, in small bursts.
//   node appender.js <path> <count>
'use strict';
const fs = require('node:fs');
const [path, countText] = process.argv.slice(2);
const fd = fs.openSync(path, 'a');
const count = Number(countText);
for (let index = 0; index < count; index++) {
  fs.writeSync(fd, `${index}:${'x'.repeat(index % 97)}\n`);
  if (index % 50 === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);  // let the reader run
}
fs.closeSync(fd);
