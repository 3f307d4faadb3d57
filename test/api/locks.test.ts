// Record locks (file.lock()): open-file-description locks that exclude other
// processes, wait on a thread of their own (never the event loop or the
// pool), cancel on abort and close(), and survive the close of an unrelated
// descriptor of the same file. The other process is test/support/lock-child.js.
// On Windows they are LockFileEx locks, which differ (native/win32/record_locks.cc):
// the tests of Linux's semantics do not run there, and some of Windows's own do.
import { closeSync, openSync, promises as fsPromises, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { AbortError, MappedFile, MappedFileClosed, open, RecordLock } from '../../src';
import { binding } from '../../src/binding';
import { onWindows, testPosixOnly, testWindowsOnly } from '../support/platforms';
import { blockedLockWaiters } from '../support/proc-locks';
import { LockChild, startLockChild } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
jest.setTimeout(60_000);

// testPosixOnly: OFD semantics (a classic POSIX lock's pitfalls, merging)
// and /proc/locks. testWindowsOnly: what only Windows locks do (no merging,
// the file's own locks conflicting).

// `promise`, or a rejection when it has not settled after `ms`: a cancel that
// never reaches the waiting thread leaves its lock() pending for good.
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// Resolves once the kernel lists `count` blocked lock requests on `path`.
// Windows lists none (no /proc/locks), and has nothing to wait for: lock()
// started its polling thread before it returned, its first try having
// failed; this lets a few of the threads' polls pass.
async function blockedWaitersReach(path: string, count: number): Promise<void> {
  if (onWindows) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return;
  }
  const giveUpAt = Date.now() + 10_000;
  while (blockedLockWaiters(path) < count) {
    if (Date.now() > giveUpAt) throw new Error(`only ${blockedLockWaiters(path)} of ${count} waiters blocked`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// Cleans up whatever a test started, even when it failed half-way.
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});
function child(args: string[]): LockChild {
  const started = startLockChild(args);
  cleanups.push(() => started.kill());
  return started;
}
function mapped(path: string, mode: 'r' | 'r+' = 'r+'): MappedFile {
  const file = open(path, { mode });
  cleanups.push(() => file.close());
  return file;
}

// What another process's lock(offset, length, { wait: false }) of the range
// prints: ['locked'] (it took the range, and let go as it exited) or ['EAGAIN'].
async function triedElsewhere(path: string, offset: number, length: number): Promise<string[]> {
  const tryer = child(['try', path, String(offset), String(length)]);
  await tryer.exited;
  return tryer.lines();
}

describe('two processes updating a 64-byte record non-atomically', () => {
  const ITERATIONS = 2000;

  // Each process reads the record's 16 counters, spins 200 µs, and writes
  // each back plus one, ITERATIONS times; returns the counters at the end.
  async function countInTwoProcesses(name: string, locking: 'lock' | 'nolock'): Promise<number[]> {
    const path = dir.file(name, Buffer.alloc(4096));
    rmSync(`${path}.go`, { force: true });
    const counters = [child(['count', path, String(ITERATIONS), locking]),
      child(['count', path, String(ITERATIONS), locking])];
    await Promise.all(counters.map((counter) => counter.printed('ready')));
    writeFileSync(`${path}.go`, '');
    expect(await Promise.all(counters.map((counter) => counter.exited))).toEqual([0, 0]);
    const record = readFileSync(path).subarray(0, 64);
    return Array.from({ length: 16 }, (_, index) => record.readUInt32LE(index * 4));
  }

  test('under lock(): no update is lost', async () => {
    expect(await countInTwoProcesses('counted-locked', 'lock')).toEqual(new Array(16).fill(2 * ITERATIONS));
  });

  test('control: without the lock, updates are lost', async () => {
    const counters = await countInTwoProcesses('counted-unlocked', 'nolock');
    for (const counter of counters) expect(counter).toBeLessThanOrEqual(2 * ITERATIONS);
    expect(counters.reduce((sum, counter) => sum + counter, 0)).toBeLessThan(16 * 2 * ITERATIONS);
  });
});

test('a lock held by another process excludes, { wait: false } rejects with EAGAIN, a waiting lock is granted on release', async () => {
  const path = dir.file('exclude', Buffer.alloc(4096));
  const holder = child(['hold', path, '0', '100']);
  await holder.printed('locked');
  const file = mapped(path);
  await expect(file.lock(50, 10, { wait: false })).rejects.toMatchObject({
    code: 'EAGAIN', errno: expect.any(Number), syscall: onWindows ? 'LockFileEx' : 'fcntl',
    message: expect.stringContaining("bytes 50 to 59"),
  });
  // Outside the held range, and shared locks beside each other, are granted at once.
  const beside = await file.lock(100, 50, { wait: false });
  expect(beside).toBeInstanceOf(RecordLock);
  beside.unlock();
  const waiting = file.lock(50, 10);
  await blockedWaitersReach(path, 1);
  holder.release();
  const lock = await within(waiting, 5000, 'the waiting lock');
  expect(lock.locked).toBe(true);
  expect(await triedElsewhere(path, 0, 100)).toEqual(['EAGAIN']);
  lock.unlock();
  lock.unlock();  // idempotent
  expect(lock.locked).toBe(false);
  expect(await triedElsewhere(path, 0, 100)).toEqual(['locked']);
});

test('an abort rejects a waiting lock with AbortError, and leaves the range unlocked', async () => {
  const path = dir.file('abort', Buffer.alloc(4096));
  const holder = child(['hold', path, '0', '100']);
  await holder.printed('locked');
  const file = mapped(path);
  const controller = new AbortController();
  const waiting = file.lock(50, 10, { signal: controller.signal });
  await blockedWaitersReach(path, 1);  // our thread is in F_OFD_SETLKW
  const reason = new Error('enough waiting');
  controller.abort(reason);
  const error = await within(waiting, 2000, 'the aborted lock').catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(AbortError);
  expect(error).toMatchObject({ code: 'ABORT_ERR', cause: reason });
  if (!onWindows) expect(blockedLockWaiters(path)).toBe(0);
  // Nothing of ours is left on the range once the holder goes.
  holder.release();
  await holder.exited;
  expect(await triedElsewhere(path, 50, 10)).toEqual(['locked']);
  // An already-aborted signal rejects before anything is tried.
  await expect(file.lock(0, 1, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
});

test('close() releases the locks held, letting a waiting process through, and rejects its own waits with MappedFileClosed', async () => {
  const path = dir.file('close', Buffer.alloc(4096));
  const file = mapped(path);
  const held = await file.lock(0, 100);
  // A wait of this file's own, on a range another process holds: its thread
  // keeps a dup of the descriptor, so the description outlives the mapping's
  // close until the wait is cancelled.
  const holder = child(['hold', path, '200', '100']);
  await holder.printed('locked');
  const ownWait = file.lock(200, 100);
  const waiter = child(['wait', path, '0', '100']);
  await waiter.printed('waiting');
  await blockedWaitersReach(path, 2);
  expect(waiter.lines()).toEqual(['waiting']);
  file.close();
  expect(held.locked).toBe(false);
  await expect(within(ownWait, 2000, "this file's own wait")).rejects.toBeInstanceOf(MappedFileClosed);
  await within(waiter.printed('locked'), 5000, 'the waiting process');
  expect(await waiter.exited).toBe(0);
  held.unlock();  // a no-op after close()
  await expect(file.lock(0, 1)).rejects.toBeInstanceOf(MappedFileClosed);
});

test('close() also releases a lock granted behind the RecordLocks\' back (a grant racing the cancel)', async () => {
  const path = dir.file('unknown-grant', Buffer.alloc(4096));
  const file = mapped(path);
  await file.lock(0, 10);  // close() has something to settle
  // What a waiting thread's grant that the cancel missed leaves: a lock no
  // RecordLock records. Linux: close()'s whole-file unlock releases it;
  // Windows: the close of the file's last handle.
  expect(binding.lockRange(file.native.slot, 500, 10, false)).toBe(0);
  file.close();
  expect(await triedElsewhere(path, 500, 10)).toEqual(['locked']);
});

// The lock of 0..63 survives `useAnotherDescriptor(path)`, which opens the
// file again, reads and closes: what drops a classic POSIX lock (F_SETLK) is
// any close of the file in the process.
async function closingAnotherDescriptorKeepsTheLock(name: string, useAnotherDescriptor: (path: string) => void): Promise<void> {
  const path = dir.file(name, Buffer.alloc(4096));
  const file = mapped(path);
  const lock = await file.lock(0, 64);
  useAnotherDescriptor(path);
  expect(await triedElsewhere(path, 0, 64)).toEqual(['EAGAIN']);
  lock.unlock();
  expect(await triedElsewhere(path, 0, 64)).toEqual(['locked']);
}

// POSIX only: Windows refuses reads of a locked range through another handle
// (mandatory locking); its own case follows.
testPosixOnly('closing an unrelated descriptor of the same file keeps the lock', () =>
  closingAnotherDescriptorKeepsTheLock('unrelated', (path) => {
    const fd = openSync(path, 'r');
    readSync(fd, Buffer.alloc(16), 0, 16, 0);
    closeSync(fd);
    readFileSync(path);
  }));

testWindowsOnly('Windows: closing another handle of the file keeps the lock', () =>
  closingAnotherDescriptorKeepsTheLock('unrelated-win', (path) => {
    // Outside the range: Windows fails ReadFile on a locked range through
    // another handle (mandatory locking; Wine does not).
    const fd = openSync(path, 'r');
    expect(readSync(fd, Buffer.alloc(16), 0, 16, 100)).toBe(16);
    closeSync(fd);
  }));

test('8 waiting locks hold neither the event loop nor a pool thread', async () => {
  const path = dir.file('pool', Buffer.alloc(4096));
  const small = dir.file('small', Buffer.alloc(100, 7));
  await fsPromises.readFile(small);  // warm
  const holder = child(['hold', path, '0', 'Infinity']);
  await holder.printed('locked');
  const file = mapped(path);
  const controller = new AbortController();
  const waits = Array.from({ length: 8 }, (_, index) =>
    file.lock(index * 10, 10, { signal: controller.signal }).catch((error: unknown) => error));
  await blockedWaitersReach(path, 8);  // UV_THREADPOOL_SIZE is 4: on the pool, half would still be queued
  const started = process.hrtime.bigint();
  expect(await within(fsPromises.readFile(small), 5000, 'readFile')).toEqual(Buffer.alloc(100, 7));
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  expect(elapsedMs).toBeLessThan(200);
  controller.abort();
  for (const outcome of await within(Promise.all(waits), 2000, 'the aborted waits')) {
    expect(outcome).toBeInstanceOf(AbortError);
  }
});

// Jest's realm lacks Symbol.dispose before Node 24 (test lifecycle): `using`
// cannot run here, so the test calls what `using` calls.
const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('nodejs.dispose');

test('ranges are the file\'s, not the mapping\'s; Infinity locks to the end and beyond; dispose unlocks', async () => {
  const path = dir.file('ranges', Buffer.alloc(100));
  const file = mapped(path);
  {
    const lock = await file.lock(1000, Infinity);
    expect(lock).toMatchObject({ offset: 1000, length: Infinity, shared: false, locked: true });
    expect(await triedElsewhere(path, 2 ** 40, 1)).toEqual(['EAGAIN']);
    expect(await triedElsewhere(path, 0, 1000)).toEqual(['locked']);
    (lock as unknown as Record<symbol, () => void>)[DISPOSE]();
    expect(lock.locked).toBe(false);
  }
  expect(await triedElsewhere(path, 1000, 1)).toEqual(['locked']);
  // Shared locks: a read-only file may take them, and they coexist.
  const reader = mapped(path, 'r');
  const first = await reader.lock(0, 10, { shared: true, wait: false });
  const second = await mapped(path, 'r').lock(0, 10, { shared: true, wait: false });
  expect([first.shared, second.shared]).toEqual([true, true]);
  expect(await triedElsewhere(path, 0, 10)).toEqual(['EAGAIN']);
});

test('bad arguments give the documented errors', async () => {
  const path = dir.file('bad', Buffer.alloc(100));
  const file = mapped(path);
  const cases: Array<[unknown[], string]> = [
    [['1'], 'ERR_INVALID_ARG_TYPE'],
    [[-1], 'ERR_OUT_OF_RANGE'],
    [[1.5], 'ERR_OUT_OF_RANGE'],
    [[NaN], 'ERR_OUT_OF_RANGE'],
    [[2 ** 53], 'ERR_OUT_OF_RANGE'],
    [[0, 0], 'ERR_OUT_OF_RANGE'],  // not fcntl's "to the end": that is Infinity
    [[0, -5], 'ERR_OUT_OF_RANGE'],
    [[0, 2.5], 'ERR_OUT_OF_RANGE'],
    [[0, -Infinity], 'ERR_OUT_OF_RANGE'],
    [[0, 10n], 'ERR_INVALID_ARG_TYPE'],
    [[1, Number.MAX_SAFE_INTEGER], 'ERR_OUT_OF_RANGE'],
    [[0, 1, null], 'ERR_INVALID_ARG_TYPE'],
    [[0, 1, 'wait'], 'ERR_INVALID_ARG_TYPE'],
    [[0, 1, { shared: 1 }], 'ERR_INVALID_ARG_TYPE'],
    [[0, 1, { wait: 'no' }], 'ERR_INVALID_ARG_TYPE'],
    [[0, 1, { signal: {} }], 'ERR_INVALID_ARG_TYPE'],
  ];
  for (const [args, code] of cases) {
    const lock = (file.lock as (...a: unknown[]) => Promise<RecordLock>)(...args);
    await expect(lock).rejects.toMatchObject({ code });
  }
  // An exclusive lock needs a writable descriptor (the kernel would say EBADF).
  const readOnly = mapped(path, 'r');
  const error = await readOnly.lock(0, 1).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(TypeError);
  expect(error).toMatchObject({ code: 'ERR_MAPPED_FILE_READ_ONLY' });
  // Nothing was locked by the failed calls.
  expect(await triedElsewhere(path, 0, Infinity)).toEqual(['locked']);
});

testWindowsOnly("Windows: a file's locks do not merge; its exclusive ones conflict with its own, shared ones stack", async () => {
  const path = dir.file('no-merge', Buffer.alloc(4096));
  const file = mapped(path);
  // Linux would merge these two; on Windows the second waits for the first.
  const first = await file.lock(0, 10);
  await expect(file.lock(5, 10, { wait: false })).rejects.toMatchObject({ code: 'EAGAIN', syscall: 'LockFileEx' });
  // A shared lock may overlap the same file's exclusive one.
  (await file.lock(5, 10, { shared: true, wait: false })).unlock();
  const second = file.lock(5, 10);
  first.unlock();
  (await within(second, 5000, 'the second lock')).unlock();
  // Two shared locks of one range: unlocking one leaves the other (Linux
  // would release the range).
  const one = await file.lock(0, 10, { shared: true, wait: false });
  const two = await file.lock(0, 10, { shared: true, wait: false });
  one.unlock();
  expect(await triedElsewhere(path, 0, 10)).toEqual(['EAGAIN']);
  // close() unlocks each held lock by its range, the Infinity one included.
  await file.lock(100, Infinity);
  file.close();
  expect(two.locked).toBe(false);
  expect(await triedElsewhere(path, 0, Infinity)).toEqual(['locked']);
});
