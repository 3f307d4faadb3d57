// The one place where arguments are checked. Every rule mirrors what Buffer
// (lib/buffer.js) or fs does for the same parameter, so that a MappedView and
// a Buffer holding the same bytes fail alike.
import { isArrayBufferView, isUint8Array } from 'node:util/types';
import { bufferOutOfBounds, invalidArgType, invalidArgValue, outOfRange, systemError, unknownEncoding, uvErrno } from './errors';

export function validateNumber(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
}

/** An integer in [min, max], as Node's validateInteger: type first, then range. */
export function validateInteger(value: unknown, name: string, min: number, max: number): asserts value is number {
  validateNumber(value, name);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

/**
 * Checks `offset` for a read of `byteLength` bytes from a view of
 * `viewLength` bytes, exactly as Buffer#readUInt32LE and friends do:
 * ERR_INVALID_ARG_TYPE for a non-number, ERR_OUT_OF_RANGE for a fraction, NaN
 * or a range past the end, ERR_BUFFER_OUT_OF_BOUNDS when the view is shorter
 * than one value.
 */
export function validateReadOffset(offset: unknown, byteLength: number, viewLength: number): asserts offset is number {
  validateNumber(offset, 'offset');
  if (Number.isInteger(offset) && offset >= 0 && offset + byteLength <= viewLength) return;
  if (Math.floor(offset) !== offset) throw outOfRange('offset', 'an integer', offset);
  const last = viewLength - byteLength;
  if (last < 0) throw bufferOutOfBounds();
  throw outOfRange('offset', `>= 0 and <= ${last}`, offset);
}

/**
 * Buffer#subarray's index rule (lib/buffer.js adjustOffset): truncate, NaN is
 * 0, negatives count from the end, then clamp to [0, length]. `undefined`
 * gives `fallback` (Buffer treats an undefined start as 0 and an undefined
 * end as the length).
 */
export function clampRelativeIndex(value: unknown, length: number, fallback: number): number {
  if (value === undefined) return fallback;
  // Math.trunc coerces as Buffer does: a Symbol or a BigInt throws TypeError.
  // (Number(value) would accept a BigInt and convert it silently.)
  const integer = Math.trunc(value as number);
  if (Number.isNaN(integer)) return 0;
  if (integer < 0) return Math.max(length + integer, 0);
  return Math.min(integer, length);
}

/** lib/buffer.js toInteger: coerce; NaN or unsafe values fall back to the default. */
export function toIntegerOr(value: unknown, fallback: number): number {
  const number = +(value as number);
  if (!Number.isNaN(number) && number >= Number.MIN_SAFE_INTEGER && number <= Number.MAX_SAFE_INTEGER) {
    return number % 1 === 0 ? number : Math.floor(number);
  }
  return fallback;
}

/**
 * byteLength of readUIntLE and friends: Buffer accepts 1 to 6 and reports
 * anything else through boundsError(byteLength, 6, 'byteLength').
 */
export function validateIntegerByteLength(byteLength: unknown): asserts byteLength is 1 | 2 | 3 | 4 | 5 | 6 {
  if (byteLength === 1 || byteLength === 2 || byteLength === 3 || byteLength === 4 || byteLength === 5 || byteLength === 6) return;
  if (Math.floor(byteLength as number) !== byteLength) {
    validateNumber(byteLength, 'byteLength');
    throw outOfRange('byteLength', 'an integer', byteLength);
  }
  throw outOfRange('byteLength', '>= 1 and <= 6', byteLength);
}

/** What to search for, and from where, once Buffer's rules are applied. */
export interface SearchPlan {
  needle: Uint8Array;
  /** Position to start at: the first candidate forwards, the last one backwards. */
  from: number;
  /** 2 for UTF-16 searches, which Buffer matches only at even positions. */
  alignment: 1 | 2;
  /** Bytes of the view to search (UTF-16 ignores a trailing odd byte). */
  haystackLength: number;
}

const UTF16_ENCODINGS = new Set(['ucs2', 'ucs-2', 'utf16le', 'utf-16le']);

/**
 * Buffer#indexOf / lastIndexOf argument rules (lib/buffer.js
 * bidirectionalIndexOf and src/node_buffer.cc IndexOfOffset). Returns the
 * answer itself when it follows from the arguments alone (an empty needle, a
 * start past the end), else the plan for the native search.
 */
export function planSearch(value: unknown, byteOffset: unknown, encoding: unknown, length: number,
  forward: boolean): SearchPlan | number {
  if (typeof byteOffset === 'string') {
    encoding = byteOffset;
    byteOffset = undefined;
  } else if (typeof byteOffset !== 'number' &&
    ((byteOffset as number) > 0x7fffffff || (byteOffset as number) < -0x80000000)) {
    // Buffer compares with the int32 bounds before coercing, and replaces an
    // out-of-range value by a bound: a BigInt (or an object whose valueOf
    // gives one) beyond int32 is accepted, where `+` below would throw.
    byteOffset = Number(byteOffset);
  }
  let offset = +(byteOffset as number);  // null and [] become 0; a Symbol or a BigInt in int32 throws, as in Buffer
  if (Number.isNaN(offset)) offset = forward ? 0 : length;
  // Buffer clamps to int32 (its length fits); a view may be longer, so clamp
  // only to safe integers. Both give the same answers below 2 GiB. `+ 0`
  // turns -0 (from -0 or -0.5) into 0: Buffer answers 0, never -0.
  offset = Math.trunc(Math.min(Math.max(offset, -Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER)) + 0;

  let needle: Uint8Array;
  let utf16 = false;
  if (typeof value === 'number') {
    needle = Uint8Array.of((value >>> 0) & 0xff);
  } else {
    const name = encoding === undefined ? 'utf8' : encodingName(encoding);
    if (typeof value === 'string') {
      if (name === undefined) throw unknownEncoding(encoding);
      needle = Buffer.from(value, name as BufferEncoding);
    } else if (isUint8Array(value)) {
      needle = value;
    } else {
      throw invalidArgType('value', 'one of type number or string or an instance of Buffer or Uint8Array', value);
    }
    utf16 = name !== undefined && UTF16_ENCODINGS.has(name);
  }
  // Node searches a UTF-16 string in whole code units, so an odd trailing
  // byte does not count even for the offset arithmetic (IndexOfString); a
  // Uint8Array needle keeps the byte length there (IndexOfBuffer).
  const searchLength = utf16 && typeof value === 'string' ? length & ~1 : length;

  const start = searchStart(searchLength, offset, needle.length, forward);
  if (needle.length === 0) return start;
  if (searchLength === 0 || start <= -1) return -1;
  if ((forward && needle.length + start > searchLength) || needle.length > searchLength) return -1;
  if (!utf16) return { needle, from: start, alignment: 1, haystackLength: length };
  // UTF-16: match whole code units at even positions only, as Buffer does.
  // (Where Buffer's IndexOfBuffer finds nothing in an odd-length buffer it
  // answers length - 1, which is no match; we answer -1.)
  if (searchLength < 2 || needle.length < 2) return -1;
  return { needle: needle.subarray(0, needle.length & ~1), from: start & ~1, alignment: 2, haystackLength: length & ~1 };
}

/** node_buffer.cc IndexOfOffset: a start inside [0, length), or length for an empty needle, or -1. */
function searchStart(length: number, offset: number, needleLength: number, forward: boolean): number {
  if (offset < 0) {
    if (offset + length >= 0) return length + offset;  // counts back from the end
    return forward || needleLength === 0 ? 0 : -1;
  }
  if (offset + needleLength <= length) return offset;
  if (needleLength === 0) return length;
  return forward ? -1 : length - 1;
}

/** The canonical lower-case name of a Buffer encoding, or undefined (Buffer coerces with `+ ''`). */
export function encodingName(encoding: unknown): string | undefined {
  const name = (encoding as string) + '';
  return Buffer.isEncoding(name) ? name.toLowerCase() : undefined;
}

/** A read's arguments once fs.readSync's rules are applied. */
export interface ReadArguments {
  /** The caller's buffer, returned by readAsync as FileHandle.read returns it. */
  buffer: NodeJS.ArrayBufferView;
  /** The same memory as bytes. */
  target: Uint8Array;
  offset: number;
  /** 0 means: read nothing, return 0 (fs answers before looking at the buffer's size). */
  length: number;
  /** A byte position, or null for the current position (fs: null, undefined, -1, a negative bigint; on Windows -1n and -2n). */
  position: number | null;
  /** Whether the read moves the current position on: those at the current position do, but Windows' -2n. */
  advancesPosition: boolean;
}

const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

/**
 * fs.readSync's argument rules (lib/fs.js readSync, Node 20), for
 * MappedFile#read and #readAsync: read(buffer, offset, length, position) or
 * read(buffer, options?). `argumentCount` is the call's arguments.length:
 * with one or two arguments the second one is the options object, as fs
 * reads it. A position past Number.MAX_SAFE_INTEGER (a bigint) is past any
 * mapping, so it reads nothing.
 */
export function readArguments(buffer: unknown, offsetOrOptions: unknown, length: unknown, position: unknown,
  argumentCount: number): ReadArguments {
  if (!isArrayBufferView(buffer)) {
    throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer);
  }
  let offset = offsetOrOptions;
  if (argumentCount <= 2 || typeof offsetOrOptions === 'object') {
    if (offsetOrOptions !== undefined && offsetOrOptions !== null &&
      (typeof offsetOrOptions !== 'object' || Array.isArray(offsetOrOptions))) {
      throw invalidArgType('options', 'of type object', offsetOrOptions);
    }
    const options = (offsetOrOptions ?? {}) as { offset?: unknown; length?: unknown; position?: unknown };
    offset = options.offset === undefined ? 0 : options.offset;
    length = options.length === undefined ? buffer.byteLength - (offset as number) : options.length;
    position = options.position === undefined ? null : options.position;
  }
  if (offset === undefined) offset = 0;
  validateInteger(offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const count = (length as number) | 0;  // fs: `length |= 0`
  // fs answers 0 here before it looks further at the buffer (which may be a
  // DataView over a detached ArrayBuffer, whose byteOffset throws).
  if (count === 0) return { buffer, target: new Uint8Array(0), offset, length: 0, position: null, advancesPosition: false };
  if (buffer.byteLength === 0) throw invalidArgValue('buffer', buffer, 'is empty and cannot be written');
  // lib/internal/fs/utils.js validateOffsetLengthRead
  if (count < 0) throw outOfRange('length', '>= 0', count);
  if (offset + count > buffer.byteLength) throw outOfRange('length', `<= ${buffer.byteLength - offset}`, count);
  const target = isUint8Array(buffer) ? buffer : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return { buffer, target, offset, length: count, ...readPosition(position) };
}

const AT_CURRENT_POSITION = { position: null, advancesPosition: true };

/** lib/internal/fs/utils.js validatePosition, and where libuv then reads. */
function readPosition(position: unknown): Pick<ReadArguments, 'position' | 'advancesPosition'> {
  if (position === null || position === undefined) return AT_CURRENT_POSITION;
  if (typeof position === 'bigint') {
    if (position < MIN_INT64 || position > MAX_INT64) {
      throw outOfRange('position', `>= ${MIN_INT64} && <= ${MAX_INT64}`, position);
    }
    if (position >= 0n) {
      const at = position > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(position);
      return { position: at, advancesPosition: false };
    }
    // libuv on POSIX reads at the current position for any negative offset.
    // On Windows only -1 is its own "current position"; any other offset
    // goes to ReadFile, whose kernel reads -2 (FILE_USE_FILE_POINTER_POSITION)
    // at the current position too, and then libuv puts the position back, as
    // after any positioned read; it refuses the rest, and fs.readSync throws
    // EINVAL. Seen under Wine with node.exe 20.
    if (process.platform !== 'win32' || position === -1n) return AT_CURRENT_POSITION;
    if (position === -2n) return { position: null, advancesPosition: false };
    throw systemError(uvErrno('EINVAL') ?? -22, 'read');
  }
  if (typeof position !== 'number') throw invalidArgType('position', 'of type bigint or integer', position);
  validateInteger(position, 'position', -1, Number.MAX_SAFE_INTEGER);
  return position === -1 ? AT_CURRENT_POSITION : { position, advancesPosition: false };
}
