#!/usr/bin/env node
// Benchmarks against fs, measured in the same run. The rounds of the cases
// being compared are interleaved (A B C A B C ...) so that a noisy neighbour
// slows them alike, and each figure is the median over rounds.
//   npm run bench [-- --rounds N]
'use strict';
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
function compare(cases) {
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = process.hrtime.bigint();
      const operations = run();
      samples[name].push(Number(process.hrtime.bigint() - start) / operations);
    }
    process.stderr.write(`\r  round ${round + 1}/${rounds}`);
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

  console.log(`\n${os.cpus().length} × ${os.cpus()[0].model}, Node ${process.version}, ${rounds} interleaved rounds, medians. (sink ${sink & 1})`);
  always.close();
  fault.close();
  fs.closeSync(fd);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
