// The other process of the record lock tests (test/api/locks.test.ts):
//   node lock-child.js hold <path> <offset> <length>   lock (waiting), print "locked", hold until stdin ends
//   node lock-child.js try <path> <offset> <length>    lock with { wait: false }, print "locked" or the error's code
//   node lock-child.js wait <path> <offset> <length>   print "waiting", lock (waiting), print "locked"
//   node lock-child.js count <path> <iterations> <lock|nolock>
//        prints "ready", starts once <path>.go exists (wait-for-go.js), then
//        `iterations` times: (under lock(0, 64)) reads the 64-byte record's
//        16 uint32 counters, spins a little, writes each back plus one.
// A length of "Infinity" locks to the end of the file and beyond.
'use strict';
const fs = require('node:fs');
const { join } = require('node:path');
const { open } = require(join(__dirname, '..', '..'));
const { waitForGo } = require('./wait-for-go');

const [mode, path, ...rest] = process.argv.slice(2);
const say = (line) => fs.writeSync(1, `${line}\n`);

async function main() {
  const file = open(path, { mode: 'r+' });
  if (mode === 'count') {
    const [iterations, locking] = [Number(rest[0]), rest[1] === 'lock'];
    const record = file.view(0, 64);
    const counters = new Uint32Array(16);
    say('ready');
    waitForGo(path);
    for (let i = 0; i < iterations; i++) {
      const lock = locking ? await file.lock(0, 64) : null;
      for (let c = 0; c < 16; c++) counters[c] = record.readUInt32LE(c * 4);
      // The window between the read and the write, wide enough that two
      // unlocked processes reliably overlap in it.
      for (const until = process.hrtime.bigint() + 200_000n; process.hrtime.bigint() < until;);
      for (let c = 0; c < 16; c++) record.writeUInt32LE(counters[c] + 1, c * 4);
      lock?.unlock();
    }
    file.close();
    return;
  }
  const [offset, length] = [Number(rest[0]), Number(rest[1])];
  if (mode === 'try') {
    try {
      await file.lock(offset, length, { wait: false });
      say('locked');
    } catch (error) {
      say(error.code);
    }
    return;
  }
  if (mode === 'wait') say('waiting');
  await file.lock(offset, length);
  say('locked');
  if (mode === 'hold') {
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
  }
}

main().catch((error) => { console.error(error); process.exit(1); });
