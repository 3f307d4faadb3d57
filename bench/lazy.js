// Lazy snapshots (view.snapshot({ lazy: true }), native/lazy_ranges.h): what
// one costs to make against snapshot()'s copy, and at which lengths; a JS loop
// over one against the same loop over readFileSync's Buffer; where a copy is
// cheaper after all (the crossover behind LAZY_MINIMUM_BYTES); and how long a
// writer waits while this process holds 64 MiB of them (the swap).
// The recipes over lazy snapshots (own format, Arrow) are in bench/recipes.js.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const v8 = require('node:v8');
const vm = require('node:vm');
const { open, checkSnapshot } = require('..');
const { binding } = require('../lib/binding');
const { rememberCopy, rememberLazy } = require('../lib/snapshot');
const { compare, median, percentile } = require('./measure');
const { heatUntilLeased } = require('./lease-heat');

const KiB = 1024;
const MiB = 1024 * KiB;
let sink = 0;

// A lazy snapshot's mapping goes when its ArrayBuffer is collected (its
// finalizer runs on the JS thread, on the turn after the collection). The
// groups collect between rounds, so that the process's limit of live lazy
// bytes (a quarter of RAM, at most 4 GiB) never turns a 1 GiB lazy snapshot
// into a copy, and free what they made as part of the timed work where that
// is part of the cost.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
async function collect() {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
}
// Before a timed case: the previous case's garbage collected and freed. V8
// frees large backing stores on a background sweeper, and the next large
// ArrayBuffer (lazy or not) would otherwise wait for it: a 1 GiB copy's free
// then lands in the next case's time.
async function settle() {
  await collect();
  await collect();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

function sizeName(bytes) {
  return bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`;
}

/** The same JS loop for every source: a sum of the doubles. */
function sumFloat64(array) {
  let sum = 0;
  for (let i = 0; i < array.length; i++) sum += array[i];
  return sum;
}

const doubles = (buffer) => new Float64Array(buffer.buffer, buffer.byteOffset, Math.floor(buffer.length / 8));

/** Counts lazy requests that came back as copies (the lease not to be had, the limit): each is a note. */
function fallbackCounter() {
  const counter = { made: 0, copies: 0 };
  counter.check = (snapshot) => {
    counter.made++;
    if (checkSnapshot(snapshot) !== 'mapped') counter.copies++;
  };
  counter.note = (what) => (counter.copies === 0 ? undefined
    : `${what}: ${counter.copies} of ${counter.made} lazy snapshots were copies (no lease at the time, or the limit).`);
  return counter;
}

/**
 * The read-only groups, on the suite's file: making one (1 GiB and 64 MiB,
 * lazy against a copy), reading it (hot and first pass), and where a copy wins.
 */
async function lazyGroups({ filePath, fileSize, rounds, few, progress, notes }) {
  const groups = [];
  const file = open(filePath);
  const view = file.view();
  try {
    // Whether a lazy snapshot can be had here at all (a lease filesystem, nobody writing).
    let probe = view.subarray(0, Math.min(fileSize, MiB)).snapshot({ lazy: true });
    const lazyHere = fileSize >= MiB && checkSnapshot(probe) === 'mapped';
    probe = undefined;
    if (!lazyHere) {
      notes.push(`Lazy snapshots skipped: ${filePath} gave a copy (${fileSize < MiB ? 'smaller than 1 MiB' : 'no read lease here'}).`);
      return groups;
    }

    // 1. Making one: lazy against the copy, at the file's size and at 64 MiB.
    const whole = Math.min(Math.floor(fileSize / MiB) * MiB, 1024 * MiB);
    const part = Math.min(whole, 64 * MiB);
    const making = fallbackCounter();
    let last;
    const lazy = (length) => ({
      before: async () => { if (last) making.check(last); last = undefined; await settle(); },
      run: () => { last = view.subarray(0, length).snapshot({ lazy: true }); return 1; },
    });
    const copy = (length) => ({
      before: settle,
      run: () => { sink ^= view.subarray(0, length).snapshot()[0]; return 1; },
    });
    groups.push(await compare({
      title: `Lazy snapshot, making one: snapshot({ lazy: true }) against snapshot(), warm ${sizeName(whole)} and ${sizeName(part)}`,
      baseline: `snapshot(), ${sizeName(whole)}`,
      bytesPerOperation: whole,
      rounds,
      progress,
      cases: {
        [`snapshot(), ${sizeName(whole)}`]: copy(whole),
        [`snapshot({ lazy: true }), ${sizeName(whole)}`]: lazy(whole),
        ...(part < whole ? { [`snapshot(), ${sizeName(part)}`]: copy(part), [`snapshot({ lazy: true }), ${sizeName(part)}`]: lazy(part) } : {}),
      },
    }));
    if (last) making.check(last);
    last = undefined;
    const makingNote = making.note('Making one');
    if (makingNote) notes.push(makingNote);

    // 2. Reading it: a JS loop over a Float64Array, hot (both already read
    // once, untimed), then a first pass (made, read once and dropped).
    await collect();
    let copied = fs.readFileSync(filePath).subarray(0, whole);
    let mapped = view.subarray(0, whole).snapshot({ lazy: true });
    if (checkSnapshot(mapped) !== 'mapped') throw new Error('the lazy snapshot to read is a copy');
    sink ^= sumFloat64(doubles(copied)) > 0;
    sink ^= sumFloat64(doubles(mapped)) > 0;
    groups.push(await compare({
      title: `Lazy snapshot, reading it: a JS loop summing a Float64Array, hot, ${sizeName(whole)}`,
      baseline: 'over readFileSync\'s Buffer',
      bytesPerOperation: whole,
      rounds: few,
      progress,
      cases: {
        'over readFileSync\'s Buffer': () => { sink ^= sumFloat64(doubles(copied)) > 0; return 1; },
        'over a lazy snapshot': () => { sink ^= sumFloat64(doubles(mapped)) > 0; return 1; },
      },
    }));
    if (checkSnapshot(mapped) !== 'mapped') notes.push('Reading it: the lazy snapshot was swapped during the group (a writer came).');
    // Dropped before the file is closed, which would copy a live lazy snapshot.
    mapped = undefined;
    copied = undefined;
    await collect();
    const firstPass = fallbackCounter();
    groups.push(await compare({
      title: `Lazy snapshot, reading it once: made (or read), one pass of the same loop, ${sizeName(whole)}`,
      baseline: 'readFileSync + one pass',
      bytesPerOperation: whole,
      rounds: few,
      progress,
      cases: {
        'readFileSync + one pass': { before: settle, run: () => { sink ^= sumFloat64(doubles(fs.readFileSync(filePath).subarray(0, whole))) > 0; return 1; } },
        'snapshot({ lazy: true }) + one pass (first touch of its pages)': {
          before: settle,
          run: () => {
            const snapshot = view.subarray(0, whole).snapshot({ lazy: true });
            sink ^= sumFloat64(doubles(snapshot)) > 0;
            firstPass.check(snapshot);
            return 1;
          },
        },
      },
    }));
    const firstPassNote = firstPass.note('Reading it once');
    if (firstPassNote) notes.push(firstPassNote);

    // 3. Where a copy wins: made, read once in full, collected, at each size;
    // the lazy side through the addon directly, with the minimum lowered, so
    // that it maps below LAZY_MINIMUM_BYTES too.
    groups.push(...await crossoverGroups({ file, view, fileSize, rounds, progress, notes }));
  } finally {
    file.close();
    await collect();
  }
  return groups;
}

const CROSSOVER_SIZES = [16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB];

async function crossoverGroups({ file, view, fileSize, rounds, progress, notes }) {
  const groups = [];
  const region = Math.min(fileSize, 64 * MiB);
  const slot = file.native.slot;
  const lazyCopies = fallbackCounter();
  binding.testing.setLazyMinimumBytesForBenchmark(4 * KiB);
  try {
    for (const size of CROSSOVER_SIZES) {
      if (size > region) continue;
      // 64 MiB per round (4096 snapshots of 16 KiB, 16 of 4 MiB), at successive offsets of a warm region.
      const count = Math.max(16, Math.floor(region / size));
      const offsets = Array.from({ length: count }, (_, i) => (i * size) % (region - size + 1));
      const made = (snapshotAt) => async () => {
        for (const at of offsets) sink ^= sumFloat64(doubles(snapshotAt(at))) > 0;
        await collect();  // the frees are part of the cost: munmap for a lazy one, free() for a copy
        return count;
      };
      groups.push(await compare({
        title: `Lazy snapshot or copy: ${sizeName(size)}, made, read once in full (a Float64Array sum), collected; per snapshot`,
        baseline: 'snapshot() + one pass',
        bytesPerOperation: size,
        rounds,
        progress,
        cases: {
          'snapshot() + one pass': made((at) => rememberCopy(binding.snapshot(slot, at, size))),
          'lazy + one pass': made((at) => {
            const lazy = binding.lazySnapshot(slot, at, size);
            if (lazy === undefined) { lazyCopies.made++; lazyCopies.copies++; return rememberCopy(binding.snapshot(slot, at, size)); }
            lazyCopies.made++;
            return rememberLazy(lazy, file.path, at);
          }),
        },
      }));
    }
  } finally {
    binding.testing.setLazyMinimumBytesForBenchmark(binding.constants.lazy.minimumBytes);
  }
  const note = lazyCopies.note('Where a copy wins');
  if (note) notes.push(note);
  // The crossover: the smallest size from which the lazy row is at least as fast.
  const rows = groups.map((group, i) => ({ size: CROSSOVER_SIZES[i], ratio: group.rows.find((row) => row.name === 'lazy + one pass').ratio }));
  const from = rows.find((row, i) => rows.slice(i).every((later) => later.ratio >= 1));
  notes.push(`Where a copy wins: lazy against copy ${rows.map((row) => `${sizeName(row.size)} ${row.ratio.toFixed(2)}x`).join(', ')}; `
    + (from ? `lazy is at least as fast from ${sizeName(from.size)} on` : 'the copy wins at every size measured')
    + ` (LAZY_MINIMUM_BYTES is ${sizeName(binding.constants.lazy.minimumBytes)}).`);
  return groups;
}

// The writer: another process, which opens the file for writing (and writes
// nothing) once per line on its stdin, and answers with the open's time in ns.
const WRITER = `
const fs = require('node:fs');
const path = process.argv[1];
let pending = '';
process.stdin.on('data', (chunk) => {
  pending += chunk;
  for (let newline; (newline = pending.indexOf('\\n')) >= 0;) {
    pending = pending.slice(newline + 1);
    const start = process.hrtime.bigint();
    const fd = fs.openSync(path, fs.constants.O_WRONLY);
    const ns = process.hrtime.bigint() - start;
    fs.closeSync(fd);
    process.stdout.write(ns + '\\n');
  }
});`;

function startWriter(path) {
  const child = spawn(process.execPath, ['-e', WRITER, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = [];
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
    for (let newline; (newline = output.indexOf('\n')) >= 0;) {
      const line = output.slice(0, newline);
      output = output.slice(newline + 1);
      waiting.shift()?.resolve(Number(line));
    }
  });
  child.on('exit', (code, signal) => { for (const { reject } of waiting.splice(0)) reject(new Error(`the writer ended with ${code ?? signal}`)); });
  return {
    /** Resolves with how long the writer's open took, in ns. */
    openOnce: () => new Promise((resolve, reject) => { waiting.push({ resolve, reject }); child.stdin.write('open\n'); }),
    stop: () => child.stdin.end(),
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The writer's wait: another process opens the file for writing while this
 * one holds 64 MiB of live lazy snapshots of it (16 of 4 MiB, read once), so
 * that the break swaps them all before the writer may go on; then with the
 * lease held and no lazy snapshot; then with no lease. The snapshots are taken
 * again after each break (a break that wrote nothing would otherwise keep the
 * lease away for 8 s: the back-off is off here, as in bench/lease.js).
 */
async function lazyWriterGroup({ scratchDir, progress, notes, samples = 200 }) {
  const path = `${scratchDir}/lazy-writer.bin`;
  const pieces = 16;
  const piece = 4 * MiB;
  const bigBuffer = Buffer.alloc(pieces * piece);
  for (let at = 0; at < bigBuffer.length; at += 8) bigBuffer.writeDoubleLE(at, at);
  fs.writeFileSync(path, bigBuffer);
  const writer = startWriter(path);
  const file = open(path);
  const view = file.view();
  const lazy = [];
  const leased = [];
  const unleased = [];
  let swapsMissed = 0;
  let lazyRetries = 0;
  binding.testing.setLeaseBackoffEnabled(false);
  try {
    const swapsBefore = binding.testing.lazyCounts()[1];
    for (let i = 0; i < samples; i++) {
      // 64 MiB of lazy snapshots, every one still the file's pages, each read once.
      let snapshots;
      for (let tries = 0; ; tries++) {
        snapshots = Array.from({ length: pieces }, (_, k) => view.subarray(k * piece, (k + 1) * piece).snapshot({ lazy: true }));
        if (snapshots.every((snapshot) => checkSnapshot(snapshot) === 'mapped')) break;
        if (tries === 500) throw new Error('lazy snapshots could not be taken again after a break');
        lazyRetries++;
        snapshots = undefined;
        await collect();
        await sleep(2);
      }
      for (const snapshot of snapshots) sink ^= sumFloat64(doubles(snapshot)) > 0;
      lazy.push(await writer.openOnce());
      swapsMissed += snapshots.filter((snapshot) => checkSnapshot(snapshot) !== 'copied').length;
      snapshots = undefined;
      await collect();
      // The lease alone, no lazy snapshot alive.
      for (let tries = 0; heatUntilLeased(file, 100) !== 'lease'; tries++) {
        if (tries === 500) throw new Error('the lease was not taken again');
        await sleep(2);
      }
      leased.push(await writer.openOnce());
      if (i % 20 === 19) progress(`Lazy snapshots, writer's wait: ${i + 1}/${samples}`);
    }
    const swaps = binding.testing.lazyCounts()[1] - swapsBefore;
    notes.push(`Writer's wait: ${swaps} lazy snapshots swapped over ${samples} breaks (${pieces} expected per break)`
      + `${swapsMissed ? `, ${swapsMissed} still mapped after the writer's open` : ''}; `
      + `${lazyRetries} times the snapshots were taken again before the lease was back.`);
  } finally {
    file.close();
    binding.testing.setLeaseBackoffEnabled(true);
  }
  for (let i = 0; i < samples; i++) unleased.push(await writer.openOnce());
  writer.stop();
  const base = median(unleased);
  const row = (name, nsPerOperation) => ({ name, nsPerOperation, ratio: base / nsPerOperation });
  return [{
    title: `Lazy snapshots, the writer's wait: another process's open for write, ${samples} each, against this process holding 64 MiB of lazy snapshots (16 of 4 MiB), a lease alone, nothing`,
    baseline: 'no lease (p50)',
    rows: [
      row('no lease (p50)', base),
      row('no lease (p99)', percentile(unleased, 0.99)),
      row('lease held, no lazy snapshot (p50)', median(leased)),
      row('lease held, no lazy snapshot (p99)', percentile(leased, 0.99)),
      row('64 MiB of lazy snapshots (p50)', median(lazy)),
      row('64 MiB of lazy snapshots (p99)', percentile(lazy, 0.99)),
      row('64 MiB of lazy snapshots (max)', Math.max(...lazy)),
    ],
  }];
}

module.exports = { lazyGroups, lazyWriterGroup, collect, settle, sumFloat64, fallbackCounter, sink: () => sink };
