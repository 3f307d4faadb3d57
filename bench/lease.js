// How long a writer waits because a safe-mmap reader holds a read lease on
// the file: an open for write and a truncate(2) from this process, through
// another descriptor, with the lease held and with none, on a scratch file.
// The break goes to the process's watcher thread, which releases the lease;
// the writer returns once it has. Percentiles, not a mean: the target is the
// p99 (under 1 ms).
'use strict';
const fs = require('node:fs');
const { open } = require('..');
const { median, percentile } = require('./measure');
const { heatUntilLeased } = require('./lease-heat');
const { binding } = require('../lib/binding');

function timed(operation) {
  const start = process.hrtime.bigint();
  operation();
  return Number(process.hrtime.bigint() - start);
}

// After a break the reader takes its lease again once it is hot, 10 ms after
// it noticed the loss at the earliest (native/lease_policy.h).
async function untilLeased(file) {
  for (let tries = 0; tries < 500; tries++) {
    if (heatUntilLeased(file, 100) === 'lease') return true;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return false;
}

/** One group: writer latency with no lease held and with one, p50 and p99. */
async function leaseWriterGroup({ scratchDir, progress, notes, samples = 200 }) {
  const path = `${scratchDir}/lease-writer.bin`;
  const size = 1 << 20;
  fs.writeFileSync(path, Buffer.alloc(size, 1));
  const openForWrite = () => fs.closeSync(fs.openSync(path, 'r+'));
  const truncate = () => fs.truncateSync(path, size);  // the same size: still a break
  const unleased = { open: [], truncate: [] };
  const leased = { open: [], truncate: [] };
  const file = open(path);
  // An open for write that writes nothing is a break that changed nothing,
  // after which the lease is not taken again for 8 s (native/lease_policy.h):
  // this group measures a writer against a held lease, so it re-takes at once.
  binding.testing.setLeaseBackoffEnabled(false);
  try {
    if (heatUntilLeased(file) !== 'lease') {
      notes.push(`Writer latency: no lease could be taken on ${scratchDir} (${file.validationMethod}); skipped.`);
      return [];
    }
    for (let i = 0; i < samples; i++) {
      if (!await untilLeased(file)) throw new Error('the lease was not taken again');
      leased.open.push(timed(openForWrite));
      if (!await untilLeased(file)) throw new Error('the lease was not taken again');
      leased.truncate.push(timed(truncate));
      if (i % 50 === 49) progress(`Writer latency: ${i + 1}/${samples}`);
    }
  } finally {
    file.close();
    binding.testing.setLeaseBackoffEnabled(true);
  }
  for (let i = 0; i < samples; i++) {
    unleased.open.push(timed(openForWrite));
    unleased.truncate.push(timed(truncate));
  }
  const base = median(unleased.open);
  const row = (name, nsPerOperation) => ({ name, nsPerOperation, ratio: base / nsPerOperation });
  return [{
    title: `Writer latency against a leased reader in this process: ${samples} opens for write and truncates each`,
    baseline: 'open for write, no lease (p50)',
    rows: [
      row('open for write, no lease (p50)', base),
      row('open for write, no lease (p99)', percentile(unleased.open, 0.99)),
      row('open for write, lease held (p50)', median(leased.open)),
      row('open for write, lease held (p99)', percentile(leased.open, 0.99)),
      row('truncate, no lease (p50)', median(unleased.truncate)),
      row('truncate, lease held (p50)', median(leased.truncate)),
      row('truncate, lease held (p99)', percentile(leased.truncate, 0.99)),
    ],
  }];
}

module.exports = { leaseWriterGroup };
