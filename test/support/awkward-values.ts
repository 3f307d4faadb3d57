// The awkward argument values every public function must cope with, one pool
// each: the parity tests (buffer-args.ts), the bad-input tests and the
// bad-input fuzz (scripts/fuzz/pools.ts) draw from these. The objects in them
// are shared by every test that uses a pool, so nothing may change them (the
// fuzz makes its objects fresh per case instead, from primitives only).

/**
 * Numbers at or past the edges of any offset, length or size: not finite, -0,
 * negative, fractional, and around 2^31, 2^32, 2^47 (beyond any mapping), 2^53
 * (beyond exact integers) and the largest and smallest doubles.
 */
export const AWKWARD_NUMBERS: readonly number[] = [
  NaN, Infinity, -Infinity, -0, -1, -2, 0.5, -0.5, 1.5, 2.999, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32,
  2 ** 32 + 1, 2 ** 47, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER,
  Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e21, -1e21,
];

/** BigInts, small and around the 31-, 32-, 53-, 63- and 64-bit edges. */
export const AWKWARD_BIGINTS: readonly bigint[] = [
  0n, 1n, -1n, 7n, 255n, 256n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, -(2n ** 63n),
  -(2n ** 63n) - 1n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 200n, -(2n ** 200n),
];

/** Strings where a number is expected: some look like one, none is one. */
export const NUMBER_STRINGS: readonly string[] = [
  '', ' ', '0', '1', '3', '-1', '1.5', ' 2 ', '0x10', '1e3', 'abc', 'NaN', 'Infinity',
];

/** Values of other types where a number is expected, each failing (or passing) coercion its own way. */
export const NOT_NUMBERS: readonly unknown[] = [
  null, undefined, true, false, {}, [], [2], { valueOf: () => 2 }, Symbol('offset'), () => 0, new Number(1),
  new String('2'), new Date(0),
];

/** Buffer's encodings, under every name Buffer knows and in several capitalisations. */
export const ENCODING_NAMES: readonly string[] = [
  'utf8', 'utf-8', 'UTF8', 'UTF-8', 'Utf-8', 'utf16le', 'utf-16le', 'UTF16LE', 'UTF-16LE', 'ucs2', 'ucs-2',
  'UCS2', 'UCS-2', 'latin1', 'LATIN1', 'Latin1', 'binary', 'BINARY', 'ascii', 'ASCII', 'base64', 'BASE64',
  'base64url', 'BASE64URL', 'Base64Url', 'hex', 'HEX', 'Hex',
];

/** Strings Buffer does not take for an encoding: near misses, and names of other things. */
export const UNKNOWN_ENCODING_NAMES: readonly string[] = [
  'utf9', '', 'utf16', 'utf-16', 'latin-1', 'base-64', 'hex ', ' hex', 'UTF_8', 'buffer', 'utf8\0', 'toString',
  '__proto__',
];

/** Values of other types where an encoding is expected, which Buffer rejects. */
export const NON_STRING_ENCODINGS: readonly unknown[] = [null, 0, 1, {}, [], true, Symbol('hex')];

/** Values of other types that Buffer coerces to an encoding it knows. */
export const ENCODING_LOOKALIKES: readonly unknown[] = [['hex'], { toString: () => 'hex' }, new String('base64')];
