// view.atomics(type): JS Atomics over the words of a shared file mapping,
// correct between processes, workers and mappings of the same file
// (native/shared_atomics.h), with wait/notify across processes through the
// kernel's futex (native/futex_waits.h) and waitAsync on threads of its own
// (native/async_waits.h). Every operation is guarded and checked against the
// file's size like a read: a truncation is MappedFileTruncated, never a crash.
import { AbortError, signalOf, whenClosed } from './async';
import { binding, type NativeMapping } from './binding';
import {
  MappedFileClosed, invalidArgType, invalidArgValue, misaligned, notWaitable, outOfRange, readOnly, unavailableOnPlatform,
} from './errors';

export type AtomicType = 'int32' | 'uint32' | 'bigint64' | 'biguint64';
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** What view.atomics() needs from its file. */
export interface AtomicsSource {
  readonly path: string;
  readonly native: NativeMapping;
  readonly closed: boolean;
  readonly writable: boolean;
  [whenClosed](hook: () => void): (() => void) | undefined;
}

export interface WaitAsyncOptions {
  /** Aborting rejects the wait with an AbortError (code 'ABORT_ERR'). */
  signal?: AbortSignal;
}

const WIDTHS: Readonly<Record<AtomicType, 4 | 8>> = { int32: 4, uint32: 4, bigint64: 8, biguint64: 8 };
const OPERATIONS = binding.constants.atomics;
const WAIT_ENDS = binding.constants.waitEnd;
const WAIT_RESULTS: Readonly<Record<number, WaitResult>> = {
  [WAIT_ENDS.ok]: 'ok', [WAIT_ENDS.notEqual]: 'not-equal', [WAIT_ENDS.timedOut]: 'timed-out',
};
// atomic()'s arguments: [slot, operation, width, offset, value, replacement, result].
const args = binding.atomicArguments;
// An operand the operation does not take (load's, add's replacement): not
// converted, so that it cannot throw as a missing BigInt would.
const NO_OPERAND = Symbol('no operand');
const bigValues = binding.atomicBigValues;

/** The element types' value conversions, as Atomics does them on the matching typed array. */
function toWord32(value: unknown): number {
  return toNumber(value, 'value') >>> 0;  // ToNumber, then ToUint32: the bits Int32Array and Uint32Array store
}

// ToNumber, as Atomics converts, except that a Symbol (which ToNumber
// refuses with an uncoded TypeError) is the TypeError with Node's code.
function toNumber(value: unknown, name: string): number {
  if (typeof value === 'symbol') throw invalidArgType(name, 'of type number', value);
  return Number(value);
}

// ToBigInt, as Atomics converts for BigInt64Array: a bigint, or a string or
// boolean that BigInt() takes. Anything else (a number, undefined, a
// non-numeric string) is the TypeError Atomics throws, with Node's code.
function toBigIntValue(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' || typeof value === 'boolean') {
    try {
      return BigInt(value);
    } catch {
      // falls through to the coded TypeError
    }
  }
  throw invalidArgType('value', 'of type bigint', value);
}

function toWord64(value: unknown): bigint {
  return BigInt.asUintN(64, toBigIntValue(value));
}

/**
 * Atomics on `length` words of a mapped file, starting at file offset
 * `byteOffset` (a multiple of the word's size). The methods mirror
 * `Atomics.*(typedArray, index, ...)` with the typed array left out.
 */
export class MappedAtomics<T extends number | bigint = number | bigint> {
  readonly type: AtomicType;
  /** The number of words. */
  readonly length: number;
  /** The file offset of word 0. */
  readonly byteOffset: number;
  readonly #source: AtomicsSource;
  readonly #width: 4 | 8;
  readonly #signed: boolean;

  /** @internal Use view.atomics(type). */
  constructor(source: AtomicsSource, byteOffset: number, byteLength: number, type: unknown) {
    if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(WIDTHS, type)) {
      throw invalidArgValue('type', type, "must be one of: 'int32', 'uint32', 'bigint64', 'biguint64'");
    }
    const width = WIDTHS[type as AtomicType];
    // As new Int32Array(buffer, byteOffset) refuses a misaligned start: a
    // misaligned atomic is not atomic (split cache lines) or faults (arm64).
    if (byteOffset % width !== 0) {
      throw misaligned(`start offset of ${type} atomics should be a multiple of ${width}: the view starts at file offset ${byteOffset}`);
    }
    this.type = type as AtomicType;
    this.#source = source;
    this.#width = width;
    this.#signed = type === 'int32' || type === 'bigint64';
    this.byteOffset = byteOffset;
    this.length = Math.floor(byteLength / width);
  }

  load(index: number): T {
    return this.#run(OPERATIONS.load, index, NO_OPERAND, NO_OPERAND, false);
  }

  /** Returns `value` as Atomics.store does (converted to an integer, not wrapped). */
  store(index: number, value: T): T {
    const offset = this.#offsetOf(index, true);
    const stored = this.#width === 4 ? Math.trunc(toNumber(value, 'value')) || 0 : toBigIntValue(value);
    this.#call(OPERATIONS.store, offset, value, NO_OPERAND);
    return stored as T;
  }

  add(index: number, value: T): T { return this.#run(OPERATIONS.add, index, value, NO_OPERAND, true); }
  sub(index: number, value: T): T { return this.#run(OPERATIONS.sub, index, value, NO_OPERAND, true); }
  and(index: number, value: T): T { return this.#run(OPERATIONS.and, index, value, NO_OPERAND, true); }
  or(index: number, value: T): T { return this.#run(OPERATIONS.or, index, value, NO_OPERAND, true); }
  xor(index: number, value: T): T { return this.#run(OPERATIONS.xor, index, value, NO_OPERAND, true); }
  exchange(index: number, value: T): T { return this.#run(OPERATIONS.exchange, index, value, NO_OPERAND, true); }
  /** Stores `replacement` when the word holds `expected`; returns the old value either way. */
  compareExchange(index: number, expected: T, replacement: T): T {
    return this.#run(OPERATIONS.compareExchange, index, expected, replacement, true);
  }

  /**
   * Blocks the calling thread, as Atomics.wait, while word `index` holds
   * `value`, until a notify from any process that maps the file, or
   * `timeout` ms (default Infinity). int32 and uint32 only. A truncation
   * of the word's page throws MappedFileTruncated within 250 ms.
   */
  wait(index: number, value: T, timeout?: number): WaitResult {
    const offset = this.#waitableOffset(index);
    const end = binding.wait(this.#slot(), offset, toWord32(value), toTimeout(timeout));
    return WAIT_RESULTS[end];
  }

  /**
   * wait() without blocking: a Promise of 'ok' | 'not-equal' | 'timed-out'.
   * The wait sleeps on a thread of its own, not on libuv's pool. `signal`
   * rejects it with AbortError; close() rejects it with MappedFileClosed; a
   * truncation rejects it with MappedFileTruncated. A pending wait keeps the
   * event loop alive, as a pending timer does.
   */
  waitAsync(index: number, value: T, timeout?: number, options?: WaitAsyncOptions): Promise<WaitResult> {
    try {
      const offset = this.#waitableOffset(index);
      const expected = toWord32(value);
      const milliseconds = toTimeout(timeout);
      const signal = signalOf(options);
      if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
      return new Promise<WaitResult>((resolve, reject) => {
        let settled = false;
        let unregister: (() => void) | undefined;
        let onAbort: (() => void) | undefined;  // set once the wait is pending
        const finish = (): boolean => {
          if (settled) return false;
          settled = true;
          unregister?.();
          if (onAbort) signal?.removeEventListener('abort', onAbort);
          return true;
        };
        const id = binding.waitAsync(this.#slot(), offset, expected, milliseconds, (end: number, error?: Error) => {
          if (!finish()) return;
          if (error !== undefined) reject(error);
          else resolve(WAIT_RESULTS[end]);
        });
        if (id < 0) {
          finish();
          resolve(WAIT_RESULTS[-id]);
          return;
        }
        // A cancelled wait's callback never comes: these settle it.
        const cancelWith = (error: Error) => {
          if (!finish()) return;
          binding.cancelWait(id);
          reject(error);
        };
        onAbort = () => cancelWith(new AbortError(signal?.reason));
        signal?.addEventListener('abort', onAbort, { once: true });
        unregister = this.#source[whenClosed](() => cancelWith(
          new MappedFileClosed({ path: this.#source.path, offset, length: 4 })));
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Wakes up to `count` (default all) waiters on word `index`, in every
   * process that maps the file; returns how many woke. Allowed on a
   * read-only mapping.
   */
  notify(index: number, count?: number): number {
    const offset = this.#waitableOffset(index);
    let wake = count === undefined ? Infinity : Math.trunc(toNumber(count, 'count'));
    if (Number.isNaN(wake) || wake < 0) wake = 0;
    return binding.notify(this.#slot(), offset, wake);
  }

  #slot(): number {
    if (this.#source.closed) throw new MappedFileClosed({ path: this.#source.path });
    return this.#source.native.slot;
  }

  // wait, waitAsync and notify. Windows has no wait keyed by a file's page
  // across processes (WaitOnAddress is per process): docs/platforms.md.
  #waitableOffset(index: unknown): number {
    if (process.platform === 'win32') throw unavailableOnPlatform('MappedAtomics wait and notify');
    if (this.#width !== 4) {
      throw notWaitable(this.type);
    }
    return this.#offsetOf(index, false);
  }

  // Atomics' ValidateAtomicAccess: ToIndex(index), then a bounds check.
  #offsetOf(index: unknown, mutating: boolean): number {
    const position = toIndex(index);
    if (position >= this.length) throw outOfRange('index', `>= 0 and < ${this.length}`, index);
    if (mutating && !this.#source.writable) throw readOnly(this.#source.path);
    return this.byteOffset + position * this.#width;
  }

  #run(operation: number, index: number, value: unknown, replacement: unknown, mutating: boolean): T {
    const offset = this.#offsetOf(index, mutating);
    return this.#call(operation, offset, value, replacement);
  }

  #call(operation: number, offset: number, value: unknown, replacement: unknown): T {
    args[0] = this.#slot();
    args[1] = operation;
    args[2] = this.#width;
    args[3] = offset;
    if (this.#width === 4) {
      args[4] = value === NO_OPERAND ? 0 : toWord32(value);
      args[5] = replacement === NO_OPERAND ? 0 : toWord32(replacement);
      binding.atomic();
      const bits = args[6];
      return (this.#signed ? bits | 0 : bits) as T;
    }
    bigValues[0] = value === NO_OPERAND ? 0n : toWord64(value);
    bigValues[1] = replacement === NO_OPERAND ? 0n : toWord64(replacement);
    binding.atomic();
    const bits = bigValues[2];
    return (this.#signed ? BigInt.asIntN(64, bits) : bits) as T;
  }
}

function toIndex(index: unknown): number {
  const number = index === undefined ? 0 : toNumber(index, 'index');
  const integer = Number.isNaN(number) ? 0 : Math.trunc(number);
  if (integer < 0 || !Number.isFinite(integer)) throw outOfRange('index', '>= 0', index);
  return integer + 0;
}

function toTimeout(timeout: unknown): number {
  if (timeout === undefined) return Infinity;
  const number = toNumber(timeout, 'timeout');
  if (Number.isNaN(number)) return Infinity;  // as Atomics.wait
  return Math.max(number, 0);
}
