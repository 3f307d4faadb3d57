// Bad-input fuzz: fast-check generates calls to every public function and
// option of safe-mmap (open, every MappedFile and MappedView method) with
// wrong types, extreme numbers, values near the bounds, closed files and views
// of closed files, files truncated or extended after mapping, read-only and
// read-write mappings. Every outcome must be one that the README and
// src/errors.ts document:
//   - a normal return (async methods: a Promise that fulfils; a stream: 'end');
//   - a TypeError/RangeError/Error with one of Node's ERR_* codes that Buffer
//     and fs give, or ERR_MAPPED_FILE_READ_ONLY (DOCUMENTED_CODES below);
//   - an fs-style system error (code E..., a `syscall`, a numeric `errno`);
//   - MappedFileClosed or MappedFileTruncated with their codes; AbortError;
//   - an error thrown by the caller's own object (a valueOf or getter that
//     throws, a revoked Proxy), passed through unchanged;
//   - a TypeError/RangeError without a code only where the same call on what
//     the README says the method behaves like throws the same class and
//     message: a Buffer of the view's length (a Uint8Array for set()), or fs
//     for open(), read()/readAsync() (fs.readSync) and createReadStream(). These are V8's own coercion errors
//     ("Cannot convert a Symbol value to a number"), which Buffer throws too.
// Anything else is unexpected: an error without a code that Buffer would not
// throw (a bug like "Cannot read properties of undefined"), a code with the
// wrong class, MappedFileIOError (nothing here injects I/O errors), an async
// call or a stream that has not settled after CASE_TIMEOUT_MS (a hang), a sync
// call that slow, a descriptor left open, or a read-only file changed on disk
// (no write method on a read-only mapping may change it: "no data is lost").
// A crash kills the process: scripts/soak.js runs the fuzz in a child to count it.
// Errors are classified by constructor.name and `code`, never instanceof,
// because jest's realm differs from Node's.
//
// Async methods (flushAsync, snapshotAsync, copyAsync, indexOfAsync, readAsync...) are
// awaited. They are `async` functions, so argument errors become rejections,
// as the README says; a synchronous throw from one is counted as unexpected
// (none has been seen). createReadStream() throws synchronously for bad
// options, as fs.createReadStream does; a fault is an 'error' event.
//
//   const { runBadInputFuzz } = require('./scripts/fuzz-bad-input');
//   const report = await runBadInputFuzz(require('safe-mmap'), { runs: 3000, seed: 42, dir });
//   // { seed, cases, outcomes: { 'TypeError ERR_INVALID_ARG_TYPE': n, returned: n, ... },
//   //   unexpectedCount, unexpected: [{ call, error }] (at most 20), methods, seconds, readOnlyUnchanged }
// Each unexpected `call` starts with its case number: { only: [n] } replays it.
// node scripts/fuzz-bad-input.js [runs] [seed] runs it against lib/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');
const fc = require('fast-check');

const PAGE = 4096;
const CONTENT_LENGTH = 2 * PAGE + 3;  // three pages, the last one partial
const CASE_TIMEOUT_MS = 5000;
const MAX_SAMPLES = 20;
const BATCH = 1000;  // cases per fc.sample call; case i is element i % BATCH of batch i / BATCH
const DISPOSE = Symbol.dispose ?? Symbol.for('nodejs.dispose');

/** ERR_* codes the library documents (README "Errors"), or passes through from Buffer/fs, with their classes. */
const DOCUMENTED_CODES = {
  ERR_INVALID_ARG_TYPE: ['TypeError'],
  ERR_INVALID_ARG_VALUE: ['TypeError', 'RangeError'],
  ERR_OUT_OF_RANGE: ['RangeError'],
  ERR_BUFFER_OUT_OF_BOUNDS: ['RangeError'],
  ERR_UNKNOWN_ENCODING: ['TypeError'],
  ERR_BUFFER_TOO_LARGE: ['RangeError'],
  ERR_MAPPED_FILE_READ_ONLY: ['TypeError'],
  // fs's path checks for URL and Buffer paths (open() passes the path to fs.openSync).
  ERR_INVALID_URL_SCHEME: ['TypeError'],
  ERR_INVALID_FILE_URL_HOST: ['TypeError'],
  ERR_INVALID_FILE_URL_PATH: ['TypeError'],
};
const MAPPED_FILE_CODES = { MappedFileClosed: 'ERR_MAPPED_FILE_CLOSED', MappedFileTruncated: 'ERR_MAPPED_FILE_TRUNCATED' };

/** Thrown by the fuzz's own valueOf/getters/proxy traps: must come out unchanged. */
class FuzzSentinel extends Error {
  constructor() {
    super('thrown by a value the fuzz passed in');
    this.fuzzSentinel = true;
  }
}

// ---------------------------------------------------------------- tokens
// Arguments are generated as tokens (primitives, or { $: kind, ... }) and
// made into values per case, so that mutable objects are fresh every time and
// views/files can belong to the case.

const ENCODINGS = ['utf8', 'utf-8', 'UTF8', 'utf16le', 'ucs2', 'UCS-2', 'latin1', 'binary', 'ascii', 'base64',
  'base64url', 'hex', 'HEX'];
const BAD_ENCODINGS = ['utf9', '', 'utf-16', 'buffer', 'hex ', 'utf8\0', 'toString', '__proto__'];
const JUNK_STRINGS = ['', '0', '1', '-1', '1.5', ' 2 ', '0x10', '1e3', 'abc', 'NaN', 'Infinity', 'r', 'r+', 'w+',
  'always', 'fault', 'auto', 'never', 'willneed', 'hugepage', '\0', 'x'.repeat(300), ...ENCODINGS.slice(0, 4)];
const EXTREME_NUMBERS = [NaN, Infinity, -Infinity, -0, -1, -2, 0.5, -0.5, 1.5, 2.999, 2 ** 31 - 1, 2 ** 31,
  2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 47, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1e21, -1e21, PAGE - 1, PAGE,
  PAGE + 1, 2 * PAGE, 3 * PAGE];
const BIGINTS = [0n, 1n, -1n, 7n, 255n, 256n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n,
  -(2n ** 63n), -(2n ** 63n) - 1n, 2n ** 64n - 1n, 2n ** 64n, 2n ** 200n, -(2n ** 200n)];
const OBJECT_KINDS = ['plain', 'nullProto', 'valueOf1', 'valueOfNeg', 'valueOfBig', 'valueOfSym', 'toStringHex',
  'throwingValueOf', 'throwingLength', 'arrayLike', 'hugeArrayLike', 'numberObj', 'stringObj', 'bigIntObj', 'date',
  'fn', 'arrEmpty', 'arrNums', 'arrStrs', 'arrHuge', 'revokedProxy', 'throwingProxy', 'error', 'promise', 'map',
  'regexp', 'url'];
const TYPED_KINDS = ['Buffer', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Float64Array',
  'BigInt64Array', 'DataView', 'ArrayBuffer', 'SharedArrayBuffer', 'detached', 'detachedDataView', 'offsetU8'];
const VIEW_KINDS = ['self', 'sibling', 'other', 'otherClosed', 'empty'];
const SIGNAL_KINDS = ['none', 'live', 'aborted', 'abortAfterCall', 'junk'];

const tok = (kind, fields) => ({ $: kind, ...fields });
const isAbsent = (token) => token !== null && typeof token === 'object' && token.$ === 'absent';

const arbExtreme = fc.constantFrom(...EXTREME_NUMBERS);
// Numbers that are valid or nearly so for this subject: small, or relative to its length, size or pages.
const arbNearBounds = fc.oneof(
  { arbitrary: fc.integer({ min: -3, max: 16 }), weight: 3 },
  { arbitrary: fc.record({ base: fc.constantFrom('len', 'size', 'half'), d: fc.integer({ min: -9, max: 9 }) })
    .map((r) => tok('rel', r)), weight: 4 },
  { arbitrary: fc.record({ base: fc.constant('page'), k: fc.integer({ min: 0, max: 3 }), d: fc.integer({ min: -2, max: 2 }) })
    .map((r) => tok('rel', r)), weight: 1 },
  { arbitrary: fc.double({ min: -10, max: 10 * PAGE, noNaN: true }), weight: 1 },
);
const arbBigInt = fc.oneof(fc.constantFrom(...BIGINTS), fc.bigInt());
// Any code points, lone surrogates included. (fc.string({ unit: 'binary' })
// would do, but builds a table of every code point: 100 MB of heap.)
const arbCodePoints = (maxLength) => fc.array(fc.oneof(fc.integer({ min: 0, max: 0x10ffff }), fc.integer({ min: 0xd800, max: 0xdfff })),
  { maxLength }).map((points) => points.map((point) => String.fromCodePoint(point)).join(''));
const arbJunkString = fc.oneof(
  { arbitrary: fc.constantFrom(...JUNK_STRINGS, ...BAD_ENCODINGS), weight: 3 },
  { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
  { arbitrary: arbCodePoints(4), weight: 1 },
);
const arbTypedLength = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.constantFrom('len', 'len-1', 'len+1', 'half'));
const arbTyped = fc.record({
  type: fc.constantFrom(...TYPED_KINDS), n: arbTypedLength, fill: fc.constantFrom('zero', 'content', 'random'),
}).map((r) => tok('typed', r));
const arbViewArg = fc.constantFrom(...VIEW_KINDS).map((which) => tok('view', { which }));
const arbObject = fc.constantFrom(...OBJECT_KINDS).map((kind) => tok('obj', { kind }));
const arbJunk = fc.oneof(
  { arbitrary: arbJunkString, weight: 3 },
  { arbitrary: arbExtreme, weight: 3 },
  { arbitrary: arbBigInt, weight: 2 },
  { arbitrary: arbObject, weight: 3 },
  { arbitrary: arbTyped, weight: 2 },
  { arbitrary: arbViewArg, weight: 1 },
  { arbitrary: fc.constantFrom(null, undefined, true, false), weight: 2 },
  { arbitrary: fc.constant(tok('sym')), weight: 1 },
);

// A bad value for any parameter: junk, an extreme number, or a missing argument.
const arbBad = fc.oneof(
  { arbitrary: arbJunk, weight: 4 },
  { arbitrary: arbExtreme, weight: 2 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);
/** A field inside an options object: mostly plausible, sometimes bad. */
const field = (plausible) => fc.oneof({ arbitrary: plausible, weight: 5 }, { arbitrary: arbBad, weight: 1 });

// Plausible values per parameter (valid, or invalid only by their number:
// near or past the bounds, unknown names). Which parameters get bad values
// instead is decided per case (arbCase's style).
const arbOffset = arbNearBounds;
const arbEncoding = fc.oneof({ arbitrary: fc.constantFrom(...ENCODINGS), weight: 4 },
  { arbitrary: fc.constantFrom(...BAD_ENCODINGS), weight: 1 });
const arbNeedle = fc.oneof(
  fc.integer({ min: -1, max: 256 }),
  fc.string({ maxLength: 4 }),
  fc.record({ at: fc.nat(), n: fc.integer({ min: 0, max: 6 }), as: fc.constantFrom('buffer', 'u8', 'latin1', 'hex', 'ucs2') })
    .map((r) => tok('needle', r)),
  arbTyped,
);
const arbByteTarget = fc.record({
  type: fc.constantFrom('Buffer', 'Uint8Array', 'offsetU8'), n: arbTypedLength, fill: fc.constantFrom('zero', 'content', 'random'),
}).map((r) => tok('typed', r));
const arbTarget = fc.oneof({ arbitrary: arbByteTarget, weight: 4 }, { arbitrary: arbTyped, weight: 1 },
  { arbitrary: arbViewArg, weight: 1 });
const arbAsyncOptions = fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: fc.constantFrom(...SIGNAL_KINDS).map((signal) => tok('asyncOptions', { signal })), weight: 3 });
const arbNumberValue = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 255 }), weight: 4 },
  { arbitrary: fc.integer({ min: -200, max: 300 }), weight: 2 }, { arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 32 }), weight: 2 },
  { arbitrary: fc.double(), weight: 1 }, { arbitrary: arbExtreme, weight: 1 });
const arbBigIntValue = arbBigInt;
const arbByteLength = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 6 }), weight: 4 }, { arbitrary: fc.constantFrom(0, 7), weight: 1 });
const arbString = fc.oneof(fc.string({ maxLength: 10 }), arbCodePoints(6),
  fc.constantFrom('', 'ff00', 'AQID', 'é', '€uro', '\ud83d', 'x'.repeat(40)));
const arbFillValue = fc.oneof(fc.integer({ min: -1, max: 300 }), fc.string({ maxLength: 4 }), arbTyped,
  fc.constantFrom('ab', 'ff', ''));
const arbSetSource = fc.oneof(arbTyped, fc.array(fc.oneof(fc.integer({ min: -1, max: 300 }), arbJunk), { maxLength: 6 })
  .map((items) => tok('array', { items })), arbObject, arbViewArg);
const arbAdvice = fc.constantFrom('normal', 'sequential', 'random', 'willneed', 'dontneed', 'hugepage', 'NORMAL', 'free');
const arbChunkSize = fc.oneof(fc.integer({ min: 1, max: 3 * PAGE }), arbNearBounds);
const arbStreamOptions = fc.oneof({ arbitrary: fc.record({
  start: fc.option(field(arbOffset), { nil: undefined }), end: fc.option(field(arbOffset), { nil: undefined }),
  highWaterMark: fc.option(field(fc.oneof(fc.integer({ min: 0, max: 3 * PAGE }), fc.constantFrom(0, 1, 7, 65536))), { nil: undefined }),
  signal: fc.constantFrom(...SIGNAL_KINDS),
}).map((r) => tok('streamOptions', r)), weight: 4 }, { arbitrary: fc.constant(undefined), weight: 1 });

// read()/readAsync(): fs.readSync's (buffer, offset, length, position) and (buffer, options).
const arbReadPosition = fc.oneof({ arbitrary: arbOffset, weight: 4 }, { arbitrary: fc.constantFrom(null, -1, undefined), weight: 2 },
  { arbitrary: arbBigInt, weight: 1 });
const arbReadOptions = fc.record({
  offset: fc.option(field(arbOffset), { nil: undefined }), length: fc.option(field(arbOffset), { nil: undefined }),
  position: fc.option(field(arbReadPosition), { nil: undefined }),
}).map((r) => tok('readOptions', r));
const arbReadOffsetOrOptions = fc.oneof({ arbitrary: arbOffset, weight: 3 }, { arbitrary: arbReadOptions, weight: 2 },
  { arbitrary: fc.constant(null), weight: 1 });

// open(): paths of every kind and form, and options with every field.
const FILE_PATH_KINDS = ['target', 'target', 'created', 'protected', 'protectedLink', 'emptyFile', 'procFile'];
const OTHER_PATH_KINDS = ['missing', 'missingDir', 'dir', 'dot', 'devNull', 'devZero', 'fifo', 'notDir', 'tooLong',
  'loop', 'emptyString'];
const PATH_FORMS = ['string', 'buffer', 'u8', 'fileUrl'];
const BAD_PATH_FORMS = ['fileUrlString', 'urlHost', 'urlEncodedSlash', 'httpsUrl', 'nul', 'bufferNul'];
const arbPath = fc.record({
  kind: fc.oneof({ arbitrary: fc.constantFrom(...FILE_PATH_KINDS), weight: 3 }, { arbitrary: fc.constantFrom(...OTHER_PATH_KINDS), weight: 2 }),
  form: fc.oneof({ arbitrary: fc.constantFrom(...PATH_FORMS), weight: 4 }, { arbitrary: fc.constantFrom(...BAD_PATH_FORMS), weight: 1 }),
}).map((r) => tok('path', r));
const absent = (arb) => fc.oneof({ arbitrary: fc.constant(tok('absent')), weight: 2 }, { arbitrary: arb, weight: 3 });
// A valid size that is huge would, with populate, fault in gigabytes of a
// sparse file: sizes are small, invalid, or too large to map (EFBIG/ENOMEM).
const arbOpenSize = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 3 * PAGE }), weight: 4 },
  { arbitrary: fc.constantFrom(2 ** 47, Number.MAX_SAFE_INTEGER, 2 ** 53, -1, 0.5), weight: 1 }, { arbitrary: arbBad, weight: 1 });
const oneOf = (valid, invalid) => fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 5 },
  { arbitrary: fc.constantFrom(...invalid), weight: 1 }, { arbitrary: arbBad, weight: 1 });
const arbOpenOptions = fc.oneof(
  { arbitrary: fc.record({
    validate: absent(oneOf(['always', 'fault'], ['ALWAYS', 'sometimes', 'toString'])),
    mode: absent(oneOf(['r', 'r+', 'w+'], ['w', 'rw', 'R', 'constructor'])),
    // With a mode other than 'w+', a size is an error: absent is the common case.
    size: fc.oneof({ arbitrary: fc.constant(tok('absent')), weight: 3 }, { arbitrary: arbOpenSize, weight: 2 }),
    grow: absent(oneOf(['never', 'auto'], ['Auto', true])),
    populate: absent(oneOf([true, false], [1, 'true'])),
    getter: fc.constantFrom('none', 'none', 'none', 'none', 'throws', 'proto'),
  }).map((r) => tok('openOptions', r)), weight: 6 },
  { arbitrary: fc.constant(undefined), weight: 2 },
);

// ---------------------------------------------------------------- methods

const READ_WIDTHS = {
  readUInt8: 1, readInt8: 1, readUInt16LE: 2, readUInt16BE: 2, readInt16LE: 2, readInt16BE: 2, readUInt32LE: 4,
  readUInt32BE: 4, readInt32LE: 4, readInt32BE: 4, readFloatLE: 4, readFloatBE: 4, readDoubleLE: 8, readDoubleBE: 8,
  readBigUInt64LE: 8, readBigUInt64BE: 8, readBigInt64LE: 8, readBigInt64BE: 8,
};
const alias = (name) => name.replace('UInt', 'Uint');
const withAliases = (names) => [...new Set(names.flatMap((name) => [name, alias(name)]))];

/**
 * on: what the call is made on; kind: how its outcome is awaited; twin: what the
 * README says it behaves like (a Buffer method, or fs), asked about errors without a code.
 */
const METHODS = [
  { name: 'open', on: 'module', kind: 'sync', args: [arbPath, arbOpenOptions], twin: 'fs.openSync' },
  // Adapters (src/adapters.ts), made `over` the subject's view or file, then used once.
  { name: 'arrayBufferSource', on: 'module', over: 'view', kind: 'sync', args: [arbOffset, arbOffset], twin: 'subarray' },
  { name: 'asyncArrayBufferSource', on: 'module', over: 'view', kind: 'async', args: [arbOffset, arbOffset], twin: 'subarray' },
  // fsReader is file.read/readAsync: fs.readSync is its twin, as theirs.
  { name: 'fsReader', on: 'module', over: 'file', kind: 'sync', args: [arbTarget, arbOffset, arbOffset, arbOffset], twin: 'fs.readSync' },
  { name: 'fsReader.readAsync', on: 'module', over: 'file', kind: 'async', args: [arbTarget, arbOffset, arbOffset, arbOffset, arbAsyncOptions], twin: 'fs.readSync' },
  // MappedFile
  { name: 'view', on: 'file', kind: 'sync', args: [arbOffset, arbOffset] },
  { name: 'fileSize', on: 'file', kind: 'sync', args: [] },
  { name: 'refresh', on: 'file', kind: 'sync', args: [] },
  { name: 'flush', on: 'file', kind: 'sync', args: [arbOffset, arbOffset] },
  { name: 'flushAsync', on: 'file', kind: 'async', args: [arbOffset, arbOffset] },
  { name: 'advise', on: 'file', kind: 'sync', args: [arbAdvice, arbOffset, arbOffset] },
  { name: 'residency', on: 'file', kind: 'sync', args: [arbOffset, arbOffset] },
  { name: 'read', on: 'file', kind: 'sync', args: [arbTarget, arbReadOffsetOrOptions, arbOffset, arbReadPosition], twin: 'fs.readSync' },
  { name: 'readAsync', on: 'file', kind: 'async', args: [arbTarget, arbReadOffsetOrOptions, arbOffset, arbReadPosition], twin: 'fs.readSync' },
  { name: 'createReadStream', on: 'file', kind: 'stream', args: [arbStreamOptions], twin: 'fs.createReadStream' },
  { name: 'close', on: 'file', kind: 'sync', args: [] },
  { name: 'dispose', on: 'file', kind: 'sync', args: [] },  // file[Symbol.dispose]()
  { name: 'fileProperties', on: 'file', kind: 'sync', args: [] },  // path, size, closed... never throw
  // MappedView: reads
  ...withAliases(Object.keys(READ_WIDTHS)).map((name) => ({ name, on: 'view', kind: 'sync', args: [arbOffset], twin: name })),
  ...withAliases(['readUIntLE', 'readUIntBE', 'readIntLE', 'readIntBE'])
    .map((name) => ({ name, on: 'view', kind: 'sync', args: [arbOffset, arbByteLength], twin: name })),
  { name: 'at', on: 'view', kind: 'sync', args: [arbOffset], twin: 'at' },
  ...['indexOf', 'lastIndexOf', 'includes'].flatMap((name) => [
    { name, on: 'view', kind: 'sync', args: [arbNeedle, arbOffset, arbEncoding], twin: name },
    { name: `${name}Async`, on: 'view', kind: 'async', args: [arbNeedle, arbOffset, arbEncoding, arbAsyncOptions], twin: name },
  ]),
  { name: 'equals', on: 'view', kind: 'sync', args: [arbTarget], twin: 'equals' },
  { name: 'compare', on: 'view', kind: 'sync', args: [arbTarget, arbOffset, arbOffset, arbOffset, arbOffset], twin: 'compare' },
  { name: 'toString', on: 'view', kind: 'sync', args: [arbEncoding, arbOffset, arbOffset], twin: 'toString' },
  { name: 'subarray', on: 'view', kind: 'sync', args: [arbOffset, arbOffset], twin: 'subarray' },
  { name: 'slice', on: 'view', kind: 'sync', args: [arbOffset, arbOffset], twin: 'slice' },
  { name: 'copy', on: 'view', kind: 'sync', args: [arbTarget, arbOffset, arbOffset, arbOffset], twin: 'copy' },
  { name: 'copyAsync', on: 'view', kind: 'async', args: [arbTarget, arbOffset, arbOffset, arbOffset, arbAsyncOptions], twin: 'copy' },
  { name: 'snapshot', on: 'view', kind: 'sync', args: [] },
  { name: 'snapshotAsync', on: 'view', kind: 'async', args: [arbAsyncOptions] },
  { name: 'arrayBuffer', on: 'view', kind: 'sync', args: [] },
  { name: 'arrayBufferAsync', on: 'view', kind: 'async', args: [arbAsyncOptions] },
  { name: 'chunks', on: 'view', kind: 'iterator', args: [arbChunkSize] },
  { name: 'inspect', on: 'view', kind: 'sync', args: [] },  // util.inspect(view)
  { name: 'viewProperties', on: 'view', kind: 'sync', args: [] },
  // MappedView: writes
  { name: 'set', on: 'view', kind: 'sync', args: [arbSetSource, arbOffset], twin: 'set' },
  { name: 'fill', on: 'view', kind: 'sync', args: [arbFillValue, arbOffset, arbOffset, arbEncoding], twin: 'fill' },
  { name: 'write', on: 'view', kind: 'sync', args: [arbString, arbOffset, arbOffset, arbEncoding], twin: 'write' },
  ...withAliases(Object.keys(READ_WIDTHS).map((name) => name.replace('read', 'write'))).map((name) => ({
    name, on: 'view', kind: 'sync', args: [name.includes('Big') ? arbBigIntValue : arbNumberValue, arbOffset], twin: name,
  })),
  ...withAliases(['writeUIntLE', 'writeUIntBE', 'writeIntLE', 'writeIntBE'])
    .map((name) => ({ name, on: 'view', kind: 'sync', args: [arbNumberValue, arbOffset, arbByteLength], twin: name })),
  { name: 'flush', on: 'view', kind: 'sync', args: [] },
  { name: 'flushAsync', on: 'view', kind: 'async', args: [] },
];
const ASYNC_METHOD = new Set(METHODS.filter((m) => m.kind === 'async').map((m) => m.name));

// What a call is made on: a fresh MappedFile (and view) over one of the fixture files.
const SUBJECT_FILES = ['ro', 'ro', 'empty', 'rw', 'rw', 'rw', 'wplus', 'wplus', 'truncated', 'grown'];
const arbSubject = fc.record({
  file: fc.constantFrom(...SUBJECT_FILES),
  validate: fc.constantFrom('always', 'fault'),
  populate: fc.boolean(),
  grow: fc.boolean(),
  writable: fc.boolean(),  // for 'truncated' and 'grown': r+ or r
  at: fc.nat(), length: fc.nat(), cut: fc.nat(),  // taken modulo the sizes
  sub: fc.option(fc.tuple(fc.integer({ min: -20, max: 3 * PAGE }), fc.option(fc.integer({ min: -20, max: 3 * PAGE }), { nil: undefined })), { nil: null }),
  closed: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
  // Concurrency with the call: close the file right after an async call starts, or mid-stream.
  closeDuring: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, { arbitrary: fc.constant(true), weight: 1 }),
});

// The files whose bytes are checked at the end; open() may map them, but not with mode 'w+' (which truncates).
const PROTECTED_PATHS = new Set(['protected', 'protectedLink', 'empty', 'emptyFile']);
const sparingProtectedFiles = (testCase) => {
  const [pathToken, options] = testCase.args;
  if (testCase.method.name === 'open' && pathToken && PROTECTED_PATHS.has(pathToken.kind) &&
    options && options.$ === 'openOptions' && options.mode === 'w+') {
    return { ...testCase, args: [{ ...pathToken, kind: 'target' }, options] };
  }
  return testCase;
};

const arbCase = fc.constantFrom(...METHODS).chain((method) => fc.record({
  method: fc.constant(method),
  subject: arbSubject,
  plausible: fc.tuple(...method.args),
  bad: fc.tuple(...method.args.map(() => arbBad)),
  // Which parameters get a bad value: none (the calls that reach the native
  // side), exactly one (each check on its own), or any of them.
  style: fc.constantFrom('clean', 'oneBad', 'oneBad', 'chaos'),
  which: fc.nat(),
  mask: fc.array(fc.boolean(), { minLength: method.args.length, maxLength: method.args.length }),
  // Usually every parameter; sometimes fewer (defaults), sometimes one more.
  count: fc.oneof({ arbitrary: fc.constant(method.args.length), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: method.args.length + 1 }), weight: 2 }),
  extra: arbJunk,
}).map(({ plausible, bad, style, which, mask, ...rest }) => ({
  ...rest,
  style,
  args: plausible.map((value, i) =>
    ((style === 'oneBad' && i === which % plausible.length) || (style === 'chaos' && mask[i]) ? bad[i] : value)),
}))).map(sparingProtectedFiles);

// ---------------------------------------------------------------- fixtures

function makeContent(seed) {
  // mulberry32: the content follows from the seed, so needles taken from it replay.
  let state = seed >>> 0;
  const bytes = Buffer.alloc(CONTENT_LENGTH);
  for (let i = 0; i < bytes.length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    bytes[i] = (t ^ (t >>> 14)) >>> 0 & 0xff;
  }
  return bytes;
}

function makeFixtures(dir, seed) {
  const fixtureDir = fs.mkdtempSync(path.join(dir, 'fuzz-'));
  const p = (name) => path.join(fixtureDir, name);
  const content = makeContent(seed);
  const paths = {
    dir: fixtureDir, ro: p('ro.bin'), empty: p('empty.bin'), rw: p('rw.bin'), wplus: p('wplus.bin'),
    truncated: p('truncated.bin'), grown: p('grown.bin'), target: p('target.bin'), created: p('created.bin'),
    protectedLink: p('ro-link.bin'), fifo: p('fifo'), loop: p('loop'), junk: p('junk'),
  };
  fs.mkdirSync(paths.junk);
  fs.writeFileSync(paths.ro, content);
  fs.writeFileSync(paths.empty, '');
  fs.writeFileSync(paths.rw, content);
  fs.writeFileSync(paths.target, content);
  fs.symlinkSync(paths.ro, paths.protectedLink);
  fs.symlinkSync(paths.loop, paths.loop);  // ELOOP
  try {
    require('node:child_process').execFileSync('mkfifo', [paths.fifo]);
  } catch {
    paths.fifo = '/dev/null';  // no mkfifo: another non-regular file
  }
  return { content, paths };
}

// ---------------------------------------------------------------- making values

const mod = (n, m) => (m <= 0 ? 0 : n % m);

function subjectSizes(ctx) {
  const length = ctx.view ? ctx.view.length : ctx.size;
  return { len: length, size: ctx.size, half: Math.floor(length / 2) };
}

function lengthOf(n, ctx) {
  const { len, half } = subjectSizes(ctx);
  if (typeof n === 'number') return n;
  return Math.max(0, { len, 'len-1': len - 1, 'len+1': len + 1, half }[n]);
}

function materialize(token, ctx) {
  if (token === null || typeof token !== 'object') return token;
  const { content } = ctx.fixtures;
  switch (token.$) {
    case 'sym': return Symbol('fuzz');
    case 'absent': return undefined;
    case 'rel': {
      if (token.base === 'page') return token.k * PAGE + token.d;
      return subjectSizes(ctx)[token.base] + token.d;
    }
    case 'typed': return makeTyped(token, ctx);
    case 'needle': {
      const at = mod(token.at, content.length);
      const bytes = Buffer.from(content.subarray(at, at + token.n));
      if (token.as === 'buffer') return bytes;
      if (token.as === 'u8') return new Uint8Array(bytes);
      return bytes.toString(token.as);
    }
    case 'view': return makeViewArg(token.which, ctx);
    case 'obj': return makeObject(token.kind);
    case 'array': return token.items.map((item) => materialize(item, ctx));
    case 'asyncOptions': return token.signal === 'junk' ? { signal: {} } : { signal: makeSignal(token.signal, ctx) };
    case 'streamOptions': {
      const options = {};
      for (const key of ['start', 'end', 'highWaterMark']) {
        if (token[key] !== undefined) options[key] = materialize(token[key], ctx);
      }
      if (token.signal !== 'none') options.signal = token.signal === 'junk' ? 'signal' : makeSignal(token.signal, ctx);
      return options;
    }
    case 'readOptions': {
      const options = {};
      for (const key of ['offset', 'length', 'position']) {
        if (token[key] !== undefined) options[key] = materialize(token[key], ctx);
      }
      return options;
    }
    case 'path': return makePath(token, ctx);
    case 'openOptions': return makeOpenOptions(token, ctx);
    default: throw new Error(`fuzz: unknown token ${token.$}`);
  }
}

function makeTyped({ type, n, fill }, ctx) {
  const length = Math.min(lengthOf(n, ctx), 1 << 16);
  const bytes = Buffer.alloc(length);
  if (fill === 'content') {
    const from = Math.min(ctx.view ? ctx.view.byteOffset : 0, ctx.fixtures.content.length);
    ctx.fixtures.content.copy(bytes, 0, from, from + length);
  } else if (fill === 'random') {
    for (let i = 0; i < length; i++) bytes[i] = (i * 151 + length) & 0xff;
  }
  switch (type) {
    case 'Buffer': return bytes;
    case 'Uint8Array': return new Uint8Array(bytes);
    case 'Uint8ClampedArray': return new Uint8ClampedArray(bytes);
    case 'Int8Array': return new Int8Array(bytes.buffer, bytes.byteOffset, length);
    case 'Uint16Array': return new Uint16Array(Math.ceil(length / 2));
    case 'Float64Array': return new Float64Array(Math.ceil(length / 8)).fill(1.5);
    case 'BigInt64Array': return new BigInt64Array(Math.ceil(length / 8));
    case 'DataView': return new DataView(new ArrayBuffer(length));
    case 'ArrayBuffer': return new ArrayBuffer(length);
    case 'SharedArrayBuffer': return new SharedArrayBuffer(length);
    case 'detached': {
      const array = new Uint8Array(length);
      structuredClone(array.buffer, { transfer: [array.buffer] });
      return array;  // length 0 now, over a detached buffer
    }
    case 'detachedDataView': {  // its byteLength and byteOffset getters throw
      const view = new DataView(new ArrayBuffer(length));
      structuredClone(view.buffer, { transfer: [view.buffer] });
      return view;
    }
    default: {  // a Uint8Array that starts inside a larger buffer
      const outer = new Uint8Array(length + 16);
      outer.set(bytes, 7);
      return outer.subarray(7, 7 + length);
    }
  }
}

function makeViewArg(which, ctx) {
  if (which === 'self' && ctx.view) return ctx.view;
  if ((which === 'self' || which === 'sibling') && ctx.file && !ctx.file.closed) return ctx.file.view(0, Math.min(ctx.size, 5));
  if (which === 'empty') return ctx.extraFile('ro').view(0, 0);
  if (which === 'otherClosed') {
    const file = ctx.extraFile('ro');
    const view = file.view(1, 9);
    file.close();
    return view;
  }
  return ctx.extraFile('ro').view();
}

function makeSignal(kind, ctx) {
  if (kind === 'none') return undefined;
  if (kind === 'aborted') return AbortSignal.abort();
  const controller = new AbortController();
  if (kind === 'abortAfterCall') ctx.afterCall.push(() => controller.abort());
  return controller.signal;
}

function makeObject(kind) {
  const sentinel = () => { throw new FuzzSentinel(); };
  switch (kind) {
    case 'plain': return {};
    case 'nullProto': return Object.create(null);  // cannot be converted to a primitive
    case 'valueOf1': return { valueOf: () => 1 };
    case 'valueOfNeg': return { valueOf: () => -1 };
    case 'valueOfBig': return { valueOf: () => 2n ** 40n };
    case 'valueOfSym': return { valueOf: () => Symbol('v') };
    case 'toStringHex': return { toString: () => 'hex' };
    case 'throwingValueOf': return { valueOf: sentinel, toString: sentinel };
    case 'throwingLength': return { get length() { return sentinel(); } };
    case 'arrayLike': return { length: 3, 0: 1, 1: '2', 2: 300 };
    case 'hugeArrayLike': return { length: 2 ** 53 };
    case 'numberObj': return new Number(2);
    case 'stringObj': return new String('hex');
    case 'bigIntObj': return Object(3n);
    case 'date': return new Date(0);
    case 'fn': return () => 1;
    case 'arrEmpty': return [];
    case 'arrNums': return [1, 2, 3];
    case 'arrStrs': return ['a', 'hex'];
    case 'arrHuge': return new Array(1e6);  // sparse: length only
    case 'revokedProxy': {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    }
    case 'throwingProxy': return new Proxy({}, { get: sentinel, has: sentinel, getPrototypeOf: sentinel });
    case 'error': return new Error('not an argument');
    case 'promise': return Promise.resolve(1);
    case 'map': return new Map([[0, 1]]);
    case 'regexp': return /0/g;
    default: return new URL('https://example.com/');
  }
}

function makePath({ kind, form }, ctx) {
  const { paths } = ctx.fixtures;
  const file = {
    target: paths.target, created: paths.created, missing: path.join(paths.dir, 'missing.bin'),
    missingDir: path.join(paths.dir, 'no', 'such.bin'), dir: paths.dir, dot: '.', devNull: '/dev/null',
    devZero: '/dev/zero', fifo: paths.fifo, notDir: path.join(paths.ro, 'x'), tooLong: path.join(paths.dir, 'x'.repeat(300)),
    loop: paths.loop, empty: paths.empty, protected: paths.ro, protectedLink: paths.protectedLink,
    emptyFile: paths.empty, procFile: '/proc/self/stat', emptyString: '',
  }[kind];
  switch (form) {
    case 'string': return file;
    case 'buffer': return Buffer.from(file);
    case 'u8': return new Uint8Array(Buffer.from(file));
    case 'fileUrl': return file === '' ? new URL('file:///') : pathToFileURL(file);
    case 'fileUrlString': return file === '' ? 'file:///' : pathToFileURL(file).href;  // a string: a relative path to fs
    case 'urlHost': return new URL(`file://example.com${path.resolve(file || '/')}`);
    case 'urlEncodedSlash': return new URL(`file://${path.resolve(file || '/')}%2Fx`);
    case 'httpsUrl': return new URL(`https://example.com${path.resolve(file || '/')}`);
    case 'nul': return `${file}\0x`;
    default: return Buffer.from(`${file}\0`);
  }
}

// A relative path would be resolved against the working directory, and
// open(junk, { mode: 'w+' }) would create a file there: put it in the
// fixtures' junk/ directory instead. ('' and '.' cannot create anything.)
function confinePath(value, ctx) {
  const { junk } = ctx.fixtures.paths;
  if (typeof value === 'string' && value !== '' && value !== '.' && !path.isAbsolute(value)) return path.join(junk, value);
  if (util.types.isUint8Array(value) && value.length > 0 && value[0] !== 0x2f) {  // not '/'
    return Buffer.concat([Buffer.from(`${junk}/`), value]);
  }
  return value;
}

function makeOpenOptions(token, ctx) {
  const options = token.getter === 'proto' ? Object.create({ mode: 'r' }) : {};
  for (const key of ['validate', 'mode', 'size', 'grow', 'populate']) {
    if (!isAbsent(token[key])) options[key] = materialize(token[key], ctx);
  }
  if (token.getter === 'throws') Object.defineProperty(options, 'validate', { get() { throw new FuzzSentinel(); }, enumerable: true });
  return options;
}

// ---------------------------------------------------------------- describing

function describe(token) {
  if (token === null || typeof token !== 'object') {
    if (Object.is(token, -0)) return '-0';
    const shown = util.inspect(token, { maxStringLength: 24 });
    return shown;
  }
  const { $: kind, ...fields } = token;
  if (kind === 'rel') return fields.base === 'page' ? `${fields.k}*PAGE${fields.d >= 0 ? '+' : ''}${fields.d}` : `${fields.base}${fields.d >= 0 ? '+' : ''}${fields.d}`;
  if (kind === 'sym') return 'Symbol(fuzz)';
  if (kind === 'absent') return '<absent>';
  if (kind === 'array') return `[${fields.items.map(describe).join(', ')}]`;
  const parts = Object.entries(fields).map(([key, value]) => `${key}: ${describe(value)}`);
  return `<${kind} ${parts.join(', ')}>`;
}

function describeCase(testCase, index) {
  const { method, subject, args, count, extra } = testCase;
  const shown = [...args, extra].slice(0, count).map(describe).join(', ');
  if (method.on === 'module' && !method.over) return `#${index} open(${shown})`;
  const file = `${subject.file}${subject.file === 'truncated' || subject.file === 'grown' ? (subject.writable ? ' r+' : ' r') : ''}` +
    `${subject.validate === 'fault' ? ' fault' : ''}${subject.populate ? ' populate' : ''}${subject.grow ? ' grow' : ''}`;
  const on = method.on === 'file' || method.over === 'file' ? `file(${file})` : `file(${file}).view(at ${subject.at}, length ${subject.length})` +
    `${subject.sub ? `.subarray(${subject.sub[0]}, ${subject.sub[1]})` : ''}`;
  const state = `${subject.closed ? ' [closed]' : ''}${subject.closeDuring ? ' [close during]' : ''}`;
  const call = method.over ? `->${method.name}(...).${method.name.endsWith('Source') ? 'slice' : 'read'}` : method.name;
  return `#${index} ${on}${state}.${call}(${shown})`;
}

// ---------------------------------------------------------------- running a case

function openSubject(lib, fixtures, subject) {
  const { paths, content } = fixtures;
  const options = { validate: subject.validate, populate: subject.populate, grow: subject.grow ? 'auto' : 'never' };
  switch (subject.file) {
    case 'ro': return { file: lib.open(paths.ro, options) };
    case 'empty': return { file: lib.open(paths.empty, options) };
    case 'rw': return { file: lib.open(paths.rw, { ...options, mode: 'r+' }) };
    case 'wplus': return { file: lib.open(paths.wplus, { ...options, mode: 'w+', size: mod(subject.cut, 3 * PAGE + 1) }) };
    case 'truncated': {  // mapped at full size, then cut on disk: past the cut is MappedFileTruncated
      fs.writeFileSync(paths.truncated, content);
      const file = lib.open(paths.truncated, { ...options, mode: subject.writable ? 'r+' : 'r' });
      return { file, afterView: () => fs.truncateSync(paths.truncated, mod(subject.cut, content.length)) };
    }
    default: {  // grown: mapped short, then extended on disk (grow: 'auto' and refresh() reach the rest)
      const cut = mod(subject.cut, content.length);
      fs.writeFileSync(paths.grown, content.subarray(0, cut));
      const file = lib.open(paths.grown, { ...options, mode: subject.writable ? 'r+' : 'r' });
      fs.appendFileSync(paths.grown, content.subarray(cut));
      return { file };
    }
  }
}

function makeContext(lib, fixtures, testCase) {
  const opened = [];
  const ctx = {
    fixtures, file: null, view: null, size: fixtures.content.length, afterCall: [],
    extraFile(which) {
      const file = lib.open(fixtures.paths[which]);
      opened.push(file);
      return file;
    },
    close() {
      for (const file of opened) file.close();
    },
  };
  if (testCase.method.on === 'module' && !testCase.method.over) return ctx;
  const { subject } = testCase;
  const { file, afterView } = openSubject(lib, fixtures, subject);
  opened.push(file);
  ctx.file = file;
  ctx.size = file.size;
  if (testCase.method.on === 'view' || testCase.method.over === 'view') {
    const at = mod(subject.at, file.size + 1);
    let view = file.view(at, mod(subject.length, file.size - at + 1));
    if (subject.sub) view = view.subarray(subject.sub[0], subject.sub[1]);
    ctx.view = view;
  }
  if (afterView) afterView();
  if (subject.closed) file.close();
  return ctx;
}

/** Makes the call; resolves to { returned } or { threw, sync } or { hang }. */
async function invoke(lib, testCase, ctx, args) {
  const { method } = testCase;
  let result;
  try {
    result = callMethod(lib, method, ctx, args);
  } catch (error) {
    return { threw: error, sync: true };
  } finally {
    for (const action of ctx.afterCall) action();
    if (testCase.subject.closeDuring && method.kind === 'async') ctx.file.close();
  }
  if (method.kind === 'async') {
    if (!result || typeof result.then !== 'function') return { returned: result, notAPromise: true };
    return settle(result);
  }
  if (method.kind === 'stream') return consumeStream(result, testCase, ctx);
  if (method.kind === 'iterator') {
    try {
      // A few chunks only: chunks(1) of a large view would take long, and
      // the iteration's reads are what can fail.
      let taken = 0;
      for (const chunk of result) {
        if (!Buffer.isBuffer(chunk)) return { threw: new Error('chunks() yielded a non-Buffer'), sync: true };
        if (++taken === 2 && testCase.subject.closeDuring) ctx.file.close();
        if (taken >= 4) break;
      }
    } catch (error) {
      return { threw: error, sync: true };
    }
  }
  return { returned: result };
}

function callMethod(lib, method, ctx, args) {
  switch (method.on) {
    case 'module':
      if (method.over === 'view') return lib[method.name](ctx.view).slice(...args);
      if (method.name === 'fsReader') return lib.fsReader(ctx.file).read(...args);
      if (method.name === 'fsReader.readAsync') return lib.fsReader(ctx.file).readAsync(...args);
      return lib.open(confinePath(args[0], ctx), ...args.slice(1));
    case 'file': {
      const { file } = ctx;
      if (method.name === 'dispose') return file[DISPOSE](...args);
      if (method.name === 'fileProperties') {
        return [file.path, file.size, file.closed, file.validate, file.mode, file.writable];
      }
      return file[method.name](...args);
    }
    default: {
      const { view } = ctx;
      if (method.name === 'inspect') return util.inspect(view);
      if (method.name === 'viewProperties') return [view.path, view.length, view.byteOffset, view.byteLength];
      return view[method.name](...args);
    }
  }
}

function settle(promise) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ hang: true }), CASE_TIMEOUT_MS);
    promise.then((value) => { clearTimeout(timer); resolve({ returned: value }); },
      (error) => { clearTimeout(timer); resolve({ threw: error, sync: false }); });
  });
}

function consumeStream(stream, testCase, ctx) {
  return new Promise((resolve) => {
    let chunks = 0;
    const done = (outcome) => { clearTimeout(timer); resolve(outcome); };
    const timer = setTimeout(() => { stream.destroy(); done({ hang: true }); }, CASE_TIMEOUT_MS);
    stream.on('data', () => {
      if (++chunks === 1 && testCase.subject.closeDuring) ctx.file.close();
    });
    stream.on('end', () => done({ returned: stream }));
    stream.on('error', (error) => done({ threw: error, sync: false }));
  });
}

// ---------------------------------------------------------------- classifying

/** The outcome's key if it is a documented one, else null. */
function documentedKey(error) {
  if (error === null || typeof error !== 'object') return null;
  if (error.fuzzSentinel === true) return 'FuzzSentinel (passed through)';
  const name = error.constructor && error.constructor.name;
  const { code } = error;
  if (typeof code === 'string') {
    if (DOCUMENTED_CODES[code] && DOCUMENTED_CODES[code].includes(name)) return `${name} ${code}`;
    if (MAPPED_FILE_CODES[name] === code) return `${name} ${code}`;
    if (name === 'AbortError' && code === 'ABORT_ERR') return `${name} ${code}`;
    if (name === 'Error' && /^E[A-Z0-9]+$/.test(code) && typeof error.syscall === 'string' && typeof error.errno === 'number') {
      return `${name} ${code} (${error.syscall})`;
    }
  }
  return null;
}

/**
 * The error (or null) of the same call on what the README says the method
 * behaves like: a Buffer of the view's length (a Uint8Array for set()), or
 * fs for open(), read()/readAsync() and createReadStream(). The oracle for errors without a code.
 */
function twinOutcome(method, ctx, args) {
  try {
    if (method.twin === 'fs.openSync') {
      fs.closeSync(fs.openSync(confinePath(args[0], ctx), 'r'));
    } else if (method.twin === 'fs.readSync') {
      const fd = fs.openSync(ctx.fixtures.paths.ro, 'r');
      try { fs.readSync(fd, ...args); } finally { fs.closeSync(fd); }
    } else if (method.twin === 'fs.createReadStream') {
      const stream = fs.createReadStream(ctx.fixtures.paths.ro, ...args);
      stream.on('error', () => {});
      stream.destroy();
    } else {
      const twin = Buffer.alloc(ctx.view.length);
      if (method.twin === 'set') Uint8Array.prototype.set.apply(twin, args);
      else twin[method.twin](...args);
    }
    return null;
  } catch (error) {
    return error;
  }
}

function includesToken(tokens, kind) {
  return tokens.some((token) => token !== null && typeof token === 'object' &&
    (token.kind === kind || Object.values(token).some((value) => Array.isArray(value) && includesToken(value, kind)) ||
      Object.values(token).some((value) => value !== null && typeof value === 'object' && !Array.isArray(value) && includesToken([value], kind))));
}

const errorText = (error) => {
  if (error === null || typeof error !== 'object') return `a thrown ${typeof error}: ${String(error)}`;
  const name = error.constructor && error.constructor.name;
  const code = error.code === undefined ? 'no code' : `code ${util.inspect(error.code)}`;
  return `${name} (${code}): ${String(error.message).slice(0, 200)}`;
};

function classify(testCase, ctx, args, outcome) {
  const { method } = testCase;
  if (outcome.hang) return { unexpected: `did not settle within ${CASE_TIMEOUT_MS} ms` };
  if (outcome.notAPromise) return { unexpected: `async method returned ${util.inspect(outcome.returned)}, not a Promise` };
  if (!('threw' in outcome)) return { key: 'returned' };
  const error = outcome.threw;
  if (outcome.sync && ASYNC_METHOD.has(method.name)) {
    return { unexpected: `threw synchronously from an async method (the README says errors become rejections): ${errorText(error)}` };
  }
  const key = documentedKey(error);
  if (key) return { key };
  // Touching a revoked Proxy the fuzz passed in throws from V8 itself: the
  // caller's object failing, like FuzzSentinel, wherever the library reads it.
  if (error && error.constructor && error.constructor.name === 'TypeError' && error.code === undefined &&
    /on a proxy that has been revoked$/.test(error.message) && includesToken(testCase.args, 'revokedProxy')) {
    return { key: 'TypeError (from a revoked Proxy passed in)' };
  }
  if (error && typeof error === 'object' && error.code === undefined && method.twin) {
    const twinError = twinOutcome(method, ctx, args);
    const name = error.constructor && error.constructor.name;
    const like = method.twin.startsWith('fs.') ? method.twin : 'Buffer';
    if (twinError && typeof twinError === 'object' && twinError.code === undefined &&
      twinError.constructor.name === name && twinError.message === error.message) {
      return { key: `${name} (no code, as ${like}): ${error.message}` };
    }
    return { unexpected: `${errorText(error)}; ${like} ${twinError ? `threw ${errorText(twinError)}` : 'returned normally'}` };
  }
  return { unexpected: errorText(error) };
}

// ---------------------------------------------------------------- the run

// Descriptors on the files the fuzz opens (/dev/null may be the host's own too:
// the caller compares before and after).
function countFixtureDescriptors({ paths }) {
  try {
    const special = new Set(['/dev/null', '/dev/zero', paths.fifo]);
    return fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith(paths.dir) || special.has(target) || /^\/proc\/\d+\/stat$/.test(target);
      } catch {
        return false;  // closed meanwhile (readdir's own descriptor)
      }
    }).length;
  } catch {
    return 0;  // no /proc
  }
}

/**
 * Runs `runs` generated cases against `lib` and returns
 * { seed, cases, outcomes, unexpectedCount, unexpected, methods, seconds, readOnlyUnchanged }.
 */
async function runBadInputFuzz(lib, { runs = 1000, seed = 1, dir, only } = {}) {
  if (!dir) throw new Error('runBadInputFuzz: dir is required');
  const started = Date.now();
  const fixtures = makeFixtures(dir, seed);
  const report = { seed, cases: 0, outcomes: {}, unexpectedCount: 0, unexpected: [], methods: {}, seconds: 0 };
  const record = (call, error) => {
    report.unexpectedCount++;
    if (report.unexpected.length < MAX_SAMPLES) report.unexpected.push({ call, error });
  };
  const wanted = only ? [...new Set(only)].sort((a, b) => a - b) : null;
  const descriptorsBefore = countFixtureDescriptors(fixtures);
  try {
    for (let batchStart = 0; batchStart < runs; batchStart += BATCH) {
      const batch = Math.floor(batchStart / BATCH);
      const size = Math.min(BATCH, runs - batchStart);
      if (wanted && !wanted.some((i) => i >= batchStart && i < batchStart + size)) continue;
      const cases = fc.sample(arbCase, { seed: (seed + batch * 0x9e3779b1) | 0, numRuns: size });
      for (let i = 0; i < cases.length; i++) {
        const index = batchStart + i;
        if (wanted && !wanted.includes(index)) continue;
        await runOne(lib, fixtures, cases[i], index, report, record);
      }
    }
  } finally {
    report.readOnlyUnchanged = checkReadOnlyFiles(fixtures, record);
    // Every case closes what it opened, and failed opens must not leak either.
    const leaked = countFixtureDescriptors(fixtures) - descriptorsBefore;
    if (leaked > 0) record('after all cases: open descriptors', `${leaked} more open on the fuzz's files than before`);
    report.seconds = (Date.now() - started) / 1000;
    fs.rmSync(fixtures.paths.dir, { recursive: true, force: true });
  }
  return report;
}

async function runOne(lib, fixtures, testCase, index, report, record) {
  const { method } = testCase;
  report.cases++;
  const name = `${method.on}.${method.name}`;
  report.methods[name] = (report.methods[name] || 0) + 1;
  let ctx;
  try {
    ctx = makeContext(lib, fixtures, testCase);
  } catch (error) {
    record(describeCase(testCase, index), `setting up the case failed: ${errorText(error)}`);
    return;
  }
  try {
    const args = [...testCase.args, testCase.extra].slice(0, testCase.count).map((token) => materialize(token, ctx));
    const started = performance.now();
    const outcome = await invoke(lib, testCase, ctx, args);
    const elapsed = performance.now() - started;
    const verdict = elapsed > CASE_TIMEOUT_MS && !outcome.hang ? { unexpected: `took ${Math.round(elapsed)} ms` }
      : classify(testCase, ctx, args, outcome);
    if (verdict.key) report.outcomes[verdict.key] = (report.outcomes[verdict.key] || 0) + 1;
    else record(describeCase(testCase, index), verdict.unexpected);
    if (method.name === 'open' && outcome.returned) outcome.returned.close();
  } catch (error) {
    record(describeCase(testCase, index), `the fuzz harness failed: ${errorText(error)}`);
  } finally {
    ctx.close();
  }
}

function checkReadOnlyFiles({ content, paths }, record) {
  let unchanged = true;
  for (const [file, expected] of [[paths.ro, content], [paths.empty, Buffer.alloc(0)]]) {
    const actual = fs.readFileSync(file);
    if (!actual.equals(expected)) {
      unchanged = false;
      record(`after all cases: ${path.basename(file)} on disk`,
        `a read-only file changed: ${actual.length} bytes, expected ${expected.length} unchanged bytes`);
    }
  }
  // Writes never extend a file: the r+ fixture keeps its size.
  if (fs.statSync(paths.rw).size !== content.length) {
    unchanged = false;
    record('after all cases: rw.bin on disk', `size ${fs.statSync(paths.rw).size}, expected ${content.length}`);
  }
  return unchanged;
}

const METHOD_NAMES = [...new Set(METHODS.map((m) => `${m.on}.${m.name}`))];

module.exports = { runBadInputFuzz, METHOD_NAMES, CASE_TIMEOUT_MS };

if (require.main === module) {
  // node scripts/fuzz-bad-input.js [runs] [seed]: a quick run against lib/.
  const os = require('node:os');
  const runs = Number(process.argv[2] || 1000);
  const seed = Number(process.argv[3] || 1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-fuzz-'));
  runBadInputFuzz(require('..'), { runs, seed, dir }).then((report) => {
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(JSON.stringify(report, null, 2));
    process.exit(report.unexpectedCount === 0 ? 0 : 1);
  });
}
