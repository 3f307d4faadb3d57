// What lazy snapshots cost in memory, measured in a child of its own from
// /proc/self/smaps_rollup and /proc/self/maps:
//  - reading a lazy snapshot of 1 GiB in full from a JS loop takes no
//    anonymous memory (its pages are the file's, in the page cache: they count
//    in Rss as file pages and in nothing else); a break (another process opens
//    the file for writing) turns it into about its length of anonymous memory,
//    with the same bytes;
//  - 100,000 lazy snapshots made and dropped leave no mapping of the file
//    behind, and no live range.
// Switches: SAFE_MMAP_LAZY_LIMIT_MB=0 (every lazy snapshot a copy) makes the
// first case take 1 GiB of anonymous memory at once; with
// SAFE_MMAP_TEST_DISABLE_LAZY_SWAP=1 the break copies nothing.
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { PACKAGE_ROOT } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
const MiB = 1 << 20;
// Under qemu-user (the arm64 stage) every JS iteration costs about ten times
// as much: a quarter of the size keeps the loop's time bounded.
const EMULATED = process.env.SAFE_MMAP_TEST_QEMU === '1';
const LENGTH = (EMULATED ? 256 : 1024) * MiB;
const ANON_SLACK = 64 * MiB;
const SNAPSHOTS = EMULATED ? 10_000 : 100_000;
const CHILD_TIMEOUT_MS = 120_000;

/** Runs `script` in a child (cwd: the package, so require('.') is safe-mmap) and returns its last line as JSON. */
function runChild(script: string, flags: string[] = []) {
  const child = spawnSync(process.execPath, [...flags, '-e', script],
    { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, maxBuffer: 16 * MiB });
  if (child.status !== 0) {
    throw new Error(`child ended with ${child.status ?? child.signal} ${child.error ?? ''}: ${child.stderr}`);
  }
  return JSON.parse(child.stdout.trim().split('\n').pop() as string);
}

/**
 * A sparse file of `length` bytes with a float64 k + 1 at the start of every
 * 64 KiB (k its index), zeros elsewhere: its sum is known, and it is made in
 * milliseconds (1 GiB of real writes takes seconds on a loaded machine).
 * Reading the holes maps page-cache pages all the same.
 */
function floatFile(name: string, length: number): { path: string; sum: number } {
  const path = dir.file(name);
  const fd = openSync(path, 'r+');
  let sum = 0;
  try {
    ftruncateSync(fd, length);
    const value = new Float64Array(1);
    for (let k = 0; k * 65536 < length; k++) {
      value[0] = k + 1;
      sum += k + 1;
      writeSync(fd, new Uint8Array(value.buffer), 0, 8, k * 65536);
    }
  } finally {
    closeSync(fd);
  }
  return { path, sum };
}

const MEMORY = `
  const fs = require('node:fs');
  // Bytes, from /proc/self/smaps_rollup: every resident page mapped, and the anonymous ones.
  const memory = () => {
    const text = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kib = (key) => Number(new RegExp('^' + key + ':\\\\s+(\\\\d+) kB', 'm').exec(text)[1]);
    return { rss: kib('Rss') * 1024, anon: kib('Anonymous') * 1024 };
  };`;

test(`reading a lazy snapshot of ${LENGTH / MiB} MiB in full takes no anonymous memory; a break takes about its length`, () => {
  const { path, sum } = floatFile('floats', LENGTH);
  const report = runChild(`${MEMORY}
    const { open, checkSnapshot } = require('.');
    const { execFileSync } = require('node:child_process');
    const path = ${JSON.stringify(path)};
    const sumOf = (snapshot) => {
      const values = new Float64Array(snapshot.buffer);
      let sum = 0;
      for (let i = 0; i < values.length; i++) sum += values[i];
      return sum;
    };
    const before = memory();
    const file = open(path);
    const snapshot = file.view().snapshot({ lazy: true });
    const state = checkSnapshot(snapshot);
    const sum = sumOf(snapshot);
    const read = memory();
    // The break: another process opens the file for writing (and writes nothing).
    execFileSync(process.execPath, ['-e', 'const fs = require("node:fs"); fs.closeSync(fs.openSync(' +
      JSON.stringify(path) + ', "r+"))']);
    // The swap ends before the writer's open returns, unless it took longer than
    // lease-break-time (a test elsewhere may lower it): wait for it, boundedly.
    let stateAfterBreak = checkSnapshot(snapshot);
    for (const deadline = Date.now() + 20000; stateAfterBreak !== 'copied' && Date.now() < deadline;) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      stateAfterBreak = checkSnapshot(snapshot);
    }
    const broken = memory();
    const sumAfterBreak = sumOf(snapshot);
    file.close();
    console.log(JSON.stringify({ before, read, broken, state, sum, stateAfterBreak, sumAfterBreak }));`);
  const { before, read, broken } = report;
  const grown = (from: { rss: number; anon: number }, to: { rss: number; anon: number }) =>
    ({ anon: (to.anon - from.anon) / MiB, file: (to.rss - to.anon - from.rss + from.anon) / MiB });
  const whileMapped = grown(before, read);
  const atBreak = grown(read, broken);
  console.log(`lazy snapshot of ${LENGTH / MiB} MiB read in full: anonymous +${whileMapped.anon.toFixed(1)} MiB, ` +
    `file pages +${whileMapped.file.toFixed(1)} MiB; after the break: anonymous +${atBreak.anon.toFixed(1)} MiB, ` +
    `file pages ${atBreak.file.toFixed(1)} MiB`);

  expect(report.state).toBe('mapped');
  expect(report.sum).toBe(sum);
  // Flat: the loop read the file's pages, and made no anonymous copy of them.
  expect(whileMapped.anon).toBeLessThan(ANON_SLACK / MiB);
  // Rss did grow, by file pages only: the snapshot's mapping, at most its length.
  expect(whileMapped.file).toBeLessThan((LENGTH + ANON_SLACK) / MiB);
  // The break: the snapshot became its own memory, about its length of it, same bytes.
  expect(report.stateAfterBreak).toBe('copied');
  expect(atBreak.anon).toBeGreaterThan(0.9 * LENGTH / MiB);
  expect(atBreak.anon).toBeLessThan((LENGTH + ANON_SLACK) / MiB);
  expect(report.sumAfterBreak).toBe(sum);
});

test(`${SNAPSHOTS.toLocaleString('en')} lazy snapshots made and dropped leave no mapping behind${
  EMULATED ? ' (10,000 under qemu-user, not 100,000: each costs ten times as much there)' : ''}`, () => {
  const path = dir.patternFile('many', 2 * MiB);  // room for a snapshot of LAZY_MINIMUM_BYTES at 4096
  const report = runChild(`(async () => {
    const fs = require('node:fs');
    const { open, checkSnapshot, LAZY_MINIMUM_BYTES } = require('.');
    const { binding } = require('./lib/binding');
    const path = ${JSON.stringify(path)};
    const mappingsOfFile = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n')
      .filter((line) => line.endsWith(' ' + path)).length;
    // Until no range is live, at most 50 rounds: Deno's finalizers may come a few turns late.
    const collect = async () => {
      for (let i = 0; i < 50 && binding.testing.lazyCounts()[0] !== 0; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const file = open(path);
    const view = file.view(4096, LAZY_MINIMUM_BYTES);
    const expected = require('./test/support/pattern.cjs').patternBuffer(4096, LAZY_MINIMUM_BYTES);
    const before = mappingsOfFile();  // the file's own mapping
    // The count sees lazy snapshots: 1,000 kept at once are 1,000 more mappings.
    let kept = Array.from({ length: 1000 }, () => view.snapshot({ lazy: true }));
    const whileKept = mappingsOfFile();
    kept = null;
    await collect();
    let mapped = 0, wrong = 0;
    for (let i = 0; i < ${SNAPSHOTS}; i++) {
      const snapshot = view.snapshot({ lazy: true });
      if (checkSnapshot(snapshot) === 'mapped') mapped++;
      const at = (i * 4099) % LAZY_MINIMUM_BYTES;
      if (snapshot[at] !== expected[at]) wrong++;
      // Every 1,000 (1 GiB of live lazy bytes): below the process's limit
      // (at most 4 GiB), past which snapshots would be copies.
      if (i % 1000 === 999) { gc(); await new Promise((resolve) => setImmediate(resolve)); }
    }
    await collect();
    const after = mappingsOfFile();
    const [liveRanges] = binding.testing.lazyCounts();
    file.close();
    console.log(JSON.stringify({ before, whileKept, after, mapped, wrong, liveRanges }));
  })();`, ['--expose-gc']);
  console.log(`${SNAPSHOTS} lazy snapshots: ${JSON.stringify(report)}`);
  expect(report).toEqual({ before: 1, whileKept: 1001, after: 1, mapped: SNAPSHOTS, wrong: 0, liveRanges: 0 });
});
