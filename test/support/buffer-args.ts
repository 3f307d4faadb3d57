// Argument pools and fast-check arbitraries for Buffer-parity tests: the
// awkward values Buffer's methods must be called with (and that a MappedView
// must then treat exactly alike).
import * as fc from 'fast-check';
import {
  AWKWARD_BIGINTS, AWKWARD_NUMBERS, ENCODING_LOOKALIKES, ENCODING_NAMES, NON_STRING_ENCODINGS, NOT_NUMBERS,
  NUMBER_STRINGS, UNKNOWN_ENCODING_NAMES,
} from './awkward-values';
import { PAGE } from './files';

/**
 * Awkward values for any offset, index or length: invalid ones, ones that are
 * only valid after coercion, and corner cases (-0, unsafe integers).
 */
export const JUNK: readonly unknown[] = [...AWKWARD_NUMBERS, ...NUMBER_STRINGS, ...NOT_NUMBERS, ...AWKWARD_BIGINTS];

export const arbJunk: fc.Arbitrary<unknown> = fc.constantFrom(...JUNK);

/** Every Buffer encoding, under its names and in several capitalisations, and none (the default). */
export const ENCODINGS: readonly (string | undefined)[] = [undefined, ...ENCODING_NAMES];
/** Encodings Buffer rejects, and values of other types (some of which coerce to a known name). */
export const UNKNOWN_ENCODINGS: readonly unknown[] = [...UNKNOWN_ENCODING_NAMES, ...NON_STRING_ENCODINGS,
  ...ENCODING_LOOKALIKES];
const KNOWN_NAMES = ENCODING_NAMES;

export const arbEncoding: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...ENCODINGS), weight: 4 },
  // Random capitalisation of a known name.
  {
    arbitrary: fc.tuple(fc.constantFrom(...KNOWN_NAMES), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }))
      .map(([name, upper]) => [...name].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join('')),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...UNKNOWN_ENCODINGS), weight: 1 },
  { arbitrary: fc.string({ maxLength: 9 }), weight: 1 },
);

/** Offsets around both ends of a range of `length` bytes and around every page boundary in it. */
export function edgeOffsets(length: number): number[] {
  const edges = new Set<number>();
  for (let d = -9; d <= 9; d++) edges.add(length + d);
  for (let i = 0; i <= 9; i++) edges.add(i);
  for (let page = PAGE; page < length + 9; page += PAGE) {
    for (let d = -9; d <= 9; d++) edges.add(page + d);
  }
  return [...edges];
}

/** Any index for a range of `length` bytes: mostly plausible ones, some fractional, coerced or junk. */
export function arbIndex(length: number): fc.Arbitrary<unknown> {
  const edges = edgeOffsets(length);
  return fc.oneof(
    { arbitrary: fc.integer({ min: -length - 3, max: length + 3 }), weight: 4 },
    { arbitrary: fc.constantFrom(...edges, ...edges.map((i) => -i)), weight: 2 },
    { arbitrary: fc.double(), weight: 1 },
    { arbitrary: fc.double({ min: -length - 3, max: length + 3, noNaN: true }), weight: 1 },
    { arbitrary: fc.integer({ min: -length - 3, max: length + 3 }).map(String), weight: 1 },
    { arbitrary: fc.bigInt({ min: -5n, max: 5n }), weight: 1 },
    { arbitrary: arbJunk, weight: 2 },
  );
}

/** An offset for a read: mostly inside the range, else anything arbIndex gives, or a string. */
export function arbReadOffset(length: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: Math.max(length - 1, 0) }), weight: 4 },
    { arbitrary: arbIndex(length), weight: 3 },
    { arbitrary: fc.string(), weight: 1 },
  );
}

export interface Target { label: string; make: (length: number) => unknown }
/**
 * Targets for copy(). Each `make` is called twice per comparison: one target
 * for the Buffer, an identical one for the view. Typed-array targets sit
 * inside a larger, pre-filled ArrayBuffer so that a write outside them would
 * show too. The first 8 are byte targets, the rest are wrong types.
 */
export const TARGETS: readonly Target[] = [
  { label: 'Buffer(0)', make: () => Buffer.alloc(0) },
  { label: 'Buffer(1)', make: () => Buffer.alloc(1, 0xa5) },
  { label: 'Buffer(5)', make: () => Buffer.alloc(5, 0xa5) },
  { label: 'Buffer(length)', make: (n) => Buffer.alloc(n, 0xa5) },
  { label: 'Buffer(length + 7)', make: (n) => Buffer.alloc(n + 7, 0xa5) },
  { label: 'Uint8Array(length + 3)', make: (n) => new Uint8Array(n + 3).fill(0x5a) },
  { label: 'Buffer subarray(5, length + 9)', make: (n) => Buffer.alloc(n + 20, 0xc3).subarray(5, n + 9) },
  {
    label: 'Uint8Array at byteOffset 8',
    make: (n) => new Uint8Array(new Uint8Array(n + 24).fill(0x99).buffer, 8, n + 4).fill(0x3c),
  },
  { label: 'Uint16Array(8)', make: () => new Uint16Array(8) },
  { label: 'Int8Array(8)', make: () => new Int8Array(8) },
  { label: 'Uint8ClampedArray(8)', make: () => new Uint8ClampedArray(8) },
  { label: 'DataView', make: () => new DataView(new ArrayBuffer(8)) },
  { label: 'ArrayBuffer', make: () => new ArrayBuffer(8) },
  { label: 'Array', make: () => [0, 0, 0, 0] },
  { label: 'array-like', make: () => ({ length: 4, 0: 0 }) },
  { label: 'string', make: () => 'abcd' },
  { label: 'number', make: () => 4 },
  { label: 'null', make: () => null },
  { label: 'undefined', make: () => undefined },
];
/** The byte targets of TARGETS: the Buffers and Uint8Arrays that copy() can write to. */
export const BYTE_TARGETS: readonly Target[] = TARGETS.slice(0, 8);
/** The targets of TARGETS that copy() rejects: other typed arrays, and values of other types. */
export const NON_BYTE_TARGETS: readonly Target[] = TARGETS.slice(8);

/** The whole memory a target could be written to, for comparing after copy(). */
export function backingBytes(target: unknown): Buffer | undefined {
  if (!ArrayBuffer.isView(target)) return undefined;
  return Buffer.from(target.buffer as ArrayBuffer);
}
