#!/usr/bin/env node
// Soak: readers on the main thread, in worker threads and through async
// operations, against writer processes that keep truncating, extending,
// rewriting and replacing the file. Bounded in time; prints a summary.
// Then the bad-input fuzz (scripts/fuzz-bad-input.js) runs N cases in a child
// process of its own, so that a crash in it is counted, not fatal.
//   npm run test:soak -- [--seconds N] [--fuzz-runs N (default 100000; 0 skips)] [--fuzz-seed S] [--json]
//
// The file only ever holds the bytes of some generation's pattern (writers
// extend and rewrite with pattern bytes, never with zeros), so the oracle is
// strict: every byte a reader gets must be pattern(offset, g) for one of the
// generations, and a zero is always wrong. Exit status 0 only when wrong
// bytes, crashes, unexpected error classes and unexpected fuzz outcomes are all 0.
'use strict';
const { fork, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const GENERATIONS = 4;
const FILE_LENGTH = 4 << 20;
const EXPECTED_ERRORS = new Set(['MappedFileTruncated', 'MappedFileIOError']);

/** The byte generation g holds at offset i: never 0, and different for each generation. */
function patternByte(offset, generation) {
  return 1 + ((offset * 31 + 7 + generation * 61) % 255);
}

function patternBuffer(start, length, generation) {
  const buffer = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) buffer[i] = patternByte(start + i, generation);
  return buffer;
}

function argument(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

// ------------------------------------------------------------------ writer
// Writers take turns (a mkdir lock), so that one writer's truncate never
// lands between another's stat and extend: an extension by truncate(2) would
// put zeros in the file, and the oracle counts a zero as wrong.
function withWriterLock(file, action) {
  const lock = `${file}.lock`;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
  try {
    action();
  } finally {
    fs.rmdirSync(lock);
  }
}

function writerMain(file, seconds) {
  const generations = Array.from({ length: GENERATIONS }, (_, g) => patternBuffer(0, FILE_LENGTH, g));
  const deadline = Date.now() + seconds * 1000;
  const next = (limit) => Math.floor(Math.random() * limit);
  const actions = { truncate: 0, extend: 0, rewrite: 0, replace: 0 };
  while (Date.now() < deadline) withWriterLock(file, () => {
    const generation = next(GENERATIONS);
    try {
      switch (next(4)) {
        case 0: { // shrink to a random size, usually not page-aligned
          const size = fs.statSync(file).size;
          fs.truncateSync(file, next(size + 1));
          actions.truncate++;
          break;
        }
        case 1: { // extend with pattern bytes (never zeros)
          const size = fs.statSync(file).size;
          if (size < FILE_LENGTH) {
            fs.appendFileSync(file, generations[generation].subarray(size, size + 1 + next(256 * 1024)));
          }
          actions.extend++;
          break;
        }
        case 2: // rewrite the whole file with a new generation
          fs.writeFileSync(file, generations[generation]);
          actions.rewrite++;
          break;
        default: { // replace the file by rename
          const temporary = `${file}.${process.pid}.tmp`;
          fs.writeFileSync(temporary, generations[generation]);
          fs.renameSync(temporary, file);
          actions.replace++;
        }
      }
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
  });
  process.send({ actions });
}

// ------------------------------------------------------------------ readers
function readerLoop(file, milliseconds, useAsync) {
  const { open } = require(path.join(__dirname, '..'));
  const tally = { reads: 0, faults: 0, errors: {}, wrongBytes: 0, firstWrong: null };
  const check = (bytes, start) => {
    for (let i = 0; i < bytes.length; i++) {
      let ok = false;
      for (let g = 0; g < GENERATIONS && !ok; g++) ok = bytes[i] === patternByte(start + i, g);
      if (!ok) {
        tally.wrongBytes++;
        if (!tally.firstWrong) tally.firstWrong = `offset ${start + i}: ${bytes[i]}`;
      }
    }
  };
  const count = (error) => {
    const name = error && error.constructor ? error.constructor.name : String(error);
    tally.errors[name] = (tally.errors[name] || 0) + 1;
    if (EXPECTED_ERRORS.has(name)) tally.faults++;
  };
  const deadline = Date.now() + milliseconds;
  const step = async () => {
    let mapped;
    try { mapped = open(file); } catch (error) { if (error.code === 'ENOENT') return; throw error; }
    const view = mapped.view();
    const reopenAt = Date.now() + 50;  // pick up replaced files now and then
    while (Date.now() < Math.min(reopenAt, deadline) && view.length > 0) {
      const at = Math.floor(Math.random() * view.length);
      const length = Math.min(1 + Math.floor(Math.random() * 65536), view.length - at);
      try {
        switch (Math.floor(Math.random() * (useAsync ? 2 : 4))) {
          case 0: check(useAsync ? await view.subarray(at, at + length).snapshotAsync()
            : view.subarray(at, at + length).snapshot(), at); break;
          case 1: {
            const target = Buffer.alloc(length);
            if (useAsync) await view.copyAsync(target, 0, at, at + length);
            else view.copy(target, 0, at, at + length);
            check(target, at);
            break;
          }
          case 2: {
            const value = view.readUInt8(at);
            check(Uint8Array.of(value), at);
            break;
          }
          default:
            if (view.subarray(at, at + length).indexOf(0) !== -1) { tally.wrongBytes++; tally.firstWrong ??= 'a zero found by indexOf'; }
        }
        tally.reads++;
      } catch (error) {
        count(error);
      }
    }
    mapped.close();
  };
  return (async () => {
    while (Date.now() < deadline) await step();
    return tally;
  })();
}

async function readerProcessMain(file, seconds) {
  const { Worker } = require('node:worker_threads');
  const milliseconds = seconds * 1000;
  const workers = [0, 1].map(() => new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { argv: ['--role', 'worker', file, String(seconds)] });
    worker.once('message', resolve);
    worker.once('error', reject);
  }));
  const tallies = await Promise.all([readerLoop(file, milliseconds, false), readerLoop(file, milliseconds, true), ...workers]);
  process.send({ tallies });
}

// ------------------------------------------------------------------ bad-input fuzz
async function fuzzMain(runs, seed, dir) {
  const { runBadInputFuzz } = require('./fuzz-bad-input.js');
  const report = await runBadInputFuzz(require(path.join(__dirname, '..')), { runs, seed, dir });
  process.send({ report }, () => process.exit(0));
}

// Runs the fuzz in a child; a crash, a hang past the deadline or a missing
// report counts as one unexpected outcome.
function runFuzz(runs, seed, dir) {
  const fuzz = { runs, seed, cases: 0, seconds: 0, outcomes: {}, unexpectedCount: 0, unexpected: [], readOnlyUnchanged: true };
  if (runs === 0) return Promise.resolve(fuzz);
  // Cases take well under 1 ms each; one that hangs is cut off by the fuzz after 5 s.
  const deadline = Math.max(120, runs / 100) * 1000;
  return new Promise((resolve) => {
    const child = fork(__filename, ['--role', 'fuzz', String(runs), String(seed), dir], { stdio: 'inherit' });
    let report = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), deadline);
    child.on('message', (message) => { report = message.report; });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (report) Object.assign(fuzz, report);
      delete fuzz.methods;  // calls per method: test/bad-input-fuzz checks them; too long for the summary
      if (code !== 0 || signal || !report) {
        fuzz.unexpectedCount++;
        fuzz.unexpected.push({ call: 'the fuzz process', error: `ended with ${signal || `code ${code}`}${report ? '' : ' and no report'}` });
        fuzz.crash = signal || code;
      }
      resolve(fuzz);
    });
  });
}

// ------------------------------------------------------------------ parent
async function main() {
  const seconds = Number(argument('--seconds', 10));
  const fuzzRuns = Number(argument('--fuzz-runs', 100000));
  // A new seed each soak explores new cases; it is printed, so a failure replays.
  const fuzzSeed = Number(argument('--fuzz-seed', Math.floor(Math.random() * 2 ** 31)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-soak-'));
  const file = path.join(dir, 'soak.bin');
  fs.writeFileSync(file, patternBuffer(0, FILE_LENGTH, 0));
  const run = (role, extra) => new Promise((resolve) => {
    const child = fork(__filename, ['--role', role, file, String(seconds), ...extra], { stdio: 'inherit' });
    let report = null;
    child.on('message', (message) => { report = message; });
    child.on('exit', (code, signal) => resolve({ role, code, signal, report }));
  });
  process.stderr.write(`soak: ${seconds} s, 2 writer processes, 1 reader process (main thread sync + async, 2 workers)\n`);
  const results = await Promise.all([run('writer', ['1']), run('writer', ['2']), run('reader', [])]);
  // After the soak, so that the two do not compete for the CPU.
  if (fuzzRuns > 0) process.stderr.write(`soak: bad-input fuzz, ${fuzzRuns} cases, seed ${fuzzSeed}\n`);
  const fuzz = await runFuzz(fuzzRuns, fuzzSeed, dir);
  fs.rmSync(dir, { recursive: true, force: true });

  const summary = { seconds, reads: 0, faultsCaught: 0, errorsByClass: {}, wrongBytes: 0, crashes: 0,
    unexpectedErrors: 0, writerActions: { truncate: 0, extend: 0, rewrite: 0, replace: 0 }, firstWrong: null, fuzz };
  for (const { role, code, signal, report } of results) {
    if (code !== 0 || signal || !report) { summary.crashes++; process.stderr.write(`soak: ${role} ended with ${signal || code}\n`); continue; }
    if (role === 'writer') for (const [k, v] of Object.entries(report.actions)) summary.writerActions[k] += v;
    for (const tally of report.tallies || []) {
      summary.reads += tally.reads;
      summary.faultsCaught += tally.faults;
      summary.wrongBytes += tally.wrongBytes;
      summary.firstWrong ??= tally.firstWrong;
      for (const [name, n] of Object.entries(tally.errors)) {
        summary.errorsByClass[name] = (summary.errorsByClass[name] || 0) + n;
        if (!EXPECTED_ERRORS.has(name)) summary.unexpectedErrors += n;
      }
    }
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(summary));
  else {
    console.log(`reads done: ${summary.reads}`);
    console.log(`faults caught: ${summary.faultsCaught}`);
    console.log(`errors by class: ${JSON.stringify(summary.errorsByClass)}`);
    console.log(`writer actions: ${JSON.stringify(summary.writerActions)}`);
    console.log(`wrong bytes: ${summary.wrongBytes}${summary.firstWrong ? ` (first: ${summary.firstWrong})` : ''}`);
    console.log(`unexpected error classes: ${summary.unexpectedErrors}`);
    console.log(`crashes: ${summary.crashes}`);
    console.log(`bad-input fuzz: ${fuzz.cases} of ${fuzz.runs} cases (seed ${fuzz.seed}, ${fuzz.seconds} s), ` +
      `read-only files unchanged: ${fuzz.readOnlyUnchanged ? 'yes' : 'NO'}`);
    console.log(`fuzz outcomes: ${JSON.stringify(fuzz.outcomes)}`);
    console.log(`unexpected fuzz outcomes: ${fuzz.unexpectedCount}`);
    for (const { call, error } of fuzz.unexpected.slice(0, 5)) console.log(`  ${call}\n    => ${error}`);
  }
  const fuzzOk = fuzz.unexpectedCount === 0 && fuzz.cases === fuzz.runs && fuzz.readOnlyUnchanged;
  process.exit(summary.wrongBytes === 0 && summary.crashes === 0 && summary.unexpectedErrors === 0 && summary.reads > 0 &&
    fuzzOk ? 0 : 1);
}

const role = argument('--role');
const roleArgs = role ? process.argv.slice(process.argv.indexOf('--role') + 2) : [];
if (role === 'writer') writerMain(roleArgs[0], Number(roleArgs[1]));
else if (role === 'fuzz') fuzzMain(Number(roleArgs[0]), Number(roleArgs[1]), roleArgs[2]);
else if (role === 'reader') readerProcessMain(roleArgs[0], Number(roleArgs[1]));
else if (role === 'worker') {
  readerLoop(roleArgs[0], Number(roleArgs[1]) * 1000, false)
    .then((tally) => require('node:worker_threads').parentPort.postMessage(tally));
} else main();
