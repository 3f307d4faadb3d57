// Loads the native addon (a prebuild from prebuilds/ when one matches, else
// the local build/ from `npm install`) and tells it how to build our errors.
import { join } from 'node:path';
import {
  MappedFileChanged, MappedFileClosed, MappedFileIOError, MappedFileTruncated, outOfRange, readOnly, systemError,
} from './errors';

export interface NativeMapping {
  /** Names this mapping to the binding's byte-moving functions (MappingSlots in native/addon_state.h). */
  readonly slot: number;
  snapshotAsync(offset: number, length: number, abortFlag: Int32Array | null): Promise<Buffer | undefined>;
  copyToAsync(target: Uint8Array, targetStart: number, offset: number, length: number,
    abortFlag: Int32Array | null): Promise<number | undefined>;
  indexOfAsync(offset: number, length: number, needle: Uint8Array, from: number, forward: boolean,
    alignment: number, abortFlag: Int32Array | null): Promise<number | undefined>;
  /** fs-style: copies up to `length` bytes at `position`, stopping at the file's end; resolves with the count. */
  readAtAsync(target: Uint8Array, targetStart: number, position: number, length: number,
    abortFlag: Int32Array | null): Promise<number | undefined>;
  flush(offset: number, length: number): void;
  flushAsync(offset: number, length: number): Promise<void>;
  refresh(): number;
  advise(advice: number, offset: number, length: number): void;
  residency(offset: number, length: number): [number, number];
  fileSize(): number;
  mappedSize(): number;
  /** A number of constants.validationMethod. */
  validationMethod(): number;
  close(): void;
}

/** native/change_watch.h through change_watch_bindings.cc: one watch's own descriptor, lease and thread registration. */
export interface NativeChangeWatch {
  /** Clears the dirty flag, then reads [seen-by bits, sequence, size now]; undefined when nothing changed since. */
  take(): [number, number, number] | undefined;
  /** The event of `sequence` was delivered: a lease held for it may be released. */
  ack(sequence: number): void;
  /** One fstat against the last size and ctime seen. */
  poll(): void;
  /** The lease state, a number of constants.watch (lease*). */
  lease(): number;
  /** Whether the threadsafe function keeps the event loop alive. */
  ref(keepAlive: boolean): void;
  /** Idempotent; nothing else may be called afterwards. */
  stop(): void;
}

type Table<Names extends string> = Readonly<Record<Names, number>>;

export interface NativeConstants {
  validationMode: Table<'always' | 'fault'>;
  validationMethod: Table<'lease' | 'fstat' | 'none'>;
  advice: Table<'normal' | 'sequential' | 'random' | 'willneed' | 'dontneed' | 'hugepage'>;
  mapFlag: Table<'writable' | 'populate' | 'grow' | 'stable' | 'noLease'>;
  /** Change watches: lease states and which mechanism saw a change (bits). */
  watch: Table<'leaseNever' | 'leaseWanted' | 'leaseHeld' | 'leaseHolding' | 'seenByLease' | 'seenByInotify' | 'seenByPoll'>;
  errorKind: Table<'truncated' | 'io' | 'closed' | 'outOfRange' | 'system' | 'readOnly' | 'changed'>;
  /** Lazy snapshots' states and damage kinds, and the size below which they are copies. */
  lazy: Table<'mapped' | 'copied' | 'gone' | 'undamaged' | 'truncated' | 'ioError' | 'minimumBytes'>;
  /** atomic()'s operation codes (native/shared_atomics.h). */
  atomics: Table<'load' | 'store' | 'add' | 'sub' | 'and' | 'or' | 'xor' | 'exchange' | 'compareExchange'>;
  /** How a wait ended (native/futex_waits.h). */
  waitEnd: Table<'ok' | 'notEqual' | 'timedOut' | 'cancelled' | 'truncated' | 'ioError'>;
}

/** native/testing.h: each switch-off proves that some tests can fail. */
export interface TestingHooks {
  setGuardEnabled(enabled: boolean): void;
  setResumeThroughSigreturn(enabled: boolean): void;
  setLeaseEpochCheckEnabled(enabled: boolean): void;
  setLeaseWatcherPaused(paused: boolean): void;
  /** Off: a break that changed nothing is followed by a re-take after 10 ms, with no back-off. */
  setLeaseBackoffEnabled(enabled: boolean): void;
  /**
   * Parks the next lease check (any thread) between its loads of the lease's
   * state, as a preempted pool thread would: 1 arms, 0 releases, 2 asks.
   * Returns 0 off, 1 armed, 2 stalled.
   */
  leaseBeginStall(action: 0 | 1 | 2): number;
  /** Lease breaks the process's watcher thread has handled. */
  leaseBreaksHandled(): number;
  /** Off: a lease break releases the lease without turning lazy snapshots into copies. */
  setLazySwapEnabled(enabled: boolean): void;
  /** Off: the swap copies a lazy snapshot without write-protecting it first. */
  setLazyWriteProtectEnabled(enabled: boolean): void;
  /** [lazy snapshots that are still the file's pages, swaps done] in this process. */
  lazyCounts(): [number, number];
  /** Below this many bytes MapLazySnapshot copies (the benchmark's crossover); constants.lazy.minimumBytes stays. */
  setLazyMinimumBytesForBenchmark(bytes: number): void;
  /** Where async accesses run: 0 as they should (resident: the calling thread), 1 the calling thread, 2 the pool. */
  setAsyncPath(path: 0 | 1 | 2): void;
  /** [async accesses run on the calling thread, on the pool] since the process started. */
  asyncPathCounts(): [number, number];
  /** The benchmark's unguarded memcpy from the mapping: it can crash the process. */
  /** Off: a watch's broken lease is released at once instead of held until JS delivered the event. */
  setWatchHoldEnabled(enabled: boolean): void;
  /** Change watches not yet freed (native), process-wide. */
  changeWatchesAlive(): number;
  rawCopyForBenchmark(slot: number, target: Uint8Array, targetStart: number, offset: number, length: number): number;
}

interface Binding {
  NativeMapping: new (fd: number, validationMode: number, path: string, flags: number) => NativeMapping;
  /** A watch of the file of mapping `slot` (reopened through /proc, else `path`); onChange on each clean-to-dirty change. */
  ChangeWatch: new (slot: number, path: string, wantLease: boolean, onChange: () => void) => NativeChangeWatch;
  scratch: Buffer;
  // The methods that move bytes take the mapping's slot first: a method of
  // NativeMapping would pay for napi_unwrap on every call.
  /**
   * Copies `length` (<= 8) bytes at absolute `offset` into `scratch`; the
   * arguments are `readArguments` = [slot, offset, length], stored first.
   */
  read(): void;
  readArguments: Float64Array;
  copyTo(slot: number, target: Uint8Array, targetStart: number, offset: number, length: number): number;
  snapshot(slot: number, offset: number, length: number): Buffer;
  /** A lazy snapshot's [ArrayBuffer, index, generation], or undefined: make a copy instead. */
  lazySnapshot(slot: number, offset: number, length: number): [ArrayBuffer, number, number] | undefined;
  /** [state, damage, file size when damaged] of a lazy snapshot (constants.lazy). */
  lazySnapshotState(index: number, generation: number): [number, number, number];
  /** pread's contract: up to `length` bytes at `position`, short at the file's end, 0 past it. */
  readAt(slot: number, target: Uint8Array, targetStart: number, position: number, length: number): number;
  /** Position of needle in [offset, offset + length) relative to offset, or -1. */
  indexOf(slot: number, offset: number, length: number, needle: Uint8Array, from: number, forward: boolean,
    alignment: number): number;
  /** Sign of memcmp between [offset, offset + length) and other[otherStart...]. */
  compare(slot: number, offset: number, length: number, other: Uint8Array, otherStart: number): number;
  writeFrom(slot: number, source: Uint8Array, sourceStart: number, offset: number, length: number): number;
  fill(slot: number, offset: number, length: number, pattern: Uint8Array): void;
  /**
   * view.atomics()' operations. Arguments in `atomicArguments` = [slot,
   * operation, width (4 | 8), offset, value, replacement]; 64-bit values in
   * `atomicBigValues` = [value, replacement]. The old value comes back in
   * atomicArguments[6] (its unsigned bits) or atomicBigValues[2].
   */
  atomic(): void;
  atomicArguments: Float64Array;
  atomicBigValues: BigUint64Array;
  /** Atomics.wait on the 32-bit word at `offset`: a constants.waitEnd. */
  wait(slot: number, offset: number, expected: number, timeoutMs: number): number;
  /** futex wake of up to `count` waiters in every process; how many woke. */
  notify(slot: number, offset: number, count: number): number;
  /**
   * A pending wait's id (> 0), whose callback(end, error) comes later, or
   * -end when it ended at once (not equal, timed out).
   */
  waitAsync(slot: number, offset: number, expected: number, timeoutMs: number,
    callback: (end: number, error?: Error) => void): number;
  /** Ends a pending waitAsync; its callback is not called. */
  cancelWait(id: number): void;
  /**
   * Record locks (native/record_locks.h), on the mapping's descriptor; `length` 0 is to the end of the
   * file and beyond. lockRange: F_OFD_SETLK; 0 held, an errno (EAGAIN: held elsewhere), -1 closed.
   */
  lockRange(slot: number, offset: number, length: number, shared: boolean): number;
  /** F_UNLCK: 0 or an errno; 0 on a closed mapping (its locks went with it). */
  unlockRange(slot: number, offset: number, length: number): number;
  /**
   * F_OFD_SETLKW on a thread of its own: the waiter's id (> 0), -1 closed, -errno when it could not
   * start. callback comes once: 0 held, ECANCELED after cancelLockWait (not held), else fcntl's errno.
   */
  lockRangeWait(slot: number, offset: number, length: number, shared: boolean,
    callback: (result: number) => void): number;
  cancelLockWait(id: number): void;
  setErrorFactory(factory: typeof makeError): void;
  /** Lets the fast path read libuv's loop counter (native/placement.h): only under Node. */
  setLoopCounterUsable(usable: boolean): void;
  /** The numbers JS shares with the addon (native/addon.cc's MakeConstants). */
  constants: NativeConstants;
  /** Test-only hooks (native/testing.h); the library never reads them. */
  testing: TestingHooks;
}

function makeError(kind: number, path: string, offset?: number, length?: number, fileSize?: number,
  errno?: number, syscall?: string, detail?: string): Error {
  const details = { path, offset, length, fileSize, errno: errno || undefined };
  const kinds = binding.constants.errorKind;
  switch (kind) {
    case kinds.truncated: return new MappedFileTruncated(details);
    case kinds.io: return new MappedFileIOError(details);
    case kinds.closed: return new MappedFileClosed(details);
    case kinds.system: return systemError(errno ?? 0, syscall ?? 'mmap', path, detail);
    case kinds.readOnly: return readOnly(path);
    case kinds.changed: return new MappedFileChanged(details);
    default: return outOfRange('offset', 'inside the mapping', offset);
  }
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
const loadBinding: (dir: string) => unknown = require('node-gyp-build');

export const binding = loadBinding(join(__dirname, '..')) as Binding;
binding.setErrorFactory(makeError);
// Bun exports libuv's uv_metrics_info as a stub that aborts the process, and
// Deno has no libuv: only Node's loop counter may be asked for.
const versions = process.versions as Record<string, string | undefined>;
binding.setLoopCounterUsable(versions.bun === undefined && versions.deno === undefined);
