// Processes that share a file (issue 21): view.atomics()' add against
// Atomics.add on a SharedArrayBuffer (the in-process limit), and a round trip
// between two processes with wait/notify on two words of a file against
// process.send between the same two processes. Rounds are interleaved and
// figures are medians, as everywhere in the suite (measure.js).
'use strict';
const { execFileSync, fork } = require('node:child_process');
const fs = require('node:fs');
const { join } = require('node:path');
const { open } = require('..');
const { compare } = require('./measure');

const ADDS = 1_000_000;
const ROUND_TRIPS = 2_000;
let sink = 0;

async function atomicsGroup({ scratchDir, rounds, progress }) {
  const path = join(scratchDir, 'atomics.bin');
  fs.writeFileSync(path, Buffer.alloc(4096));
  const shared = new Int32Array(new SharedArrayBuffer(4096));
  const always = open(path, { mode: 'r+' });
  const fault = open(path, { mode: 'r+', validate: 'fault' });
  // A file of its own: a read-only mapping holds a lease only while nobody
  // (this process's 'r+' mappings included) has the file open for writing.
  const readOnlyPath = join(scratchDir, 'atomics-read-only.bin');
  fs.writeFileSync(readOnlyPath, Buffer.alloc(4096));
  const readOnly = open(readOnlyPath);
  const faultView = fault.view();
  const alwaysWords = always.view().atomics('int32');
  const faultWords = fault.view().atomics('int32');
  const readOnlyWords = readOnly.view().atomics('int32');
  const loop = (add) => () => {
    for (let i = 0; i < ADDS; i++) sink ^= add(i & 7);
    return ADDS;
  };
  try {
    return [await compare({
      title: 'Shared words: add(index, 1) on one int32',
      baseline: 'Atomics.add on a SharedArrayBuffer',
      rounds,
      progress,
      cases: {
        'Atomics.add on a SharedArrayBuffer': loop((i) => Atomics.add(shared, i, 1)),
        "view.atomics('int32').add, 'fault'": loop((i) => faultWords.add(i, 1)),
        "view.atomics('int32').add, 'always' (fstat before each)": loop((i) => alwaysWords.add(i, 1)),
        "view.atomics('int32').load, 'always' read-only (lease)": loop((i) => readOnlyWords.load(i)),
        // The floor: one N-API call and the guard, with no atomic at all.
        "view.readInt32LE, 'fault' (the N-API call + guard alone)": loop((i) => faultView.readInt32LE(i * 4)),
      },
    })];
  } finally {
    always.close();
    fault.close();
    readOnly.close();
  }
}

// The other process: answers process.send messages, and plays pong on the
// file's words 0 and 1 (word 2 set to 1 stops it) until told to exit.
const PARTNER = `
const { open } = require(process.argv[2]);
const words = open(process.argv[3], { mode: 'r+' }).view().atomics('int32');
process.on('message', (message) => {
  if (message === 'exit') process.exit(0);
  if (message === 'pong') {
    let seen = words.load(0);
    for (;;) {
      while (words.load(0) === seen && words.load(2) === 0) words.wait(0, seen, 1000);
      if (words.load(2) !== 0) break;
      seen = words.load(0);
      words.store(1, seen);
      words.notify(1);
    }
    words.store(2, 0);
    process.send('ponged');
    return;
  }
  process.send(message);
});
process.send('ready');`;

async function pingPongGroup({ scratchDir, rounds, progress }) {
  const path = join(scratchDir, 'ping-pong.bin');
  fs.writeFileSync(path, Buffer.alloc(4096));
  const script = join(scratchDir, 'ping-pong-partner.js');
  fs.writeFileSync(script, PARTNER);
  const partner = fork(script, [join(__dirname, '..'), path], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages = [];
  let onMessage;
  partner.on('message', (message) => { if (onMessage) onMessage(message); else messages.push(message); });
  const nextMessage = () => (messages.length > 0 ? Promise.resolve(messages.shift())
    : new Promise((resolve) => { onMessage = (message) => { onMessage = undefined; resolve(message); }; }));
  await nextMessage();  // ready
  const file = open(path, { mode: 'r+' });
  const words = file.view().atomics('int32');
  let counter = 0;
  const floor = cFloor(scratchDir);
  // Starts the partner's pong loop; returns the function that stops it.
  const withPong = (wait) => async () => {
    partner.send('pong');
    await new Promise((resolve) => setTimeout(resolve, 5));  // let it reach its loop
    for (let i = 0; i < ROUND_TRIPS; i++) {
      counter += 1;
      words.store(0, counter);
      words.notify(0);
      for (let seen = words.load(1); seen !== counter; seen = words.load(1)) await wait(seen);
    }
    words.store(2, 1);
    words.notify(0);
    await nextMessage();  // ponged
    return ROUND_TRIPS;
  };
  try {
    return [await compare({
      title: `Round trip between two processes: ${ROUND_TRIPS.toLocaleString('en')} in a row`,
      baseline: 'process.send and back',
      rounds,
      progress,
      rotate: true,
      cases: {
        'process.send and back': async () => {
          for (let i = 0; i < ROUND_TRIPS; i++) {
            partner.send(i);
            await nextMessage();
          }
          return ROUND_TRIPS;
        },
        'atomics wait/notify on two words': withPong((seen) => { words.wait(1, seen, 1000); }),
        'atomics waitAsync/notify on two words': withPong((seen) => words.waitAsync(1, seen, 1000)),
        ...(floor ? { 'C futex wait/wake, no JS (the machine\'s floor)': floor } : {}),
      },
    })];
  } finally {
    file.close();
    partner.send('exit');
  }
}

// bench/futex-floor.c, compiled with the machine's cc when it has one.
function cFloor(scratchDir) {
  const binary = join(scratchDir, 'futex-floor');
  try {
    execFileSync('cc', ['-O2', '-o', binary, join(__dirname, 'futex-floor.c')], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return () => {
    execFileSync(binary, [join(scratchDir, 'futex-floor.bin'), String(ROUND_TRIPS)]);
    return ROUND_TRIPS;
  };
}

async function sharedGroups({ scratchDir, rounds, few, progress, notes }) {
  const groups = [...await atomicsGroup({ scratchDir, rounds, progress }), ...await pingPongGroup({ scratchDir, rounds: few, progress })];
  if (sink === 0.5) notes.push('');  // keep sink alive
  return groups;
}

module.exports = { sharedGroups };
