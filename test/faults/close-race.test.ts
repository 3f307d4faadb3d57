// close() while async work is in flight never unmaps memory that a pool
// thread is copying: each operation either finishes with the right bytes or
// rejects with MappedFileClosed.
import { MappedFileClosed, open } from '../../src';
import { binding } from '../../src/binding';
import { TempDir, patternBuffer } from '../support/files';

const FILE_LENGTH = 16 << 20;
const COPY_LENGTH = 1 << 20;
let dir: TempDir;
// The pool path: this is about work queued on the pool when close() comes.
// (A resident file would otherwise be copied at once on this thread, all 100
// copies before close(); test/api/async-fast-path covers close() there.)
beforeAll(() => { dir = new TempDir(); binding.testing.setAsyncPath(2); });
afterAll(() => { binding.testing.setAsyncPath(0); dir.remove(); });

test('close() during 100 in-flight async copies, 30 times over', async () => {
  const path = dir.patternFile('close-race', FILE_LENGTH);
  const pattern = patternBuffer(0, FILE_LENGTH);
  const tally = { right: 0, closed: 0, other: [] as string[] };
  for (let round = 0; round < 30; round++) {
    const file = open(path);
    const view = file.view();
    const copies = Array.from({ length: 100 }, async (_, i) => {
      const offset = ((i * 7919 * 4096) % (FILE_LENGTH - COPY_LENGTH));
      const target = Buffer.alloc(COPY_LENGTH);
      const copied = i % 2 === 0
        ? await view.copyAsync(target, 0, offset, offset + COPY_LENGTH)
        : (await view.subarray(offset, offset + COPY_LENGTH).snapshotAsync()).copy(target);
      return { copied, right: target.equals(pattern.subarray(offset, offset + COPY_LENGTH)) };
    });
    // Close at once (most work still queued), after a few milliseconds (a
    // varying share started or finished), or once the first copy has settled,
    // so that some copies finish even where the pool is slow (qemu-user).
    const delay = round % 5;
    if (delay === 4) await Promise.race(copies.map((copy) => copy.then(() => undefined, () => undefined)));
    else if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    file.close();
    for (const outcome of await Promise.allSettled(copies)) {
      if (outcome.status === 'fulfilled' && outcome.value.copied === COPY_LENGTH && outcome.value.right) tally.right++;
      else if (outcome.status === 'rejected' && outcome.reason instanceof MappedFileClosed) tally.closed++;
      else tally.other.push(JSON.stringify(outcome.status === 'fulfilled' ? outcome.value : String(outcome.reason)));
    }
  }
  expect(tally.other).toEqual([]);
  expect(tally.right + tally.closed).toBe(3000);
  expect(tally.right).toBeGreaterThan(0);
  expect(tally.closed).toBeGreaterThan(0);
});
