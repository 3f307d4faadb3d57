// What the kernel lists in /proc/locks about a file: which processes hold a
// lease on it ("1: LEASE  ACTIVE    READ 4164 fd:01:56 0 EOF": the holder's
// pid, then the device and the inode), and how many lock requests wait on it.
import { readFileSync, statSync } from 'node:fs';

/** The pids that hold a lease on `path`'s inode now. */
export function leaseHolders(path: string): number[] {
  const inode = statSync(path).ino;
  return readFileSync('/proc/locks', 'utf8').split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1] === 'LEASE' && Number(fields[5]?.split(':')[2]) === inode)
    .map((fields) => Number(fields[4]));
}

/**
 * How many record lock requests are blocked on `path`'s inode now: the
 * "->" lines of /proc/locks ("1: -> OFDLCK ADVISORY  WRITE -1 fe:00:2146410 0 4").
 */
export function blockedLockWaiters(path: string): number {
  const inode = statSync(path).ino;
  return readFileSync('/proc/locks', 'utf8').split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1] === '->' && Number(fields[6]?.split(':')[2]) === inode)
    .length;
}
