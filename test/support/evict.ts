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
 */
export function evictFromPageCache(path: string, file: MappedFile): number {
  const fd = openSync(path, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
  if (file.size > 0) file.advise('dontneed');
  execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
  return file.size > 0 ? file.residency().resident : 0;
}
