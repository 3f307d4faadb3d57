// MappedView: a live window onto a MappedFile, with Buffer's read API and,
// on a writable mapping ('r+', 'w+'), its write API. It holds offsets, never
// addresses; each access goes through the native guard and the file's
// validation mode, and every byte it returns was copied under the guard.
import * as buffer from 'node:buffer';
import { inspect } from 'node:util';
import { isBigInt64Array, isBigUint64Array, isTypedArray, isUint8Array } from 'node:util/types';
import { AsyncOptions, runAbortable, signalOf, whenClosed } from './async';
import { binding, NativeMapping } from './binding';
import { type AtomicType, MappedAtomics } from './atomics';
import { LAZY_MINIMUM_BYTES, rememberCopy, rememberLazy } from './snapshot';
import {
  bufferTooLarge, invalidArgType, invalidArgValue, MappedFileClosed, MappedFileError, outOfRange, readOnly,
  unknownEncoding,
} from './errors';
import {
  clampRelativeIndex, encodingName, planSearch, toIntegerOr, validateInteger, validateIntegerByteLength,
  validateNumber, validateReadOffset,
} from './validate';

const MAX_BUFFER_LENGTH = buffer.constants.MAX_LENGTH;
// Chunk size for comparing two views: each side is copied out under its own guard.
const COMPARE_CHUNK = 1 << 20;

const scratch = binding.scratch;
const readArguments = binding.readArguments;

/** What a view needs from its file: the native mapping, a display path and whether it was closed. */
export interface ViewSource {
  readonly path: string;
  readonly native: NativeMapping;
  readonly closed: boolean;
  readonly writable: boolean;
  /** Runs hook at close(), before the unmap (src/async.ts). */
  [whenClosed](hook: () => void): (() => void) | undefined;
}

// 8 bytes that numeric writes are encoded into (by Buffer's own write methods,
// which also check the value) before being copied into the mapping.
const writeScratch = Buffer.alloc(8);
const emptyBuffer = Buffer.alloc(0);

/** Options of MappedView#snapshot. */
export interface SnapshotOptions {
  /** Share the file's pages until a writer comes, instead of copying now (docs/api.md, "Lazy snapshots"). */
  lazy?: boolean;
}

export class MappedView {
  /** Offset of this view's first byte within the file. */
  readonly byteOffset: number;
  readonly length: number;
  readonly #source: ViewSource;
  readonly #slot: number;  // source.native.slot

  /** @internal Views are made by MappedFile#view and MappedView#subarray. */
  constructor(source: ViewSource, byteOffset: number, length: number) {
    // Making a view touches no memory, so the native side cannot notice a
    // closed file here: check, so that file.view() and subarray() after
    // close() throw MappedFileClosed like every other access. Callers have
    // validated their arguments by now, so argument errors still come first.
    if (source.closed) throw new MappedFileClosed({ path: source.path, offset: byteOffset, length });
    this.#source = source;
    this.#slot = source.native.slot;
    // `+ 0` turns -0 (a valid offset or length, e.g. file.view(-0)) into 0:
    // a Buffer never reports -0 as its byteOffset or length.
    this.byteOffset = byteOffset + 0;
    this.length = length + 0;
  }

  /** Path of the mapped file. */
  get path(): string {
    return this.#source.path;
  }

  // For the paths that return without reaching the native side (an empty
  // range): a closed file must still throw, as it does for any other range.
  #assertOpen(offset: number, length: number): void {
    if (this.#source.closed) {
      throw new MappedFileClosed({ path: this.#source.path, offset: this.byteOffset + offset, length });
    }
  }

  // A new Buffer with `length` bytes at `offset` of the view. Views can exceed
  // the largest Buffer (a 5 GiB file): refuse before allocating, as Buffer.alloc does.
  #copyOut(offset: number, length: number): Buffer {
    if (length > MAX_BUFFER_LENGTH) throw bufferTooLarge(MAX_BUFFER_LENGTH);
    return binding.snapshot(this.#slot, this.byteOffset + offset, length);
  }

  // Validates like Buffer, copies `byteLength` bytes into the scratch buffer.
  #load(offset: unknown, byteLength: number): Buffer {
    validateReadOffset(offset, byteLength, this.length);
    readArguments[0] = this.#slot;
    readArguments[1] = this.byteOffset + offset;
    readArguments[2] = byteLength;
    binding.read();
    return scratch;
  }

  readUInt8(offset: number = 0): number { return this.#load(offset, 1).readUInt8(0); }
  readInt8(offset: number = 0): number { return this.#load(offset, 1).readInt8(0); }
  readUInt16LE(offset: number = 0): number { return this.#load(offset, 2).readUInt16LE(0); }
  readUInt16BE(offset: number = 0): number { return this.#load(offset, 2).readUInt16BE(0); }
  readInt16LE(offset: number = 0): number { return this.#load(offset, 2).readInt16LE(0); }
  readInt16BE(offset: number = 0): number { return this.#load(offset, 2).readInt16BE(0); }
  readUInt32LE(offset: number = 0): number { return this.#load(offset, 4).readUInt32LE(0); }
  readUInt32BE(offset: number = 0): number { return this.#load(offset, 4).readUInt32BE(0); }
  readInt32LE(offset: number = 0): number { return this.#load(offset, 4).readInt32LE(0); }
  readInt32BE(offset: number = 0): number { return this.#load(offset, 4).readInt32BE(0); }
  readFloatLE(offset: number = 0): number { return this.#load(offset, 4).readFloatLE(0); }
  readFloatBE(offset: number = 0): number { return this.#load(offset, 4).readFloatBE(0); }
  readDoubleLE(offset: number = 0): number { return this.#load(offset, 8).readDoubleLE(0); }
  readDoubleBE(offset: number = 0): number { return this.#load(offset, 8).readDoubleBE(0); }
  readBigUInt64LE(offset: number = 0): bigint { return this.#load(offset, 8).readBigUInt64LE(0); }
  readBigUInt64BE(offset: number = 0): bigint { return this.#load(offset, 8).readBigUInt64BE(0); }
  readBigInt64LE(offset: number = 0): bigint { return this.#load(offset, 8).readBigInt64LE(0); }
  readBigInt64BE(offset: number = 0): bigint { return this.#load(offset, 8).readBigInt64BE(0); }

  /** Buffer#readUIntLE: an unsigned integer of 1 to 6 bytes. */
  readUIntLE(offset: number, byteLength: number): number { return this.#loadInteger(offset, byteLength).readUIntLE(0, byteLength); }
  readUIntBE(offset: number, byteLength: number): number { return this.#loadInteger(offset, byteLength).readUIntBE(0, byteLength); }
  readIntLE(offset: number, byteLength: number): number { return this.#loadInteger(offset, byteLength).readIntLE(0, byteLength); }
  readIntBE(offset: number, byteLength: number): number { return this.#loadInteger(offset, byteLength).readIntBE(0, byteLength); }

  #loadInteger(offset: unknown, byteLength: unknown): Buffer {
    if (offset === undefined) throw invalidArgType('offset', 'of type number', offset);
    validateIntegerByteLength(byteLength);
    return this.#load(offset, byteLength);
  }

  /** TypedArray#at: the byte at `index` (negative counts from the end), or undefined outside the view. */
  at(index: number): number | undefined {
    const relative = Math.trunc(index) || 0;  // ToIntegerOrInfinity; a Symbol or BigInt throws
    const position = relative < 0 ? this.length + relative : relative;
    if (position < 0 || position >= this.length) return undefined;
    return this.#load(position, 1)[0];
  }

  /** Buffer#indexOf: the first position of `value` at or after byteOffset, or -1. Searches the mapping in place. */
  indexOf(value: string | number | Uint8Array, byteOffset?: number | BufferEncoding, encoding?: BufferEncoding): number {
    return this.#search(value, byteOffset, encoding, true);
  }

  /** Buffer#lastIndexOf: the last position of `value` at or before byteOffset, or -1. */
  lastIndexOf(value: string | number | Uint8Array, byteOffset?: number | BufferEncoding, encoding?: BufferEncoding): number {
    return this.#search(value, byteOffset, encoding, false);
  }

  /** Buffer#includes. */
  includes(value: string | number | Uint8Array, byteOffset?: number | BufferEncoding, encoding?: BufferEncoding): boolean {
    return this.#search(value, byteOffset, encoding, true) !== -1;
  }

  #search(value: unknown, byteOffset: unknown, encoding: unknown, forward: boolean): number {
    const plan = planSearch(value, byteOffset, encoding, this.length, forward);
    if (typeof plan === 'number') {
      this.#assertOpen(0, 0);
      return plan;
    }
    return binding.indexOf(this.#slot, this.byteOffset, plan.haystackLength, plan.needle, plan.from, forward,
      plan.alignment);
  }

  /** Buffer#equals, also against another MappedView. */
  equals(otherBuffer: Uint8Array | MappedView): boolean {
    if (!isUint8Array(otherBuffer) && !(otherBuffer instanceof MappedView)) {
      throw invalidArgType('otherBuffer', 'an instance of Buffer, Uint8Array or MappedView', otherBuffer);
    }
    if (this.length !== otherBuffer.length) {
      this.#assertOpen(0, 0);
      return false;
    }
    return this.#compareRange(0, this.length, otherBuffer, 0, otherBuffer.length) === 0;
  }

  /** Buffer#compare: -1, 0 or 1 as this view's [sourceStart, sourceEnd) sorts before, with or after target's [targetStart, targetEnd). */
  compare(target: Uint8Array | MappedView, targetStart?: number, targetEnd?: number, sourceStart?: number,
    sourceEnd?: number): -1 | 0 | 1 {
    if (!isUint8Array(target) && !(target instanceof MappedView)) {
      throw invalidArgType('target', 'an instance of Buffer, Uint8Array or MappedView', target);
    }
    if (arguments.length === 1) return this.#compareRange(0, this.length, target, 0, target.length);
    // lib/buffer.js validateOffset: integers in [0, kMaxLength], ends within their side.
    if (targetStart === undefined) targetStart = 0;
    else validateInteger(targetStart, 'targetStart', 0, Math.max(MAX_BUFFER_LENGTH, target.length));
    if (targetEnd === undefined) targetEnd = target.length;
    else validateInteger(targetEnd, 'targetEnd', 0, target.length);
    if (sourceStart === undefined) sourceStart = 0;
    else validateInteger(sourceStart, 'sourceStart', 0, Math.max(MAX_BUFFER_LENGTH, this.length));
    if (sourceEnd === undefined) sourceEnd = this.length;
    else validateInteger(sourceEnd, 'sourceEnd', 0, this.length);
    if (sourceStart >= sourceEnd) {
      this.#assertOpen(0, 0);
      return targetStart >= targetEnd ? 0 : -1;
    }
    if (targetStart >= targetEnd) {
      this.#assertOpen(0, 0);
      return 1;
    }
    return this.#compareRange(sourceStart, sourceEnd, target, targetStart, targetEnd);
  }

  // node_buffer.cc CompareOffset: memcmp over the shorter range, then the
  // longer range sorts after.
  #compareRange(sourceStart: number, sourceEnd: number, target: Uint8Array | MappedView, targetStart: number,
    targetEnd: number): -1 | 0 | 1 {
    const sourceLength = sourceEnd - sourceStart;
    const targetLength = targetEnd - targetStart;
    const count = Math.min(sourceLength, targetLength, this.length - sourceStart);
    let order = 0;
    if (target instanceof MappedView) {
      const chunk = Buffer.allocUnsafe(Math.min(count, COMPARE_CHUNK));
      for (let done = 0; done < count && order === 0; done += chunk.length) {
        const size = Math.min(chunk.length, count - done);
        target.copy(chunk, 0, targetStart + done, targetStart + done + size);
        order = binding.compare(this.#slot, this.byteOffset + sourceStart + done, size, chunk, 0);
      }
      if (count === 0) {
        this.#assertOpen(0, 0);  // nothing compared, but closed files still throw
        target.#assertOpen(0, 0);
      }
    } else {
      order = binding.compare(this.#slot, this.byteOffset + sourceStart, count, target, targetStart);
    }
    if (order !== 0) return order < 0 ? -1 : 1;
    return sourceLength > targetLength ? 1 : sourceLength < targetLength ? -1 : 0;
  }

  /**
   * Snapshots of consecutive pieces of the view, each `size` bytes but the
   * last. Each piece is read (and validated) when the iteration reaches it.
   */
  chunks(size: number): Generator<Buffer, void, undefined> {
    validateInteger(size, 'size', 1, MAX_BUFFER_LENGTH);  // now, not at the first next()
    this.#assertOpen(0, 0);
    return this.#chunks(size);
  }

  *#chunks(size: number): Generator<Buffer, void, undefined> {
    for (let at = 0; at < this.length; at += size) yield this.#copyOut(at, Math.min(size, this.length - at));
  }

  /** Bytes in the view, as on a TypedArray. */
  get byteLength(): number {
    return this.length;
  }

  /** Like Buffer's inspect: a short header and the first bytes in hex, reading at most INSPECT_MAX_BYTES. */
  [inspect.custom](): string {
    const header = `<MappedView ${inspect(this.path)} byteOffset=${this.byteOffset} length=${this.length}`;
    const shown = Math.min(this.length, buffer.INSPECT_MAX_BYTES);
    let body: string;
    try {
      body = this.#copyOut(0, shown).toString('hex').replace(/(.{2})(?!$)/g, '$1 ');
      if (this.length > shown) body += ` ... ${this.length - shown} more byte${this.length - shown > 1 ? 's' : ''}`;
    } catch (error) {
      if (!(error instanceof MappedFileError)) throw error;
      body = `(${error.name})`;  // inspecting must not throw: say why the bytes are unavailable
    }
    return `${header}${body ? `: ${body}` : ''}>`;
  }

  /** A view of [start, end) of this view, with Buffer#subarray's rules. Nothing is copied. */
  subarray(start?: number, end?: number): MappedView {
    const from = clampRelativeIndex(start, this.length, 0);
    const to = clampRelativeIndex(end, this.length, this.length);
    return new MappedView(this.#source, this.byteOffset + from, Math.max(to - from, 0));
  }

  /** Alias of subarray, as on Buffer: a view, not a copy. */
  slice(start?: number, end?: number): MappedView {
    return this.subarray(start, end);
  }

  /**
   * Atomics over this view's words, shared with every process, worker and
   * mapping of the file: load, store, add, sub, and, or, xor, exchange,
   * compareExchange, and (int32, uint32) wait, waitAsync and notify
   * (docs/api.md, "Sharing a file between processes"). The view must start
   * at a multiple of the word's size; a trailing partial word is left out.
   */
  atomics(type: 'int32' | 'uint32'): MappedAtomics<number>;
  atomics(type: 'bigint64' | 'biguint64'): MappedAtomics<bigint>;
  atomics(type: AtomicType): MappedAtomics;
  atomics(type: AtomicType): MappedAtomics {
    return new MappedAtomics(this.#source, this.byteOffset, this.length, type);
  }

  /**
   * A new JS-owned Buffer with this view's bytes. It never changes afterwards and never faults.
   * Its `.buffer` is an ArrayBuffer of its own, exactly `length` bytes long, with
   * `byteOffset` 0 (never Node's shared pool), so `snapshot().buffer` can be handed
   * to code that wants an ArrayBuffer. arrayBuffer() returns that directly.
   *
   * `{ lazy: true }`: the same contract without the copy, where a read lease
   * protects it (mode 'r', validate 'always', validationMethod 'lease', at least
   * LAZY_MINIMUM_BYTES): the Buffer is then a private mapping of the file's pages
   * until a writer comes, and becomes the caller's own copy before the writer may
   * start. Anywhere else it is an ordinary copy. checkSnapshot() tells which.
   */
  snapshot(options?: SnapshotOptions): Buffer {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw invalidArgType('options', 'of type object', options);
    }
    const lazy = options?.lazy;
    if (lazy !== undefined && typeof lazy !== 'boolean') throw invalidArgType('options.lazy', 'of type boolean', lazy);
    if (lazy) {
      if (this.length > MAX_BUFFER_LENGTH) throw bufferTooLarge(MAX_BUFFER_LENGTH);
      this.#assertOpen(0, 0);
      if (this.length >= LAZY_MINIMUM_BYTES) {
        const made = binding.lazySnapshot(this.#slot, this.byteOffset, this.length);
        if (made !== undefined) return rememberLazy(made, this.path, this.byteOffset);
      }
    }
    return rememberCopy(this.#copyOut(0, this.length));
  }

  /**
   * This view's bytes in a new ArrayBuffer of exactly `length` bytes, owned by the
   * caller, never aliasing the mapping (as Blob#arrayBuffer, but synchronous, so
   * `await view.arrayBuffer()` works as on a Blob). arrayBufferAsync() is the
   * thread-pool form.
   */
  arrayBuffer(): ArrayBuffer {
    if (this.length > MAX_BUFFER_LENGTH) throw bufferTooLarge(MAX_BUFFER_LENGTH);
    // allocUnsafeSlow: an unpooled, exactly-sized ArrayBuffer without the zero-fill
    // of `new ArrayBuffer(n)`; the guarded copy fills every byte or throws (and the
    // half-filled buffer is dropped). Measured against snapshot().buffer and
    // new ArrayBuffer + copy: the same within noise, the allocation dominates (docs/benchmarks.md).
    const bytes = Buffer.allocUnsafeSlow(this.length);
    if (this.length === 0) this.#assertOpen(0, 0);
    else binding.copyTo(this.#slot, bytes, 0, this.byteOffset, this.length);
    return bytes.buffer;
  }

  /** Buffer#toString: decodes [start, end) of the view. */
  toString(encoding?: BufferEncoding, start?: number, end?: number): string {
    // Buffer#toString's own clamping, step for step (lib/buffer.js).
    const length = this.length;
    let from: number = start as number;
    let to: number = end as number;
    if (arguments.length === 0) { from = 0; to = length; } else {
      if (from <= 0) from = 0;
      else if (from >= length) { this.#assertOpen(length, 0); return ''; }
      else from = Math.trunc(from) || 0;
      if (to === undefined || to > length) to = length;
      else to = Math.trunc(to) || 0;
      if (to <= from) { this.#assertOpen(from, 0); return ''; }
    }
    const name = encoding === undefined ? 'utf8' : encodingName(encoding);
    if (name === undefined) throw unknownEncoding(encoding);
    return this.#copyOut(from, to - from).toString(name as BufferEncoding);
  }

  /**
   * Buffer#copy: copies [sourceStart, sourceEnd) of the view into target at
   * targetStart and returns the number of bytes copied.
   */
  copy(target: Uint8Array, targetStart?: number, sourceStart?: number, sourceEnd?: number): number {
    const range = this.#copyRange(target, targetStart, sourceStart, sourceEnd);
    if (range === null) return 0;
    return binding.copyTo(this.#slot, target, range.targetAt, this.byteOffset + range.from, range.count);
  }

  // lib/buffer.js _copy's argument rules, with this view as the source: the
  // range to copy, or null when there is nothing to copy.
  #copyRange(target: unknown, targetStart: unknown, sourceStart: unknown, sourceEnd: unknown):
    { targetAt: number; from: number; count: number } | null {
    if (!isUint8Array(target)) throw invalidArgType('target', 'an instance of Buffer or Uint8Array', target);
    let targetAt = 0;
    if (targetStart !== undefined) {
      targetAt = Number.isInteger(targetStart) ? targetStart as number : toIntegerOr(targetStart, 0);
      if (targetAt < 0) throw outOfRange('targetStart', '>= 0', targetAt);
    }
    let from = 0;
    if (sourceStart !== undefined) {
      from = Number.isInteger(sourceStart) ? sourceStart as number : toIntegerOr(sourceStart, 0);
      if (from < 0 || from > this.length) throw outOfRange('sourceStart', `>= 0 && <= ${this.length}`, from);
    }
    let to = this.length;
    if (sourceEnd !== undefined) {
      to = Number.isInteger(sourceEnd) ? sourceEnd as number : toIntegerOr(sourceEnd, 0);
      if (to < 0) throw outOfRange('sourceEnd', '>= 0', to);
    }
    if (targetAt >= target.length || from >= to) {
      this.#assertOpen(from, 0);  // nothing to copy, but a closed file still throws
      return null;
    }
    return { targetAt, from, count: Math.min(to - from, target.length - targetAt, this.length - from) };
  }

  // ---- Writes (mappings opened with mode 'r+' or 'w+'). Arguments, return
  // values and errors are Buffer's. Each write runs under the guard with the
  // file's validation: past the file's end it throws MappedFileTruncated, on
  // a page that cannot be written (a full disk under a sparse file)
  // MappedFileIOError; bytes written before the fault stay written. On a
  // read-only mapping every write throws ERR_MAPPED_FILE_READ_ONLY first.

  #assertWritable(): void {
    if (!this.#source.writable) throw readOnly(this.#source.path);
  }

  // Encodes a numeric write into the scratch with Buffer's own method (which
  // checks the value's range first, as Buffer does), checks the offset, then
  // copies.
  #store(offset: unknown, byteLength: number, encode: (scratch: Buffer) => unknown, value?: unknown): number {
    this.#assertWritable();
    if (byteLength === 1) {
      // Buffer's 1-byte writes coerce the value, then check the offset's type, then the range.
      +(value as number);
      validateNumber(offset, 'offset');
    }
    encode(writeScratch);
    validateReadOffset(offset, byteLength, this.length);  // Buffer's checkBounds is the same rule
    binding.writeFrom(this.#slot, writeScratch, 0, this.byteOffset + offset, byteLength);
    return offset + byteLength;
  }

  // Buffer's BigInt writes (checkInt, checkBounds, then BigInt arithmetic):
  // compare the value with the range, check the offset, and only then fail on
  // a value that is not a BigInt.
  #storeBigInt(value: unknown, offset: unknown, signed: boolean, encode: (scratch: Buffer) => unknown): number {
    this.#assertWritable();
    const [min, max] = signed ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
    if ((value as bigint) > max || (value as bigint) < min) encode(writeScratch);  // throws Buffer's RangeError
    validateReadOffset(offset, 8, this.length);
    encode(writeScratch);
    binding.writeFrom(this.#slot, writeScratch, 0, this.byteOffset + offset, 8);
    return offset + 8;
  }

  writeUInt8(value: number, offset: number = 0): number { return this.#store(offset, 1, (s) => s.writeUInt8(value, 0), value); }
  writeInt8(value: number, offset: number = 0): number { return this.#store(offset, 1, (s) => s.writeInt8(value, 0), value); }
  writeUInt16LE(value: number, offset: number = 0): number { return this.#store(offset, 2, (s) => s.writeUInt16LE(value, 0)); }
  writeUInt16BE(value: number, offset: number = 0): number { return this.#store(offset, 2, (s) => s.writeUInt16BE(value, 0)); }
  writeInt16LE(value: number, offset: number = 0): number { return this.#store(offset, 2, (s) => s.writeInt16LE(value, 0)); }
  writeInt16BE(value: number, offset: number = 0): number { return this.#store(offset, 2, (s) => s.writeInt16BE(value, 0)); }
  writeUInt32LE(value: number, offset: number = 0): number { return this.#store(offset, 4, (s) => s.writeUInt32LE(value, 0)); }
  writeUInt32BE(value: number, offset: number = 0): number { return this.#store(offset, 4, (s) => s.writeUInt32BE(value, 0)); }
  writeInt32LE(value: number, offset: number = 0): number { return this.#store(offset, 4, (s) => s.writeInt32LE(value, 0)); }
  writeInt32BE(value: number, offset: number = 0): number { return this.#store(offset, 4, (s) => s.writeInt32BE(value, 0)); }
  writeFloatLE(value: number, offset: number = 0): number { return this.#store(offset, 4, (s) => s.writeFloatLE(value, 0)); }
  writeFloatBE(value: number, offset: number = 0): number { return this.#store(offset, 4, (s) => s.writeFloatBE(value, 0)); }
  writeDoubleLE(value: number, offset: number = 0): number { return this.#store(offset, 8, (s) => s.writeDoubleLE(value, 0)); }
  writeDoubleBE(value: number, offset: number = 0): number { return this.#store(offset, 8, (s) => s.writeDoubleBE(value, 0)); }
  writeBigUInt64LE(value: bigint, offset: number = 0): number { return this.#storeBigInt(value, offset, false, (s) => s.writeBigUInt64LE(value, 0)); }
  writeBigUInt64BE(value: bigint, offset: number = 0): number { return this.#storeBigInt(value, offset, false, (s) => s.writeBigUInt64BE(value, 0)); }
  writeBigInt64LE(value: bigint, offset: number = 0): number { return this.#storeBigInt(value, offset, true, (s) => s.writeBigInt64LE(value, 0)); }
  writeBigInt64BE(value: bigint, offset: number = 0): number { return this.#storeBigInt(value, offset, true, (s) => s.writeBigInt64BE(value, 0)); }
  writeUIntLE(value: number, offset: number, byteLength: number): number { return this.#storeInteger(value, offset, byteLength, 'writeUIntLE'); }
  writeUIntBE(value: number, offset: number, byteLength: number): number { return this.#storeInteger(value, offset, byteLength, 'writeUIntBE'); }
  writeIntLE(value: number, offset: number, byteLength: number): number { return this.#storeInteger(value, offset, byteLength, 'writeIntLE'); }
  writeIntBE(value: number, offset: number, byteLength: number): number { return this.#storeInteger(value, offset, byteLength, 'writeIntBE'); }

  #storeInteger(value: number, offset: unknown, byteLength: unknown,
    method: 'writeUIntLE' | 'writeUIntBE' | 'writeIntLE' | 'writeIntBE'): number {
    this.#assertWritable();
    validateIntegerByteLength(byteLength);  // Buffer dispatches on byteLength first
    return this.#store(offset, byteLength, (s) => s[method](value, 0, byteLength), value);
  }

  /** Buffer#write: encodes string into the view; returns the bytes written (whole characters only). */
  write(string: string, offset?: number | BufferEncoding, length?: number | BufferEncoding,
    encoding?: BufferEncoding): number {
    this.#assertWritable();
    // lib/buffer.js Buffer.prototype.write's overloads, step for step.
    let at = 0;
    let count = this.length;
    if (offset === undefined) {
      encoding = undefined;  // write(string) is always UTF-8, whatever else is passed
    } else {
      if (length === undefined && typeof offset === 'string') {
        encoding = offset;
      } else {
        validateInteger(offset, 'offset', 0, this.length);
        at = offset;
        const remaining = this.length - at;
        if (length === undefined) {
          count = remaining;
        } else if (typeof length === 'string') {
          encoding = length;
          count = remaining;
        } else {
          validateInteger(length, 'length', 0, this.length);
          count = Math.min(length, remaining);
        }
      }
    }
    // Encode with Buffer itself, into at most as many bytes as the string can
    // take, so that partial characters are dropped exactly as Buffer drops them.
    const bound = typeof string === 'string' ? Buffer.byteLength(string, encodingName(encoding) as BufferEncoding ?? 'utf8') + 3 : 0;
    const encoded = Buffer.allocUnsafe(Math.min(count, bound));
    const written = encoded.write(string, 0, encoded.length, encoding as BufferEncoding);
    if (written > 0) binding.writeFrom(this.#slot, encoded, 0, this.byteOffset + at, written);
    else this.#assertOpen(at, 0);
    return written;
  }

  /** Buffer#fill: repeats value over [offset, end); returns the view. */
  fill(value: string | number | Uint8Array, offset?: number | BufferEncoding, end?: number | BufferEncoding,
    encoding?: BufferEncoding): this {
    this.#assertWritable();
    // lib/buffer.js _fill's argument rules.
    let pattern: Uint8Array | undefined;
    if (typeof value === 'string') {
      if (offset === undefined || typeof offset === 'string') {
        encoding = offset as BufferEncoding | undefined;
        offset = 0;
        end = this.length;
      } else if (typeof end === 'string') {
        encoding = end;
        end = this.length;
      }
      // Buffer's own checks of the encoding, on an empty range: same errors.
      emptyBuffer.fill(value, 0, 0, encoding);
      // The bytes come from Node's native ParseEncoding, which reads a
      // non-string or empty encoding as UTF-8.
      const name = typeof encoding === 'string' && (encoding as string) !== '' ? encoding : 'utf8';
      pattern = value.length === 0 ? Uint8Array.of(0) : Buffer.from(value, name);
    } else if (ArrayBuffer.isView(value)) {
      // Any view's bytes, as Node. Over a detached buffer it has none (its
      // byteOffset/byteLength would throw): the empty pattern is refused below.
      pattern = value.buffer.byteLength === 0 ? emptyBuffer : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    }
    let from = 0;
    let to = this.length;
    if (offset !== undefined) {
      validateInteger(offset, 'offset', 0, Math.max(MAX_BUFFER_LENGTH, this.length));
      from = offset as number;
      if (end !== undefined) {
        validateInteger(end, 'end', 0, this.length);
        to = end as number;
      }
    }
    if (from >= to) {
      // Without offsets, Node's native Fill converts the value before it
      // sees the empty range (so a BigInt or Symbol throws); with them, not.
      if (offset === undefined && pattern === undefined && typeof value !== 'number') {
        void ((+(value as unknown as number) >>> 0) & 0xff);
      }
      this.#assertOpen(from, 0);
      return this;
    }
    // Numbers fill as TypedArray#fill (ToUint8); other values as Node's native
    // Fill (Uint32Value & 255), converted only now, after the offsets, as there.
    // Unary + is ToNumber, as Uint32Value: a BigInt throws V8's "Cannot convert
    // a BigInt value to a number", where `>>>` alone would say "Cannot mix BigInt".
    if (pattern === undefined) {
      pattern = Uint8Array.of(typeof value === 'number' ? value : (+(value as unknown as number) >>> 0) & 0xff);
    }
    if (pattern.length === 0) throw invalidArgValue('value', value, 'is invalid');
    binding.fill(this.#slot, this.byteOffset + from, to - from, pattern);
    return this;
  }

  /** TypedArray#set: copies source (a typed array or an array-like) into the view at offset. */
  set(source: ArrayLike<number>, offset: number = 0): void {
    this.#assertWritable();
    // TypedArray#set, step for step: the offset, the bounds, then the elements.
    const at = Math.trunc(offset) || 0;  // ToIntegerOrInfinity; a Symbol or BigInt throws
    if (at < 0) throw new RangeError('offset is out of bounds');
    if (isTypedArray(source)) {
      // V8's order for a typed array: detached, then bounds, then a BigInt array.
      if (isDetached(source)) throw new TypeError('Cannot perform %TypedArray%.prototype.set on a detached ArrayBuffer');
      const typed = source as unknown as { length: number };
      if ((isBigInt64Array(source) || isBigUint64Array(source)) && typed.length + at <= this.length) {
        throw new TypeError('Cannot mix BigInt and other types, use explicit conversions');
      }
    }
    if (isUint8Array(source)) {
      if (source.length + at > this.length) throw new RangeError('offset is out of bounds');
      this.#writeBytes(source, at);
      return;
    }
    if (source === null || source === undefined) throw new TypeError('Cannot convert undefined or null to object');  // V8's words
    const object = Object(source) as ArrayLike<unknown>;
    const length = Math.min(Math.max(Math.trunc(+(object.length as number)) || 0, 0), Number.MAX_SAFE_INTEGER);
    if (length + at > this.length) throw new RangeError('offset is out of bounds');
    // Element by element (ToNumber, then ToUint8, as a Uint8Array store does);
    // like TypedArray#set, the elements before one that throws are written.
    const bytes = new Uint8Array(length);
    let converted = 0;
    try {
      for (; converted < length; converted++) bytes[converted] = object[converted] as number;
    } finally {
      this.#writeBytes(bytes.subarray(0, converted), at);
    }
  }

  #writeBytes(bytes: Uint8Array, at: number): void {
    if (bytes.length === 0) this.#assertOpen(at, 0);
    else binding.writeFrom(this.#slot, bytes, 0, this.byteOffset + at, bytes.length);
  }

  /** msync(MS_SYNC) of the pages holding this view. */
  flush(): void {
    this.#assertOpen(0, 0);
    this.#source.native.flush(this.byteOffset, this.length);
  }

  /** flush() on the thread pool. */
  async flushAsync(): Promise<void> {
    this.#assertOpen(0, 0);
    await this.#source.native.flushAsync(this.byteOffset, this.length);
  }

  // ---- Async forms: the same operations, run at once on this thread when
  // the range's pages are in memory (the fast path: no thread-pool trip),
  // else on libuv's thread pool, so that a page fault on a cold or slow file
  // does not stall the event loop (native/pool.cc decides). Arguments and
  // results are the synchronous forms'; errors become rejections.

  /** snapshot(), asynchronously (at once when resident, else on the thread pool); its Buffer also owns an exactly-sized ArrayBuffer. */
  async snapshotAsync(options?: AsyncOptions): Promise<Buffer> {
    const signal = signalOf(options);
    if (this.length > MAX_BUFFER_LENGTH) throw bufferTooLarge(MAX_BUFFER_LENGTH);
    return rememberCopy(await runAbortable(signal, (abortFlag) =>
      this.#source.native.snapshotAsync(this.byteOffset, this.length, abortFlag)));
  }

  /** arrayBuffer(), asynchronously: snapshotAsync()'s exactly-sized ArrayBuffer. */
  async arrayBufferAsync(options?: AsyncOptions): Promise<ArrayBuffer> {
    return (await this.snapshotAsync(options)).buffer;
  }

  /** copy(), asynchronously. Do not touch target until the promise settles. */
  async copyAsync(target: Uint8Array, targetStart?: number, sourceStart?: number, sourceEnd?: number,
    options?: AsyncOptions): Promise<number> {
    const signal = signalOf(options);
    const range = this.#copyRange(target, targetStart, sourceStart, sourceEnd);
    if (range === null) return 0;
    return runAbortable(signal, (abortFlag) => this.#source.native.copyToAsync(target, range.targetAt,
      this.byteOffset + range.from, range.count, abortFlag));
  }

  /** indexOf(), asynchronously. */
  async indexOfAsync(value: string | number | Uint8Array, byteOffset?: number | BufferEncoding,
    encoding?: BufferEncoding, options?: AsyncOptions): Promise<number> {
    return this.#searchAsync(value, byteOffset, encoding, options, true);
  }

  /** lastIndexOf(), asynchronously. */
  async lastIndexOfAsync(value: string | number | Uint8Array, byteOffset?: number | BufferEncoding,
    encoding?: BufferEncoding, options?: AsyncOptions): Promise<number> {
    return this.#searchAsync(value, byteOffset, encoding, options, false);
  }

  /** includes(), asynchronously. */
  async includesAsync(value: string | number | Uint8Array, byteOffset?: number | BufferEncoding,
    encoding?: BufferEncoding, options?: AsyncOptions): Promise<boolean> {
    return (await this.#searchAsync(value, byteOffset, encoding, options, true)) !== -1;
  }

  async #searchAsync(value: unknown, byteOffset: unknown, encoding: unknown, options: unknown,
    forward: boolean): Promise<number> {
    const signal = signalOf(options);
    const plan = planSearch(value, byteOffset, encoding, this.length, forward);
    if (typeof plan === 'number') {
      this.#assertOpen(0, 0);
      return plan;
    }
    return runAbortable(signal, (abortFlag) => this.#source.native.indexOfAsync(this.byteOffset,
      plan.haystackLength, plan.needle, plan.from, forward, plan.alignment, abortFlag));
  }
}

// Node 20 has no ArrayBuffer#detached: only an empty buffer can be detached,
// and a view of a detached one cannot be constructed.
function isDetached(array: ArrayBufferView): boolean {
  if (array.buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(array.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

// Buffer's lower-case aliases (readUint8 for readUInt8...), so code written
// against Buffer works unchanged.
export interface MappedView {
  readUint8: MappedView['readUInt8'];
  readUint16LE: MappedView['readUInt16LE'];
  readUint16BE: MappedView['readUInt16BE'];
  readUint32LE: MappedView['readUInt32LE'];
  readUint32BE: MappedView['readUInt32BE'];
  readUintLE: MappedView['readUIntLE'];
  readUintBE: MappedView['readUIntBE'];
  readBigUint64LE: MappedView['readBigUInt64LE'];
  readBigUint64BE: MappedView['readBigUInt64BE'];
  writeUint8: MappedView['writeUInt8'];
  writeUint16LE: MappedView['writeUInt16LE'];
  writeUint16BE: MappedView['writeUInt16BE'];
  writeUint32LE: MappedView['writeUInt32LE'];
  writeUint32BE: MappedView['writeUInt32BE'];
  writeUintLE: MappedView['writeUIntLE'];
  writeUintBE: MappedView['writeUIntBE'];
  writeBigUint64LE: MappedView['writeBigUInt64LE'];
  writeBigUint64BE: MappedView['writeBigUInt64BE'];
}
for (const name of ['readUInt8', 'readUInt16LE', 'readUInt16BE', 'readUInt32LE', 'readUInt32BE', 'readUIntLE',
  'readUIntBE', 'readBigUInt64LE', 'readBigUInt64BE', 'writeUInt8', 'writeUInt16LE', 'writeUInt16BE',
  'writeUInt32LE', 'writeUInt32BE', 'writeUIntLE', 'writeUIntBE', 'writeBigUInt64LE', 'writeBigUInt64BE'] as const) {
  Object.defineProperty(MappedView.prototype, name.replace('UInt', 'Uint'), {
    value: MappedView.prototype[name], writable: true, configurable: true,
  });
}
