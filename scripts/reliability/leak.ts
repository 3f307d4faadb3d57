// Kind 'leak': open/view/snapshot/close cycles; after them, no descriptor,
// no mapping and no memory may be left over.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PAGE, patternBuffer } from '../../test/support/files';
import { loadPackage } from '../package';
import type { ChildKind, ChildOptions } from './fault-kind';
import { checkBytes, newTally, record, statusWriter } from './tally';

async function leakChild({ count, dir, statusFile }: ChildOptions): Promise<void> {
  const { open } = loadPackage();
  const tally = newTally<{ leak?: { fds: number; maps: number; rss: number; warmUp: number } }>();
  const status = statusWriter(statusFile);
  status.save(tally);
  const LENGTH = 3 * PAGE + 7;
  const file = path.join(dir, 'cycles.bin');
  const pattern = patternBuffer(0, LENGTH);
  fs.writeFileSync(file, pattern);
  const descriptors = (): number => fs.readdirSync('/proc/self/fd').length;
  const mappings = (): number => fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line.endsWith(file)).length;
  const cycle = (check: boolean): void => {
    const mapped = open(file);
    const bytes = mapped.view(PAGE).snapshot();
    const number = mapped.view().readUInt32LE(5);
    mapped.close();
    if (check) {
      checkBytes(tally, bytes, PAGE, pattern);
      tally.bytesChecked += 4;
      if (number !== pattern.readUInt32LE(5)) tally.wrongBytes! += 4;
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
  const settledRss = async (): Promise<number> => {
    (globalThis as { gc?: () => void }).gc!();
    await new Promise(setImmediate);
    return process.memoryUsage().rss;
  };
  const before = { fds: descriptors(), maps: mappings(), rss: await settledRss() };
  for (let i = 0; i < count; i++) {
    cycle(true);
    record(tally, 'returned', 'returned');
    tally.injected++;
    if (i % yieldEvery === yieldEvery - 1) await new Promise(setImmediate);
    if (i % 10_000 === 0) status.save(tally);
  }
  const after = { fds: descriptors(), maps: mappings(), rss: await settledRss() };
  tally.leak = { fds: after.fds - before.fds, maps: after.maps, rss: after.rss - before.rss, warmUp };
  // A leak of even 100 bytes a cycle would add 10 MB over 100,000 cycles.
  if (tally.leak.fds !== 0 || tally.leak.maps !== 0 || tally.leak.rss > 10 << 20) {
    tally.unexpected++;
    tally.unexpectedSamples.push(`leak: ${JSON.stringify(tally.leak)}`);
  }
  status.finish(tally);
}

export const leak: ChildKind = {
  kind: 'leak', label: 'leak cycles (open, view, snapshot, close)', count: 100_000, unit: 'cycles', timeout: 300,
  execArgv: ['--expose-gc'],
  child: leakChild,
};
