// Buffer is the oracle: every MappedView method, called with the same
// arguments as the same method of a Buffer holding the same bytes
// (fs.readFileSync(path).subarray(same range)), must return an equal value or
// throw an error of the same class with the same `code`.
//
// Random argument generation uses fast-check; SAFE_MMAP_FC_RUNS raises the
// number of runs per property (default kept small so the file stays fast).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { isUint8Array } from 'node:util/types';
import * as fc from 'fast-check';
import { open, MappedFile, MappedView, ValidationMode } from '../src';
import { READS } from './support/reads';

const RUNS = Number(process.env.SAFE_MMAP_FC_RUNS) || 60;
const PAGE = 4096;

// ---------------------------------------------------------------------------
// The comparison rule

type Outcome = { threw: false; value: unknown } | { threw: true; error: unknown };

function outcomeOf(call: () => unknown): Outcome {
  try {
    return { threw: false, value: call() };
  } catch (error) {
    return { threw: true, error };
  }
}

// Bytes compare by content (and both must be Buffers or both not); anything
// else with Object.is, so NaN equals NaN and bigints compare by value.
function sameValue(a: unknown, b: unknown): boolean {
  if (isUint8Array(a) || isUint8Array(b)) {
    return isUint8Array(a) && isUint8Array(b) && Buffer.isBuffer(a) === Buffer.isBuffer(b) &&
      a.length === b.length && Buffer.compare(a, b) === 0;
  }
  return Object.is(a, b);
}

// Buffer's errors come from Node's own realm and the view's from jest's
// sandbox, so the classes are compared by name rather than by identity.
function errorShape(error: unknown): string {
  if (error === null || typeof error !== 'object') return `non-object thrown: ${inspect(error)}`;
  const constructorName = (error as object).constructor?.name;
  return `${constructorName} code=${String((error as { code?: unknown }).code)}`;
}

function show(outcome: Outcome): string {
  if (!outcome.threw) {
    const { value } = outcome;
    if (isUint8Array(value)) {
      const hex = Buffer.from(value.buffer, value.byteOffset, value.length).toString('hex');
      return `returned ${Buffer.isBuffer(value) ? 'Buffer' : 'Uint8Array'}(${value.length}) ${hex.slice(0, 80)}`;
    }
    return `returned ${inspect(value, { maxStringLength: 80 })}`;
  }
  const message = (outcome.error as { message?: unknown })?.message;
  return `threw ${errorShape(outcome.error)} (${String(message)})`;
}

let comparisons = 0;

/** Runs both calls; both must return equal values, or both throw alike. */
function expectSameOutcome(bufferCall: () => unknown, viewCall: () => unknown,
  label: string | (() => string) = ''): Outcome {
  comparisons++;
  const expected = outcomeOf(bufferCall);
  const actual = outcomeOf(viewCall);
  const same = expected.threw
    ? actual.threw && errorShape(expected.error) === errorShape(actual.error)
    : !actual.threw && sameValue(expected.value, actual.value);
  if (!same) {
    const where = typeof label === 'function' ? label() : label;
    throw new Error(`${where}\n  Buffer: ${show(expected)}\n  view:   ${show(actual)}`);
  }
  return expected;
}

type Method = (...args: unknown[]) => unknown;
function call(target: object, method: string, args: readonly unknown[]): unknown {
  return (target as Record<string, Method>)[method](...args);
}
function describeCall(label: string, method: string, args: readonly unknown[]): string {
  return `${label}: .${method}(${args.map((arg) => inspect(arg)).join(', ')})`;
}

/** fc.assert, then proof that the property really compared something on every run. */
function assertProperty<T>(property: fc.IProperty<T>, numRuns: number): void {
  const before = comparisons;
  fc.assert(property, { numRuns });
  expect(comparisons - before).toBeGreaterThanOrEqual(numRuns);
}

/** Calls `method` with `args` on both and compares the outcomes. */
function expectSameCall(c: Case, method: string, args: readonly unknown[]): Outcome {
  return expectSameOutcome(() => call(c.buf, method, args), () => call(c.view, method, args),
    () => describeCall(c.label, method, args));
}

// ---------------------------------------------------------------------------
// Fixtures: random files of awkward sizes, and UTF-8 text whose multi-byte
// characters straddle the page boundaries.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-parity-'));

function utf8AcrossPages(pages: number): Buffer {
  const pool = ['a', 'Z', ' ', '\n', 'é', 'ß', '€', '中', '😀', '\u0000', '\u007f', '\u0080', '\uffff'];
  const crossers = ['€', '😀', 'é', '中', '😀'];
  const parts: Buffer[] = [];
  let length = 0;
  const push = (text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    parts.push(bytes);
    length += bytes.length;
  };
  for (let page = 1; page <= pages; page++) {
    while (length < page * PAGE - 16) push(pool[Math.floor(Math.random() * pool.length)]);
    // The crosser starts one or two bytes before the boundary and ends after it.
    const crosser = crossers[page % crossers.length];
    push('x'.repeat(page * PAGE - 1 - (page % 2) - length));
    push(crosser);
  }
  push(' the end ✓ 😀');
  return Buffer.concat(parts);
}

interface Fixture { name: string; path: string }
const fixtures: Fixture[] = [];
function addFixture(name: string, content: Buffer): void {
  const file = path.join(dir, `${fixtures.length}.bin`);
  fs.writeFileSync(file, content);
  fixtures.push({ name, path: file });
}
for (const size of [0, 1, 4095, 4096, 4097, 3 * PAGE + 5]) addFixture(`${size} random bytes`, randomBytes(size));
addFixture('UTF-8 text across 3 page boundaries', utf8AcrossPages(3));
addFixture('UTF-8 text of one page and a bit', utf8AcrossPages(1));

const openedFiles: MappedFile[] = [];
afterAll(() => {
  for (const file of openedFiles) file.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// Cases: a view and the Buffer oracle for the same bytes.

interface Case { label: string; view: MappedView; buf: Buffer }

// fast-check prints a counterexample's Case by its label, not by its view's toString().
function makeCase(label: string, view: MappedView, buf: Buffer): Case {
  return { label, view, buf, [fc.toStringMethod]: () => label } as Case;
}

function casesFor(file: MappedFile, content: Buffer): Case[] {
  const n = content.length;
  const cases: Case[] = [makeCase('view()', file.view(), content)];
  const range = (offset: number, length: number): void => {
    cases.push(makeCase(`view(${offset}, ${length})`, file.view(offset, length),
      content.subarray(offset, offset + length)));
  };
  if (n >= 1) cases.push(makeCase('view(1)', file.view(1), content.subarray(1)));
  if (n >= 3) range(1, n - 2);
  if (n > PAGE + 8) {
    range(PAGE - 3, 7);  // straddles the first page boundary
    range(PAGE - 1, n - PAGE - 2);  // starts one byte before a page boundary
  }
  range(n, 0);  // empty, at the very end
  // Nested subarray/slice views, with the same calls applied to the Buffer.
  const whole = file.view();
  cases.push(makeCase('view().subarray(2).subarray(1, -1)', whole.subarray(2).subarray(1, -1),
    content.subarray(2).subarray(1, -1)));
  const mid = Math.floor(n / 2);
  const start = Math.min(3, n);
  cases.push(makeCase(`view(${start}).slice(${mid}, -2).subarray(-9)`,
    file.view(start).slice(mid, -2).subarray(-9), content.subarray(start).slice(mid, -2).subarray(-9)));
  return cases;
}

// ---------------------------------------------------------------------------
// Arguments

// Awkward values for any offset or index: invalid ones, ones that are only
// valid after coercion, and corner cases (-0, unsafe integers).
const JUNK: unknown[] = [
  NaN, Infinity, -Infinity, -0, 0.5, -0.5, 1.5, 2.999, -1, -2, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53,
  2 ** 53 + 2, -(2 ** 53), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, Number.MAX_VALUE,
  Number.MIN_VALUE, 1e21, -1e21, '0', '1', '3', '-1', '1.5', '', ' ', 'abc', '0x10', null, undefined, true,
  false, {}, [], [2], { valueOf: () => 2 }, 1n, -1n, 2n ** 64n, Symbol('offset'), () => 0,
  new Number(1), new String('2'), new Date(0),
];

function edgeOffsets(length: number): number[] {
  const edges = new Set<number>();
  for (let d = -9; d <= 9; d++) edges.add(length + d);
  for (let i = 0; i <= 9; i++) edges.add(i);
  for (let page = PAGE; page < length + 9; page += PAGE) {
    for (let d = -9; d <= 9; d++) edges.add(page + d);
  }
  return [...edges];
}

/** Every offset of small views; the edges and a random sample of large ones. */
function readOffsets(length: number): number[] {
  if (length <= PAGE + 1) return Array.from({ length: length + 2 }, (_, i) => i);
  const offsets = new Set(edgeOffsets(length));
  while (offsets.size < 600) offsets.add(Math.floor(Math.random() * length));
  return [...offsets];
}

const arbJunk = fc.constantFrom(...JUNK);

function arbIndex(length: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.integer({ min: -length - 3, max: length + 3 }), weight: 4 },
    { arbitrary: fc.constantFrom(...edgeOffsets(length), ...edgeOffsets(length).map((i) => -i)), weight: 2 },
    { arbitrary: fc.double(), weight: 1 },
    { arbitrary: fc.double({ min: -length - 3, max: length + 3, noNaN: true }), weight: 1 },
    { arbitrary: fc.integer({ min: -length - 3, max: length + 3 }).map(String), weight: 1 },
    { arbitrary: fc.bigInt({ min: -5n, max: 5n }), weight: 1 },
    { arbitrary: arbJunk, weight: 2 },
  );
}

/** One of `cases`, with arguments generated for its length. */
function arbCaseWith<T>(cases: Case[], arbFor: (length: number) => fc.Arbitrary<T>): fc.Arbitrary<[Case, T]> {
  return fc.constantFrom(...cases).chain((c) => arbFor(c.buf.length).map((value): [Case, T] => [c, value]));
}

function arbReadOffset(length: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: Math.max(length - 1, 0) }), weight: 4 },
    { arbitrary: arbIndex(length), weight: 3 },
    { arbitrary: fc.string(), weight: 1 },
  );
}

const ENCODINGS = [
  undefined, 'utf8', 'utf-8', 'UTF8', 'UTF-8', 'Utf-8', 'utf16le', 'utf-16le', 'UTF16LE', 'UTF-16LE',
  'ucs2', 'ucs-2', 'UCS2', 'UCS-2', 'latin1', 'LATIN1', 'Latin1', 'binary', 'BINARY', 'ascii', 'ASCII',
  'base64', 'BASE64', 'base64url', 'BASE64URL', 'Base64Url', 'hex', 'HEX', 'Hex',
];
const UNKNOWN_ENCODINGS: unknown[] = [
  'utf9', '', 'utf16', 'utf-16', 'latin-1', 'base-64', 'hex ', ' hex', 'UTF_8', 'buffer', 'utf8\0', null, 0, 1,
  {}, [], ['hex'], true, { toString: () => 'hex' }, new String('base64'), Symbol('hex'),
];

const arbEncoding: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...ENCODINGS), weight: 4 },
  // Random capitalisation of a known name.
  {
    arbitrary: fc.tuple(fc.constantFrom(...ENCODINGS.filter((e): e is string => e !== undefined)),
      fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }))
      .map(([name, upper]) => [...name].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join('')),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...UNKNOWN_ENCODINGS), weight: 1 },
  { arbitrary: fc.string({ maxLength: 9 }), weight: 1 },
);

interface Target { label: string; make: (length: number) => unknown }
// Each `make` is called twice per comparison: one target for the Buffer, an
// identical one for the view. Typed-array targets sit inside a larger,
// pre-filled ArrayBuffer so that a write outside them would show too.
const TARGETS: Target[] = [
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
const BYTE_TARGETS = TARGETS.slice(0, 8);
// The byte targets that are tried with every single argument value.
const SPOT_TARGETS = [TARGETS[0], TARGETS[2], TARGETS[4], TARGETS[6], TARGETS[7]];

/** The whole memory a target could be written to, for comparing after copy(). */
function backingBytes(target: unknown): Buffer | undefined {
  if (!ArrayBuffer.isView(target)) return undefined;
  return Buffer.from(target.buffer as ArrayBuffer);
}

function expectSameCopy(c: Case, target: Target, args: readonly unknown[]): void {
  const label = (): string => describeCall(`${c.label} into ${target.label}`, 'copy', args);
  const forBuffer = target.make(c.buf.length);
  const forView = target.make(c.buf.length);
  expectSameOutcome(() => c.buf.copy(forBuffer as Uint8Array, ...(args as [number?, number?, number?])),
    () => c.view.copy(forView as Uint8Array, ...(args as [number?, number?, number?])), label);
  const before = backingBytes(forBuffer);
  const after = backingBytes(forView);
  if (before !== undefined && (after === undefined || Buffer.compare(before, after) !== 0)) {
    throw new Error(`${label()}: target bytes differ\n  Buffer: ${before.toString('hex').slice(0, 200)}\n` +
      `  view:   ${after?.toString('hex').slice(0, 200)}`);
  }
}

/** subarray/slice: the new view holds the bytes the new Buffer holds, at the same place. */
function expectSameSubarray(c: Case, method: 'subarray' | 'slice', args: readonly unknown[]): void {
  const label = (): string => describeCall(c.label, method, args);
  const outcome = expectSameOutcome(() => call(c.buf, method, args),
    () => (call(c.view, method, args) as MappedView).snapshot(), label);
  if (outcome.threw) return;
  const sub = call(c.view, method, args) as MappedView;
  const expected = outcome.value as Buffer;
  const expectedOffset = c.view.byteOffset + (expected.byteOffset - c.buf.byteOffset);
  if (!Object.is(sub.length, expected.length) || !Object.is(sub.byteOffset, expectedOffset) ||
    sub.path !== c.view.path) {
    throw new Error(`${label()}: view has length ${sub.length} at ${sub.byteOffset}, ` +
      `Buffer has length ${expected.length} at ${expectedOffset}`);
  }
  // Reads through the new view land on the same bytes (failing reads are
  // covered elsewhere; here they would only cost time).
  const subCase: Case = { get label() { return `${label()} →`; }, view: sub, buf: expected };
  for (const offset of [0, expected.length - 1]) {
    if (offset >= 0) expectSameCall(subCase, 'readUInt8', [offset]);
  }
  if (expected.length >= 8) expectSameCall(subCase, 'readBigInt64BE', [expected.length - 8]);
}

// ---------------------------------------------------------------------------

describe.each(fixtures)('$name', (fixture) => {
  describe.each<ValidationMode>(['always', 'fault'])("validate: '%s'", (mode) => {
    let content: Buffer;
    let cases: Case[];
    beforeAll(() => {
      const file = open(fixture.path, { validate: mode });
      openedFiles.push(file);
      content = fs.readFileSync(fixture.path);
      cases = casesFor(file, content);
    });

    test('views have the length and offset of the Buffer ranges', () => {
      for (const c of cases) {
        expect({ label: c.label, length: c.view.length, byteOffset: c.view.byteOffset })
          .toEqual({ label: c.label, length: c.buf.length, byteOffset: c.buf.byteOffset - content.byteOffset });
      }
    });

    test('every numeric read at every offset (sampled for large views)', () => {
      let compared = 0;
      for (const c of cases) {
        const offsets = readOffsets(c.buf.length);
        for (const method of READS) {
          expectSameCall(c, method, []);
          for (const offset of offsets) {
            expectSameCall(c, method, [offset]);
            compared++;
          }
        }
      }
      expect(compared).toBeGreaterThan(0);
    });

    test('numeric reads with invalid offsets', () => {
      for (const c of cases) {
        for (const method of READS) {
          for (const offset of JUNK) expectSameCall(c, method, [offset]);
          expectSameCall(c, method, [undefined, 'ignored extra argument']);
        }
      }
      // Spot-check that the rule really distinguishes: a fractional offset throws.
      expect(() => cases[0].view.readUInt8(0.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    });

    test('numeric reads with random offsets (fast-check)', () => {
      assertProperty(fc.property(arbCaseWith(cases, (n) => fc.tuple(fc.constantFrom(...READS), arbReadOffset(n))),
        ([c, [method, offset]]) => {
          expectSameCall(c, method, [offset]);
        }), RUNS * 10);
    });

    test('subarray and slice with edge-case arguments', () => {
      const values: unknown[] = [...JUNK, 0, 1, 2, 3, -3];
      for (const c of cases) {
        const n = c.buf.length;
        const indices = [...values, n - 1, n, n + 1, -n, -n - 1, -n + 1, Math.floor(n / 2) + 0.7];
        for (const method of ['subarray', 'slice'] as const) {
          expectSameSubarray(c, method, []);
          for (const start of indices) expectSameSubarray(c, method, [start]);
          for (const start of [undefined, 0, 1, -1, NaN, 2.5, '2', -n - 5, n + 5]) {
            for (const end of [undefined, 0, 2, -1, -2, -0.5, 3.7, NaN, '3', null, n - 1, n, n + 1, -n, -n - 1,
              Infinity, -Infinity, 2 ** 53, 1n]) {
              expectSameSubarray(c, method, [start, end]);
            }
          }
        }
      }
      expect(cases[0].view.subarray().length).toBe(cases[0].buf.length);
    });

    test('nested subarray/slice chains with random arguments (fast-check)', () => {
      const arbStep = (n: number) => fc.record({
        method: fc.constantFrom('subarray' as const, 'slice' as const),
        args: fc.tuple(arbIndex(n), arbIndex(n)),
        arity: fc.integer({ min: 0, max: 2 }),
      });
      assertProperty(fc.property(arbCaseWith(cases, (n) => fc.record({
        steps: fc.array(arbStep(n), { minLength: 1, maxLength: 4 }),
        read: fc.constantFrom(...READS),
        offset: arbReadOffset(n),
      })), ([first, { steps, read, offset }]) => {
        let c = first;
        for (const { method, args: bothArgs, arity } of steps) {
          const args = bothArgs.slice(0, arity);
          expectSameSubarray(c, method, args);
          let next: Case;
          try {
            next = makeCase(describeCall(c.label, method, args), call(c.view, method, args) as MappedView,
              call(c.buf, method, args) as Buffer);
          } catch {
            return;  // both threw alike (checked above): the chain ends here
          }
          c = next;
        }
        expectSameCall(c, read, [offset]);
        expectSameCall(c, 'toString', ['hex']);
      }), RUNS * 2);
    });

    test('toString with every encoding and edge-case ranges', () => {
      for (const c of cases) {
        const n = c.buf.length;
        const starts: unknown[] = [undefined, 0, 1, 2, 3, -1, -0, 0.5, 2.7, NaN, n - 1, n, n + 1, 2 ** 53, Infinity,
          -Infinity, '2', null, PAGE - 1 - c.view.byteOffset];
        const ends: unknown[] = [undefined, 0, 1, 5, n - 1, n - 0.5, n, n + 1, -1, NaN, Infinity, 2 ** 53, '4',
          null, PAGE + 1 - c.view.byteOffset];
        expectSameCall(c, 'toString', []);
        for (const encoding of [...ENCODINGS, ...UNKNOWN_ENCODINGS]) {
          expectSameCall(c, 'toString', [encoding]);
          for (const start of starts) expectSameCall(c, 'toString', [encoding, start]);
        }
        for (const encoding of ['utf8', 'ucs2', 'latin1', 'base64', 'hex', 'bogus', undefined]) {
          for (const start of starts) {
            for (const end of ends) expectSameCall(c, 'toString', [encoding, start, end]);
          }
        }
      }
      expect(cases[0].view.toString('hex')).toBe(cases[0].buf.toString('hex'));
    });

    test('toString with random encodings and ranges (fast-check)', () => {
      assertProperty(fc.property(arbCaseWith(cases, (n) => fc.tuple(arbEncoding, arbIndex(n), arbIndex(n),
        fc.integer({ min: 0, max: 3 }))), ([c, [encoding, start, end, arity]]) => {
        expectSameCall(c, 'toString', [encoding, start, end].slice(0, arity));
      }), RUNS * 3);
    });

    test('copy with edge-case arguments and targets', () => {
      for (const c of cases) {
        const n = c.buf.length;
        const values: unknown[] = [...JUNK, 0, 1, 2, 3, n - 1, n, n + 1, n + 100];
        for (const target of TARGETS) {
          expectSameCopy(c, target, []);
          expectSameCopy(c, target, [0, 0, n]);
        }
        for (const target of SPOT_TARGETS) {
          for (const value of values) {
            expectSameCopy(c, target, [value]);
            expectSameCopy(c, target, [undefined, value]);
            expectSameCopy(c, target, [undefined, undefined, value]);
            expectSameCopy(c, target, [2, value, n - 1]);
          }
        }
        for (const target of BYTE_TARGETS) {
          for (const start of [undefined, 0, 1, -1, 2.5, '1', NaN, n, n + 1]) {
            for (const end of [undefined, 0, 1, 3, n - 1, n, n + 1, -1, 4.5, '3', NaN, Infinity]) {
              expectSameCopy(c, target, [0, start, end]);
              expectSameCopy(c, target, [3, start, end]);
            }
          }
        }
      }
      const target = Buffer.alloc(cases[0].buf.length);
      expect(cases[0].view.copy(target)).toBe(cases[0].buf.length);
      expect(target.equals(cases[0].buf)).toBe(true);
    });

    test('copy with random arguments and targets (fast-check)', () => {
      assertProperty(fc.property(arbCaseWith(cases, (n) => fc.tuple(fc.constantFrom(...TARGETS),
        fc.tuple(arbIndex(n), arbIndex(n), arbIndex(n)), fc.integer({ min: 0, max: 3 }))),
      ([c, [target, args, arity]]) => {
        expectSameCopy(c, target, args.slice(0, arity));
      }), RUNS * 5);
    });

    test('snapshot equals the Buffer and is a distinct copy', () => {
      for (const c of cases) {
        expectSameOutcome(() => Buffer.from(c.buf), () => c.view.snapshot(), `${c.label}: snapshot()`);
        const first = c.view.snapshot();
        const second = c.view.snapshot();
        expect(Buffer.isBuffer(first)).toBe(true);
        expect(first).not.toBe(second);
        if (first.length === 0) continue;
        expect(first.buffer).not.toBe(second.buffer);
        for (let i = 0; i < first.length; i++) first[i] ^= 0xff;  // now differs from the file in every byte
        expect(first.equals(c.buf)).toBe(false);
        expect(second.equals(c.buf)).toBe(true);
        expect(c.view.snapshot().equals(c.buf)).toBe(true);
        expect(c.view.readUInt8(0)).toBe(c.buf[0]);
        expect(c.view.readUInt8(c.buf.length - 1)).toBe(c.buf[c.buf.length - 1]);
        expect(c.view.toString('hex')).toBe(c.buf.toString('hex'));
      }
    });
  });
});

describe('snapshot() after the file changes in place', () => {
  test('keeps the old bytes while a live view sees the new ones', () => {
    const file = path.join(dir, 'rewritten.bin');
    const before = randomBytes(PAGE + 10);
    fs.writeFileSync(file, before);
    const mapped = open(file);
    openedFiles.push(mapped);
    const view = mapped.view();
    const snapshot = view.snapshot();
    const after = Buffer.from(before.map((byte) => byte ^ 0xff));
    const fd = fs.openSync(file, 'r+');
    try {
      fs.writeSync(fd, after, 0, after.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    expect(snapshot.equals(before)).toBe(true);
    expect(view.snapshot().equals(after)).toBe(true);
    expect(view.readUInt32LE(PAGE - 2)).toBe(after.readUInt32LE(PAGE - 2));
  });
});
