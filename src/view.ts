// MappedView: a live, read-only window onto a MappedFile. It holds offsets,
// never addresses; each access goes through the native guard and the file's
// validation mode, and every byte it returns was copied under the guard.
import { constants as bufferConstants } from 'node:buffer';
import { isUint8Array } from 'node:util/types';
import { binding, NativeMapping } from './binding';
import { bufferTooLarge, invalidArgType, MappedFileClosed, outOfRange, unknownEncoding } from './errors';
import { clampRelativeIndex, toIntegerOr, validateReadOffset } from './validate';

const scratch = binding.scratch;

/** What a view needs from its file: the native mapping, a display path and whether it was closed. */
export interface ViewSource {
  readonly path: string;
  readonly native: NativeMapping;
  readonly closed: boolean;
}

export class MappedView {
  /** Offset of this view's first byte within the file. */
  readonly byteOffset: number;
  readonly length: number;
  readonly #source: ViewSource;

  /** @internal Views are made by MappedFile#view and MappedView#subarray. */
  constructor(source: ViewSource, byteOffset: number, length: number) {
    // Making a view touches no memory, so the native side cannot notice a
    // closed file here: check, so that file.view() and subarray() after
    // close() throw MappedFileClosed like every other access. Callers have
    // validated their arguments by now, so argument errors still come first.
    if (source.closed) throw new MappedFileClosed({ path: source.path, offset: byteOffset, length });
    this.#source = source;
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
    if (length > bufferConstants.MAX_LENGTH) throw bufferTooLarge(bufferConstants.MAX_LENGTH);
    return this.#source.native.snapshot(this.byteOffset + offset, length);
  }

  // Validates like Buffer, copies `byteLength` bytes into the scratch buffer.
  #load(offset: unknown, byteLength: number): Buffer {
    validateReadOffset(offset, byteLength, this.length);
    this.#source.native.read(this.byteOffset + offset, byteLength);
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

  /** A new JS-owned Buffer with this view's bytes. It never changes afterwards and never faults. */
  snapshot(): Buffer {
    return this.#copyOut(0, this.length);
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
    let name = 'utf8';
    if (encoding !== undefined) {
      name = (encoding as unknown as string) + '';  // Buffer coerces the same way (a Symbol throws)
      if (!Buffer.isEncoding(name)) throw unknownEncoding(encoding);
    }
    return this.#copyOut(from, to - from).toString(name as BufferEncoding);
  }

  /**
   * Buffer#copy: copies [sourceStart, sourceEnd) of the view into target at
   * targetStart and returns the number of bytes copied.
   */
  copy(target: Uint8Array, targetStart?: number, sourceStart?: number, sourceEnd?: number): number {
    // lib/buffer.js _copy, with this view as the source.
    if (!isUint8Array(target)) throw invalidArgType('target', 'an instance of Buffer or Uint8Array', target);
    let targetAt = 0;
    if (targetStart !== undefined) {
      targetAt = Number.isInteger(targetStart) ? targetStart : toIntegerOr(targetStart, 0);
      if (targetAt < 0) throw outOfRange('targetStart', '>= 0', targetAt);
    }
    let from = 0;
    if (sourceStart !== undefined) {
      from = Number.isInteger(sourceStart) ? sourceStart : toIntegerOr(sourceStart, 0);
      if (from < 0 || from > this.length) throw outOfRange('sourceStart', `>= 0 && <= ${this.length}`, from);
    }
    let to = this.length;
    if (sourceEnd !== undefined) {
      to = Number.isInteger(sourceEnd) ? sourceEnd : toIntegerOr(sourceEnd, 0);
      if (to < 0) throw outOfRange('sourceEnd', '>= 0', to);
    }
    if (targetAt >= target.length || from >= to) {
      this.#assertOpen(from, 0);  // nothing to copy, but a closed file still throws
      return 0;
    }
    const count = Math.min(to - from, target.length - targetAt, this.length - from);
    return this.#source.native.copyTo(target, targetAt, this.byteOffset + from, count);
  }
}
