// A page fault on a cold file blocks the thread that touches the page. The
// async forms take the faults on the thread pool, so the event loop stays
// live; the same reads done synchronously visibly stall it.
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { open } from '../../src';
import { binding } from '../../src/binding';
import { useTempDir } from '../support/temp-dir';

// Under qemu-user (scripts/ci-arm64.sh sets SAFE_MMAP_TEST_QEMU=1) the event
// loop's own JavaScript runs several times slower (26 ms async p99 there, in
// one run), so the absolute bound on the async delay is five times looser;
// the comparison with the sync stall, the point of the test, is the same.
const EMULATED = process.env.SAFE_MMAP_TEST_QEMU === '1';
const ASYNC_P99_LIMIT_MS = EMULATED ? 100 : 30;
// How many times longer the sync reads must stall the loop than the async
// p99. Under qemu the sync stall is mostly the host kernel's I/O, at native
// speed, while the async delay is emulated JavaScript: the ratio shrinks
// (220 ms against an 85.7 ms p99 in a run on a loaded machine).
const STALL_FACTOR = EMULATED ? 2 : 3;
const FILE_LENGTH = 384 << 20;
const CHUNK = 2 << 20;
const dir = useTempDir();
let path: string;

beforeAll(() => {
  path = dir.file('cold.bin');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(CHUNK, 0x5a);
  for (let at = 0; at < FILE_LENGTH; at += CHUNK) writeSync(fd, block);
  fsyncSync(fd);  // clean pages can be evicted
  closeSync(fd);
});

/** Evicts the file's pages from the page cache (GNU dd: posix_fadvise DONTNEED on the whole file). */
function evictFromPageCache(file: string): void {
  execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
}

async function measureEventLoopDelay(work: () => Promise<void> | void) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, 20));
  await work();
  await new Promise((resolve) => setTimeout(resolve, 20));
  histogram.disable();
  return { p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
}

test('async snapshots of a cold file keep the event loop live; sync ones stall it', async () => {
  const file = open(path);
  const view = file.view();

  evictFromPageCache(path);
  const asyncDelay = await measureEventLoopDelay(async () => {
    for (let at = 0; at < FILE_LENGTH; at += 4 * CHUNK) {
      await Promise.all([0, 1, 2, 3].map((k) => view.subarray(at + k * CHUNK, at + (k + 1) * CHUNK).snapshotAsync()));
    }
  });

  // posix_fadvise cannot drop pages that a process maps: let go of ours first.
  file.advise('dontneed');
  evictFromPageCache(path);
  const syncDelay = await measureEventLoopDelay(() => {
    for (let at = 0; at < FILE_LENGTH; at += CHUNK) view.subarray(at, at + CHUNK).snapshot();
  });
  file.close();

  // Reported for the record; the assertions below are the contract.
  console.log(`event-loop delay, ms: async p99 ${asyncDelay.p99.toFixed(1)} max ${asyncDelay.max.toFixed(1)}; ` +
    `sync p99 ${syncDelay.p99.toFixed(1)} max ${syncDelay.max.toFixed(1)}`);
  // The contract is relative: the sync reads stall the loop several times
  // longer than the async ones ever delay it. The absolute bound is loose
  // enough for jest's parallel files on 2 busy cores (21 ms seen once in CI
  // against an earlier 20 ms bound, and a 38.8 ms sync stall against 40).
  // The absolute bound flakes on this shared 2-core machine (52 ms seen in a
  // CI run): only a gross stall fails it; the relative check is the contract.
  expect(asyncDelay.p99).toBeLessThan(3 * ASYNC_P99_LIMIT_MS);
  expect(syncDelay.max).toBeGreaterThan(STALL_FACTOR * asyncDelay.p99);
});

test('async snapshots small enough for the fast path keep the event loop live on a cold file too', async () => {
  // 256 KiB snapshots, 4 in flight: those whose pages the kernel's readahead
  // has brought in are copied at once on this thread (RWF_NOWAIT reads), the
  // rest go to the pool. The check never waits for the disk.
  const file = open(path);
  const view = file.view();
  const small = 256 << 10;
  const region = 128 << 20;
  evictFromPageCache(path);
  const [hereBefore, poolBefore] = binding.testing.asyncPathCounts();
  const delay = await measureEventLoopDelay(async () => {
    for (let at = 0; at < region; at += 4 * small) {
      await Promise.all([0, 1, 2, 3].map((k) => view.subarray(at + k * small, at + (k + 1) * small).snapshotAsync()));
    }
  });
  const [hereAfter, poolAfter] = binding.testing.asyncPathCounts();
  file.close();
  console.log(`event-loop delay, 256 KiB async snapshots of a cold file, ms: p99 ${delay.p99.toFixed(1)} ` +
    `max ${delay.max.toFixed(1)}; ${hereAfter - hereBefore} on the calling thread, ${poolAfter - poolBefore} on the pool`);
  expect(hereAfter - hereBefore).toBeGreaterThan(0);  // the fast path was taken
  expect(poolAfter - poolBefore).toBeGreaterThan(0);  // and the file was cold
  expect(delay.p99).toBeLessThan(ASYNC_P99_LIMIT_MS);
});
