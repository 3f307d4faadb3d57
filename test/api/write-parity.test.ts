// Property-based Buffer parity for MappedView's writes (the scratch fuzzer
// /tmp/fuzz-write.js made into a fast-check property).
//
// fast-check generates a file (1 byte to a few pages; random bytes opened
// with mode 'r+', or a stale file of another size that mode 'w+' truncates
// and extends to a sparse file of zeros), a view of it at some offset
// (mostly non-zero), a chain of nested subarrays of that view, and a sequence
// of write operations with random arguments, valid and invalid: every
// numeric write (aliases included), writeUIntLE/BE and writeIntLE/BE,
// write(), fill() and set(). Each operation runs on the view (or one of its
// subarrays) and on the oracle: the same range of a Buffer holding the file's
// bytes. Both must return the same value (the view itself where Buffer
// returns itself) or throw errors of the same class and `code` (the rule in
// support/parity.ts); after each operation the view reads back the oracle's
// bytes. At the end the file is flushed (file.flush(), file.flush(range) or
// view.flush()), and fs.readFileSync must equal the oracle, with every byte
// outside the view as it was; the same again after close().
//
// SAFE_MMAP_FC_RUNS sets the base number of runs (default 60), as in
// test/api/view-properties.test.ts: the properties run RUNS * 17 scenarios, about
// 15,000 write operations by default (a few seconds).
// SAFE_MMAP_FC_REPORT=1 prints the counts.
//
// Edge cases that once differed from Buffer (set() with iterables and
// throwing elements, fill's encoding rules, BigInt writes' order of checks)
// are pinned one by one in the tests at the end.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import * as fc from 'fast-check';
import { open, MappedFile, MappedView, ValidationMode } from '../../src';
import { PAGE } from '../support/files';
import { useTempDir } from '../support/temp-dir';
import { prng } from '../support/random';
import { arbEncoding, arbJunk } from '../support/buffer-args';
import {
  assertProperty, call, describeCall, errorShape, expectSameOutcome, Outcome, outcomeOf, show,
} from '../support/parity';

const RUNS = Number(process.env.SAFE_MMAP_FC_RUNS) || 60;

const dir = useTempDir();

let fileCount = 0;
function freshPath(): string {
  return path.join(dir.path, `${fileCount++}.bin`);
}


function randomContent(size: number, seed: number): Buffer {
  const rand = prng(seed);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = Math.floor(rand() * 256);
  return bytes;
}

// ---------------------------------------------------------------------------
// Arguments

/**
 * An offset (or end) chosen relative to the length of the view the operation
 * runs on, known only when it runs: 'in' is a place where a write of the
 * operation's width fits (when one does), 'any' anything in [0, length + 1].
 */
class Rel {
  constructor(readonly n: number, readonly kind: 'in' | 'any') {}

  resolve(length: number, width: number): number {
    return this.kind === 'in' ? this.n % Math.max(1, length - width + 1) : this.n % (length + 2);
  }

  [fc.toStringMethod](): string {
    return `Rel(${this.kind}, ${this.n})`;
  }
}

const arbRelIn = fc.nat().map((n) => new Rel(n, 'in'));
const arbRelAny = fc.nat().map((n) => new Rel(n, 'any'));

// The scratch fuzzer's pools, and more.
const VALUES: readonly unknown[] = [
  0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, -32769, 65535, 65536, 70000, 2 ** 31 - 1, 2 ** 31,
  -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 47, 2 ** 48 - 1, 2 ** 48, -(2 ** 47), -(2 ** 47) - 1,
  2 ** 53, 1.5, -0.5, 0.5, -0, NaN, Infinity, -Infinity, 3.4028234663852886e38, 3.5e38, 1e-45, 1e-46,
  Number.MAX_VALUE, Number.MIN_VALUE, '7', '0x10', '', ' ', 'ab', '€x', 'zz', null, undefined, true, false, {}, [],
  [5], { valueOf: () => 3 }, new Number(9), 1n, -1n, 0n, 255n, 256n, 2n ** 63n - 1n, 2n ** 63n, -(2n ** 63n),
  -(2n ** 63n) - 1n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n), Symbol('value'),
];
const OFFSETS: readonly unknown[] = [0, 1, 3, 7, -1, 1.5, NaN, '1', undefined, null, 2 ** 53, Infinity, -0, true, 1n];
const BYTE_LENGTHS: readonly unknown[] = [1, 2, 3, 4, 5, 6, 0, 7, -1, 1.5, 6.5, '2', undefined, null, NaN, Infinity,
  -0, 2n, true, {}];
const STRINGS: readonly unknown[] = [
  'hello', '€€€', 'abcdef', '', 'ff00', 'f', 'fg', 'zz', 'abzz', 'YQ==', 'YWI', '-_-_', 'a\ud800', '\udc00b', '😀',
  'é', 'ÿĀ', '\u0000', 5, null, undefined, {}, Buffer.from('x'), true, 1n, Symbol('string'),
];
const FILL_VALUES: readonly unknown[] = [
  ...VALUES, Buffer.from('xy'), Buffer.from([0]), Buffer.alloc(0), new Uint8Array(0), new Uint8Array([1, 2, 3]),
  new Uint16Array([258]), new Float32Array([1.5]), new Int8Array([-2]), new DataView(new Uint8Array([7, 8]).buffer),
  new Uint8Array([0, 1, 2, 3, 4]).subarray(1, 4), ...STRINGS.filter((s) => typeof s === 'string'),
];
const ENCODING_WORDS = ['utf8', 'hex', 'latin1', 'ucs2', 'utf16le', 'base64', 'base64url', 'ascii', 'binary', 'nope', ''];

// Sources for set(): typed arrays, array-likes, and values TypedArray#set
// treats oddly (iterables whose iterator it ignores, elements that throw).
const SET_SOURCES: readonly unknown[] = [
  Buffer.from([9, 8, 7]), [1, 2, 3], new Uint16Array([300, 2]), new Float64Array([1.5, -1, 256.7, NaN]),
  new Int8Array([-1, -128]), new Uint8ClampedArray([255]), [], Buffer.alloc(0), 'abc', '12', 5, { length: 2, 0: 7 },
  { length: 3, 0: '4', 2: null }, { length: -1 }, { length: '2', 0: 1, 1: 2 }, [1, , 3], [true, '9', null, [], {}],
  [256, -1, 1.5, -0.5, Infinity, NaN], new Uint8Array([5, 6, 7, 8, 9]).subarray(1, 3), null, undefined,
  new BigInt64Array([1n]), new Set([1, 2]), new Map([[1, 2]]), '😀', [1, Symbol('s')], [1, 2n],
  { length: 2, 0: 65, 1: 66, *[Symbol.iterator]() { yield 1; } },
];

/** The first `arity` of `args` (at least minArity), so that arguments.length varies too. */
function withArity(args: fc.Arbitrary<unknown>[], minArity = 0): fc.Arbitrary<unknown[]> {
  return fc.tuple(fc.tuple(...args), fc.integer({ min: minArity, max: args.length }))
    .map(([all, arity]) => all.slice(0, arity));
}

const arbOffset: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 10, arbitrary: arbRelIn },
  { weight: 3, arbitrary: arbRelAny },
  { weight: 1, arbitrary: fc.constantFrom(...OFFSETS) },
  { weight: 1, arbitrary: arbJunk },
  { weight: 1, arbitrary: fc.integer({ min: -5, max: 3 * PAGE + 200 }) },
  { weight: 1, arbitrary: fc.double() },
);

// Offsets and lengths of write() and fill(), which may be encodings instead.
const arbWriteOffset: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: arbOffset },
  { weight: 2, arbitrary: fc.constantFrom(undefined, ...ENCODING_WORDS) },
);
const arbLengthOrEnd: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: arbRelAny },
  { weight: 2, arbitrary: fc.constantFrom(undefined, 0, 1, 2, 5, 100, -1, 2.5, NaN, '3', null, 2 ** 53) },
  { weight: 2, arbitrary: fc.constantFrom(...ENCODING_WORDS) },
  { weight: 1, arbitrary: arbJunk },
);

const arbNumber: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 2, arbitrary: fc.integer({ min: -300, max: 70000 }) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 32), max: 2 ** 33 }) },
  { weight: 1, arbitrary: fc.maxSafeInteger() },
  { weight: 2, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.float().map(Number) },
);
const arbBigIntValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 2, arbitrary: fc.bigIntN(64) },
  { weight: 2, arbitrary: fc.bigUintN(64) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 66n), max: 2n ** 66n }) },
  { weight: 1, arbitrary: fc.integer() },
);
const arbIntValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...VALUES) },
  { weight: 3, arbitrary: fc.integer({ min: -(2 ** 48), max: 2 ** 48 }) },
  { weight: 1, arbitrary: fc.integer({ min: -300, max: 300 }) },
  { weight: 1, arbitrary: fc.double() },
);
const arbString: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },  // lone surrogates, astral characters
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxz'), maxLength: 9 }) },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '\ud800', '\u0000'), maxLength: 40 }) },
);
const arbFillValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FILL_VALUES) },
  { weight: 2, arbitrary: fc.integer({ min: -300, max: 600 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: arbString },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 5 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 5 }) },
);
const arbSetSource: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SET_SOURCES) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 2, arbitrary: fc.array(fc.integer({ min: -300, max: 300 }), { maxLength: 10 }) },
  { weight: 1, arbitrary: fc.array(fc.double(), { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.uint16Array({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.float64Array({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.int32Array({ maxLength: 6 }) },
);
const arbSetOffset: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: arbRelIn },
  { weight: 3, arbitrary: arbRelAny },
  { weight: 1, arbitrary: fc.constantFrom(...OFFSETS, -0.5, 2.7, -2, { valueOf: () => 1 }, '2', [1], new Date(0)) },
  { weight: 1, arbitrary: fc.double() },
);

// ---------------------------------------------------------------------------
// Operations

const WIDTH_1 = ['writeUInt8', 'writeInt8', 'writeUint8'];
const WIDTH_2 = ['writeUInt16LE', 'writeUInt16BE', 'writeInt16LE', 'writeInt16BE', 'writeUint16LE', 'writeUint16BE'];
const WIDTH_4 = ['writeUInt32LE', 'writeUInt32BE', 'writeInt32LE', 'writeInt32BE', 'writeUint32LE', 'writeUint32BE',
  'writeFloatLE', 'writeFloatBE'];
const WIDTH_8 = ['writeDoubleLE', 'writeDoubleBE'];
const BIGINT = ['writeBigUInt64LE', 'writeBigUInt64BE', 'writeBigInt64LE', 'writeBigInt64BE', 'writeBigUint64LE',
  'writeBigUint64BE'];
const VARIABLE = ['writeUIntLE', 'writeUIntBE', 'writeIntLE', 'writeIntBE', 'writeUintLE', 'writeUintBE'];
/** A write on one of the scenario's views: `target` picks it (modulo the number of views). */
interface Op { target: number; method: string; args: unknown[]; width: number }

function fixedWidth(methods: string[], width: number, value: fc.Arbitrary<unknown>): fc.Arbitrary<Op> {
  return fc.record({
    target: fc.nat(),
    method: fc.constantFrom(...methods),
    args: withArity([value, arbOffset]),
    width: fc.constant(width),
  });
}

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fixedWidth(WIDTH_1, 1, arbNumber) },
  { weight: 2, arbitrary: fixedWidth(WIDTH_2, 2, arbNumber) },
  { weight: 2, arbitrary: fixedWidth(WIDTH_4, 4, arbNumber) },
  { weight: 1, arbitrary: fixedWidth(WIDTH_8, 8, arbNumber) },
  { weight: 2, arbitrary: fixedWidth(BIGINT, 8, arbBigIntValue) },
  {
    weight: 3,
    arbitrary: fc.record({
      target: fc.nat(),
      method: fc.constantFrom(...VARIABLE),
      args: withArity([arbIntValue, arbOffset, fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }) },
        { weight: 1, arbitrary: fc.constantFrom(...BYTE_LENGTHS) },
      )], 0),
    }).map((op) => {
      const byteLength = op.args[2];
      const width = typeof byteLength === 'number' && byteLength >= 1 && byteLength <= 6 ? Math.floor(byteLength) : 1;
      return { ...op, width };
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      target: fc.nat(),
      method: fc.constant('write'),
      args: withArity([arbString, arbWriteOffset, arbLengthOrEnd, arbEncoding], 1),
      width: fc.constant(0),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      target: fc.nat(),
      method: fc.constant('fill'),
      args: withArity([arbFillValue, arbWriteOffset, arbLengthOrEnd, arbEncoding], 0),
      width: fc.constant(0),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      target: fc.nat(),
      method: fc.constant('set'),
      args: withArity([arbSetSource, arbSetOffset], 1),
      width: fc.constant(0),
    }).map((op) => {
      // A place where the whole source fits, for 'in' offsets.
      const source = op.args[0] as { length?: unknown } | null | undefined;
      const length = source != null && typeof source.length === 'number' ? Math.max(0, source.length) : 0;
      return { ...op, width: length };
    }),
  },
);

// ---------------------------------------------------------------------------
// Scenarios

const SIZES = [1, 2, 3, 5, 8, 17, 64, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE - 3, 2 * PAGE + 3, 3 * PAGE + 5];

type Flush = 'file.flush()' | 'file.flush(view range)' | 'view.flush()' | 'innermost view.flush()' | 'none';

interface Scenario {
  size: number;
  /** 'r+': the file holds random bytes. 'w+': a stale file of staleSize bytes, truncated to size by open(). */
  mode: 'r+' | 'w+';
  staleSize: number;
  validate: ValidationMode;
  seed: number;
  /** file.view(start, length): resolved against the file's size (start mostly non-zero). */
  start: number;
  length: number | 'omitted' | 'rest';
  /** subarray(...args) of the view, then of that subarray, and so on. */
  nesting: unknown[][];
  ops: Op[];
  flush: Flush;
}

const arbSubarrayIndex: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -70, max: 70 }) },
  { weight: 2, arbitrary: fc.integer({ min: -3 * PAGE, max: 3 * PAGE }) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, -0, 1.5, -1.5, NaN, Infinity, -Infinity, '2', null) },
);

function arbScenario(minOps: number, maxOps: number): fc.Arbitrary<Scenario> {
  return fc.record({
    size: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...SIZES) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 * PAGE + 64 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) },
    ),
    mode: fc.constantFrom<'r+' | 'w+'>('r+', 'r+', 'w+'),
    staleSize: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 * PAGE })),
    validate: fc.constantFrom<ValidationMode>('always', 'fault'),
    seed: fc.nat(),
    start: fc.oneof(
      { weight: 1, arbitrary: fc.constant(0) },
      { weight: 6, arbitrary: fc.nat() },
      { weight: 2, arbitrary: fc.constantFrom(1, PAGE - 3, PAGE - 1, PAGE + 1, 2 * PAGE - 5) },
    ),
    length: fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom<'omitted' | 'rest'>('omitted', 'rest') },
      { weight: 4, arbitrary: fc.nat() },
    ),
    nesting: fc.array(withArity([arbSubarrayIndex, arbSubarrayIndex]), { maxLength: 3 }),
    ops: fc.array(arbOp, { minLength: minOps, maxLength: maxOps, size: 'medium' }),
    flush: fc.constantFrom<Flush>('file.flush()', 'file.flush(view range)', 'view.flush()', 'innermost view.flush()',
      'none'),
  });
}

/** A view and its oracle: the same range of `whole`, the Buffer standing for the file. */
interface Level { label: string; view: MappedView; buf: Buffer }

const SELF = Symbol('returned itself');

let operations = 0;

function runScenario(s: Scenario): void {
  const filePath = freshPath();
  let initial: Buffer;
  let file: MappedFile;
  if (s.mode === 'r+') {
    initial = randomContent(s.size, s.seed);
    fs.writeFileSync(filePath, initial);
    file = open(filePath, { mode: 'r+', validate: s.validate });
  } else {
    if (s.staleSize > 0) fs.writeFileSync(filePath, randomContent(s.staleSize, s.seed));
    file = open(filePath, { mode: 'w+', size: s.size, validate: s.validate });
    initial = Buffer.alloc(s.size);
    expect(fs.readFileSync(filePath).equals(initial)).toBe(true);
  }
  try {
    expect(file.size).toBe(s.size);
    expect(file.writable).toBe(true);
    // Buffer.alloc, never the pool: `whole` starts at byteOffset 0.
    const whole = Buffer.alloc(s.size);
    initial.copy(whole);

    const start = s.start <= s.size ? s.start : 1 + (s.start % s.size);
    const rest = s.size - start;
    const length = typeof s.length === 'number' ? s.length % (rest + 1) : rest;
    const viewArgs = s.length === 'omitted' ? [start] : [start, length];
    const base: Level = {
      label: `file(${s.size} B, '${s.mode}', '${s.validate}').view(${viewArgs.join(', ')})`,
      view: file.view(...viewArgs),
      buf: whole.subarray(start, start + length),
    };
    const levels: Level[] = [base];
    for (const args of s.nesting) {
      const outer = levels[levels.length - 1];
      const label = describeCall(outer.label, 'subarray', args);
      const buf = outer.buf.subarray(...(args as [number, number]));
      const view = outer.view.subarray(...(args as [number, number]));
      expect({ label, length: view.length, byteOffset: view.byteOffset })
        .toEqual({ label, length: buf.length, byteOffset: buf.byteOffset });
      levels.push({ label, view, buf });
    }

    for (const op of s.ops) {
      const level = levels[op.target % levels.length];
      const args = op.args.map((arg) => (arg instanceof Rel ? arg.resolve(level.view.length, op.width) : arg));
      const label = describeCall(level.label, op.method, args);
      operations++;
      expectSameOutcome(
        () => { const r = call(level.buf, op.method, args); return r === level.buf ? SELF : r; },
        () => { const r = call(level.view, op.method, args); return r === level.view ? SELF : r; },
        label);
      // The bytes the view reads back are the oracle's (a write in the wrong place shows at once).
      expectSameOutcome(() => base.buf, () => base.view.snapshot(), () => `after ${label}: ${base.label}.snapshot()`);
    }

    switch (s.flush) {
      case 'file.flush()': file.flush(); break;
      case 'file.flush(view range)': file.flush(base.view.byteOffset, base.view.length); break;
      case 'view.flush()': base.view.flush(); break;
      case 'innermost view.flush()': levels[levels.length - 1].view.flush(); break;
      case 'none': break;
    }
    expectFileBytes(filePath, whole, initial, start, length, `after ${s.flush}`);
    file.close();
    expectFileBytes(filePath, whole, initial, start, length, 'after close()');
  } finally {
    file.close();
    fs.rmSync(filePath, { force: true });
  }
}

/** The file on disk is the oracle, and outside [start, start + length) it is the initial content. */
function expectFileBytes(filePath: string, whole: Buffer, initial: Buffer, start: number, length: number,
  when: string): void {
  const disk = fs.readFileSync(filePath);
  expect({ when, size: disk.length }).toEqual({ when, size: whole.length });
  if (!disk.equals(whole)) {
    const at = disk.findIndex((byte, i) => byte !== whole[i]);
    throw new Error(`${when}: the file differs from the oracle at byte ${at}: ${disk[at]} != ${whole[at]}`);
  }
  expect(disk.subarray(0, start).equals(initial.subarray(0, start))).toBe(true);
  expect(disk.subarray(start + length).equals(initial.subarray(start + length))).toBe(true);
}

function report(name: string, made: number, runs: number): void {
  if (process.env.SAFE_MMAP_FC_REPORT === '1') {
    console.log(`${name}: ${runs} scenarios, ${made} comparisons, ${operations} write operations so far`);
  }
}

describe('writes through a view match the same writes to a Buffer', () => {
  test('random write sequences on views and nested subarrays; the file holds the result after flush', () => {
    const runs = RUNS * 10;
    const before = operations;
    const made = assertProperty(fc.property(arbScenario(1, 40), (s) => runScenario(s)), runs);
    expect(operations - before).toBeGreaterThanOrEqual(runs * 10);
    report('mixed', made, runs);
  });

  test('single writes on tiny files (1 to 9 bytes), where most arguments are out of range', () => {
    const runs = RUNS * 5;
    const tiny = arbScenario(1, 3).chain((s) => fc.integer({ min: 1, max: 9 }).map((size) => ({ ...s, size })));
    const made = assertProperty(fc.property(tiny, (s) => runScenario(s)), runs);
    report('tiny', made, runs);
  });

  test('the scratch fuzzer\'s sequences: 20 writes on a 1..40-byte view at offset 5', () => {
    const runs = RUNS * 2;
    const arb = arbScenario(20, 20).chain((s) => fc.integer({ min: 1, max: 40 }).map((length): Scenario => ({
      ...s, mode: 'r+', size: length + 5, start: 5, length: 'omitted', nesting: [],
    })));
    const made = assertProperty(fc.property(arb, (s) => runScenario(s)), runs);
    report('fuzzer', made, runs);
  });

  test('a write on the page boundary of a multi-page view lands on both pages', () => {
    const filePath = freshPath();
    const content = randomContent(3 * PAGE, 7);
    fs.writeFileSync(filePath, content);
    const file = open(filePath, { mode: 'r+' });
    try {
      const view = file.view(3, 2 * PAGE);
      const buf = Buffer.from(content).subarray(3, 3 + 2 * PAGE);
      for (const at of [PAGE - 3 - 1, PAGE - 3 - 3, PAGE - 3 - 7, 2 * PAGE - 8]) {
        expectSameOutcome(() => buf.writeBigUInt64BE(0x0102030405060708n, at),
          () => view.writeBigUInt64BE(0x0102030405060708n, at), `writeBigUInt64BE at ${at}`);
      }
      expectSameOutcome(() => buf.write('€😀€😀', PAGE - 3 - 5), () => view.write('€😀€😀', PAGE - 3 - 5), 'write');
      expectSameOutcome(() => buf.fill('ab', PAGE - 4, PAGE + 3) === buf,
        () => view.fill('ab', PAGE - 4, PAGE + 3) === view, 'fill');
      expect(view.set([1, 2, 3, 4], PAGE - 5)).toBeUndefined();
      buf.set([1, 2, 3, 4], PAGE - 5);
      file.flush();
      const expected = Buffer.from(content);
      buf.copy(expected, 3);
      expect(fs.readFileSync(filePath).equals(expected)).toBe(true);
    } finally {
      file.close();
    }
  });
});

// ---------------------------------------------------------------------------
// Mode 'w+'

describe("mode 'w+'", () => {
  const SIZE = 3 * PAGE + 5;

  test('creates a sparse file of `size` bytes; writes land after flush', () => {
    const filePath = freshPath();
    expect(fs.existsSync(filePath)).toBe(false);
    const file = open(filePath, { mode: 'w+', size: SIZE });
    try {
      expect(file.mode).toBe('w+');
      expect(file.writable).toBe(true);
      expect(file.size).toBe(SIZE);
      expect(file.fileSize()).toBe(SIZE);
      const stat = fs.statSync(filePath);
      expect(stat.isFile()).toBe(true);
      expect(stat.size).toBe(SIZE);
      // ftruncate, not written zeros: no data blocks yet (allow one page for filesystems that allocate eagerly).
      expect(stat.blocks * 512).toBeLessThanOrEqual(PAGE);
      expect(file.view().snapshot().equals(Buffer.alloc(SIZE))).toBe(true);

      const expected = Buffer.alloc(SIZE);
      const view = file.view(PAGE - 2);  // straddles three page boundaries and ends at the file's last byte
      const buf = expected.subarray(PAGE - 2);
      expect(view.writeUInt32BE(0xdeadbeef, 0)).toBe(buf.writeUInt32BE(0xdeadbeef, 0));
      expect(view.write('hello, mapping', PAGE)).toBe(buf.write('hello, mapping', PAGE));
      expect(view.fill(0x5a, 2 * PAGE - 1, 2 * PAGE + 5)).toBe(view);
      buf.fill(0x5a, 2 * PAGE - 1, 2 * PAGE + 5);
      expect(view.writeUInt8(0xff, view.length - 1)).toBe(buf.writeUInt8(0xff, buf.length - 1));
      view.set([1, 2, 3], 100);
      buf.set([1, 2, 3], 100);
      file.flush();
      expect(fs.readFileSync(filePath).equals(expected)).toBe(true);
      expect(fs.statSync(filePath).size).toBe(SIZE);
    } finally {
      file.close();
    }
    expect(fs.readFileSync(filePath).length).toBe(SIZE);
  });

  test('truncates an existing larger file to `size`, all zeros', () => {
    const filePath = freshPath();
    fs.writeFileSync(filePath, randomContent(5 * PAGE + 11, 3));
    const file = open(filePath, { mode: 'w+', size: SIZE });
    try {
      expect(file.size).toBe(SIZE);
      expect(fs.statSync(filePath).size).toBe(SIZE);
      expect(fs.readFileSync(filePath).equals(Buffer.alloc(SIZE))).toBe(true);
      file.view(SIZE - 3).write('xyz');
      file.flush(SIZE - 3, 3);
      const expected = Buffer.alloc(SIZE);
      expected.write('xyz', SIZE - 3);
      expect(fs.readFileSync(filePath).equals(expected)).toBe(true);
    } finally {
      file.close();
    }
  });

  test('truncates an existing smaller file and extends it to `size` with zeros', () => {
    const filePath = freshPath();
    fs.writeFileSync(filePath, randomContent(100, 4));
    const file = open(filePath, { mode: 'w+', size: SIZE });
    try {
      expect(fs.readFileSync(filePath).equals(Buffer.alloc(SIZE))).toBe(true);
      expect(file.view().snapshot().equals(Buffer.alloc(SIZE))).toBe(true);
    } finally {
      file.close();
    }
  });

  test('size 0 makes an empty file', () => {
    const filePath = freshPath();
    fs.writeFileSync(filePath, 'old contents');
    const file = open(filePath, { mode: 'w+', size: 0 });
    try {
      expect(file.size).toBe(0);
      expect(fs.statSync(filePath).size).toBe(0);
      const view = file.view();
      expect(view.length).toBe(0);
      expectSameOutcome(() => Buffer.alloc(0).writeUInt8(1, 0), () => view.writeUInt8(1, 0), 'writeUInt8 on empty');
      expect(view.write('abc')).toBe(0);
      file.flush();
    } finally {
      file.close();
    }
  });

  test('flushAsync on the file and on a view', async () => {
    const filePath = freshPath();
    const file = open(filePath, { mode: 'w+', size: SIZE });
    try {
      const view = file.view(PAGE + 1, 10);
      view.write('0123456789');
      await view.flushAsync();
      await file.flushAsync();
      await file.flushAsync(PAGE, 20);
      const expected = Buffer.alloc(SIZE);
      expected.write('0123456789', PAGE + 1);
      expect(fs.readFileSync(filePath).equals(expected)).toBe(true);
    } finally {
      file.close();
    }
  });
});

// ---------------------------------------------------------------------------
// Mismatches with Buffer that the properties above once found, pinned. Each
// test makes the same call on a Buffer and on a view of a file holding the
// same bytes, and compares the outcome (value, or error class and code) and
// the bytes after it.

interface KnownCase {
  label: string;
  /** The file's bytes; the view is file.view(start) and the oracle the same range of a Buffer. */
  content: string;
  start?: number;
  method: string;
  /** Called once per side, so that iterators and getters start fresh. */
  args: () => unknown[];
}

// The parity rule: the value returned (the view itself where Buffer returns itself), or the error's class and code.
function shape(outcome: Outcome, self: unknown): string {
  if (outcome.threw) return `threw ${errorShape(outcome.error)}`;
  return outcome.value === self ? 'returned itself' : show(outcome);
}

function expectKnownCaseMatches({ label, content, start = 0, method, args }: KnownCase): void {
  const filePath = freshPath();
  fs.writeFileSync(filePath, content);
  const whole = Buffer.alloc(content.length);
  whole.write(content, 'latin1');
  const buf = whole.subarray(start);
  const file = open(filePath, { mode: 'r+' });
  let actual: string;
  try {
    const view = file.view(start);
    actual = shape(outcomeOf(() => call(view, method, args())), view);
    file.flush();
  } finally {
    file.close();
  }
  const expected = shape(outcomeOf(() => call(buf, method, args())), buf);
  expect({ label, outcome: actual, bytes: fs.readFileSync(filePath).toString('hex') })
    .toEqual({ label, outcome: expected, bytes: whole.toString('hex') });
}

describe('edge cases that once differed from Buffer', () => {
  // Buffer#set is TypedArray#set: a source that is not a typed array is read
  // as an array-like (its `length`, then each index, converted and stored one
  // element at a time) after the bounds check; a typed array's content type
  // is checked after the bounds too. The view converts the whole source with
  // Uint8Array.from first: that takes the source's iterator when it has one,
  // converts every element before the bounds are checked, and stores nothing
  // when a conversion throws part-way.
  test.each<KnownCase>([
    { label: 'set(new Set([1, 2]))', content: 'abcdefgh', method: 'set', args: () => [new Set([1, 2])] },
    { label: 'set(new Map([[1, 2]]))', content: 'abcdefgh', method: 'set', args: () => [new Map([[1, 2]])] },
    {
      label: 'set(a generator yielding 7)', content: 'abcdefgh', method: 'set',
      args: () => [(function* () { yield 7; })()],
    },
    {
      label: 'set({ length: 2, 0: 65, 1: 66, [Symbol.iterator]: yields 1 })', content: 'abcdefgh', method: 'set',
      args: () => [{ length: 2, 0: 65, 1: 66, *[Symbol.iterator]() { yield 1; } }],
    },
    { label: "set('😀') (iterates 1 code point, has length 2)", content: 'abcdefgh', method: 'set', args: () => ['😀'] },
    { label: 'set([1, Symbol()], 0)', content: 'abcdefgh', method: 'set', args: () => [[1, Symbol('s')], 0] },
    { label: 'set([1, 2n], 0)', content: 'abcdefgh', method: 'set', args: () => [[1, 2n], 0] },
    {
      label: 'set([9, <getter that throws>], 0)', content: 'abcdefgh', method: 'set',
      args: () => [Object.defineProperty([9, 0], '1', { get() { throw new SyntaxError('getter'); } }), 0],
    },
    { label: 'set([Symbol()], 100)', content: 'abcdefgh', method: 'set', args: () => [[Symbol('s')], 100] },
    { label: 'set([1, 2n], 7) on 8 bytes', content: 'abcdefgh', method: 'set', args: () => [[1, 2n], 7] },
    {
      label: 'set(new BigInt64Array(1), 100)', content: 'abcdefgh', method: 'set',
      args: () => [new BigInt64Array(1), 100],
    },
  ])('set(): TypedArray#set semantics: $label', (known) => expectKnownCaseMatches(known));

  // Buffer#fill normalizes its encoding with lib/internal/util.js
  // normalizeEncoding: '' is 'utf8'; an object is looked at by its `length`
  // (so ['hex'] and { toString: () => 'hex' } are not encodings:
  // ERR_INVALID_ARG_TYPE), and one it accepts (new String('hex')) is then
  // handed to C++ as it is, which fills UTF-8; a Symbol gets
  // ERR_INVALID_ARG_TYPE. The view coerces the encoding with `+ ''` and
  // checks it with Buffer.isEncoding.
  test.each<KnownCase>([
    { label: "fill('x', '')", content: 'abcdefgh', method: 'fill', args: () => ['x', ''] },
    { label: "fill('xy', 0, 8, '')", content: 'abcdefgh', method: 'fill', args: () => ['xy', 0, 8, ''] },
    { label: "fill('é', 2, '')", content: 'abcdefgh', method: 'fill', args: () => ['é', 2, ''] },
    { label: "fill('', '')", content: 'abcdefgh', method: 'fill', args: () => ['', ''] },
    {
      label: "fill('6162', 0, 8, { toString: () => 'hex' })", content: 'abcdefgh', method: 'fill',
      args: () => ['6162', 0, 8, { toString: () => 'hex' }],
    },
    { label: "fill('6162', 0, 8, ['hex'])", content: 'abcdefgh', method: 'fill', args: () => ['6162', 0, 8, ['hex']] },
    {
      label: "fill('6162', 0, 8, new String('hex'))", content: 'abcdefgh', method: 'fill',
      args: () => ['6162', 0, 8, new String('hex')],
    },
    {
      label: "fill('6162', 0, 8, Symbol('hex'))", content: 'abcdefgh', method: 'fill',
      args: () => ['6162', 0, 8, Symbol('hex')],
    },
  ])('fill(): encodings as Buffer#fill normalizes them: $label', (known) => expectKnownCaseMatches(known));

  // node_buffer.cc Fill returns before it looks at the value's length when
  // there is nothing to fill (0 bytes of value >= 0 bytes to fill); the view
  // rejects an empty value first. (With an offset, both return early in JS.)
  test.each<KnownCase>([
    { label: 'fill(new Uint8Array(0)) on an empty view', content: 'ab', start: 2, method: 'fill', args: () => [new Uint8Array(0)] },
    { label: 'fill(Buffer.alloc(0)) on an empty view', content: 'ab', start: 2, method: 'fill', args: () => [Buffer.alloc(0)] },
    {
      label: 'fill(new Float32Array(0), undefined, undefined, "hex") on an empty view', content: 'ab', start: 2,
      method: 'fill', args: () => [new Float32Array(0), undefined, undefined, 'hex'],
    },
  ])('fill(): an empty value on an empty view: $label', (known) => expectKnownCaseMatches(known));

  // Buffer's writeBig(U)Int64: checkInt compares the value with the range
  // (which throws for a Symbol, or an object whose valueOf throws or gives a
  // Symbol), throws ERR_OUT_OF_RANGE for a value outside it, and only then
  // checks the offset. The view treats every error from its encode step that
  // is not `instanceof RangeError` as "not a BigInt" and checks the offset
  // first. That catches the comparison's TypeError (in any realm), and, under
  // jest, Node's own RangeError too: Buffer's errors come from Node's realm,
  // and src/view.ts's `RangeError` is the test sandbox's. (An offset that
  // fails with ERR_OUT_OF_RANGE hides the latter: same class, same code.)
  test.each<KnownCase>([
    {
      label: 'writeBigUInt64LE(Symbol(), 100)', content: 'abcdefghij', method: 'writeBigUInt64LE',
      args: () => [Symbol('v'), 100],
    },
    {
      label: 'writeBigInt64BE({ valueOf() { throw } }, 5)', content: 'abcdefghij', method: 'writeBigInt64BE',
      args: () => [{ valueOf() { throw new SyntaxError('valueOf'); } }, 5],
    },
    {
      label: "writeBigInt64LE(Symbol(), 'x')", content: 'abcdefghij', method: 'writeBigInt64LE',
      args: () => [Symbol('v'), 'x'],
    },
    {
      label: 'writeBigUInt64LE(-1n) on a 1-byte view (jest realm)', content: 'a', method: 'writeBigUInt64LE',
      args: () => [-1n],
    },
    {
      label: 'writeBigUInt64BE(-1) on a 1-byte view (jest realm)', content: 'a', method: 'writeBigUInt64BE',
      args: () => [-1],
    },
    {
      label: "writeBigInt64LE(2n ** 63n, '0') (jest realm)", content: 'abcdefghij', method: 'writeBigInt64LE',
      args: () => [2n ** 63n, '0'],
    },
    {
      label: 'writeBigUint64LE(2n ** 64n, null) (jest realm)', content: 'abcdefghij', method: 'writeBigUint64LE',
      args: () => [2n ** 64n, null],
    },
  ])('BigInt writes check the value before the offset: $label', (known) => expectKnownCaseMatches(known));
});
