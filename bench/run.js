#!/usr/bin/env node
// Benchmarks against fs, measured in the same run. The rounds of the cases
// being compared are interleaved (A B C A B C ...) so that a noisy neighbour
// slows them alike, and each figure is the median over rounds.
//   npm run bench [-- --rounds N] [--search-mib N]
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { open } = require('..');

const rounds = Number(argument('--rounds') ?? 15);

function argument(name) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Runs each case once per round, interleaved; returns median ns per operation. */
function compare(cases, caseRounds = rounds) {
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < caseRounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = process.hrtime.bigint();
      const operations = run();
      samples[name].push(Number(process.hrtime.bigint() - start) / operations);
    }
    process.stderr.write(`\r  round ${round + 1}/${caseRounds}`);
  }
  process.stderr.write('\n');
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

/** compare() for cases that return a Promise of the operation count. */
async function compareAsync(cases, caseRounds = rounds) {
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < caseRounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = process.hrtime.bigint();
      const operations = await run();
      samples[name].push(Number(process.hrtime.bigint() - start) / operations);
    }
    process.stderr.write(`\r  round ${round + 1}/${caseRounds}`);
  }
  process.stderr.write('\n');
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}

function report(title, medians, baseline, bytesPerOperation) {
  console.log(`\n### ${title}\n`);
  console.log('| case | median ns/op | ' + (bytesPerOperation ? 'GB/s | ' : '') + `speed vs ${baseline} |`);
  console.log('|---|---:|' + (bytesPerOperation ? '---:|' : '') + '---:|');
  for (const [name, ns] of Object.entries(medians)) {
    const throughput = bytesPerOperation ? `${(bytesPerOperation / ns).toFixed(2)} | ` : '';
    console.log(`| ${name} | ${ns.toFixed(1)} | ${throughput}${(medians[baseline] / ns).toFixed(2)}x |`);
  }
}

async function main() {
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-bench-'));
try {
  const FILE_LENGTH = 64 << 20;
  const filePath = path.join(dir, 'data.bin');
  fs.writeFileSync(filePath, Buffer.alloc(FILE_LENGTH, 7));
  fs.readFileSync(filePath);  // warm the page cache
  const fd = fs.openSync(filePath, 'r');
  const always = open(filePath, { validate: 'always' });
  const fault = open(filePath, { validate: 'fault' });
  const alwaysView = always.view();
  const faultView = fault.view();

  // 1. Tiny random reads over a hot 1 MiB region.
  const READS = 200_000;
  const HOT = 1 << 20;
  const offsets = Uint32Array.from({ length: READS }, () => Math.floor(Math.random() * (HOT - 4)));
  const four = Buffer.alloc(4);
  let sink = 0;
  const tiny = compare({
    'fs.readSync 4 B': () => { for (const at of offsets) { fs.readSync(fd, four, 0, 4, at); sink ^= four.readUInt32LE(0); } return READS; },
    "view.readUInt32LE, 'always'": () => { for (const at of offsets) sink ^= alwaysView.readUInt32LE(at); return READS; },
    "view.readUInt32LE, 'fault'": () => { for (const at of offsets) sink ^= faultView.readUInt32LE(at); return READS; },
  });
  report('Tiny random reads (4 bytes, hot 1 MiB region)', tiny, 'fs.readSync 4 B');

  // 2. Sequential 64 KiB copies through the whole file into a reused Buffer.
  const CHUNK = 64 << 10;
  const target = Buffer.alloc(CHUNK);
  const sequential = compare({
    'fs.readSync 64 KiB': () => { for (let at = 0; at < FILE_LENGTH; at += CHUNK) fs.readSync(fd, target, 0, CHUNK, at); return FILE_LENGTH / CHUNK; },
    "view.copy 64 KiB, 'always'": () => { for (let at = 0; at < FILE_LENGTH; at += CHUNK) alwaysView.copy(target, 0, at, at + CHUNK); return FILE_LENGTH / CHUNK; },
    "view.copy 64 KiB, 'fault'": () => { for (let at = 0; at < FILE_LENGTH; at += CHUNK) faultView.copy(target, 0, at, at + CHUNK); return FILE_LENGTH / CHUNK; },
  });
  report('Sequential copy, 64 KiB chunks (warm cache, 64 MiB file)', sequential, 'fs.readSync 64 KiB', CHUNK);

  always.close();
  fault.close();
  fs.closeSync(fd);

  // 3. Search: an absent 12-byte needle over a warm 1 GiB file of random bytes.
  const SEARCH_LENGTH = Number(argument('--search-mib') ?? 1024) << 20;
  const searchPath = path.join(dir, 'search.bin');
  const searchFd = fs.openSync(searchPath, 'w');
  for (let at = 0; at < SEARCH_LENGTH; at += 64 << 20) fs.writeSync(searchFd, crypto.randomBytes(64 << 20));
  fs.closeSync(searchFd);
  const inMemory = fs.readFileSync(searchPath);  // also warms the page cache
  let needle;
  do needle = crypto.randomBytes(12); while (inMemory.indexOf(needle) !== -1);
  const searchFile = open(searchPath);
  const searchView = searchFile.view();
  const search = compare({
    'readFileSync + Buffer#indexOf': () => { sink ^= fs.readFileSync(searchPath).indexOf(needle); return 1; },
    'Buffer#indexOf (bytes already in memory)': () => { sink ^= inMemory.indexOf(needle); return 1; },
    'view.indexOf': () => { sink ^= searchView.indexOf(needle); return 1; },
  }, Math.max(3, Math.ceil(rounds / 3)));
  report(`Search, absent 12-byte needle, warm ${SEARCH_LENGTH >> 20} MiB file`, search, 'readFileSync + Buffer#indexOf', SEARCH_LENGTH);

  // 4. Async: 1 MiB chunks, 4 in flight, through the whole file; and streams.
  const ASYNC_CHUNK = 1 << 20;
  const IN_FLIGHT = 4;
  const targets = Array.from({ length: IN_FLIGHT }, () => Buffer.alloc(ASYNC_CHUNK));
  const searchFd2 = fs.openSync(searchPath, 'r');
  const chunkedAsync = (readChunk) => async () => {
    let next = 0;
    await Promise.all(targets.map(async (target) => {
      for (let at = (next++) * ASYNC_CHUNK; at < SEARCH_LENGTH; at = (next++) * ASYNC_CHUNK) await readChunk(target, at);
    }));
    return SEARCH_LENGTH / ASYNC_CHUNK;
  };
  const asyncCopy = await compareAsync({
    'fs.read 1 MiB × 4 in flight': chunkedAsync((target, at) => new Promise((resolve, reject) =>
      fs.read(searchFd2, target, 0, ASYNC_CHUNK, at, (error) => (error ? reject(error) : resolve())))),
    'view.copyAsync 1 MiB × 4 in flight': chunkedAsync((target, at) => searchView.copyAsync(target, 0, at, at + ASYNC_CHUNK)),
  }, Math.max(3, Math.ceil(rounds / 3)));
  report(`Async sequential read, 1 MiB chunks, 4 in flight, warm ${SEARCH_LENGTH >> 20} MiB file`, asyncCopy,
    'fs.read 1 MiB × 4 in flight', ASYNC_CHUNK);
  fs.closeSync(searchFd2);

  const { Writable } = require('node:stream');
  const { pipeline } = require('node:stream/promises');
  const drain = () => new Writable({ write(chunk, encoding, done) { done(); } });
  const streams = await compareAsync({
    'fs.createReadStream': async () => { await pipeline(fs.createReadStream(searchPath), drain()); return 1; },
    'file.createReadStream': async () => { await pipeline(searchFile.createReadStream(), drain()); return 1; },
  }, Math.max(3, Math.ceil(rounds / 3)));
  report(`Stream into a no-op Writable, default highWaterMark (64 KiB), warm ${SEARCH_LENGTH >> 20} MiB file`, streams,
    'fs.createReadStream', SEARCH_LENGTH);
  searchFile.close();

  // 6. Writes: random 8-byte writes; 64 KiB sequential writes made durable.
  const WRITE_LENGTH = 64 << 20;
  const writePath = path.join(dir, 'write.bin');
  fs.writeFileSync(writePath, Buffer.alloc(WRITE_LENGTH, 1));
  const writeFd = fs.openSync(writePath, 'r+');
  const writable = open(writePath, { mode: 'r+' });
  const writableView = writable.view();
  const WRITES = 100_000;
  const writeOffsets = Uint32Array.from({ length: WRITES }, () => Math.floor(Math.random() * (WRITE_LENGTH - 8)));
  const eight = Buffer.alloc(8, 0x5a);
  const randomWrites = compare({
    'fs.writeSync 8 B': () => { for (const at of writeOffsets) fs.writeSync(writeFd, eight, 0, 8, at); return WRITES; },
    'view.writeDoubleLE': () => { for (const at of writeOffsets) writableView.writeDoubleLE(1.5, at); return WRITES; },
  });
  report('Random 8-byte writes (warm 64 MiB file)', randomWrites, 'fs.writeSync 8 B');

  const block = Buffer.alloc(64 << 10, 0x33);
  const durable = compare({
    'fs.writeSync 64 KiB + fsync': () => {
      for (let at = 0; at < WRITE_LENGTH; at += block.length) fs.writeSync(writeFd, block, 0, block.length, at);
      fs.fsyncSync(writeFd);
      return WRITE_LENGTH / block.length;
    },
    'view.set 64 KiB + flush': () => {
      for (let at = 0; at < WRITE_LENGTH; at += block.length) writableView.set(block, at);
      writable.flush();
      return WRITE_LENGTH / block.length;
    },
  }, Math.max(3, Math.ceil(rounds / 3)));
  report('Sequential 64 KiB writes of a 64 MiB file, then fsync / flush', durable, 'fs.writeSync 64 KiB + fsync', block.length);
  writable.close();
  fs.closeSync(writeFd);

  console.log('\n### Targets (ratios from this run)\n');
  console.log('| target | measured | |');
  console.log('|---|---:|---|');
  const checkTarget = (name, measured, wanted) =>
    console.log(`| ${name} ≥ ${wanted}x | ${measured.toFixed(2)}x | ${measured >= wanted ? 'met' : '**missed**'} |`);
  checkTarget('view.indexOf vs readFileSync + Buffer#indexOf', search['readFileSync + Buffer#indexOf'] / search['view.indexOf'], 5);
  checkTarget('view.indexOf vs Buffer#indexOf in memory', search['Buffer#indexOf (bytes already in memory)'] / search['view.indexOf'], 3);
  checkTarget('copyAsync vs fs.read, 1 MiB × 4', asyncCopy['fs.read 1 MiB × 4 in flight'] / asyncCopy['view.copyAsync 1 MiB × 4 in flight'], 1.5);
  checkTarget('createReadStream vs fs.createReadStream', streams['fs.createReadStream'] / streams['file.createReadStream'], 1.5);

  console.log(`\n${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}, ${rounds} interleaved rounds, medians. (sink ${sink & 1})`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
