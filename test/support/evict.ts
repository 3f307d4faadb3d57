// Forcing the async forms' slow path: a range whose pages are not in the
// page cache goes to the thread pool.
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync } from 'node:fs';
import type { MappedFile } from '../../src';

/**
 * Evicts the file's pages from the page cache and returns how many of the
 * mapping's pages are still resident (the caller asserts 0: a test that
 * cannot evict must fail, not pass on the fast path). Dirty pages cannot be
 * dropped, so the file is fsynced first; posix_fadvise cannot drop pages
 * that a process maps, so `file` lets go of its own first. GNU dd:
 * iflag=nocache with count=0 is posix_fadvise(DONTNEED) on the whole file.
 *
 * Readahead that an earlier fault started may still be in flight: its pages
 * are locked, so the eviction skips them and mincore does not count them
 * yet, and they land in the page cache a moment later (seen under load: an
 * RWF_NOWAIT read found every page of a file that mincore had just called
 * empty). So the answer must hold for a while: it is checked again after
 * a pause, and the eviction repeated when pages came back.
 */
export function evictFromPageCache(path: string, file: MappedFile): number {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let resident = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    const fd = openSync(path, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    if (file.size > 0) file.advise('dontneed');
    execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
    Atomics.wait(pause, 0, 0, 20);
    resident = file.size > 0 ? file.residency().resident : 0;
    if (resident === 0) break;
  }
  return resident;
}
