// A pool access must never trust a lease that a failed re-take left behind.
// The interleaving, forced every time with a test hook that parks the pool
// thread's lease check between its two loads of the lease's slot:
//   1. a pool thread starts its check while the lease is held, and stalls;
//   2. a writer opens the file (the watcher breaks and releases the lease)
//      and truncates it, keeping it open for writing;
//   3. the owner's accesses try to take the lease again, and fail (EAGAIN:
//      the file is open for writing);
//   4. the pool thread resumes.
// It must then not vouch for the old size: its copy of [4000, 4096) on a file
// now 4000 bytes long is MappedFileTruncated, not the tail page's 96 zeros.
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { binding } from '../../src/binding';
import { MappedFileTruncated, open } from '../../src';
import { TempDir } from '../support/files';
import { heatUntilLeased } from '../support/lease-heat.cjs';

let dir: TempDir;
beforeAll(() => { dir = new TempDir(); binding.testing.setAsyncPath(2); });
afterAll(() => { binding.testing.setAsyncPath(0); binding.testing.leaseBeginStall(0); dir.remove(); });

const STALL_RELEASE = 0, STALL_ARM = 1, STALL_ASK = 2, STALLED = 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a pool access stalled across a break and a failed re-take does not trust the lease: MappedFileTruncated', async () => {
  const path = dir.patternFile('stale-retake', 8192);
  const file = open(path);
  let writer = -1;
  try {
    expect(heatUntilLeased(file)).toBe('lease');
    const view = file.view();
    const target = Buffer.alloc(96, 0xee);
    binding.testing.leaseBeginStall(STALL_ARM);
    const copy = view.copyAsync(target, 0, 4000, 4096).then((count: number) => ({ count }), (error: unknown) => ({ error }));
    for (let waited = 0; binding.testing.leaseBeginStall(STALL_ASK) !== STALLED; waited++) {
      if (waited > 5000) throw new Error('the pool access never reached its lease check');
      await sleep(1);
    }
    // The open for writing waits for the watcher to release the lease (this
    // thread is not needed for that); the file then shrinks to 4000 bytes.
    writer = openSync(path, 'r+');
    ftruncateSync(writer, 4000);
    // The owner's accesses find the lease gone and, hot, try to take it again
    // while the writer still holds the file open: every attempt fails.
    const started = Date.now();
    while (Date.now() - started < 100) {
      expect(heatUntilLeased(file, 200)).toBe('fstat');
      await sleep(2);
    }
    expect(file.validationMethod).toBe('fstat');
    binding.testing.leaseBeginStall(STALL_RELEASE);
    const outcome = await copy;
    expect(outcome).toEqual({ error: expect.any(MappedFileTruncated) });
    expect(target.equals(Buffer.alloc(96, 0xee))).toBe(true);
  } finally {
    binding.testing.leaseBeginStall(STALL_RELEASE);
    if (writer >= 0) closeSync(writer);
    file.close();
  }
});
