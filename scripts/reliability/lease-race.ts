// Kinds 'lease-race' and 'lease-otrunc': lease mode against the lease race's
// writer (test/support/lease-writer.js) in another process. count is the
// writer's milliseconds; `injected` is its cycles: each breaks the lease,
// truncates and writes the pattern back ('rewrite'), or first truncates to 0
// through open(O_RDONLY|O_TRUNC), which breaks no lease (the lease's hole 1).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PAGE, patternBuffer } from '../../test/support/files';
import { prng } from '../../test/support/random';
import { loadPackage, repoPath } from '../package';
import type { ChildKind, ChildOptions } from './fault-kind';
import { READ_METHODS, tryRead } from './reads';
import { newTally, record, statusWriter } from './tally';

// bench/lease-heat.js, which the tests have through test/support/lease-heat.cjs:
// required from the checkout, since it is not compiled with the tools.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { heatUntilLeased } = require(repoPath('bench', 'lease-heat.js')) as typeof import('../../test/support/lease-heat.cjs');

async function leaseRaceChild({ count, seed, dir, statusFile }: ChildOptions, mode: 'rewrite' | 'otrunc'): Promise<void> {
  const { open } = loadPackage();
  const random = prng(seed);
  const LENGTH = 256 * 1024;
  const file = path.join(dir, 'lease.bin');
  fs.writeFileSync(file, patternBuffer(0, LENGTH));
  const tally = newTally({ reads: 0, underLease: 0 });
  const status = statusWriter(statusFile);
  const mapped = open(file);
  const method = heatUntilLeased(mapped);  // taken once the file is hot (native/lease_policy.h)
  if (method !== 'lease') record(tally, `no lease (${method})`, 'lease');
  const view = mapped.view();
  const writer = spawn(process.execPath, [repoPath('test', 'support', 'lease-writer.js'), file,
    String(LENGTH), String(count), mode], { stdio: ['ignore', 'pipe', 2] });
  let output = '';
  writer.stdout!.on('data', (chunk) => { output += chunk; });
  let running = true;
  const exited = new Promise((resolve) => writer.on('exit', (code) => { running = false; resolve(code); }));
  fs.writeFileSync(`${file}.go`, '');
  while (running) {
    const readMethod = random.pick(READ_METHODS);
    const start = random.int(LENGTH - 8);
    const end = readMethod === 'number' ? start + random.pick([1, 2, 4, 8])
      : start + 1 + random.int(Math.min(LENGTH - start, 8 * PAGE));
    if (mapped.validationMethod === 'lease') tally.underLease++;
    await tryRead(tally, view, readMethod, start, end, ['returned', 'MappedFileTruncated']);
    tally.reads++;
    if (tally.reads % 256 === 0) { status.save(tally); await new Promise(setImmediate); }
  }
  if (await exited !== 0) record(tally, 'writer failed', 'writer ok');
  else tally.injected = JSON.parse(output.slice(output.indexOf('\n') + 1)).cycles;  // after "ready"
  mapped.close();
  status.finish(tally);
}

export const leaseRace: ChildKind = {
  kind: 'lease-race', label: 'lease mode: a writer process breaks the lease, truncates, rewrites', count: 30_000,
  unit: 'writer cycles', timeout: 120,
  child: (options) => leaseRaceChild(options, 'rewrite'),
};

export const leaseOtrunc: ChildKind = {
  kind: 'lease-otrunc', label: 'lease mode: `open(O_RDONLY\\|O_TRUNC)` by another process (no break)', count: 30_000,
  unit: 'writer cycles', timeout: 120,
  child: (options) => leaseRaceChild(options, 'otrunc'),
};
