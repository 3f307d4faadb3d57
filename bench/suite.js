// The benchmark cases: safe-mmap against fs on one file, side by side in one
// run. Used by `npm run bench` (generated files) and `safe-mmap bench <file>`.
// Reads only, on the given file; writes only on a scratch file of their own.
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const fsPromises = require('node:fs/promises');
const { Writable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const { open } = require('..');
const { binding } = require('../lib/binding');
const { compare } = require('./measure');
const { recipeGroups } = require('./recipes');
const { leaseWriterGroup } = require('./lease');
const { watchLatencyGroup } = require('./watch');
const { lazyGroups, lazyWriterGroup } = require('./lazy');
const { largeSnapshotGroups } = require('./snapshot');
const { sharedGroups } = require('./shared');
const { heatUntilLeased } = require('./lease-heat');

const KiB = 1024;
const MiB = 1024 * KiB;
const HOT_REGION = 1 * MiB;        // tiny reads, hot
const COPY_REGION = 64 * MiB;      // sequential copies, warm
const COLD_REGION = 256 * MiB;     // sequential read after eviction
const ASYNC_REGION = 1024 * MiB;   // async copies and streams
const WHOLE_FILE_LIMIT = 2 * 1024 * MiB - 1;  // readFileSync's limit (kIoMaxLength)
const TINY_READS = 100_000;

let sink = 0;  // keeps results alive so that no case is optimised away

function sizeName(bytes) {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(2)} MiB`;
  return `${bytes} B`;
}

/** Drops the file's pages from the page cache; returns the fraction still resident. */
function evict(filePath, mappedFiles) {
  // posix_fadvise(DONTNEED) cannot drop pages that a process maps, so our
  // own mappings let go of theirs first (madvise(MADV_DONTNEED)).
  for (const file of mappedFiles) file.advise('dontneed');
  // GNU dd: iflag=nocache with count=0 is posix_fadvise(DONTNEED) on the whole file.
  execFileSync('dd', [`if=${filePath}`, 'iflag=nocache', 'count=0', 'status=none']);
  const probe = open(filePath);
  try {
    const { pages, resident } = probe.residency();
    return pages === 0 ? 0 : resident / pages;
  } finally {
    probe.close();
  }
}

/** Calls read(at, length) over [0, region) in chunks; returns the chunk count. */
function eachChunk(region, chunk, read) {
  let count = 0;
  for (let at = 0; at < region; at += chunk, count++) read(at, Math.min(chunk, region - at));
  return count;
}

/**
 * Runs the suite on filePath. options: { chunks, rounds, progress, writes,
 * scratchDir }. Resolves to { file, groups, notes } (see measure.js for a group).
 */
async function runSuite(filePath, { chunks, rounds, progress, writes = false, scratchDir }) {
  const fileSize = fs.statSync(filePath).size;
  if (fileSize < 8) throw new Error(`${filePath}: needs at least 8 bytes, has ${fileSize}`);
  const few = Math.max(3, Math.ceil(rounds / 3));
  const groups = [];
  const notes = [];
  const fd = fs.openSync(filePath, 'r');
  // The default mode twice: with a read lease where the kernel grants one
  // (no system call per access) and with it switched off (one fstat per
  // access). Row names carry the method each really ran with.
  const always = open(filePath, { validate: 'always' });
  const alwaysFstat = open(filePath, { validate: 'always', lease: false });
  const fault = open(filePath, { validate: 'fault' });
  const alwaysView = always.view();
  const alwaysFstatView = alwaysFstat.view();
  const faultView = fault.view();
  // The lease is taken once a file is hot (native/lease_policy.h): a probe
  // tells whether it can be had here, so that `always` itself starts cold and
  // takes it inside the first measured round, as a user's loop would.
  const probe = open(filePath);
  const ALWAYS = `'always' (${heatUntilLeased(probe)})`;
  probe.close();
  const ALWAYS_FSTAT = "'always' (fstat)";
  // Where no lease could be had, both files are fstat: one row, not two.
  const withFstatRow = (cases, name, run) => (ALWAYS === ALWAYS_FSTAT ? cases : { ...cases, [name]: run });
  if (ALWAYS === ALWAYS_FSTAT) notes.push(`No read lease on ${filePath}: 'always' rows ran with fstat.`);
  // Through the 'fault' view, which takes no lease: warming must not heat `always`.
  const warm = (length) => { for (const _ of faultView.subarray(0, length).chunks(MiB)); };
  try {
    // 1. Tiny random reads, over a hot 1 MiB region and over the whole file.
    const four = Buffer.alloc(4);
    for (const [where, span] of [[`hot ${sizeName(Math.min(HOT_REGION, fileSize))} region`, Math.min(HOT_REGION, fileSize)],
      [`whole ${sizeName(fileSize)} file`, fileSize]]) {
      warm(span);
      const offsets = Float64Array.from({ length: TINY_READS }, () => Math.floor(Math.random() * (span - 3)));
      groups.push(await compare({
        title: `Tiny random reads: 4 bytes, ${where}`,
        baseline: 'fs.readSync',
        rounds,
        progress,
        cases: withFstatRow({
          'fs.readSync': () => { for (const at of offsets) { fs.readSync(fd, four, 0, 4, at); sink ^= four[0]; } return TINY_READS; },
          [`view.readUInt32LE, ${ALWAYS}`]: () => { for (const at of offsets) sink ^= alwaysView.readUInt32LE(at); return TINY_READS; },
          "view.readUInt32LE, 'fault'": () => { for (const at of offsets) sink ^= faultView.readUInt32LE(at); return TINY_READS; },
        }, `view.readUInt32LE, ${ALWAYS_FSTAT}`,
        () => { for (const at of offsets) sink ^= alwaysFstatView.readUInt32LE(at); return TINY_READS; }),
      }));
    }

    // 1b. The first reads of a freshly opened file: the lease is taken only
    // once the file is hot (native/lease_policy.h), so the first reads pay an
    // fstat each, and the take itself a few fcntl calls. Open, N reads, close.
    const hotSpan = Math.min(HOT_REGION, fileSize);
    const freshOffsets = Float64Array.from({ length: 1000 }, () => Math.floor(Math.random() * (hotSpan - 3)));
    for (const reads of [100, 1000]) {
      const opens = Math.max(1, Math.floor(20_000 / reads));
      const freshReads = (options) => () => {
        for (let i = 0; i < opens; i++) {
          const file = open(filePath, options);
          const view = file.view();
          for (let r = 0; r < reads; r++) sink ^= view.readUInt32LE(freshOffsets[r]);
          file.close();
        }
        return opens * reads;
      };
      groups.push(await compare({
        title: `First reads of a fresh file: open, ${reads} tiny reads, close (per read)`,
        baseline: 'fs.openSync + fs.readSync',
        rounds,
        progress,
        cases: withFstatRow({
          'fs.openSync + fs.readSync': () => {
            for (let i = 0; i < opens; i++) {
              const own = fs.openSync(filePath, 'r');
              for (let r = 0; r < reads; r++) { fs.readSync(own, four, 0, 4, freshOffsets[r]); sink ^= four[0]; }
              fs.closeSync(own);
            }
            return opens * reads;
          },
          [`open + view.readUInt32LE, ${ALWAYS}`]: freshReads({}),
          "open + view.readUInt32LE, 'fault'": freshReads({ validate: 'fault' }),
        }, `open + view.readUInt32LE, ${ALWAYS_FSTAT}`, freshReads({ lease: false })),
      }));
    }

    // 2. Sequential copies into a reused Buffer, and 6. the guard's cost
    // against an unguarded memcpy from the same mapping.
    const copyRegion = Math.min(COPY_REGION, fileSize);
    warm(copyRegion);
    const handle = await fsPromises.open(filePath, 'r');
    try {
      for (const chunk of chunks) {
        const target = Buffer.alloc(chunk);
        const readCallbacks = () => new Promise((resolve, reject) => {
          let at = 0;
          let count = 0;
          const next = () => {
            if (at >= copyRegion) return resolve(count);
            fs.read(fd, target, 0, Math.min(chunk, copyRegion - at), at, (error) => {
              if (error) return reject(error);
              at += chunk;
              count++;
              next();
            });
          };
          next();
        });
        const fileHandleReads = async () => {
          let count = 0;
          for (let at = 0; at < copyRegion; at += chunk, count++) await handle.read(target, 0, Math.min(chunk, copyRegion - at), at);
          return count;
        };
        groups.push(await compare({
          title: `Sequential copy: ${sizeName(chunk)} chunks into a reused Buffer, warm ${sizeName(copyRegion)}`,
          baseline: 'fs.readSync',
          bytesPerOperation: chunk,
          rounds,
          progress,
          cases: withFstatRow({
            'fs.readSync': () => eachChunk(copyRegion, chunk, (at, length) => fs.readSync(fd, target, 0, length, at)),
            'fs.read (callback)': readCallbacks,
            'FileHandle.read': fileHandleReads,
            [`view.copy, ${ALWAYS}`]: () => eachChunk(copyRegion, chunk, (at, length) => alwaysView.copy(target, 0, at, at + length)),
            "view.copy, 'fault'": () => eachChunk(copyRegion, chunk, (at, length) => faultView.copy(target, 0, at, at + length)),
            'unguarded mmap memcpy': () => eachChunk(copyRegion, chunk,
              (at, length) => binding.testing.rawCopyForBenchmark(fault.native.slot, target, 0, at, length)),
          }, `view.copy, ${ALWAYS_FSTAT}`,
          () => eachChunk(copyRegion, chunk, (at, length) => alwaysFstatView.copy(target, 0, at, at + length))),
        }));
      }
    } finally {
      await handle.close();
    }

    // 3. Large snapshots against readFileSync (bench/snapshot.js): the whole
    // file, and its first 64 MiB and 512 MiB in files of their own when the
    // file is the suite's own. 4. Search, while the file fits one Buffer.
    groups.push(...await largeSnapshotGroups({ filePath, scratchDir: writes ? scratchDir : undefined, rounds: few, progress, notes }));
    if (fileSize <= WHOLE_FILE_LIMIT) {
      warm(fileSize);
      // A 12-byte needle; random, so absent from any real file but a crafted one.
      const needle = crypto.randomBytes(12);
      groups.push(await compare({
        title: `Search: indexOf of an absent 12-byte needle, warm ${sizeName(fileSize)}`,
        baseline: 'readFileSync + Buffer#indexOf',
        bytesPerOperation: fileSize,
        rounds: few,
        progress,
        cases: {
          'readFileSync + Buffer#indexOf': () => { sink ^= fs.readFileSync(filePath).indexOf(needle); return 1; },
          'view.indexOf': () => { sink ^= alwaysView.indexOf(needle); return 1; },
        },
      }));
    } else {
      notes.push(`Search skipped: ${sizeName(fileSize)} is more than readFileSync can read.`);
    }

    // 5. Cold cache: 64 KiB sequential reads after evicting the file's pages.
    const coldRegion = Math.min(COLD_REGION, fileSize);
    const coldChunk = 64 * KiB;
    const coldTarget = Buffer.alloc(coldChunk);
    let worstResidency = 0;
    const cold = (read) => ({
      before: () => { worstResidency = Math.max(worstResidency, evict(filePath, [always, alwaysFstat, fault])); },
      run: () => eachChunk(coldRegion, coldChunk, read),
    });
    try {
      groups.push(await compare({
        title: `Cold cache: 64 KiB sequential reads of ${sizeName(coldRegion)} after eviction`,
        baseline: 'fs.readSync',
        bytesPerOperation: coldChunk,
        rounds: few,
        progress,
        cases: {
          'fs.readSync': cold((at, length) => fs.readSync(fd, coldTarget, 0, length, at)),
          [`view.copy, ${ALWAYS}`]: cold((at, length) => alwaysView.copy(coldTarget, 0, at, at + length)),
        },
      }));
      notes.push(`Cold cache: at most ${(worstResidency * 100).toFixed(1)}% of the file's pages were still cached after eviction.`);
    } catch (error) {
      notes.push(`Cold cache skipped: could not evict the file (${error.message.split('\n')[0]}).`);
    }

    // 7. One read in flight, as `for (...) await fh.read(...)` is written:
    // hot, then cold (evicted before each round, as the cold case above).
    await oneInFlightGroups({ filePath, fd, always, mapped: [always, alwaysFstat, fault], fileSize, rounds, few, progress, groups, notes, warm });

    // 8. fs-style sync reads at random positions: file.read against fs.readSync.
    for (const [size, count, span] of [[4, TINY_READS, Math.min(HOT_REGION, fileSize)],
      [4 * KiB, 20_000, Math.min(COPY_REGION, fileSize)], [64 * KiB, 2_000, Math.min(COPY_REGION, fileSize)]]) {
      if (span < size) continue;
      warm(span);
      const target = Buffer.alloc(size);
      const positions = Float64Array.from({ length: count }, () => Math.floor(Math.random() * (span - size + 1)));
      groups.push(await compare({
        title: `fs-style read: ${sizeName(size)} at random positions, hot ${sizeName(span)}`,
        baseline: 'fs.readSync',
        bytesPerOperation: size,
        rounds: size === 4 ? rounds : few,
        progress,
        cases: {
          'fs.readSync': () => { for (const at of positions) sink ^= fs.readSync(fd, target, 0, size, at); return count; },
          "file.read, 'always'": () => { for (const at of positions) sink ^= always.read(target, 0, size, at); return count; },
          "file.read, 'fault'": () => { for (const at of positions) sink ^= fault.read(target, 0, size, at); return count; },
        },
      }));
    }

    // 9. Small streams (a zip entry's header is 46 bytes), each opened and read to the end.
    for (const size of [46, 4 * KiB]) {
      if (fileSize < size) continue;
      const streams = 300;
      const range = { start: 0, end: size - 1 };
      const consume = async (stream) => { for await (const chunk of stream) sink ^= chunk[0]; };
      groups.push(await compare({
        title: `Small stream: ${sizeName(size)}, read to the end, hot`,
        baseline: 'fs.createReadStream',
        bytesPerOperation: size,
        rounds: few,
        progress,
        cases: {
          'fs.createReadStream': async () => { for (let i = 0; i < streams; i++) await consume(fs.createReadStream(filePath, range)); return streams; },
          'file.createReadStream': async () => { for (let i = 0; i < streams; i++) await consume(always.createReadStream(range)); return streams; },
        },
      }));
    }

    // Async copies: 1 MiB chunks, 4 in flight; streams into a no-op Writable.
    const asyncRegion = Math.min(ASYNC_REGION, fileSize);
    warm(asyncRegion);
    const asyncChunk = MiB;
    const targets = Array.from({ length: 4 }, () => Buffer.alloc(asyncChunk));
    const chunkedAsync = (readChunk) => async () => {
      let next = 0;
      let count = 0;
      await Promise.all(targets.map(async (target) => {
        for (let at = (next++) * asyncChunk; at < asyncRegion; at = (next++) * asyncChunk, count++) {
          await readChunk(target, at, Math.min(asyncChunk, asyncRegion - at));
        }
      }));
      return count;
    };
    groups.push(await compare({
      title: `Async copy: 1 MiB chunks, 4 in flight, warm ${sizeName(asyncRegion)}`,
      baseline: 'fs.read',
      bytesPerOperation: asyncChunk,
      rounds: few,
      progress,
      cases: {
        'fs.read': chunkedAsync((target, at, length) => new Promise((resolve, reject) =>
          fs.read(fd, target, 0, length, at, (error) => (error ? reject(error) : resolve())))),
        'view.copyAsync': chunkedAsync((target, at, length) => alwaysView.copyAsync(target, 0, at, at + length)),
      },
    }));
    const drain = () => new Writable({ write(chunk, encoding, done) { done(); } });
    const streamRange = { start: 0, end: asyncRegion - 1 };
    groups.push(await compare({
      title: `Stream: into a no-op Writable, default highWaterMark, warm ${sizeName(asyncRegion)}`,
      baseline: 'fs.createReadStream',
      bytesPerOperation: asyncRegion,
      rounds: few,
      progress,
      cases: {
        'fs.createReadStream': async () => { await pipeline(fs.createReadStream(filePath, streamRange), drain()); return 1; },
        'file.createReadStream': async () => { await pipeline(always.createReadStream(streamRange), drain()); return 1; },
      },
    }));
  } finally {
    always.close();
    alwaysFstat.close();
    fault.close();
    fs.closeSync(fd);
  }

  // Lazy snapshots (bench/lazy.js): making one, reading it, where a copy wins; on this file, read only.
  groups.push(...await lazyGroups({ filePath, fileSize, rounds, few, progress, notes }));
  if (writes) groups.push(...await writeGroups(scratchDir, rounds, few, progress));
  if (writes) groups.push(...await leaseWriterGroup({ scratchDir, progress, notes }));
  if (writes) groups.push(...await watchLatencyGroup({ scratchDir, progress, notes }));
  if (writes) groups.push(...await lazyWriterGroup({ scratchDir, progress, notes }));
  if (writes) groups.push(...await sharedGroups({ scratchDir, rounds, few, progress, notes }));
  // The cookbook's recipes (docs/cookbook.md), on data of their own in scratchDir (bench/recipes.js).
  if (writes) groups.push(...await recipeGroups({ scratchDir, rounds: few, progress, notes }));
  return { file: { path: filePath, size: fileSize }, groups, notes, sink: sink & 1 };
}

// One read in flight at a time, awaited: fs.read, FileHandle.read, copyAsync
// and file.readAsync, at 4 KiB, 64 KiB and 1 MiB; hot, then after eviction.
async function oneInFlightGroups({ filePath, fd, always, mapped, fileSize, rounds, few, progress, groups, notes, warm }) {
  const handle = await fsPromises.open(filePath, 'r');
  const view = always.view();
  const fsRead = (target, length, at) => new Promise((resolve, reject) =>
    fs.read(fd, target, 0, length, at, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))));
  const loop = (region, chunk, target, read) => async () => {
    let count = 0;
    for (let at = 0; at < region; at += chunk, count++) await read(target, Math.min(chunk, region - at), at);
    return count;
  };
  const casesFor = (region, chunk, target, wrap) => ({
    'fs.read': wrap(loop(region, chunk, target, fsRead)),
    'FileHandle.read': wrap(loop(region, chunk, target, (t, length, at) => handle.read(t, 0, length, at))),
    "view.copyAsync, 'always'": wrap(loop(region, chunk, target, (t, length, at) => view.copyAsync(t, 0, at, at + length))),
    "file.readAsync, 'always'": wrap(loop(region, chunk, target, (t, length, at) => always.readAsync(t, 0, length, at))),
  });
  try {
    for (const chunk of [4 * KiB, 64 * KiB, MiB]) {
      // 4096 reads of 4 KiB, 1024 of 64 KiB, 64 of 1 MiB per round (on a large enough file).
      const region = Math.min(fileSize, COPY_REGION, chunk * 4096);
      if (region < chunk) continue;
      const target = Buffer.alloc(chunk);
      warm(region);
      groups.push(await compare({
        title: `One read in flight: ${sizeName(chunk)} chunks, awaited in turn, hot ${sizeName(region)}`,
        baseline: 'fs.read',
        bytesPerOperation: chunk,
        rounds: few,
        progress,
        cases: casesFor(region, chunk, target, (run) => run),
      }));
    }
    let worstResidency = 0;
    const coldRegion = Math.min(fileSize, 32 * MiB);
    try {
      for (const chunk of [4 * KiB, 64 * KiB, MiB]) {
        if (coldRegion < chunk) continue;
        const target = Buffer.alloc(chunk);
        const evicted = (run) => ({
          before: () => { worstResidency = Math.max(worstResidency, evict(filePath, mapped)); },
          run,
        });
        groups.push(await compare({
          title: `One read in flight, cold: ${sizeName(chunk)} chunks of ${sizeName(coldRegion)} after eviction`,
          baseline: 'fs.read',
          bytesPerOperation: chunk,
          rounds: few,
          progress,
          cases: casesFor(coldRegion, chunk, target, evicted),
        }));
      }
      notes.push(`One read in flight, cold: at most ${(worstResidency * 100).toFixed(1)}% of the file's pages were still cached after eviction.`);
    } catch (error) {
      notes.push(`One read in flight, cold, skipped: could not evict the file (${error.message.split('\n')[0]}).`);
    }
  } finally {
    await handle.close();
  }
}

// Writes, on a scratch file: random 8-byte writes; 64 KiB sequential writes made durable.
async function writeGroups(scratchDir, rounds, few, progress) {
  const length = 64 * MiB;
  const writePath = `${scratchDir}/write.bin`;
  fs.writeFileSync(writePath, Buffer.alloc(length, 1));
  const writeFd = fs.openSync(writePath, 'r+');
  const writable = open(writePath, { mode: 'r+' });
  const view = writable.view();
  try {
    const count = 100_000;
    const offsets = Float64Array.from({ length: count }, () => Math.floor(Math.random() * (length - 8)));
    const eight = Buffer.alloc(8, 0x5a);
    const block = Buffer.alloc(64 * KiB, 0x33);
    return [
      await compare({
        title: 'Random 8-byte writes, warm 64 MiB file',
        baseline: 'fs.writeSync',
        rounds,
        progress,
        cases: {
          'fs.writeSync': () => { for (const at of offsets) fs.writeSync(writeFd, eight, 0, 8, at); return count; },
          'view.writeDoubleLE': () => { for (const at of offsets) view.writeDoubleLE(1.5, at); return count; },
        },
      }),
      await compare({
        title: 'Sequential 64 KiB writes of a 64 MiB file, then fsync / flush',
        baseline: 'fs.writeSync + fsync',
        bytesPerOperation: block.length,
        rounds: few,
        progress,
        cases: {
          'fs.writeSync + fsync': () => {
            const written = eachChunk(length, block.length, (at) => fs.writeSync(writeFd, block, 0, block.length, at));
            fs.fsyncSync(writeFd);
            return written;
          },
          'view.set + flush': () => {
            const written = eachChunk(length, block.length, (at) => view.set(block, at));
            writable.flush();
            return written;
          },
        },
      }),
    ];
  } finally {
    writable.close();
    fs.closeSync(writeFd);
  }
}

/** The issues' speed targets, checked against one run's groups. */
function checkTargets(groups) {
  const row = (titleStart, name) => groups.find((group) => group.title.startsWith(titleStart))
    ?.rows.find((candidate) => candidate.name === name);
  const ratio = (titleStart, name) => row(titleStart, name)?.ratio;
  // 'fault' is the guard alone; 'always' adds the change check (a lease's
  // epoch, or one fstat).
  const overhead = (chunkTitle, mode) => {
    const copy = row(chunkTitle, `view.copy, ${mode}`);
    const raw = row(chunkTitle, 'unguarded mmap memcpy');
    return copy && raw ? copy.nsPerOperation / raw.nsPerOperation - 1 : undefined;
  };
  // One row against another row of the same group (not the baseline).
  const between = (titleStart, name, against) => {
    const group = groups.find((candidate) => candidate.title.startsWith(titleStart));
    const row = (rowName) => group?.rows.find((candidate) => candidate.name === rowName);
    return row(name) && row(against) ? row(against).nsPerOperation / row(name).nsPerOperation : undefined;
  };
  const inFlight = (size) => `One read in flight: ${size} `;
  const inFlightCold = (size) => `One read in flight, cold: ${size} `;
  const milliseconds = (titleStart, name) => {
    const found = row(titleStart, name);
    return found ? found.nsPerOperation / 1e6 : undefined;
  };
  const LEASE = "'always' (lease)";
  const FSTAT = "'always' (fstat)";
  const targets = [
    ["Tiny hot reads, 'always' with a lease, vs fs.readSync", ratio('Tiny random reads: 4 bytes, hot', `view.readUInt32LE, ${LEASE}`), '≥', 8],
    ["Tiny hot reads, 'always' with fstat, vs fs.readSync", ratio('Tiny random reads: 4 bytes, hot', `view.readUInt32LE, ${FSTAT}`), '≥', 1.8],
    ["Tiny hot reads, 'fault', vs fs.readSync", ratio('Tiny random reads: 4 bytes, hot', "view.readUInt32LE, 'fault'"), '≥', 8],
    ["4 KiB sequential copy, 'always' with a lease, vs fs.readSync", ratio('Sequential copy: 4 KiB', `view.copy, ${LEASE}`), '≥', 1.7],
    ["64 KiB sequential copy, 'always' with a lease, vs fs.readSync", ratio('Sequential copy: 64 KiB', `view.copy, ${LEASE}`), '≥', 1.3],
    ["Guard + check overhead, 'always' with a lease, 64 KiB chunks", overhead('Sequential copy: 64 KiB', LEASE), '≤', 0.01],
    ["Guard + check overhead, 'always' with fstat, 64 KiB chunks", overhead('Sequential copy: 64 KiB', FSTAT), '≤', 0.05],
    ["Guard + check overhead, 'always' with a lease, 1 MiB chunks", overhead('Sequential copy: 1 MiB', LEASE), '≤', 0.05],
    ["Guard overhead, 'fault', 64 KiB chunks", overhead('Sequential copy: 64 KiB', "'fault'"), '≤', 0.05],
    ["Guard overhead, 'fault', 1 MiB chunks", overhead('Sequential copy: 1 MiB', "'fault'"), '≤', 0.05],
    ['Search vs readFileSync + Buffer#indexOf', ratio('Search', 'view.indexOf'), '≥', 5],
    ['copyAsync vs fs.read, 1 MiB × 4', ratio('Async copy', 'view.copyAsync'), '≥', 1.5],
    ['createReadStream vs fs.createReadStream', ratio('Stream', 'file.createReadStream'), '≥', 1.5],
    ['One in flight, hot 4 KiB: copyAsync vs fs.read', ratio(inFlight('4 KiB'), "view.copyAsync, 'always'"), '≥', 5],
    ['One in flight, hot 64 KiB: copyAsync vs fs.read', ratio(inFlight('64 KiB'), "view.copyAsync, 'always'"), '≥', 4],
    ['One in flight, hot 4 KiB: copyAsync vs FileHandle.read', between(inFlight('4 KiB'), "view.copyAsync, 'always'", 'FileHandle.read'), '≥', 5],
    ['One in flight, hot 64 KiB: copyAsync vs FileHandle.read', between(inFlight('64 KiB'), "view.copyAsync, 'always'", 'FileHandle.read'), '≥', 4],
    ['One in flight, hot 4 KiB: readAsync vs FileHandle.read', between(inFlight('4 KiB'), "file.readAsync, 'always'", 'FileHandle.read'), '≥', 5],
    ['One in flight, hot 64 KiB: readAsync vs FileHandle.read', between(inFlight('64 KiB'), "file.readAsync, 'always'", 'FileHandle.read'), '≥', 4],
    ...['4 KiB', '64 KiB', '1 MiB'].flatMap((size) => [
      [`One in flight, cold ${size}: copyAsync vs fs.read`, ratio(inFlightCold(size), "view.copyAsync, 'always'"), '≥', 1],
      [`One in flight, cold ${size}: readAsync vs FileHandle.read`, between(inFlightCold(size), "file.readAsync, 'always'", 'FileHandle.read'), '≥', 1],
    ]),
    ['Small stream, 46 B, vs fs.createReadStream', ratio('Small stream: 46 B', 'file.createReadStream'), '≥', 1],
    ['Small stream, 4 KiB, vs fs.createReadStream', ratio('Small stream: 4 KiB', 'file.createReadStream'), '≥', 1],
    ['Writer blocked by a leased reader, open for write, p99', milliseconds('Writer latency', 'open for write, lease held (p99)'), '≤', 1, 'ms'],
    ['Writer blocked by a leased reader, truncate, p99', milliseconds('Writer latency', 'truncate, lease held (p99)'), '≤', 1, 'ms'],
    // Lazy snapshots (issue 20).
    ['Lazy snapshot of 1 GiB vs snapshot() of 1 GiB', ratio('Lazy snapshot, making one', 'snapshot({ lazy: true }), 1024 MiB'), '≥', 1000],
    ['Lazy snapshot, O(1): making 1 GiB over making 64 MiB (time)', between('Lazy snapshot, making one', 'snapshot({ lazy: true }), 64 MiB',
      'snapshot({ lazy: true }), 1024 MiB'), '≤', 2, 'x'],
    ['Hot Float64Array loop over a lazy snapshot vs over readFileSync\'s Buffer (within 1.2x)', ratio('Lazy snapshot, reading it:', 'over a lazy snapshot'), '≥', 1 / 1.2],
    ['Own format: lazy snapshot + parse vs readFileSync + parse', ratio('Recipe, own format', 'snapshot({ lazy: true }) + parse the Buffer in place'), '≥', 1.5],
    ['Own format: lazy snapshot + parse vs readRecords(view)', between('Recipe, own format', 'snapshot({ lazy: true }) + parse the Buffer in place',
      'recipe readRecords(view): read* per field'), '≥', 5],
    ['Arrow: tableFromIPC over a lazy snapshot vs over readFileSync, 1 GiB', ratio('Recipe, Arrow: tableFromIPC', 'recipe: tableFromIPC(snapshot({ lazy: true }))'), '≥', 20],
    ['Arrow: column scan over the lazy table vs the readFileSync table (within 1.2x)', ratio('Recipe, Arrow: a scan', 'over the recipe\'s table (a lazy snapshot)'), '≥', 1 / 1.2],
    ['Writer\'s open for write, 64 MiB of lazy snapshots held, p99', milliseconds('Lazy snapshots, the writer', '64 MiB of lazy snapshots (p99)'), '≤', 50, 'ms'],
    ['Writer\'s open for write, lease held and no lazy snapshot, p99', milliseconds('Lazy snapshots, the writer', 'lease held, no lazy snapshot (p99)'), '≤', 1, 'ms'],
    // Processes that share a file (issue 21).
    ["add on a mapped int32 ('fault') within 3x of Atomics.add on a SharedArrayBuffer", ratio('Shared words: add', "view.atomics('int32').add, 'fault'"), '≥', 1 / 3],
    ['Round trip between two processes, wait/notify vs process.send', ratio('Round trip between two processes', 'atomics wait/notify on two words'), '≥', 5],
  ];
  // Every large snapshot at least as fast as readFileSync of the same file (issue 20).
  for (const group of groups.filter((candidate) => candidate.title.startsWith('Large snapshot: '))) {
    for (const row of group.rows.filter((candidate) => candidate.name !== group.baseline)) {
      targets.push([`${group.title.slice('Large snapshot: '.length)}: ${row.name} vs fs.readFileSync`, row.ratio, '≥', 1]);
    }
  }
  // unit: 'x' for ratios (≥), '%' for overheads (≤, as fractions), or as given.
  return targets.filter(([, measured]) => measured !== undefined).map(([name, measured, relation, wanted, unit]) => ({
    name, measured, relation, wanted, unit: unit ?? (relation === '≥' ? 'x' : '%'),
    met: relation === '≥' ? measured >= wanted : measured <= wanted,
  }));
}

module.exports = { runSuite, checkTargets, sizeName };
