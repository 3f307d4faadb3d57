// The writer-in-JS of test/faults/lazy-writes-kept, run as a separate process:
//   node --expose-gc lazy-scribbler.js <path> <milliseconds> [stop-at-first-lost]
// Round after round, it makes a lazy snapshot of the whole file and a shadow
// copy of it (an ordinary Buffer), then writes a counter into every page of
// both, sweep after sweep, at a word that moves with each sweep (so that a
// lost write is not written again soon after), while another process breaks
// the lease (test/support/rewriter.js). A break swaps the snapshot into its
// own memory while the sweeps go on; once checkSnapshot says 'copied', two
// more sweeps, then the snapshot must equal its shadow: a word that differs
// is a write that was lost. A snapshot is swapped only once, hence the rounds.
// Snapshots that are copies from the start (the writer had the file open)
// are dropped. Prints "mapped" once its first lazy snapshot exists, then the
// tally: rounds (snapshots swapped while written to), lostRounds and
// lostWords, and unswapped (rounds that saw no break within ROUND_MS, or
// before the end). With stop-at-first-lost (the control) it ends after the
// first round that lost writes.
'use strict';
const { join } = require('node:path');
const { open, checkSnapshot } = require(join(__dirname, '..', '..'));
const { binding } = require(join(__dirname, '..', '..', 'lib', 'binding'));

const ROUND_MS = 2000;
const PAGE_WORDS = 1024;  // 4-byte words per 4 KiB page
const [path, milliseconds, stop] = process.argv.slice(2);
const stopAtFirstLost = stop === 'stop-at-first-lost';

const tally = { rounds: 0, lostRounds: 0, lostWords: 0, sweeps: 0, copies: 0, unswapped: 0, errors: {} };
const file = open(path);
const view = file.view();
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
let counter = 0;

/** One sweep: the next counter value into one word of every page of both. */
function sweep(words, shadow) {
  counter++;
  const word = counter % PAGE_WORDS;
  for (let at = word; at < words.length; at += PAGE_WORDS) {
    words[at] = counter;
    shadow[at] = counter;
  }
  tally.sweeps++;
}

/** A lazy snapshot, or null (counted) when it came as a copy or failed. */
function lazySnapshot() {
  try {
    const snapshot = view.snapshot({ lazy: true });
    if (checkSnapshot(snapshot) === 'mapped') return snapshot;
    tally.copies++;
  } catch (error) {
    tally.errors[error.name] = (tally.errors[error.name] || 0) + 1;
  }
  return null;
}

async function main() {
  const deadline = Date.now() + Number(milliseconds);
  let announced = false;
  while (Date.now() < deadline) {
    const snapshot = lazySnapshot();
    if (snapshot === null) {
      pause(1);  // the writer has the file open: no lease until it is done
      continue;
    }
    if (!announced) process.stdout.write('mapped\n');
    announced = true;
    const shadowBytes = Buffer.from(snapshot);
    const words = new Int32Array(snapshot.buffer, 0, snapshot.length / 4);
    const shadow = new Int32Array(shadowBytes.buffer, shadowBytes.byteOffset, shadowBytes.length / 4);
    const roundEnds = Math.min(Date.now() + ROUND_MS, deadline);
    let state = 'mapped';
    while (state === 'mapped' && Date.now() < roundEnds) {
      sweep(words, shadow);
      state = checkSnapshot(snapshot);
    }
    if (state === 'mapped') {
      tally.unswapped++;
      continue;
    }
    sweep(words, shadow);
    sweep(words, shadow);
    tally.rounds++;
    if (!snapshot.equals(shadowBytes)) {
      tally.lostRounds++;
      for (let at = 0; at < words.length; at++) if (words[at] !== shadow[at]) tally.lostWords++;
      if (stopAtFirstLost) break;
    }
    // Let the finalizers of the snapshots done with run (from the event loop).
    if (tally.rounds % 16 === 0) {
      global.gc?.();
      await new Promise(setImmediate);
    }
  }
  file.close();
  tally.lazyCounts = binding.testing.lazyCounts();
  process.stdout.write(`${JSON.stringify(tally)}\n`);
}

main();
