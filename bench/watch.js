// Change-notification latency: from a writer process's open(O_WRONLY) to the
// event of file.watch() in JS (with a read lease the event comes before the
// open returns), against fs.watch on the same file seeing the writer's first
// write, and file.watch() without a lease (inotify) seeing the same write.
// Rounds interleaved, one writer process for all of them (it opens, writes
// 16 bytes, closes on each line of its stdin and reports its times);
// percentiles, p50 and p99. Times are CLOCK_MONOTONIC in both processes.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const readline = require('node:readline');
const { open } = require('..');
const { median, percentile } = require('./measure');

const WRITER = `
const fs = require('node:fs');
const record = Buffer.from('0123456789abcde\\n');
const path = process.argv[1];
require('node:readline').createInterface({ input: process.stdin }).on('line', () => {
  const opened = process.hrtime.bigint();
  const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND);
  fs.writeSync(fd, record);
  const firstWrite = process.hrtime.bigint();
  fs.closeSync(fd);
  process.stdout.write(JSON.stringify({ opened: String(opened), firstWrite: String(firstWrite) }) + '\\n');
});`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One group: open → file.watch() event (lease), first write → fs.watch and → file.watch() (inotify). */
async function watchLatencyGroup({ scratchDir, progress, notes, samples = 200 }) {
  const path = `${scratchDir}/watch-latency.bin`;
  fs.writeFileSync(path, Buffer.alloc(4096, 1));
  const writer = spawn(process.execPath, ['-e', WRITER, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: writer.stdout })[Symbol.asyncIterator]();
  const write = async () => {
    writer.stdin.write('go\n');
    const { value } = await lines.next();
    const report = JSON.parse(value);
    return { opened: BigInt(report.opened), firstWrite: BigInt(report.firstWrite) };
  };
  const leased = open(path);
  const unleased = open(path, { lease: false });
  const times = { lease: [], leaseAhead: [], fsWatch: [], fsWatchFromOpen: [], inotify: [] };
  const cases = {
    async lease() {
      const watcher = leased.watch();
      if (watcher.method !== 'lease') throw new Error(`no lease on ${scratchDir}`);
      const event = watcher.next().then(() => process.hrtime.bigint());
      const written = await write();
      const at = await event;
      await watcher.return();
      times.lease.push(Number(at - written.opened));
      times.leaseAhead.push(Number(written.firstWrite - at));
    },
    async fsWatch() {
      let onEvent;
      const event = new Promise((resolve) => { onEvent = resolve; });
      const watcher = fs.watch(path, () => onEvent(process.hrtime.bigint()));
      const written = await write();
      const at = await event;
      watcher.close();
      times.fsWatch.push(Number(at - written.firstWrite));
      times.fsWatchFromOpen.push(Number(at - written.opened));
    },
    async inotify() {
      const watcher = unleased.watch();
      const event = watcher.next().then(() => process.hrtime.bigint());
      const written = await write();
      const at = await event;
      await watcher.return();
      times.inotify.push(Number(at - written.firstWrite));
    },
  };
  const order = Object.keys(cases);
  try {
    // A probe, ended at once: a watcher left unconsumed would hold every
    // writer's open for the grace period (100 ms).
    const probe = leased.watch();
    await probe.return();
    if (probe.method !== 'lease') {
      notes.push(`Change notifications: no read lease on ${scratchDir}; skipped.`);
      return [];
    }
    await write();  // warm the writer
    for (let i = 0; i < samples; i++) {
      for (let k = 0; k < order.length; k++) {
        await cases[order[(i + k) % order.length]]();
        await sleep(5);  // the writer closed; the lease is free to be taken again
      }
      if (i % 50 === 49) progress(`Change notifications: ${i + 1}/${samples}`);
    }
  } finally {
    leased.close();
    unleased.close();
    writer.stdin.end();
  }
  const base = median(times.fsWatch);
  // fs.watch's event can run before the writer's timestamp after its write
  // (negative): ratios against its p50 would mean nothing; none are given.
  const row = (name, nsPerOperation) => ({ name, nsPerOperation, ratio: NaN });
  return [{
    title: `Change-notification latency, ${samples} rounds of a writer process (open, write 16 B, close), interleaved`,
    baseline: 'fs.watch: first write → event (p50)',
    rows: [
      row('fs.watch: first write → event (p50)', base),
      row('fs.watch: first write → event (p99)', percentile(times.fsWatch, 0.99)),
      row('fs.watch: open() called → event (p50)', median(times.fsWatchFromOpen)),
      row('fs.watch: open() called → event (p99)', percentile(times.fsWatchFromOpen, 0.99)),
      row('file.watch() with a lease: open() called → event (p50)', median(times.lease)),
      row('file.watch() with a lease: open() called → event (p99)', percentile(times.lease, 0.99)),
      row('  the same event ahead of the first write returning (p50)', median(times.leaseAhead)),
      row('  the same event ahead of the first write returning (minimum)', Math.min(...times.leaseAhead)),
      row('file.watch() without a lease (inotify): first write → event (p50)', median(times.inotify)),
      row('file.watch() without a lease (inotify): first write → event (p99)', percentile(times.inotify, 0.99)),
    ],
  }];
}

module.exports = { watchLatencyGroup };
