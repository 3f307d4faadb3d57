// Kind 'truncation': same-process truncation. ftruncate at random unaligned
// sizes, then reads across the cut (sync and async), below it, and past it.
// Kind 'raw': the same with the guard off, the comparison row: it must die by SIGBUS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PAGE, patternBuffer } from '../../test/support/files';
import { prng } from '../../test/support/random';
import { loadPackage, type MappedFile } from '../package';
import type { ChildKind, ChildOptions } from './fault-kind';
import { NUMBER_READS, numberWidth, READ_METHODS, tryRead } from './reads';
import { newTally, statusWriter } from './tally';

async function truncationChild({ count, seed, dir, statusFile }: ChildOptions, raw: boolean): Promise<void> {
  const { open } = loadPackage();
  const random = prng(seed);
  const LENGTH = 64 * PAGE + 1234;
  const file = path.join(dir, 'truncate.bin');
  const pattern = patternBuffer(0, LENGTH);
  fs.writeFileSync(file, pattern);
  const fd = fs.openSync(file, 'r+');
  const tally = newTally({ reads: 0 });
  const status = statusWriter(statusFile);
  status.save(tally);

  // 'always' (the default) for reads across and below the cut; 'fault' for
  // reads of whole pages past it, which always fault (a real SIGBUS, caught).
  // The raw mapping is 'fault' mode with the guard off, for every read.
  let always: MappedFile | undefined;
  let faulting: MappedFile | undefined;
  const reopen = (): void => {
    if (always) { always.close(); faulting!.close(); }
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
    if (raw) status.save(tally);

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
    await tryRead(tally, always!.view(), method, start, end, 'MappedFileTruncated');
    tally.reads++;
    if (raw) status.save(tally);

    // Below the cut: the file's bytes.
    {
      const m = random.pick(READ_METHODS);
      const w = m === 'number' ? Math.min(numberWidth(random), cut) : 1 + random.int(Math.min(cut, 4 * PAGE));
      const s = random.int(cut - w + 1);
      await tryRead(tally, always!.view(), m === 'number' && !NUMBER_READS[w] ? 'snapshot' : m, s, s + w, 'returned');
      tally.reads++;
      if (raw) status.save(tally);
    }

    // A page wholly past the cut, in 'fault' mode: the access faults.
    const nextPage = Math.ceil(cut / PAGE) * PAGE;
    if (nextPage < LENGTH) {
      const m = random.pick(READ_METHODS);
      const s = nextPage + random.int(Math.min(PAGE, LENGTH - nextPage));
      const w = m === 'number' ? Math.min(numberWidth(random), LENGTH - s) : 1 + random.int(Math.min(2 * PAGE, LENGTH - s));
      await tryRead(tally, faulting!.view(), m === 'number' && !NUMBER_READS[w] ? 'snapshot' : m, s, s + w, 'MappedFileTruncated');
      tally.reads++;
      if (raw) status.save(tally);
    }

    // Back to the whole file, with pattern bytes only.
    fs.writeSync(fd, pattern, cut, LENGTH - cut, cut);
    if (i % 256 === 0) status.save(tally);
  }
  always!.close();
  faulting!.close();
  fs.closeSync(fd);
  status.finish(tally);
}

export const truncation: ChildKind = {
  kind: 'truncation', label: 'same-process truncation (`ftruncate` at unaligned sizes, reads sync + async)',
  count: 50_000, unit: 'truncations', timeout: 300,
  child: (options) => truncationChild(options, false),
};

export const raw: ChildKind = {
  kind: 'raw', label: '**raw mapping** (comparison: same-process truncation, no guard)', count: 20_000,
  unit: 'truncations', timeout: 120, raw: true,
  child: (options) => truncationChild(options, true),
};
