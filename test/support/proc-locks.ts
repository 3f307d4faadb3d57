// Which processes hold a lease on a file, as the kernel lists them in
// /proc/locks ("1: LEASE  ACTIVE    READ 4164 fd:01:56 0 EOF": the holder's
// pid, then the device and the inode).
import { readFileSync, statSync } from 'node:fs';

/** The pids that hold a lease on `path`'s inode now. */
export function leaseHolders(path: string): number[] {
  const inode = statSync(path).ino;
  return readFileSync('/proc/locks', 'utf8').split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1] === 'LEASE' && Number(fields[5]?.split(':')[2]) === inode)
    .map((fields) => Number(fields[4]));
}
