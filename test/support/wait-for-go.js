// The start signal of the race writers (truncator.js, lease-writer.js): they
// start once the file <path>.go exists, created by go() in processes.ts after
// the readers have mapped the whole file. A file, not a line on stdin: the
// reader that says "go" then reads synchronously, and under Bun a pipe write is
// only flushed once the event loop runs again, so the line would arrive after
// the race. Gives up (exit 1) after 60 s, so that a test that failed before
// "go" leaves no orphan behind.
'use strict';
const fs = require('node:fs');

function waitForGo(path) {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const giveUpAt = Date.now() + 60_000;
  while (!fs.existsSync(`${path}.go`)) {
    if (Date.now() > giveUpAt) process.exit(1);
    Atomics.wait(sleeper, 0, 0, 1);
  }
}

module.exports = { waitForGo };
