// Kind 'eio': reads of pages that fail with EIO (faultfs), each must throw
// MappedFileIOError; reads far from them return the file's bytes.
import { PAGE } from '../../test/support/files';
import { prng } from '../../test/support/random';
import { loadPackage } from '../package';
import type { ChildKind, ChildOptions } from './fault-kind';
import { mountFaultfs, unmountFaultfs } from './faultfs';
import { numberWidth, READ_METHODS, tryRead } from './reads';
import { newTally, statusWriter } from './tally';

async function eioChild({ count, seed, dir, statusFile, faultfs }: ChildOptions): Promise<void> {
  const { open } = loadPackage();
  const random = prng(seed);
  const SIZE = 16 << 20;
  const BAD = 8 << 20;
  const BAD_END = BAD + 16 * PAGE;
  const tally = newTally({ reads: 0 });
  const status = statusWriter(statusFile);
  status.save(tally);
  const mount = await mountFaultfs(faultfs!, dir, SIZE, BAD, BAD_END);
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
      if (i % 256 === 0) status.save(tally);
    }
    for (const file of files) file.close();
  } finally {
    await unmountFaultfs(mount);
  }
  status.finish(tally);
}

export const eio: ChildKind = {
  kind: 'eio', label: 'EIO page (FUSE `faultfs`)', count: 100_000, unit: 'reads of EIO pages', timeout: 300, fuse: true,
  child: eioChild,
};
