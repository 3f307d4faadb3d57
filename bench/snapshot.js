// Large snapshots against fs.readFileSync of the same file: 64 MiB, 512 MiB
// and the whole file, page cache warm, in a warm process and in a fresh
// process per operation. Each row also gives the minor page faults of one
// operation (getrusage): both sides fault in their new Buffer page by page,
// and a copy through the mapping also fills the mapping's page table on its
// first touch, which read(2) never does.
//
// `node bench/snapshot.js <file> [--rounds N] [--json]` runs these groups
// alone; `npm run bench` runs them with the rest of the suite.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const { open } = require('..');
const { compare, median } = require('./measure');

const MiB = 1024 * 1024;
const SIZES = [64 * MiB, 512 * MiB];
const WHOLE_FILE_LIMIT = 2 * 1024 * MiB - 1;  // readFileSync's limit (kIoMaxLength)
const CHILD = '--snapshot-child';

let sink = 0;

function minorFaults() {
  return process.resourceUsage().minorPageFault;
}

// One operation, as a fresh process would run it: the whole job, the open
// included (readFileSync opens, sizes, reads and closes).
const OPERATIONS = {
  'fs.readFileSync': (filePath) => { sink ^= fs.readFileSync(filePath)[0]; },
  'open + view.snapshot + close': (filePath) => {
    const file = open(filePath);
    try { sink ^= file.view().snapshot()[0]; } finally { file.close(); }
  },
};

/** Runs `operation` once; its time in ns and its minor faults. */
function measured(operation) {
  const faults = minorFaults();
  const start = process.hrtime.bigint();
  operation();
  return { ns: Number(process.hrtime.bigint() - start), faults: minorFaults() - faults };
}

/** One operation in a new process (this file with CHILD): { ns, faults }. */
function inFreshProcess(name, filePath) {
  const child = spawnSync(process.execPath, [__filename, CHILD, name, filePath], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`snapshot child (${name}) failed: ${child.stderr.trim()}`);
  return JSON.parse(child.stdout);
}

// The garbage collector, for settle().
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc');

// Frees the Buffers of earlier operations before the next one is timed.
// Left to itself, V8 collects them when external memory has grown enough,
// inside whichever allocation crosses the limit, and unmaps them on a
// background thread while the next operation runs: with two cases per round
// that is the same case round after round, and a 512 MiB group measured
// 1.41x or 0.85x for the same build depending only on which case it was.
// V8 sweeps ArrayBuffers after the collection returns: wait for it.
// The unmapping itself comes a little later: wait until the resident set
// stops shrinking.
async function settle(floor) {
  const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
  collect();
  for (let waited = 0; waited < 2000 && process.memoryUsage().arrayBuffers > floor; waited += 5) await pause();
  for (let rss = process.memoryUsage.rss(), waited = 0; waited < 2000; waited += 5) {
    await pause();
    const now = process.memoryUsage.rss();
    if (now >= rss) break;
    rss = now;
  }
}

// compare() interleaves the rounds; each case here returns { ns, faults }
// of its one operation, and the row reports the median of those: a fresh
// process's own time, without the process start around it.
async function groupOf({ title, baseline, bytes, rounds, progress, cases }) {
  const samples = new Map(Object.keys(cases).map((name) => [name, []]));
  await settle(Infinity);
  const floor = process.memoryUsage().arrayBuffers + 16 * MiB;  // what the process holds anyway
  const timed = Object.fromEntries(Object.entries(cases).map(([name, run]) => [name, {
    before: () => settle(floor),
    run: () => {
      samples.get(name).push(run());
      return 1;
    },
  }]));
  const group = await compare({ title, baseline, bytesPerOperation: bytes, rounds, progress, cases: timed, rotate: true });
  const ns = (name) => median(samples.get(name).map((sample) => sample.ns));
  group.rows = group.rows.map(({ name }) => ({
    name,
    nsPerOperation: ns(name),
    ratio: ns(baseline) / ns(name),
    minorFaults: median(samples.get(name).map((sample) => sample.faults)),
  }));
  return group;
}

/** Writes the first `size` bytes of `from` to a new file `to`. */
function copyHead(from, to, size) {
  const source = fs.openSync(from, 'r');
  const target = fs.openSync(to, 'w');
  try {
    const chunk = Buffer.allocUnsafe(16 * MiB);
    for (let at = 0; at < size;) {
      const n = fs.readSync(source, chunk, 0, Math.min(chunk.length, size - at), at);
      fs.writeSync(target, chunk, 0, n, at);
      at += n;
    }
  } finally {
    fs.closeSync(source);
    fs.closeSync(target);
  }
}

function sizeName(bytes) {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${(bytes / MiB).toFixed(2)} MiB`;
}

/**
 * The groups for filePath, and for its first 64 MiB and 512 MiB copied into
 * scratchDir when given (only on the suite's generated file).
 */
async function largeSnapshotGroups({ filePath, scratchDir, rounds, progress, notes }) {
  const fileSize = fs.statSync(filePath).size;
  if (fileSize > WHOLE_FILE_LIMIT) {
    notes.push(`Large snapshots skipped: ${sizeName(fileSize)} is more than readFileSync can read.`);
    return [];
  }
  const files = [];
  if (scratchDir !== undefined) {
    for (const size of SIZES.filter((candidate) => candidate < fileSize)) {
      const copy = path.join(scratchDir, `snapshot-${size / MiB}m.bin`);
      copyHead(filePath, copy, size);
      files.push(copy);
    }
  }
  files.push(filePath);
  const groups = [];
  try {
    for (const file of files) {
      const bytes = fs.statSync(file).size;
      fs.readFileSync(file);  // the page cache warm for both sides
      const kept = open(file);
      const view = kept.view();
      try {
        groups.push(await groupOf({
          title: `Large snapshot: ${sizeName(bytes)} file, warm cache, warm process`,
          baseline: 'fs.readFileSync',
          bytes,
          rounds,
          progress,
          cases: {
            'fs.readFileSync': () => measured(() => OPERATIONS['fs.readFileSync'](file)),
            'view.snapshot (file kept open)': () => measured(() => { sink ^= view.snapshot()[0]; }),
            'open + view.snapshot + close': () => measured(() => OPERATIONS['open + view.snapshot + close'](file)),
          },
        }));
      } finally {
        kept.close();
      }
      groups.push(await groupOf({
        title: `Large snapshot: ${sizeName(bytes)} file, warm cache, a fresh process per operation`,
        baseline: 'fs.readFileSync',
        bytes,
        rounds,
        progress,
        cases: Object.fromEntries(Object.keys(OPERATIONS).map((name) => [name, () => inFreshProcess(name, file)])),
      }));
    }
  } finally {
    for (const file of files) if (file !== filePath) fs.rmSync(file, { force: true });
  }
  return groups;
}

module.exports = { largeSnapshotGroups };

if (require.main === module && process.argv[2] === CHILD) {
  const [, , , name, filePath] = process.argv;
  process.stdout.write(JSON.stringify(measured(() => OPERATIONS[name](filePath))));
} else if (require.main === module) {
  const { parseArgs } = require('node:util');
  const os = require('node:os');
  const report = require('./report');
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const rounds = Number(values.rounds ?? 7);
  const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-snapshot-'));
  const progress = (line) => process.stderr.write(`\r\x1b[K${line}`);
  const notes = [];
  largeSnapshotGroups({ filePath: positionals[0], scratchDir, rounds, progress, notes }).then((groups) => {
    process.stderr.write('\r\x1b[K');
    const run = { machine: report.machine(), date: new Date().toISOString().slice(0, 10), rounds, file: { path: positionals[0], size: fs.statSync(positionals[0]).size }, groups, notes, targets: [] };
    process.stdout.write(values.json ? JSON.stringify(run, null, 2) + '\n' : report.markdown(run));
  }).finally(() => fs.rmSync(scratchDir, { recursive: true, force: true }));
}
