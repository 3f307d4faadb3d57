#!/usr/bin/env node
// Reliability report: injects each kind of fault for real, counts what came
// out, and prints one markdown table (or JSON with --json).
//
//   npm run reliability [-- --scale N] [--json] [--seed S] [--only kind,kind]
//
// Each fault kind runs in a child process of its own, so a crash is counted as
// a crash (the child's signal) and never takes the runner down. A child keeps
// its tally in a status file, rewritten as it goes, so a child killed by a
// signal still leaves its counts behind.
//
// Kinds (the counts are for --scale 1; N scales them):
//   truncation  same-process truncation: ftruncate at random unaligned sizes,
//               then reads across the cut (sync and async), below it, and past it
//   race        cross-process truncation race: scripts/soak.ts, its summary
//   eio         reads of pages that fail with EIO (test/faultfs/faultfs.c, FUSE)
//   vanish      the FUSE daemon killed while a loop reads (a yanked disk)
//   full-disk   writes into the holes of a sparse file on a full tmpfs
//   bad-input   scripts/fuzz/ (random bad arguments)
//   leak        open/view/snapshot/close cycles: descriptors, mappings, RSS
//   lease-race  lease mode against a writer process that opens the file for
//               writing (a break), truncates it and writes it back, each cycle
//   lease-otrunc  the same with open(O_RDONLY|O_TRUNC) first: a truncation to 0
//               with no break (the lease's hole 1)
//   lease-stopped a reader stopped (SIGSTOP) past lease-break-time (lowered to
//               1 s, then restored) while a writer truncates into a page and
//               writes it back: the kernel revokes the lease (hole 2)
//   raw         the truncation kind with the guard off (a raw mapping): it must
//               die by SIGBUS; the comparison row
//
// Every byte a read returns is checked against what the file holds (the
// pattern 1 + ((i * 31 + 7) % 255), never 0, or the bytes written). Exit
// status 0 only when every safe-mmap row injected faults and has no wrong
// byte, no crash and no unexpected outcome, and the raw row died by SIGBUS.
// Needs root (tmpfs and FUSE mounts), gcc, pkg-config and libfuse3-dev.
'use strict';

const { execFileSync, fork, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { heatUntilLeased } = require('../bench/lease-heat');

const ROOT = path.join(__dirname, '..');
const PAGE = 4096;

/** The byte the test files hold at `offset` (as test/support/files.ts and faultfs.c): never 0. */
function patternByte(offset) {
  return 1 + ((offset * 31 + 7) % 255);
}

function patternBuffer(start, length) {
  const buffer = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) buffer[i] = patternByte(start + i);
  return buffer;
}

/** mulberry32: a seeded generator, so that a run can be replayed with --seed. */
function prng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (limit) => Math.floor(next() * limit);  // 0 .. limit-1
  next.pick = (list) => list[Math.floor(next() * list.length)];
  return next;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const scaled = (count, scale, minimum = 1) => Math.max(minimum, Math.round(count * scale));

// ======================================================================
// Tallies, kept by the children

function newTally(extra = {}) {
  return { injected: 0, outcomes: {}, wrongBytes: 0, bytesChecked: 0, unexpected: 0, unexpectedSamples: [],
    firstWrong: null, final: false, ...extra };
}

/** The outcome of a call: 'returned', or the error's class (with its code when it is not a MappedFile… error). */
function outcomeName(error) {
  if (error === undefined) return 'returned';
  const name = (error && error.constructor && error.constructor.name) || typeof error;
  return error && error.code && !String(name).startsWith('Mapped') ? `${name} ${error.code}` : name;
}

/** Counts an outcome; `expected` is the outcome wanted, or a list of those allowed. */
function record(tally, outcome, expected, error) {
  tally.outcomes[outcome] = (tally.outcomes[outcome] || 0) + 1;
  if (Array.isArray(expected) ? !expected.includes(outcome) : outcome !== expected) {
    tally.unexpected++;
    if (tally.unexpectedSamples.length < 5) {
      tally.unexpectedSamples.push(`expected ${expected}, got ${outcome}${error ? `: ${error.message}` : ''}`);
    }
  }
}

/** Counts the bytes of `bytes` (read at file offset `at`) that differ from `expected` (a function or a Buffer of the file). */
function checkBytes(tally, bytes, at, expected) {
  tally.bytesChecked += bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    const want = typeof expected === 'function' ? expected(at + i) : expected[at + i];
    if (bytes[i] !== want) {
      tally.wrongBytes++;
      if (!tally.firstWrong) tally.firstWrong = `offset ${at + i}: got ${bytes[i]}, the file holds ${want}`;
    }
  }
}

/** A status file rewritten in place: the last tally written survives a crash. */
function statusWriter(file) {
  const fd = fs.openSync(file, 'w');
  let written = 0;
  return (tally) => {
    const text = JSON.stringify(tally);
    const buffer = Buffer.alloc(Math.max(written, text.length + 1), ' ');
    buffer.write(text);
    fs.writeSync(fd, buffer, 0, buffer.length, 0);
    written = buffer.length;
  };
}

// ======================================================================
// Reads: one helper for every way of getting bytes out of a view. Each
// returns { bytes, at } (the bytes it got and where they start in the file),
// or { zeroAt } for a search for a zero byte (the pattern holds none).

const READ_METHODS = ['snapshot', 'copy', 'number', 'toString', 'indexOf', 'snapshotAsync', 'copyAsync', 'indexOfAsync'];
const NUMBER_READS = { 1: 'readUInt8', 2: 'readUInt16LE', 4: 'readUInt32LE', 8: 'readBigUInt64LE' };

async function readWith(view, method, start, end) {
  switch (method) {
    case 'snapshot': return { bytes: view.subarray(start, end).snapshot(), at: start };
    case 'snapshotAsync': return { bytes: await view.subarray(start, end).snapshotAsync(), at: start };
    case 'copy': {
      const target = Buffer.alloc(end - start);
      return { bytes: target.subarray(0, view.copy(target, 0, start, end)), at: start };
    }
    case 'copyAsync': {
      const target = Buffer.alloc(end - start);
      return { bytes: target.subarray(0, await view.copyAsync(target, 0, start, end)), at: start };
    }
    case 'toString': return { bytes: Buffer.from(view.toString('latin1', start, end), 'latin1'), at: start };
    case 'indexOf': {
      const found = view.subarray(start, end).indexOf(0);
      return { zeroAt: found < 0 ? -1 : start + found };
    }
    case 'indexOfAsync': {
      const found = await view.subarray(start, end).indexOfAsync(0);
      return { zeroAt: found < 0 ? -1 : start + found };
    }
    case 'number': {  // end - start is 1, 2, 4 or 8
      const width = end - start;
      const value = view[NUMBER_READS[width]](start);
      const bytes = Buffer.alloc(width);
      if (width === 8) bytes.writeBigUInt64LE(value);
      else bytes.writeUIntLE(value, 0, width);
      return { bytes, at: start };
    }
    default: throw new Error(`unknown read ${method}`);
  }
}

/** Reads [start, end) with `method`, records the outcome against `expected`, and checks any bytes returned. */
async function tryRead(tally, view, method, start, end, expected, fileBytes = patternByte) {
  let result;
  let error;
  try {
    result = await readWith(view, method, start, end);
  } catch (caught) {
    error = caught;
  }
  record(tally, outcomeName(error), expected, error);
  if (!result) return;
  if (result.bytes) checkBytes(tally, result.bytes, result.at, fileBytes);
  else if (result.zeroAt >= 0) {
    tally.wrongBytes++;  // a zero found where the file holds none
    tally.firstWrong ??= `offset ${result.zeroAt}: a search found a zero, the file holds none`;
  }
}

/** A width for a number read (1, 2, 4 or 8 bytes). */
const numberWidth = (random) => random.pick([1, 2, 4, 8]);

// ======================================================================
// Kind 1 (and 8, raw): same-process truncation

async function truncationChild({ count, seed, dir, statusFile, raw }) {
  const { open } = require(ROOT);
  const random = prng(seed);
  const LENGTH = 64 * PAGE + 1234;
  const file = path.join(dir, 'truncate.bin');
  const pattern = patternBuffer(0, LENGTH);
  fs.writeFileSync(file, pattern);
  const fd = fs.openSync(file, 'r+');
  const tally = newTally({ reads: 0 });
  const save = statusWriter(statusFile);
  save(tally);

  // 'always' (the default) for reads across and below the cut; 'fault' for
  // reads of whole pages past it, which always fault (a real SIGBUS, caught).
  // The raw mapping is 'fault' mode with the guard off, for every read.
  let always;
  let faulting;
  const reopen = () => {
    if (always) { always.close(); faulting.close(); }
    always = open(file, { validate: raw ? 'fault' : 'always' });
    faulting = open(file, { validate: 'fault' });
  };
  reopen();
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % 500 === 0) reopen();
    let cut;
    do cut = 1 + random.int(LENGTH - 1); while (cut % PAGE === 0);
    fs.ftruncateSync(fd, cut);
    tally.injected++;
    if (raw) save(tally);

    // Across the cut: starts below it, ends past it.
    const method = random.pick(READ_METHODS);
    let start;
    let end;
    if (method === 'number') {
      const width = random.pick([2, 4, 8]);  // at least 2 bytes, to cross
      start = Math.max(0, cut - 1 - random.int(width - 1));
      end = start + width;
      if (end > LENGTH) { start = LENGTH - width; end = LENGTH; }
    } else {
      start = cut - 1 - random.int(Math.min(cut, 2 * PAGE));
      end = cut + 1 + random.int(Math.min(LENGTH - cut, 2 * PAGE));
    }
    await tryRead(tally, always.view(), method, start, end, 'MappedFileTruncated');
    tally.reads++;
    if (raw) save(tally);

    // Below the cut: the file's bytes.
    {
      const m = random.pick(READ_METHODS);
      const w = m === 'number' ? Math.min(numberWidth(random), cut) : 1 + random.int(Math.min(cut, 4 * PAGE));
      const s = random.int(cut - w + 1);
      await tryRead(tally, always.view(), m === 'number' && !NUMBER_READS[w] ? 'snapshot' : m, s, s + w, 'returned');
      tally.reads++;
      if (raw) save(tally);
    }

    // A page wholly past the cut, in 'fault' mode: the access faults.
    const nextPage = Math.ceil(cut / PAGE) * PAGE;
    if (nextPage < LENGTH) {
      const m = random.pick(READ_METHODS);
      const s = nextPage + random.int(Math.min(PAGE, LENGTH - nextPage));
      const w = m === 'number' ? Math.min(numberWidth(random), LENGTH - s) : 1 + random.int(Math.min(2 * PAGE, LENGTH - s));
      await tryRead(tally, faulting.view(), m === 'number' && !NUMBER_READS[w] ? 'snapshot' : m, s, s + w, 'MappedFileTruncated');
      tally.reads++;
      if (raw) save(tally);
    }

    // Back to the whole file, with pattern bytes only.
    fs.writeSync(fd, pattern, cut, LENGTH - cut, cut);
    if (i % 256 === 0) save(tally);
  }
  always.close();
  faulting.close();
  fs.closeSync(fd);
  tally.final = true;
  save(tally);
}

// ======================================================================
// FUSE: faultfs, as test/faultfs.test.ts compiles and mounts it

function compileFaultfs(dir) {
  const binary = path.join(dir, 'faultfs');
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'fuse3'], { encoding: 'utf8' }).trim().split(/\s+/);
  execFileSync('gcc', ['-O2', '-Wall', '-o', binary, path.join(ROOT, 'test', 'faultfs', 'faultfs.c'), ...flags]);
  return binary;
}

/** Mounts faultfs (its /data holds the pattern, EIO in [badStart, badEnd)); resolves once /data is visible. */
async function mountFaultfs(binary, dir, size, badStart, badEnd) {
  const mountPoint = fs.mkdtempSync(path.join(dir, 'mnt-'));
  // The daemon dies with this process (PR_SET_PDEATHSIG) and unmounts itself (auto_unmount).
  const daemon = spawn(binary, [mountPoint, String(size), String(badStart), String(badEnd)], { stdio: 'ignore' });
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  const file = path.join(mountPoint, 'data');
  const mount = { daemon, exited, mountPoint, file };
  for (let i = 0; i < 400; i++) {
    if (daemon.exitCode !== null || daemon.signalCode !== null) {
      await unmountFaultfs(mount);
      throw new Error(`faultfs exited (${daemon.signalCode || `code ${daemon.exitCode}`}) before it mounted: it needs root, /dev/fuse and libfuse3`);
    }
    try {
      // stat in another process: a stuck mount cannot hang this one.
      execFileSync('stat', [file], { stdio: 'ignore', timeout: 5000 });
      return mount;
    } catch {
      await sleep(25);
    }
  }
  await unmountFaultfs(mount);
  throw new Error('faultfs did not mount');
}

async function unmountFaultfs({ daemon, exited, mountPoint }) {
  if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  await exited;
  lazyUnmount(mountPoint);
  try { fs.rmdirSync(mountPoint); } catch { /* left for the runner's cleanup */ }
}

function lazyUnmount(mountPoint) {
  try { execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' }); } catch { /* not mounted (auto_unmount) */ }
}

// ======================================================================
// Kind 3: EIO pages

async function eioChild({ count, seed, dir, statusFile, faultfs }) {
  const { open } = require(ROOT);
  const random = prng(seed);
  const SIZE = 16 << 20;
  const BAD = 8 << 20;
  const BAD_END = BAD + 16 * PAGE;
  const tally = newTally({ reads: 0 });
  const save = statusWriter(statusFile);
  save(tally);
  const mount = await mountFaultfs(faultfs, dir, SIZE, BAD, BAD_END);
  try {
    const files = [open(mount.file, { validate: 'always' }), open(mount.file, { validate: 'fault' })];
    for (let i = 0; i < count; i++) {
      const view = random.pick(files).view();
      // A read that touches a bad page: starts in it, or before it and runs into it.
      let method = random.pick(READ_METHODS);
      let start;
      let end;
      if (method === 'number') {
        start = BAD + random.int(BAD_END - BAD - 8);
        end = start + numberWidth(random);
      } else {
        start = random.int(2) ? BAD + random.int(BAD_END - BAD) : BAD - 1 - random.int(64 * 1024);
        end = Math.max(start + 1, BAD + 1) + random.int(8 * PAGE);
      }
      tally.injected++;
      await tryRead(tally, view, method, start, end, 'MappedFileIOError');
      tally.reads++;
      // Every third time, a read far from the bad pages (and from their readahead): the file's bytes.
      if (i % 3 === 0) {
        method = random.pick(READ_METHODS);
        const width = method === 'number' ? numberWidth(random) : 1 + random.int(64 * 1024);
        const s = random.int(2) ? random.int(BAD - (2 << 20) - width) : BAD_END + (2 << 20) + random.int(SIZE - BAD_END - (2 << 20) - width);
        await tryRead(tally, view, method, s, s + width, 'returned');
        tally.reads++;
      }
      if (i % 256 === 0) save(tally);
    }
    for (const file of files) file.close();
  } finally {
    await unmountFaultfs(mount);
  }
  tally.final = true;
  save(tally);
}

// ======================================================================
// Kind 4: the daemon killed while a loop reads

async function vanishChild({ count, seed, dir, statusFile, faultfs }) {
  const { open } = require(ROOT);
  const random = prng(seed);
  // 1 GiB (faultfs makes the bytes up as they are read): after the kill, most
  // pages the loop touches are not in the page cache, so they fault.
  const SIZE = 1 << 30;
  const tally = newTally({ reads: 0, mountsWithFault: 0 });
  const save = statusWriter(statusFile);
  save(tally);
  for (let i = 0; i < count; i++) {
    const mount = await mountFaultfs(faultfs, dir, SIZE, SIZE, SIZE);  // no bad pages: the kill is the fault
    let killer;
    try {
      const file = open(mount.file, { validate: i % 2 ? 'fault' : 'always' });
      const view = file.view();
      // The kill comes from another process, 20..300 ms in, while this one reads.
      const delay = 20 + random.int(280);
      killer = spawn('sh', ['-c', `sleep ${delay / 1000}; kill -9 ${mount.daemon.pid}`], { stdio: 'ignore' });
      const killerDone = new Promise((resolve) => killer.once('exit', resolve));
      tally.injected++;
      const deadline = Date.now() + delay + 5000;
      let errorsSeen = 0;
      let readsSinceFirstError = 0;
      // Until 100 faults, or 2,000 reads since the first one.
      while (Date.now() < deadline && errorsSeen < 100 && readsSinceFirstError < 2000) {
        const method = random.pick(READ_METHODS);
        const width = method === 'number' ? numberWidth(random) : 1 + random.int(2 * PAGE);
        const at = random.int(SIZE - width);
        const before = tally.outcomes.MappedFileIOError || 0;
        // After the kill, pages still in the page cache read fine; the others fault.
        await tryRead(tally, view, method, at, at + width, ['returned', 'MappedFileIOError']);
        tally.reads++;
        if ((tally.outcomes.MappedFileIOError || 0) > before) errorsSeen++;
        if (errorsSeen) readsSinceFirstError++;
      }
      if (errorsSeen) tally.mountsWithFault++;
      file.close();
      await killerDone;
    } finally {
      if (killer && killer.exitCode === null && killer.signalCode === null) killer.kill('SIGKILL');
      await unmountFaultfs(mount);
    }
    save(tally);
  }
  tally.final = true;
  save(tally);
}

// ======================================================================
// Kind 5: full disk under a sparse write

async function fullDiskChild({ count, seed, dir, statusFile }) {
  const { open } = require(ROOT);
  const random = prng(seed);
  const SIZE = 4 << 20;  // a 4 MiB sparse file on a 1 MiB tmpfs
  const CHUNK = 64 * 1024;
  const HOLE_WRITES = 15;  // more writes into holes once the filesystem is full
  const tally = newTally({ rounds: 0, writes: 0 });
  const save = statusWriter(statusFile);
  save(tally);
  const mountPoint = fs.mkdtempSync(path.join(dir, 'tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
  try {
    const file = path.join(mountPoint, 'sparse.bin');
    const chunkByte = (round, at) => 1 + ((round * 7 + at / CHUNK) % 250);
    const writers = [
      (view, at, length, byte) => view.set(Buffer.alloc(length, byte), at),
      (view, at, length, byte) => view.fill(byte, at, at + length),
      (view, at, length, byte) => view.write(String.fromCharCode(byte).repeat(length), at, length, 'latin1'),
      (view, at, length, byte) => view.writeUInt32LE(byte * 0x01010101, at),
      (view, at, length, byte) => view.writeDoubleLE(Buffer.alloc(8, byte).readDoubleLE(0), at),
    ];
    for (let round = 0; round < count; round++) {
      const mapped = open(file, { mode: 'w+', size: SIZE, validate: round % 2 ? 'fault' : 'always' });
      const view = mapped.view();
      // Fill from the start, a chunk at a time, until the filesystem is full.
      let written = 0;
      let failedEnd = 0;
      for (let at = 0; at < SIZE; at += CHUNK) {
        const byte = chunkByte(round, at);
        let error;
        try {
          random.pick(writers.slice(0, 3))(view, at, CHUNK, byte);
        } catch (caught) {
          error = caught;
        }
        tally.writes++;
        if (!error) { written = at + CHUNK; continue; }
        tally.injected++;
        record(tally, outcomeName(error), 'MappedFileIOError', error);
        failedEnd = at + CHUNK;
        break;
      }
      if (!failedEnd) record(tally, 'no fault: the whole file fitted', 'MappedFileIOError');
      // Then writes into holes past what was written, with every kind of write.
      for (let k = 0; k < HOLE_WRITES && failedEnd; k++) {
        const write = random.pick(writers);
        const length = 8 + random.int(2 * PAGE);
        const at = failedEnd + random.int(SIZE - failedEnd - length);
        let error;
        try {
          write(view, at, length, 0x5a);
        } catch (caught) {
          error = caught;
        }
        tally.writes++;
        tally.injected++;
        record(tally, outcomeName(error), 'MappedFileIOError', error);
      }
      // What was written before the fault is intact: through the mapping,
      // and through read(2) after a flush.
      const expected = (offset) => chunkByte(round, offset - (offset % CHUNK));
      checkBytes(tally, view.subarray(0, written).snapshot(), 0, expected);
      mapped.flush(0, written);
      const onDisk = Buffer.alloc(written);
      const fd = fs.openSync(file, 'r');
      fs.readSync(fd, onDisk, 0, written, 0);
      fs.closeSync(fd);
      checkBytes(tally, onDisk, 0, expected);
      mapped.close();
      fs.rmSync(file);
      tally.rounds++;
      if (round % 16 === 0) save(tally);
    }
  } finally {
    lazyUnmount(mountPoint);
    try { fs.rmdirSync(mountPoint); } catch { /* the runner cleans up */ }
  }
  tally.final = true;
  save(tally);
}

// ======================================================================
// Kind 6: bad input (scripts/fuzz/)

async function badInputChild({ count, seed, dir, statusFile }) {
  const lib = require(ROOT);
  const { runBadInputFuzz } = require('../lib-scripts/scripts/fuzz');
  const save = statusWriter(statusFile);
  save(newTally());
  const result = await runBadInputFuzz(lib, { runs: count, seed, dir });
  const tally = newTally({ cases: result.cases });
  tally.injected = result.cases;
  tally.outcomes = result.outcomes;
  tally.unexpected = result.unexpectedCount;
  tally.unexpectedSamples = (result.unexpected || []).slice(0, 5).map((u) => (typeof u === 'string' ? u : JSON.stringify(u)));
  // The fuzz judges outcomes (errors against Buffer's and fs's), not the bytes
  // a read returns; what it checks of the data is that the read-only files on
  // disk are unchanged after every write attempt.
  tally.wrongBytes = typeof result.wrongBytes === 'number' ? result.wrongBytes : null;
  tally.readOnlyUnchanged = result.readOnlyUnchanged;
  tally.fuzzSeconds = result.seconds;
  tally.final = true;
  save(tally);
}

// ======================================================================
// Kind 7: leak cycles

async function leakChild({ count, dir, statusFile }) {
  const { open } = require(ROOT);
  const tally = newTally();
  const save = statusWriter(statusFile);
  save(tally);
  const LENGTH = 3 * PAGE + 7;
  const file = path.join(dir, 'cycles.bin');
  const pattern = patternBuffer(0, LENGTH);
  fs.writeFileSync(file, pattern);
  const descriptors = () => fs.readdirSync('/proc/self/fd').length;
  const mappings = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line.endsWith(file)).length;
  const cycle = (check) => {
    const mapped = open(file);
    const bytes = mapped.view(PAGE).snapshot();
    const number = mapped.view().readUInt32LE(5);
    mapped.close();
    if (check) {
      checkBytes(tally, bytes, PAGE, pattern);
      tally.bytesChecked += 4;
      if (number !== pattern.readUInt32LE(5)) tally.wrongBytes += 4;
    }
  };
  // Node runs N-API finalizers from the event loop, after a GC: yield every
  // 1,000 cycles, as a server would, or collected wrappers keep their memory.
  const yieldEvery = 1000;
  const warmUp = 10_000;
  for (let i = 0; i < warmUp; i++) {
    cycle(false);  // JIT, allocator, heap
    if (i % yieldEvery === yieldEvery - 1) await new Promise(setImmediate);
  }
  // RSS after a full collection and its finalizers, before and after: garbage
  // not yet collected is not a leak (the child runs with --expose-gc).
  const settledRss = async () => {
    global.gc();
    await new Promise(setImmediate);
    return process.memoryUsage().rss;
  };
  const before = { fds: descriptors(), maps: mappings(), rss: await settledRss() };
  for (let i = 0; i < count; i++) {
    cycle(true);
    record(tally, 'returned', 'returned');
    tally.injected++;
    if (i % yieldEvery === yieldEvery - 1) await new Promise(setImmediate);
    if (i % 10_000 === 0) save(tally);
  }
  const after = { fds: descriptors(), maps: mappings(), rss: await settledRss() };
  tally.leak = { fds: after.fds - before.fds, maps: after.maps, rss: after.rss - before.rss, warmUp };
  // A leak of even 100 bytes a cycle would add 10 MB over 100,000 cycles.
  if (tally.leak.fds !== 0 || tally.leak.maps !== 0 || tally.leak.rss > 10 << 20) {
    tally.unexpected++;
    tally.unexpectedSamples.push(`leak: ${JSON.stringify(tally.leak)}`);
  }
  tally.final = true;
  save(tally);
}


// Lease mode against test/support/lease-writer.js in another process. count is
// the writer's milliseconds; `injected` is its cycles (each breaks the lease,
// or in 'otrunc' mode also truncates to 0 without a break).
async function leaseRaceChild({ count, seed, dir, statusFile, mode }) {
  const { open } = require(ROOT);
  const random = prng(seed);
  const LENGTH = 256 * 1024;
  const file = path.join(dir, 'lease.bin');
  fs.writeFileSync(file, patternBuffer(0, LENGTH));
  const tally = newTally({ reads: 0, underLease: 0 });
  const save = statusWriter(statusFile);
  const mapped = open(file);
  const method = heatUntilLeased(mapped);  // taken once the file is hot (native/lease_policy.h)
  if (method !== 'lease') record(tally, `no lease (${method})`, 'lease');
  const view = mapped.view();
  const writer = spawn(process.execPath, [path.join(ROOT, 'test', 'support', 'lease-writer.js'), file,
    String(LENGTH), String(count), mode], { stdio: ['ignore', 'pipe', 2] });
  let output = '';
  writer.stdout.on('data', (chunk) => { output += chunk; });
  let running = true;
  const exited = new Promise((resolve) => writer.on('exit', (code) => { running = false; resolve(code); }));
  fs.writeFileSync(`${file}.go`, '');
  while (running) {
    const method = random.pick(READ_METHODS);
    const start = random.int(LENGTH - 8);
    const end = method === 'number' ? start + random.pick([1, 2, 4, 8]) : start + 1 + random.int(Math.min(LENGTH - start, 8 * PAGE));
    if (mapped.validationMethod === 'lease') tally.underLease++;
    await tryRead(tally, view, method, start, end, ['returned', 'MappedFileTruncated']);
    tally.reads++;
    if (tally.reads % 256 === 0) { save(tally); await new Promise(setImmediate); }
  }
  if (await exited !== 0) record(tally, 'writer failed', 'writer ok');
  else tally.injected = JSON.parse(output.slice(output.indexOf('\n') + 1)).cycles;  // after "ready"
  mapped.close();
  tally.final = true;
  save(tally);
}

// Hole 2, count times: a reader (test/support/lease-reader.js) holding a lease
// is stopped; a writer's open waits for the kernel to revoke the lease (1 s),
// truncates into the middle of a page and keeps it so while the reader
// resumes, then writes the pattern back. The reader's tally is merged here.
async function leaseStoppedChild({ count, dir, statusFile }) {
  const BREAK_TIME = '/proc/sys/fs/lease-break-time';
  const saved = fs.readFileSync(BREAK_TIME, 'utf8');
  const tally = newTally({ reads: 0 });
  const save = statusWriter(statusFile);
  const LENGTH = 8 * PAGE;
  const file = path.join(dir, 'stopped.bin');
  fs.writeFileSync(BREAK_TIME, '1');
  try {
    for (let i = 0; i < count; i++) {
      fs.writeFileSync(file, patternBuffer(0, LENGTH));
      const reader = spawn(process.execPath, [path.join(ROOT, 'test', 'support', 'lease-reader.js'), file, '2500'],
        { stdio: ['ignore', 'pipe', 2] });
      let output = '';
      const mapped = new Promise((resolve) => reader.stdout.on('data', (chunk) => {
        output += chunk;
        if (output.includes('\n')) resolve(output.split('\n')[0]);
      }));
      const readerExit = new Promise((resolve) => reader.on('exit', (code, signal) => resolve({ code, signal })));
      if (await mapped !== 'mapped lease') record(tally, 'no lease', 'lease');
      await new Promise((resolve) => setTimeout(resolve, 200));
      reader.kill('SIGSTOP');
      const started = Date.now();
      const fd = fs.openSync(file, 'r+');  // waits until the kernel revokes the stopped reader's lease
      if (Date.now() - started < 900) record(tally, 'lease released while stopped', 'revoked');
      fs.ftruncateSync(fd, LENGTH / 2 + 1);
      tally.injected++;
      reader.kill('SIGCONT');
      await new Promise((resolve) => setTimeout(resolve, 300));
      fs.writeSync(fd, patternBuffer(0, LENGTH), 0, LENGTH, 0);
      fs.closeSync(fd);
      const { code, signal } = await readerExit;
      if (code !== 0) {
        record(tally, signal ? `reader died by ${signal}` : `reader exit ${code}`, 'reader ok');
        continue;
      }
      const result = JSON.parse(output.trim().split('\n').pop());
      tally.reads += result.reads;
      tally.bytesChecked += result.bytesChecked;
      tally.wrongBytes += result.wrongBytes;
      tally.firstWrong ??= result.firstWrong;
      for (let r = 0; r < result.reads; r++) record(tally, 'returned', 'returned');
      for (const [name, times] of Object.entries(result.errors)) {
        for (let r = 0; r < times; r++) record(tally, name, 'MappedFileTruncated');
      }
      save(tally);
    }
  } finally {
    fs.writeFileSync(BREAK_TIME, saved);
  }
  tally.final = true;
  save(tally);
}

const CHILDREN = {
  truncation: truncationChild, raw: (options) => truncationChild({ ...options, raw: true }),
  eio: eioChild, vanish: vanishChild, 'full-disk': fullDiskChild, 'bad-input': badInputChild, leak: leakChild,
  'lease-race': (options) => leaseRaceChild({ ...options, mode: 'rewrite' }),
  'lease-otrunc': (options) => leaseRaceChild({ ...options, mode: 'otrunc' }),
  'lease-stopped': leaseStoppedChild,
};

// ======================================================================
// The runner

const KINDS = [
  { kind: 'truncation', label: 'same-process truncation (`ftruncate` at unaligned sizes, reads sync + async)',
    count: 50_000, unit: 'truncations', timeout: 300 },
  { kind: 'race', label: 'cross-process truncation race (`npm run test:soak`)', seconds: 60, unit: 'truncations', timeout: 240 },
  { kind: 'eio', label: 'EIO page (FUSE `faultfs`)', count: 100_000, unit: 'reads of EIO pages', timeout: 300, fuse: true },
  { kind: 'vanish', label: 'vanished mount (FUSE daemon killed mid-read)', count: 100, unit: 'daemons killed', timeout: 300, fuse: true },
  { kind: 'full-disk', label: 'full disk under a sparse write (tmpfs `size=1m`, 4 MiB file)', count: 1000,
    unit: 'writes into holes', timeout: 300 },
  { kind: 'bad-input', label: 'bad input (`scripts/fuzz/`)', count: 100_000, unit: 'cases', timeout: 600 },
  { kind: 'leak', label: 'leak cycles (open, view, snapshot, close)', count: 100_000, unit: 'cycles', timeout: 300 },
  { kind: 'lease-race', label: 'lease mode: a writer process breaks the lease, truncates, rewrites', count: 30_000,
    unit: 'writer cycles', timeout: 120 },
  { kind: 'lease-otrunc', label: 'lease mode: `open(O_RDONLY\\|O_TRUNC)` by another process (no break)', count: 30_000,
    unit: 'writer cycles', timeout: 120 },
  { kind: 'lease-stopped', label: 'lease mode: reader stopped past `lease-break-time` (kernel revokes)', count: 20,
    unit: 'revoked leases', timeout: 300 },
  { kind: 'raw', label: '**raw mapping** (comparison: same-process truncation, no guard)', count: 20_000,
    unit: 'truncations', timeout: 120, raw: true },
];

function parseArguments(argv) {
  const options = { scale: 1, json: false, seed: Math.floor(Math.random() * 2 ** 31), only: null };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split('=', 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (name === '--json') options.json = true;
    else if (name === '--scale') options.scale = Number(value());
    else if (name === '--seed') options.seed = Number(value());
    else if (name === '--only') options.only = value().split(',');
    else if (name === '--help' || name === '-h') {
      console.log('usage: npm run reliability [-- --scale N] [--json] [--seed S] [--only kind,kind]');
      console.log(`kinds: ${KINDS.map((k) => k.kind).join(', ')}`);
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!(options.scale > 0)) throw new Error('--scale needs a positive number');
  if (!Number.isInteger(options.seed)) throw new Error('--seed needs an integer');
  for (const kind of options.only || []) if (!KINDS.some((k) => k.kind === kind)) throw new Error(`unknown kind ${kind}`);
  return options;
}

function log(message) {
  process.stderr.write(`reliability: ${message}\n`);
}

function readStatus(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return null;
  }
}

/** Forks a kind's child and waits for it; a timeout kills it (SIGKILL). */
function runChild(kind, options, env, timeoutSeconds, cwd) {
  return new Promise((resolve) => {
    // cwd: the kind's own temp dir, so that a core dump (if enabled) goes with it.
    const child = fork(__filename, ['--child', kind, JSON.stringify(options)],
      { cwd, env, stdio: ['ignore', 2, 2, 'ipc'], execArgv: kind === 'leak' ? ['--expose-gc'] : [] });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutSeconds * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut });
    });
  });
}

/** Mount points under `dir` still mounted (a child that died mid-run): lazily unmounted. */
function unmountLeftovers(dir) {
  let mounts = [];
  try {
    mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1])
      .filter((point) => point && point.startsWith(`${dir}/`));
  } catch { /* no /proc */ }
  for (const point of mounts.reverse()) lazyUnmount(point.replace(/\\040/g, ' '));
  return mounts.length;
}

async function runKind(spec, options, workDir, shared) {
  const started = Date.now();
  const row = { kind: spec.kind, label: spec.label, raw: !!spec.raw, injected: 0, unit: spec.unit, outcomes: {},
    wrongBytes: 0, bytesChecked: 0, crashes: 0, unexpected: 0, unexpectedSamples: [], exit: null, error: null };
  const dir = fs.mkdtempSync(path.join(workDir, `${spec.kind}-`));
  const seed = (options.seed + KINDS.indexOf(spec) * 7919) >>> 0;
  const timeout = spec.timeout * Math.max(1, options.scale);  // seconds
  try {
    if (spec.kind === 'race') {
      await runSoak(row, Math.max(3, Math.round(spec.seconds * options.scale)), timeout, dir);
    } else {
      if (spec.fuse) {
        shared.faultfs ??= compileFaultfs(workDir);
      }
      const count = spec.raw ? spec.count : scaled(spec.count, options.scale, spec.kind === 'vanish' ? 2 : 1);
      const statusFile = path.join(dir, 'status.json');
      const env = { ...process.env };
      delete env.SAFE_MMAP_TEST_DISABLE_GUARD;
      if (spec.raw) env.SAFE_MMAP_TEST_DISABLE_GUARD = '1';
      const exit = await runChild(spec.kind, { count, seed, dir, statusFile, faultfs: shared.faultfs },
        env, timeout, dir);
      row.exit = exit;
      const status = readStatus(statusFile);
      if (status) {
        for (const key of ['injected', 'outcomes', 'wrongBytes', 'bytesChecked', 'unexpected', 'unexpectedSamples', 'firstWrong']) {
          row[key] = status[key];
        }
        row.details = Object.fromEntries(Object.entries(status).filter(([key]) => !(key in row) && key !== 'final'));
      }
      if (exit.signal && !exit.timedOut) row.crashes = 1;
      if (exit.timedOut) row.error = `timed out after ${timeout} s`;
      else if (!exit.signal && exit.code !== 0) {
        let reason = '';
        try { reason = `: ${fs.readFileSync(`${statusFile}.error`, 'utf8')}`; } catch { /* none written */ }
        row.error = `child exited with code ${exit.code}${reason}`;
      }
      else if (!exit.signal && !(status && status.final)) row.error = 'child left no final tally';
    }
  } catch (error) {
    row.error = String((error && error.message) || error).split('\n')[0];
  } finally {
    const left = unmountLeftovers(dir);
    if (left) log(`${spec.kind}: unmounted ${left} mount(s) left behind`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  row.seconds = Math.round((Date.now() - started) / 100) / 10;
  row.ok = spec.raw
    ? row.crashes === 1 && !!row.exit && row.exit.signal === 'SIGBUS'
    : !row.error && row.injected > 0 && !row.wrongBytes && row.crashes === 0 && row.unexpected === 0;
  if (row.kind === 'bad-input' && row.wrongBytes === null && row.details) {
    row.wrongBytesNote = `not compared (the fuzz checks outcomes); read-only files on disk ${row.details.readOnlyUnchanged ? 'unchanged' : '**changed**'}`;
  }
  return row;
}

/** Kind 2: scripts/soak.ts in a process of its own, and its summary. */
function runSoak(row, seconds, timeoutSeconds, dir) {
  const soak = path.join(ROOT, 'lib-scripts', 'scripts', 'soak.js');
  const args = [soak, '--seconds', String(seconds), '--json', '--fuzz-runs', '0'];
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.SAFE_MMAP_TEST_DISABLE_GUARD;
    const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + timeoutSeconds) * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      row.exit = { code, signal };
      let summary = null;
      try { summary = JSON.parse(output.trim().split('\n').pop()); } catch { /* none */ }
      if (!summary) {
        if (signal) row.crashes = 1;
        row.error = `soak.js ended with ${signal || code} and no summary`;
        return resolve();
      }
      const actions = summary.writerActions || {};
      // writeFileSync opens with O_TRUNC: a rewrite truncates to 0 first.
      row.injected = (actions.truncate || 0) + (actions.rewrite || 0);
      row.outcomes = { ...summary.errorsByClass, returned: summary.reads };
      row.wrongBytes = summary.wrongBytes;
      row.crashes = summary.crashes + (signal ? 1 : 0);
      row.unexpected = summary.unexpectedErrors;
      row.firstWrong = summary.firstWrong;
      row.details = { seconds: summary.seconds, writerActions: actions, faultsCaught: summary.faultsCaught };
      for (const [key, value] of Object.entries(summary)) {
        if (!['seconds', 'reads', 'faultsCaught', 'errorsByClass', 'wrongBytes', 'crashes', 'unexpectedErrors',
          'writerActions', 'firstWrong', 'fuzz'].includes(key)) row.details[key] = value;  // fuzz: its own row
      }
      resolve();
    });
  });
}

// ---------------------------------------------------------------- output

const number = (n) => Number(n).toLocaleString('en-US');

function mib(bytes) {
  const value = bytes / (1 << 20);
  const text = Math.abs(value).toFixed(1);
  return `${value < 0 && text !== '0.0' ? '−' : '+'}${text} MiB`;
}

function injectedCell(row) {
  if (row.kind === 'race' && row.details) {
    return `${number(row.injected)} truncations by 2 writer processes in ${row.details.seconds} s`;
  }
  return `${number(row.injected)} ${row.injected === 1 ? row.unit.replace(/s$/, '') : row.unit}`;
}

function outcomeCell(row) {
  if (row.raw) {
    const exit = row.exit || {};
    const how = exit.signal === 'SIGBUS' ? 'killed by SIGBUS (a shell shows exit 135, "Bus error")'
      : exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code} (expected SIGBUS)`;
    return `${how} at truncation ${number(row.injected)}, after ${number(row.outcomes.returned || 0)} reads returned`;
  }
  const parts = [];
  let outcomes = row.outcomes || {};
  if (row.kind === 'bad-input') {
    // By class only (the JSON keeps the codes): 'TypeError ERR_…' and 'TypeError (no code…' are TypeError.
    outcomes = {};
    for (const [key, n] of Object.entries(row.outcomes || {})) {
      const name = key.split(' ')[0];
      outcomes[name] = (outcomes[name] || 0) + n;
    }
  }
  const entries = Object.entries(outcomes).sort((a, b) => b[1] - a[1]);
  for (const [name, n] of entries) {
    if (row.kind === 'leak' && name === 'returned') continue;
    if (name === 'returned') {
      const what = row.kind === 'bad-input' ? 'returned normally'
        : row.wrongBytes === 0 ? 'reads returned the right bytes' : 'reads returned';
      parts.push(`${number(n)} ${what}`);
    } else parts.push(`${name} ${number(n)}`);
  }
  if (row.kind === 'leak' && row.details && row.details.leak) {
    const { fds, maps, rss } = row.details.leak;
    parts.unshift(`fds ${fds >= 0 ? '+' : ''}${fds}, maps +${maps}, RSS ${mib(rss)}`);
  }
  if (row.kind === 'vanish' && row.details) parts.push(`faults seen on ${row.details.mountsWithFault} of ${row.injected} mounts`);
  if (row.kind === 'full-disk' && row.details) parts.push(`earlier bytes checked after ${number(row.details.rounds)} fills`);
  if (row.unexpected) parts.push(`**${number(row.unexpected)} unexpected**`);
  if (row.exit && row.exit.signal && !row.exit.timedOut) parts.push(`**killed by ${row.exit.signal}**`);
  if (row.error) parts.push(`**error: ${row.error}**`);
  return parts.join('; ') || '—';
}

function table(rows) {
  const lines = ['| fault kind | injected | outcome by class | wrong bytes | crashes |', '|---|---:|---|---:|---:|'];
  for (const row of rows) {
    const wrong = row.wrongBytes === null ? row.wrongBytesNote
      : row.bytesChecked ? `${number(row.wrongBytes)} of ${number(row.bytesChecked)} checked` : number(row.wrongBytes);
    lines.push(`| ${row.label} | ${injectedCell(row)} | ${outcomeCell(row)} | ${wrong} | ${number(row.crashes)} |`);
  }
  return lines.join('\n');
}

function machine() {
  let cpu = 'unknown';
  try { cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) || [])[1] || cpu; } catch { /* no /proc */ }
  return { nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length, cpu, kernel: os.release(), node: process.version };
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const started = Date.now();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-reliability-'));
  const shared = {};
  const cleanUp = () => {
    unmountLeftovers(workDir);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => { cleanUp(); process.exit(130); });
  }
  const rows = [];
  try {
    log(`scale ${options.scale}, seed ${options.seed}`);
    for (const spec of KINDS) {
      if (options.only && !options.only.includes(spec.kind)) continue;
      log(`${spec.kind}: running`);
      const row = await runKind(spec, options, workDir, shared);
      log(`${spec.kind}: ${row.ok ? 'ok' : 'FAILED'} in ${row.seconds} s: ${outcomeCell(row)}`);
      if (!row.ok && row.unexpectedSamples && row.unexpectedSamples.length) log(`  e.g. ${row.unexpectedSamples.join(' | ')}`);
      if (row.firstWrong) log(`  first wrong byte: ${row.firstWrong}`);
      rows.push(row);
    }
  } finally {
    cleanUp();
  }
  const report = { scale: options.scale, seed: options.seed, machine: machine(), seconds: Math.round((Date.now() - started) / 1000),
    ok: rows.every((row) => row.ok), rows, table: table(rows) };
  if (options.json) console.log(JSON.stringify(report));
  else {
    console.log(report.table);
    console.log(`\n${report.ok ? 'PASS' : 'FAIL'}: ${rows.length} kinds in ${report.seconds} s (scale ${options.scale}, seed ${options.seed}; ` +
      `${report.machine.nproc} CPUs, ${report.machine.cpu}, Linux ${report.machine.kernel}, Node ${report.machine.node})`);
  }
  return report.ok ? 0 : 1;
}

if (process.argv[2] === '--child') {
  const kind = process.argv[3];
  const options = JSON.parse(process.argv[4]);
  CHILDREN[kind](options).then(() => process.exit(0), (error) => {
    process.stderr.write(`reliability ${kind}: ${(error && error.stack) || error}\n`);
    // The first line of the message, for the row.
    fs.writeFileSync(`${options.statusFile}.error`, String((error && error.message) || error).split('\n')[0]);
    process.exit(1);
  });
} else {
  main().then((code) => { process.exitCode = code; }, (error) => {
    log(String((error && error.message) || error));
    process.exitCode = 2;
  });
}
