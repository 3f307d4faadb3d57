// What validation costs on Windows, where 'always' has no lease and asks the
// file system for its size and change time (NtQueryInformationFile) around
// every access, and 'fault' asks nothing. Run by scripts/bench-windows.sh
// under node.exe in Wine, and by plain node on Linux for the same cases side
// by side: `node bench/windows.js [rounds]`. Wine is not Windows: its
// NtQueryInformationFile is a call into wineserver and a Linux fstat, so the
// figures say what the design costs there, not what Windows charges.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { open } = require('..');
const { binding } = require('../lib/binding');
const { compare } = require('./measure');
const { machine, markdown } = require('./report');

const REGION = 1 << 20;
const TINY_READS = 20_000;
const CHUNK = 64 * 1024;

async function main() {
  const rounds = Number(process.argv[2] ?? 15);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-bench-'));
  const file = path.join(dir, 'bench.bin');
  fs.writeFileSync(file, Buffer.alloc(16 * REGION, 0x5a));
  const fd = fs.openSync(file, 'r');
  const always = open(file, { validate: 'always', lease: false });
  const fault = open(file, { validate: 'fault' });
  const alwaysView = always.view();
  const faultView = fault.view();
  const target = Buffer.alloc(CHUNK);
  const offsets = Uint32Array.from({ length: TINY_READS }, (_, i) => ((i * 2654435761) >>> 0) % (REGION - 4));
  const progress = (line) => process.stderr.write(`${line}\n`);
  let sink = 0;
  const tiny = (read) => () => {
    for (let i = 0; i < TINY_READS; i++) sink += read(offsets[i]);
    return TINY_READS;
  };
  const chunks = (copy) => () => {
    let count = 0;
    for (let at = 0; at + CHUNK <= 16 * REGION; at += CHUNK, count++) copy(at);
    return count;
  };
  const groups = [];
  try {
    groups.push(await compare({
      title: `Tiny hot reads: readUInt32LE at ${TINY_READS} offsets in ${REGION >> 20} MiB`,
      baseline: 'fs.readSync',
      rounds,
      progress,
      rotate: true,
      cases: {
        'fs.readSync': tiny((at) => (fs.readSync(fd, target, 0, 4, at), target.readUInt32LE(0))),
        "'always' (validated by the file's size and change time)": tiny((at) => alwaysView.readUInt32LE(at)),
        "'fault'": tiny((at) => faultView.readUInt32LE(at)),
      },
    }));
    groups.push(await compare({
      title: `Sequential copy: ${CHUNK >> 10} KiB chunks into a reused Buffer, warm ${(16 * REGION) >> 20} MiB`,
      baseline: 'fs.readSync',
      bytesPerOperation: CHUNK,
      rounds,
      progress,
      rotate: true,
      cases: {
        'fs.readSync': chunks((at) => fs.readSync(fd, target, 0, CHUNK, at)),
        "view.copy, 'always'": chunks((at) => alwaysView.copy(target, 0, at, at + CHUNK)),
        "view.copy, 'fault'": chunks((at) => faultView.copy(target, 0, at, at + CHUNK)),
        'unguarded mmap memcpy': chunks((at) => binding.testing.rawCopyForBenchmark(fault.native.slot, target, 0, at, CHUNK)),
      },
    }));
  } finally {
    always.close();
    fault.close();
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const run = {
    machine: machine(), date: new Date().toISOString().slice(0, 10), rounds,
    file: { path: `a ${(16 * REGION) >> 20} MiB file in ${os.tmpdir()}`, size: 16 * REGION }, groups, targets: [],
    notes: [`Platform: ${process.platform} ${process.arch}${process.platform === 'win32' ? ' (under Wine when run by scripts/bench-windows.sh)' : ''}. sink ${sink % 7}`],
  };
  process.stdout.write(markdown(run));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
