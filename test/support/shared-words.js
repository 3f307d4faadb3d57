// A process that shares words of a mapped file with others (issue 21's
// tests and the benchmark):
//   node shared-words.js count <path> <atomic|plain> <iterations> <processes>
//     waits at a barrier (word 1) until <processes> have arrived, then adds 1
//     to word 0 <iterations> times: with add(), or with a plain
//     readInt32LE + writeInt32LE (the control, which loses updates).
//   node shared-words.js ping|pong <path> <rounds> <sync|async>
//     ping stores i into word 0 and waits until word 1 holds i; pong waits
//     for word 0 to hold i and stores i into word 1. Each store is followed by
//     a notify; each wait has a 10 s timeout, counted as stuck if it expires.
// Prints one JSON line: { done, stuck, ms }.
'use strict';
const { join } = require('node:path');
const { open } = require(join(__dirname, '..', '..', 'lib'));

const [role, path, ...rest] = process.argv.slice(2);
const file = open(path, { mode: 'r+' });
const words = file.view().atomics('int32');
const view = file.view();

// Every process arrives, the last one wakes the others.
function barrier(word, parties) {
  const arrived = words.add(word, 1) + 1;
  if (arrived === parties) words.notify(word);
  for (let seen = arrived; seen < parties; seen = words.load(word)) words.wait(word, seen, 10_000);
}

async function waitFor(word, target, mode) {
  let stuck = 0;
  for (let now = words.load(word); now !== target; now = words.load(word)) {
    const result = mode === 'sync' ? words.wait(word, now, 10_000) : await words.waitAsync(word, now, 10_000);
    if (result === 'timed-out') stuck += 1;
  }
  return stuck;
}

async function main() {
  const started = process.hrtime.bigint();
  let stuck = 0;
  let done = 0;
  if (role === 'count') {
    const [kind, iterations, processes] = [rest[0], Number(rest[1]), Number(rest[2])];
    barrier(1, processes);
    for (; done < iterations; done += 1) {
      if (kind === 'atomic') words.add(0, 1);
      else view.writeInt32LE(view.readInt32LE(0) + 1, 0);
    }
  } else {
    const [rounds, mode] = [Number(rest[0]), rest[1]];
    const [mine, theirs] = role === 'ping' ? [0, 1] : [1, 0];
    for (let round = 1; round <= rounds; round += 1) {
      if (role === 'pong') stuck += await waitFor(theirs, round, mode);
      words.store(mine, round);
      words.notify(mine);
      if (role === 'ping') stuck += await waitFor(theirs, round, mode);
      done = round;
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  file.close();
  process.stdout.write(`${JSON.stringify({ done, stuck, ms })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
