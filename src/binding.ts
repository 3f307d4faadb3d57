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
  /** A ValidationMethod of native/mapping.h: 0 lease, 1 fstat, 2 none. */
  validationMethod(): number;
  close(): void;
}

interface Binding {
  NativeMapping: new (fd: number, validationMode: number, path: string, flags: number) => NativeMapping;
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
  /** pread's contract: up to `length` bytes at `position`, short at the file's end, 0 past it. */
  readAt(slot: number, target: Uint8Array, targetStart: number, position: number, length: number): number;
  /** Position of needle in [offset, offset + length) relative to offset, or -1. */
  indexOf(slot: number, offset: number, length: number, needle: Uint8Array, from: number, forward: boolean,
    alignment: number): number;
  /** Sign of memcmp between [offset, offset + length) and other[otherStart...]. */
  compare(slot: number, offset: number, length: number, other: Uint8Array, otherStart: number): number;
  writeFrom(slot: number, source: Uint8Array, sourceStart: number, offset: number, length: number): number;
  fill(slot: number, offset: number, length: number, pattern: Uint8Array): void;
  setErrorFactory(factory: typeof makeError): void;
  setGuardEnabledForTesting(enabled: boolean): void;
  /** Where async accesses run: 0 as they should (resident: the calling thread), 1 the calling thread, 2 the pool. */
  setAsyncPathForTesting(path: 0 | 1 | 2): void;
  /** Lets the fast path read libuv's loop counter (native/pool.h): only under Node. */
  setLoopCounterUsable(usable: boolean): void;
  /** [async accesses run on the calling thread, on the pool] since the process started. */
  asyncPathCounts(): [number, number];
  setResumeThroughSigreturnForTesting(enabled: boolean): void;
  setLeaseEpochCheckEnabledForTesting(enabled: boolean): void;
  setLeaseWatcherPausedForTesting(paused: boolean): void;
  /** Off: a break that changed nothing is followed by a re-take after 10 ms, with no back-off. */
  setLeaseBackoffEnabledForTesting(enabled: boolean): void;
  /**
   * Parks the next lease check (any thread) between its loads of the lease's
   * state, as a preempted pool thread would: 1 arms, 0 releases, 2 asks.
   * Returns 0 off, 1 armed, 2 stalled.
   */
  leaseBeginStallForTesting(action: 0 | 1 | 2): number;
  /** Lease breaks the process's watcher thread has handled (tests count them). */
  leaseBreaksHandled(): number;
}

// Error kinds, in step with ErrorKind in native/js_errors.cc.
const enum ErrorKind { Truncated = 0, IO = 1, Closed = 2, OutOfRange = 3, System = 4, ReadOnly = 5, Changed = 6 }

function makeError(kind: ErrorKind, path: string, offset?: number, length?: number, fileSize?: number,
  errno?: number, syscall?: string, detail?: string): Error {
  const details = { path, offset, length, fileSize, errno: errno || undefined };
  switch (kind) {
    case ErrorKind.Truncated: return new MappedFileTruncated(details);
    case ErrorKind.IO: return new MappedFileIOError(details);
    case ErrorKind.Closed: return new MappedFileClosed(details);
    case ErrorKind.System: return systemError(errno ?? 0, syscall ?? 'mmap', path, detail);
    case ErrorKind.ReadOnly: return readOnly(path);
    case ErrorKind.Changed: return new MappedFileChanged(details);
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

// Test-only switch used to prove that the fault tests can fail: with it, a
// fault crashes the process exactly as an unguarded mapping would.
if (process.env.SAFE_MMAP_TEST_DISABLE_GUARD === '1') binding.setGuardEnabledForTesting(false);
// Test-only: leave the handler by siglongjmp, as the guard did before it
// resumed through sigreturn, to prove test/fault-recovery-state can fail.
if (process.env.SAFE_MMAP_TEST_RECOVER_IN_HANDLER === '1') binding.setResumeThroughSigreturnForTesting(false);
// Test-only: trust a lease's epoch blindly, to prove test/lease-race can fail.
if (process.env.SAFE_MMAP_TEST_DISABLE_LEASE_EPOCH_CHECK === '1') binding.setLeaseEpochCheckEnabledForTesting(false);
// Test-only: re-take the lease 10 ms after a break that changed nothing, to
// prove test/lease-operators can fail (a retrying truncate is locked out).
if (process.env.SAFE_MMAP_TEST_DISABLE_LEASE_BACKOFF === '1') binding.setLeaseBackoffEnabledForTesting(false);
