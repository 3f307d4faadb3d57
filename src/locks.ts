// Record locks: file.lock() and the RecordLock it resolves with. Advisory
// open-file-description locks (fcntl F_OFD_SETLK) on the mapping's own
// descriptor, so that they belong to the MappedFile: closing some other
// descriptor of the file leaves them alone, as it would not a classic POSIX
// lock. On Windows, LockFileEx on the mapping's handle, with the differences
// that native/win32/record_locks.cc lists (no merging: each lock is unlocked
// by its own range). A lock that has to wait does so on a small thread of its
// own (native/record_locks.cc), never on the pool; this module keeps the
// file's held locks and pending waits so that close() can settle them.
import { constants as osConstants } from 'node:os';
import { AbortError, disposeSymbol, signalOf, whenClosed } from './async';
import { binding } from './binding';
import { invalidArgType, MappedFileClosed, readOnly, systemError, uvErrno } from './errors';
import type { MappedFile } from './file';
import { validateInteger } from './validate';

// The errnos the addon returns, as getSystemErrorMap() (and systemError)
// knows them: libuv's. On Linux they are the kernel's, os.constants.errno's
// too; on Windows libuv's own (EAGAIN 4088), where os.constants.errno holds
// the C runtime's (EAGAIN 11).
function errnoNamed(code: 'EAGAIN' | 'EBADF' | 'ECANCELED'): number {
  const errno = uvErrno(code);
  return errno === undefined ? osConstants.errno[code] : -errno;  // a runtime without the map
}
const [EAGAIN, EBADF, ECANCELED] = (['EAGAIN', 'EBADF', 'ECANCELED'] as const).map(errnoNamed);
// The system call that lockRange makes, for messages.
const LOCK_CALL = process.platform === 'win32' ? 'LockFileEx' : 'fcntl';

export interface LockOptions {
  /** true: a shared (read) lock, F_RDLCK; false (default): exclusive, F_WRLCK, which needs mode 'r+' or 'w+'. */
  shared?: boolean;
  /**
   * true (default): wait until the range is free. false: reject at once with
   * an EAGAIN error when another holder has a conflicting lock.
   */
  wait?: boolean;
  /** Aborting rejects a waiting lock with an AbortError (code 'ABORT_ERR'). */
  signal?: AbortSignal;
}

// What close() uses to tell a RecordLock that its lock went with the file.
const forget = Symbol('forget');

/** A held record lock (file.lock()). unlock() or `using` releases it; so does the file's close(). */
export class RecordLock {
  /** The first byte locked. */
  readonly offset: number;
  /** How many bytes; Infinity: to the end of the file and beyond, whatever its size becomes. */
  readonly length: number;
  readonly shared: boolean;
  #owner: FileLocks | null;

  /** @internal file.lock() makes them. */
  constructor(owner: FileLocks, offset: number, length: number, shared: boolean) {
    this.#owner = owner;
    this.offset = offset;
    this.length = length;
    this.shared = shared;
  }

  /** Whether it is still held: false after unlock() or the file's close(). */
  get locked(): boolean {
    return this.#owner !== null;
  }

  /**
   * Releases the range (F_UNLCK). Idempotent, and a no-op after the file's
   * close(). Locks of one MappedFile merge as fcntl's do: this releases the
   * whole range even where another RecordLock of the same file overlaps it.
   * On Windows locks do not merge: this releases this lock alone.
   */
  unlock(): void {
    const owner = this.#owner;
    if (owner === null) return;
    this.#owner = null;
    owner.release(this);
  }

  [disposeSymbol](): void {
    this.unlock();
  }

  /** @internal */
  [forget](): void {
    this.#owner = null;
  }
}

// A lock() that waits on its native thread; cancel() stops it (the promise
// settles when the thread has let go of the range).
interface PendingWait {
  cancel(reason: 'abort' | 'closed'): void;
}

/** @internal The held locks and pending waits of one MappedFile. */
class FileLocks {
  readonly #held = new Set<RecordLock>();
  readonly #waits = new Set<PendingWait>();
  #unregister: (() => void) | undefined;

  constructor(readonly file: MappedFile) {}

  // The close hook is registered only while something is held or pending.
  #track(): void {
    this.#unregister ??= this.file[whenClosed](() => this.#close());
  }

  #untrackIfIdle(): void {
    if (this.#held.size > 0 || this.#waits.size > 0 || this.#unregister === undefined) return;
    this.#unregister();
    this.#unregister = undefined;
  }

  hold(offset: number, length: number, shared: boolean): RecordLock {
    const lock = new RecordLock(this, offset, length, shared);
    this.#held.add(lock);
    this.#track();
    return lock;
  }

  release(lock: RecordLock): void {
    this.#held.delete(lock);
    this.#untrackIfIdle();
    if (this.file.closed) return;
    const error = binding.unlockRange(this.file.native.slot, lock.offset, nativeLength(lock.length));
    if (error !== 0) throw systemError(error, LOCK_CALL, this.file.path);
  }

  wait(offset: number, length: number, shared: boolean, signal: AbortSignal | undefined): Promise<RecordLock> {
    const { file } = this;
    return new Promise<RecordLock>((resolve, reject) => {
      let reason: 'abort' | 'closed' | undefined;
      let id = 0;
      const pending: PendingWait = {
        cancel: (why) => {
          if (reason !== undefined) return;
          reason = why;
          binding.cancelLockWait(id);
        },
      };
      const onAbort = () => pending.cancel('abort');
      const settle = (result: number) => {
        this.#waits.delete(pending);
        signal?.removeEventListener('abort', onAbort);
        if (result === 0 && reason === undefined) {
          resolve(this.hold(offset, length, shared));
          return;
        }
        // Granted as the cancel came: the native thread saw no cancel yet,
        // so the range is ours. close() has already unlocked the whole file.
        if (result === 0 && !file.closed) binding.unlockRange(file.native.slot, offset, nativeLength(length));
        this.#untrackIfIdle();
        if (reason === 'closed') reject(new MappedFileClosed({ path: file.path }));
        else if (reason === 'abort') reject(new AbortError(signal?.reason));
        else reject(lockError(file, result, offset, length));
      };
      this.#track();
      id = binding.lockRangeWait(file.native.slot, offset, nativeLength(length), shared, settle);
      if (id <= 0) {
        this.#untrackIfIdle();
        reject(id === -1 ? new MappedFileClosed({ path: file.path })
          : systemError(-id, 'pthread_create', file.path, 'cannot start the thread that waits for the lock'));
        return;
      }
      this.#waits.add(pending);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // close(), before the unmap: every wait is cancelled first, then each held
  // lock unlocked by its own range (Windows unlocks nothing else), then the
  // whole file (Linux), so that a grant racing the cancel is released either
  // by this unlock, by the waiting thread itself, or on Windows by the close
  // of the file's last handle (native/record_locks.cc, win32/record_locks.cc).
  // The waits reject with MappedFileClosed once their threads have stopped.
  #close(): void {
    this.#unregister = undefined;
    for (const pending of this.#waits) pending.cancel('closed');
    const { slot } = this.file.native;
    for (const lock of this.#held) binding.unlockRange(slot, lock.offset, nativeLength(lock.length));
    binding.unlockRange(slot, 0, 0);
    for (const lock of this.#held) lock[forget]();
    this.#held.clear();
  }
}

const locksOfFile = new WeakMap<MappedFile, FileLocks>();

function locksOf(file: MappedFile): FileLocks {
  let locks = locksOfFile.get(file);
  if (locks === undefined) {
    locks = new FileLocks(file);
    locksOfFile.set(file, locks);
  }
  return locks;
}

// fcntl's l_len: 0 is to the end of the file and beyond.
function nativeLength(length: number): number {
  return length === Infinity ? 0 : length;
}

function lockError(file: MappedFile, errno: number, offset: number, length: number): Error {
  if (errno === -1) return new MappedFileClosed({ path: file.path });
  if (errno === EBADF) return readOnly(file.path, 'to take an exclusive lock');
  if (errno === EAGAIN) {
    const range = length === Infinity ? `from byte ${offset} on` : `bytes ${offset} to ${offset + length - 1}`;
    return systemError(errno, LOCK_CALL, file.path, `resource temporarily unavailable: ${range} locked by another holder`);
  }
  if (errno === ECANCELED) return new AbortError();
  return systemError(errno, LOCK_CALL, file.path);
}

/** file.lock(offset, length, options): see MappedFile.lock and docs/api.md, "Record locks". */
export async function lockRange(file: MappedFile, offset: unknown = 0, length: unknown = Infinity,
  options?: unknown): Promise<RecordLock> {
  validateInteger(offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
  // 0 is refused rather than read as fcntl reads it (to the end of the file):
  // a computed empty range would otherwise lock everything.
  if (length !== Infinity) validateInteger(length, 'length', 1, Number.MAX_SAFE_INTEGER - offset);
  const signal = signalOf(options);
  const { shared = false, wait = true } = (options ?? {}) as LockOptions;
  if (typeof shared !== 'boolean') throw invalidArgType('options.shared', 'of type boolean', shared);
  if (typeof wait !== 'boolean') throw invalidArgType('options.wait', 'of type boolean', wait);
  if (file.closed) throw new MappedFileClosed({ path: file.path });
  // The kernel's answer would be EBADF: a write lock needs a descriptor open for writing.
  if (!shared && !file.writable) throw readOnly(file.path, 'to take an exclusive lock (or pass { shared: true })');
  if (signal?.aborted) throw new AbortError(signal.reason);
  const locks = locksOf(file);
  const result = binding.lockRange(file.native.slot, offset, nativeLength(length), shared);
  if (result === 0) return locks.hold(offset, length, shared);
  if (result !== EAGAIN || !wait) throw lockError(file, result, offset, length);
  return locks.wait(offset, length, shared, signal);
}
