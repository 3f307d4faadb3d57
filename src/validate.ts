// The one place where arguments are checked. Every rule mirrors what Buffer
// (lib/buffer.js) or fs does for the same parameter, so that a MappedView and
// a Buffer holding the same bytes fail alike.
import { bufferOutOfBounds, invalidArgType, outOfRange } from './errors';

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
