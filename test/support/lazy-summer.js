// The reader of test/faults/lazy-never-changed, run as a separate process (a
// SIGBUS then ends it, not the jest worker):
//   node --expose-gc lazy-summer.js <path> <milliseconds> <source>...
// The file holds one of the sources' bytes (Float64 values) whenever nobody
// has it open for writing (test/support/rewriter.js). The loop keeps up to
// LIVE lazy snapshots of the whole file and sums each one as a Float64Array,
// again and again, while the writer breaks the lease, truncates and rewrites:
// - a snapshot that is 'mapped' when made is lazy; its first sum, taken at
//   once, must be one of the sources' sums (the file's bytes then), and every
//   later sum must equal it;
// - it counts the lazy snapshots that checkSnapshot later says 'copied' (a
//   break swapped them), and replaces those with new ones;
// - snapshots that are copies from the start (the writer had the file open:
//   no lease) are dropped unchecked: a copy made while a writer writes may
//   hold some of each.
// Prints "mapped" once its first lazy snapshot exists, then the tally.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { open, checkSnapshot } = require(join(__dirname, '..', '..'));
const { binding } = require(join(__dirname, '..', '..', 'lib', 'binding'));

const LIVE = 8;
const [path, milliseconds, ...sourcePaths] = process.argv.slice(2);

/** The JS loop under test: a plain sum over a Float64Array. */
function sum(floats) {
  let total = 0;
  for (let i = 0; i < floats.length; i++) total += floats[i];
  return total;
}
const floatsOf = (bytes) => new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
const knownSums = sourcePaths.map((source) => sum(floatsOf(readFileSync(source))));

const tally = {
  lazy: 0, copies: 0, copiedOnBreak: 0, sums: 0, wrongSums: 0, firstWrong: null, errors: {}, damaged: 0,
};
const file = open(path);
const view = file.view();
let live = [];
let dropped = 0;

/** A new lazy snapshot in `live`, or a count of what came instead. */
function makeSnapshot() {
  let snapshot;
  try {
    snapshot = view.snapshot({ lazy: true });
  } catch (error) {
    tally.errors[error.name] = (tally.errors[error.name] || 0) + 1;  // a copy of a file cut short
    return;
  }
  if (checkSnapshot(snapshot) !== 'mapped') {
    tally.copies++;
    return;
  }
  tally.lazy++;
  const floats = floatsOf(snapshot);
  const first = sum(floats);
  tally.sums++;
  if (!knownSums.includes(first)) wrong(`first sum ${first} is none of ${knownSums.join(', ')}`);
  live.push({ snapshot, floats, sum: first });
}

function wrong(what) {
  tally.wrongSums++;
  if (tally.firstWrong === null) tally.firstWrong = what;
}

async function main() {
  const deadline = Date.now() + Number(milliseconds);
  while (tally.lazy === 0 && Date.now() < deadline) makeSnapshot();
  process.stdout.write(`mapped ${tally.lazy}\n`);
  while (Date.now() < deadline) {
    if (live.length < LIVE) makeSnapshot();
    const kept = [];
    for (const entry of live) {
      let state;
      try {
        state = checkSnapshot(entry.snapshot);
      } catch (error) {
        tally.damaged++;
        tally.errors[error.name] = (tally.errors[error.name] || 0) + 1;
        continue;
      }
      // Summed after the state was read: a 'copied' snapshot is summed once
      // more after its swap, then replaced by a new one.
      const now = sum(entry.floats);
      tally.sums++;
      if (now !== entry.sum) wrong(`sum ${now} after ${entry.sum} (${state})`);
      if (state === 'copied') tally.copiedOnBreak++;
      else kept.push(entry);
    }
    dropped += live.length - kept.length;
    live = kept;
    // A swapped snapshot's memory (its own copy) goes only once its
    // ArrayBuffer is collected and its finalizer has run, which Node does from
    // the event loop: collect and yield now and then, so that it does not pile up.
    if (dropped >= 32) {
      global.gc?.();
      await new Promise(setImmediate);
      dropped = 0;
    }
  }
  file.close();
  tally.lazyCounts = binding.testing.lazyCounts();
  tally.rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
  process.stdout.write(`${JSON.stringify(tally)}\n`);
}

main();
