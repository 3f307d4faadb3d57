// A small tmpfs of our own, for faults that need a full filesystem: reading
// a hole of a sparse file, or writing one, must allocate a page and cannot.
// Needs root (mount); on CI it runs, and without root the tests fail loudly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Mounts a tmpfs of `size` (e.g. '1m') in beforeAll and unmounts it in afterAll; returns its path getter. */
export function useTmpfs(size: string): () => string {
  let mountPoint = '';
  beforeAll(() => {
    mountPoint = mkdtempSync(join(tmpdir(), 'safe-mmap-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountPoint]);
  });
  afterAll(() => {
    execFileSync('umount', ['-l', mountPoint]);
    rmdirSync(mountPoint);
  });
  return () => mountPoint;
}
