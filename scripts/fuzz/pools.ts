// The bad-input fuzz's argument pools: what a parameter may be given, as
// fast-check arbitraries. Arguments are generated as tokens (primitives, or
// { $: kind, ... }) and made into values per case (values.ts), so that mutable
// objects are fresh every time and views and files can belong to the case.
import * as fc from 'fast-check';
import {
  AWKWARD_BIGINTS, AWKWARD_NUMBERS, ENCODING_NAMES, NUMBER_STRINGS, UNKNOWN_ENCODING_NAMES,
} from '../../test/support/awkward-values';
import { PAGE } from '../../test/support/files';

// The values of safe-mmap's own string options, as junk elsewhere.
const OPTION_VALUES = ['r', 'r+', 'w+', 'always', 'fault', 'auto', 'never', 'willneed', 'hugepage'];
const JUNK_STRINGS = [...NUMBER_STRINGS, ...OPTION_VALUES, '\0', 'x'.repeat(300), ...ENCODING_NAMES.slice(0, 4)];
const EXTREME_NUMBERS = [...AWKWARD_NUMBERS, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE, 3 * PAGE];

export const OBJECT_KINDS = ['plain', 'nullProto', 'valueOf1', 'valueOfNeg', 'valueOfBig', 'valueOfSym', 'toStringHex',
  'throwingValueOf', 'throwingLength', 'arrayLike', 'hugeArrayLike', 'numberObj', 'stringObj', 'bigIntObj', 'date',
  'fn', 'arrEmpty', 'arrNums', 'arrStrs', 'arrHuge', 'revokedProxy', 'throwingProxy', 'error', 'promise', 'map',
  'regexp', 'url'] as const;
export const TYPED_KINDS = ['Buffer', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Float64Array',
  'BigInt64Array', 'DataView', 'ArrayBuffer', 'SharedArrayBuffer', 'detached', 'detachedDataView', 'offsetU8'] as const;
export const VIEW_KINDS = ['self', 'sibling', 'other', 'otherClosed', 'empty'] as const;
export const SIGNAL_KINDS = ['none', 'live', 'aborted', 'abortAfterCall', 'junk'] as const;

// open(): paths of every kind and form.
const FILE_PATH_KINDS = ['target', 'target', 'created', 'protected', 'protectedLink', 'emptyFile', 'procFile'] as const;
const OTHER_PATH_KINDS = ['missing', 'missingDir', 'dir', 'dot', 'devNull', 'devZero', 'fifo', 'notDir', 'tooLong',
  'loop', 'emptyString'] as const;
const PATH_FORMS = ['string', 'buffer', 'u8', 'fileUrl'] as const;
const BAD_PATH_FORMS = ['fileUrlString', 'urlHost', 'urlEncodedSlash', 'httpsUrl', 'nul', 'bufferNul'] as const;

export type ObjectKind = (typeof OBJECT_KINDS)[number];
export type TypedKind = (typeof TYPED_KINDS)[number];
export type ViewKind = (typeof VIEW_KINDS)[number];
export type SignalKind = (typeof SIGNAL_KINDS)[number];
export type PathKind = (typeof FILE_PATH_KINDS)[number] | (typeof OTHER_PATH_KINDS)[number];
export type PathForm = (typeof PATH_FORMS)[number] | (typeof BAD_PATH_FORMS)[number];
/** A length relative to the subject ('len': the view's, 'half' of it), or a number of bytes. */
export type TypedLength = number | 'len' | 'len-1' | 'len+1' | 'half';

/** An argument as generated: a primitive as it is, or a description of a value that values.ts makes per case. */
export type Token =
  | null | undefined | boolean | number | bigint | string
  | { $: 'sym' }
  | { $: 'absent' }  // an options field left out
  | { $: 'rel'; base: 'len' | 'size' | 'half'; d: number }
  | { $: 'rel'; base: 'page'; k: number; d: number }
  | { $: 'typed'; type: TypedKind; n: TypedLength; fill: 'zero' | 'content' | 'random' }
  | { $: 'view'; which: ViewKind }
  | { $: 'obj'; kind: ObjectKind }
  | { $: 'needle'; at: number; n: number; as: 'buffer' | 'u8' | 'latin1' | 'hex' | 'ucs2' }
  | { $: 'array'; items: Token[] }
  | { $: 'asyncOptions'; signal: SignalKind }
  | { $: 'streamOptions'; start?: Token; end?: Token; highWaterMark?: Token; signal: SignalKind }
  | { $: 'readOptions'; offset?: Token; length?: Token; position?: Token }
  | { $: 'snapshotOptions'; lazy: Token }
  | { $: 'path'; kind: PathKind; form: PathForm }
  | OpenOptionsToken;

export interface OpenOptionsToken {
  $: 'openOptions';
  validate: Token; mode: Token; size: Token; grow: Token; populate: Token;
  /** 'throws': validate is a getter that throws; 'proto': mode comes from the prototype. */
  getter: 'none' | 'throws' | 'proto';
}

export type TokenObject = Extract<Token, { $: string }>;

export const isTokenObject = (token: unknown): token is TokenObject =>
  token !== null && typeof token === 'object' && '$' in token;

const arbExtreme = fc.constantFrom(...EXTREME_NUMBERS);
// Numbers that are valid or nearly so for this subject: small, or relative to its length, size or pages.
const arbNearBounds: fc.Arbitrary<Token> = fc.oneof(
  { arbitrary: fc.integer({ min: -3, max: 16 }), weight: 3 },
  { arbitrary: fc.record({ base: fc.constantFrom('len' as const, 'size' as const, 'half' as const), d: fc.integer({ min: -9, max: 9 }) })
    .map((r): Token => ({ $: 'rel', ...r })), weight: 4 },
  { arbitrary: fc.record({ base: fc.constant('page' as const), k: fc.integer({ min: 0, max: 3 }), d: fc.integer({ min: -2, max: 2 }) })
    .map((r): Token => ({ $: 'rel', ...r })), weight: 1 },
  { arbitrary: fc.double({ min: -10, max: 10 * PAGE, noNaN: true }), weight: 1 },
);
const arbBigInt = fc.oneof(fc.constantFrom(...AWKWARD_BIGINTS), fc.bigInt());
// Any code points, lone surrogates included. (fc.string({ unit: 'binary' })
// would do, but builds a table of every code point: 100 MB of heap.)
const arbCodePoints = (maxLength: number): fc.Arbitrary<string> =>
  fc.array(fc.oneof(fc.integer({ min: 0, max: 0x10ffff }), fc.integer({ min: 0xd800, max: 0xdfff })), { maxLength })
    .map((points) => points.map((point) => String.fromCodePoint(point)).join(''));
const arbJunkString = fc.oneof(
  { arbitrary: fc.constantFrom(...JUNK_STRINGS, ...UNKNOWN_ENCODING_NAMES), weight: 3 },
  { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
  { arbitrary: arbCodePoints(4), weight: 1 },
);
const arbTypedLength: fc.Arbitrary<TypedLength> = fc.oneof(fc.integer({ min: 0, max: 12 }),
  fc.constantFrom('len' as const, 'len-1' as const, 'len+1' as const, 'half' as const));
const FILLS = ['zero', 'content', 'random'] as const;
const arbTyped = fc.record({
  type: fc.constantFrom(...TYPED_KINDS), n: arbTypedLength, fill: fc.constantFrom(...FILLS),
}).map((r): Token => ({ $: 'typed', ...r }));
const arbViewArg = fc.constantFrom(...VIEW_KINDS).map((which): Token => ({ $: 'view', which }));
const arbObject = fc.constantFrom(...OBJECT_KINDS).map((kind): Token => ({ $: 'obj', kind }));
export const arbJunk: fc.Arbitrary<Token> = fc.oneof(
  { arbitrary: arbJunkString, weight: 3 },
  { arbitrary: arbExtreme, weight: 3 },
  { arbitrary: arbBigInt, weight: 2 },
  { arbitrary: arbObject, weight: 3 },
  { arbitrary: arbTyped, weight: 2 },
  { arbitrary: arbViewArg, weight: 1 },
  { arbitrary: fc.constantFrom(null, undefined, true, false), weight: 2 },
  { arbitrary: fc.constant<Token>({ $: 'sym' }), weight: 1 },
);

/** A bad value for any parameter: junk, an extreme number, or a missing argument. */
export const arbBad: fc.Arbitrary<Token> = fc.oneof(
  { arbitrary: arbJunk, weight: 4 },
  { arbitrary: arbExtreme, weight: 2 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);
/** A field inside an options object: mostly plausible, sometimes bad. */
const field = (plausible: fc.Arbitrary<Token>): fc.Arbitrary<Token> =>
  fc.oneof({ arbitrary: plausible, weight: 5 }, { arbitrary: arbBad, weight: 1 });
const optionalField = (plausible: fc.Arbitrary<Token>): fc.Arbitrary<Token | undefined> =>
  fc.option(field(plausible), { nil: undefined });

// Plausible values per parameter (valid, or invalid only by their number:
// near or past the bounds, unknown names). Which parameters get bad values
// instead is decided per case (cases.ts, arbCase's style).
export const arbOffset = arbNearBounds;
export const arbEncoding: fc.Arbitrary<Token> = fc.oneof({ arbitrary: fc.constantFrom(...ENCODING_NAMES), weight: 4 },
  { arbitrary: fc.constantFrom(...UNKNOWN_ENCODING_NAMES), weight: 1 });
const NEEDLE_FORMS = ['buffer', 'u8', 'latin1', 'hex', 'ucs2'] as const;
export const arbNeedle: fc.Arbitrary<Token> = fc.oneof(
  fc.integer({ min: -1, max: 256 }),
  fc.string({ maxLength: 4 }),
  fc.record({ at: fc.nat(), n: fc.integer({ min: 0, max: 6 }), as: fc.constantFrom(...NEEDLE_FORMS) })
    .map((r): Token => ({ $: 'needle', ...r })),
  arbTyped,
);
const arbByteTarget = fc.record({
  type: fc.constantFrom('Buffer' as const, 'Uint8Array' as const, 'offsetU8' as const), n: arbTypedLength,
  fill: fc.constantFrom(...FILLS),
}).map((r): Token => ({ $: 'typed', ...r }));
export const arbTarget: fc.Arbitrary<Token> = fc.oneof({ arbitrary: arbByteTarget, weight: 4 },
  { arbitrary: arbTyped, weight: 1 }, { arbitrary: arbViewArg, weight: 1 });
export const arbAsyncOptions: fc.Arbitrary<Token> = fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: fc.constantFrom(...SIGNAL_KINDS).map((signal): Token => ({ $: 'asyncOptions', signal })), weight: 3 });
export const arbNumberValue: fc.Arbitrary<Token> = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 255 }), weight: 4 },
  { arbitrary: fc.integer({ min: -200, max: 300 }), weight: 2 }, { arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 32 }), weight: 2 },
  { arbitrary: fc.double(), weight: 1 }, { arbitrary: arbExtreme, weight: 1 });
export const arbBigIntValue: fc.Arbitrary<Token> = arbBigInt;
export const arbByteLength: fc.Arbitrary<Token> = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 6 }), weight: 4 },
  { arbitrary: fc.constantFrom(0, 7), weight: 1 });
export const arbString: fc.Arbitrary<Token> = fc.oneof(fc.string({ maxLength: 10 }), arbCodePoints(6),
  fc.constantFrom('', 'ff00', 'AQID', 'é', '€uro', '\ud83d', 'x'.repeat(40)));
export const arbFillValue: fc.Arbitrary<Token> = fc.oneof(fc.integer({ min: -1, max: 300 }), fc.string({ maxLength: 4 }),
  arbTyped, fc.constantFrom('ab', 'ff', ''));
export const arbSetSource: fc.Arbitrary<Token> = fc.oneof(arbTyped,
  fc.array(fc.oneof(fc.integer({ min: -1, max: 300 }), arbJunk), { maxLength: 6 }).map((items): Token => ({ $: 'array', items })),
  arbObject, arbViewArg);
export const arbAdvice: fc.Arbitrary<Token> = fc.constantFrom('normal', 'sequential', 'random', 'willneed', 'dontneed',
  'hugepage', 'NORMAL', 'free');
export const arbAtomicType: fc.Arbitrary<Token> = fc.oneof({ arbitrary: fc.constantFrom('int32', 'uint32', 'bigint64', 'biguint64'), weight: 6 },
  { arbitrary: fc.constantFrom('int8', 'INT32', 'float64', ''), weight: 1 }, { arbitrary: arbBad, weight: 1 });
export const arbAtomicValue: fc.Arbitrary<Token> = fc.oneof(arbNumberValue, arbBigIntValue);
export const arbChunkSize: fc.Arbitrary<Token> = fc.oneof(fc.integer({ min: 1, max: 3 * PAGE }), arbNearBounds);
export const arbStreamOptions: fc.Arbitrary<Token> = fc.oneof({ arbitrary: fc.record({
  start: optionalField(arbOffset), end: optionalField(arbOffset),
  highWaterMark: optionalField(fc.oneof(fc.integer({ min: 0, max: 3 * PAGE }), fc.constantFrom(0, 1, 7, 65536))),
  signal: fc.constantFrom(...SIGNAL_KINDS),
}).map((r): Token => ({ $: 'streamOptions', ...r })), weight: 4 }, { arbitrary: fc.constant(undefined), weight: 1 });

// read()/readAsync(): fs.readSync's (buffer, offset, length, position) and (buffer, options).
export const arbReadPosition: fc.Arbitrary<Token> = fc.oneof({ arbitrary: arbOffset, weight: 4 },
  { arbitrary: fc.constantFrom(null, -1, undefined), weight: 2 }, { arbitrary: arbBigInt, weight: 1 });
const arbReadOptions = fc.record({
  offset: optionalField(arbOffset), length: optionalField(arbOffset), position: optionalField(arbReadPosition),
}).map((r): Token => ({ $: 'readOptions', ...r }));
export const arbReadOffsetOrOptions: fc.Arbitrary<Token> = fc.oneof({ arbitrary: arbOffset, weight: 3 },
  { arbitrary: arbReadOptions, weight: 2 }, { arbitrary: fc.constant(null), weight: 1 });

export const arbPath: fc.Arbitrary<Token> = fc.record({
  kind: fc.oneof({ arbitrary: fc.constantFrom(...FILE_PATH_KINDS), weight: 3 },
    { arbitrary: fc.constantFrom(...OTHER_PATH_KINDS), weight: 2 }),
  form: fc.oneof({ arbitrary: fc.constantFrom(...PATH_FORMS), weight: 4 },
    { arbitrary: fc.constantFrom(...BAD_PATH_FORMS), weight: 1 }),
}).map((r): Token => ({ $: 'path', ...r }));
const ABSENT: Token = { $: 'absent' };
const absent = (arb: fc.Arbitrary<Token>): fc.Arbitrary<Token> =>
  fc.oneof({ arbitrary: fc.constant(ABSENT), weight: 2 }, { arbitrary: arb, weight: 3 });
// A valid size that is huge would, with populate, fault in gigabytes of a
// sparse file: sizes are small, invalid, or too large to map (EFBIG/ENOMEM).
const arbOpenSize: fc.Arbitrary<Token> = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 * PAGE }), weight: 4 },
  { arbitrary: fc.constantFrom(2 ** 47, Number.MAX_SAFE_INTEGER, 2 ** 53, -1, 0.5), weight: 1 }, { arbitrary: arbBad, weight: 1 });
const oneOf = (valid: Token[], invalid: Token[]): fc.Arbitrary<Token> => fc.oneof(
  { arbitrary: fc.constantFrom(...valid), weight: 5 }, { arbitrary: fc.constantFrom(...invalid), weight: 1 },
  { arbitrary: arbBad, weight: 1 });
// snapshot(options): { lazy } (absent, a boolean, or not one), no options, or junk.
export const arbSnapshotOptions: fc.Arbitrary<Token> = fc.oneof(
  { arbitrary: absent(oneOf([true, false], [1, 'true', null])).map((lazy): Token => ({ $: 'snapshotOptions', lazy })),
    weight: 4 },
  { arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: arbBad, weight: 1 });
export const arbOpenOptions: fc.Arbitrary<Token> = fc.oneof(
  { arbitrary: fc.record({
    validate: absent(oneOf(['always', 'fault'], ['ALWAYS', 'sometimes', 'toString'])),
    mode: absent(oneOf(['r', 'r+', 'w+'], ['w', 'rw', 'R', 'constructor'])),
    // With a mode other than 'w+', a size is an error: absent is the common case.
    size: fc.oneof({ arbitrary: fc.constant(ABSENT), weight: 3 }, { arbitrary: arbOpenSize, weight: 2 }),
    grow: absent(oneOf(['never', 'auto'], ['Auto', true])),
    populate: absent(oneOf([true, false], [1, 'true'])),
    getter: fc.constantFrom('none' as const, 'none' as const, 'none' as const, 'none' as const, 'throws' as const,
      'proto' as const),
  }).map((r): Token => ({ $: 'openOptions', ...r })), weight: 6 },
  { arbitrary: fc.constant(undefined), weight: 2 },
);
