// What a test may assume of the platform it runs on. Windows refuses to
// shrink a file while a view of it is mapped (SetEndOfFile answers
// ERROR_USER_MAPPED_FILE), so a test that cuts a file under its own mapping
// cannot run there. What Windows does instead is checked by
// test/windows/truncate-refused, and a cut from outside (the Linux side of
// Wine) by test/windows/truncated-under-view.
import { uvErrno } from '../../src/errors';

export const onWindows = process.platform === 'win32';

/** A test that truncates a file it has mapped: not run on Windows, which refuses the truncation. */
export const testCuttingMappedFile: jest.It = onWindows ? test.skip : test;

/** A test of what Windows lacks (a FIFO, /dev/null, /proc, POSIX lock semantics): not run there. */
export const testPosixOnly: jest.It = onWindows ? test.skip : test;

/** A test of what only Windows does (its LockFileEx semantics, say). */
export const testWindowsOnly: jest.It = onWindows ? test : test.skip;

/** The errno that fs gives for `code` on this platform (-2 for ENOENT on Linux, -4058 on Windows). */
export function systemErrno(code: string): number {
  const errno = uvErrno(code);
  if (errno === undefined) throw new Error(`no errno is named ${code} here`);
  return errno;
}

/**
 * A test of futex waits (wait, waitAsync, notify) across processes: Linux
 * only. On Windows they throw ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, which
 * test/windows/platform checks.
 */
export const testFutexWaits: jest.It = onWindows ? test.skip : test;
