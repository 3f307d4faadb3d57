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
import * as fc from 'fast-check';
import { open, MappedFile, MappedView, ValidationMode } from '../../src';
import { PAGE } from '../support/files';
import { READS } from '../support/reads';
import {
  arbEncoding, arbIndex, arbReadOffset, backingBytes, BYTE_TARGETS, edgeOffsets, ENCODINGS, JUNK, Target,
  TARGETS, UNKNOWN_ENCODINGS,
} from '../support/buffer-args';
import { assertProperty, call, describeCall, expectSameOutcome, Outcome } from '../support/parity';

const RUNS = Number(process.env.SAFE_MMAP_FC_RUNS) || 60;

// ---------------------------------------------------------------------------
// The comparison rule: expectSameOutcome (test/support/parity.ts), applied to
// a Case's view and Buffer.

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

/** Every offset of small views; the edges and a random sample of large ones. */
function readOffsets(length: number): number[] {
  if (length <= PAGE + 1) return Array.from({ length: length + 2 }, (_, i) => i);
  const offsets = new Set(edgeOffsets(length));
  while (offsets.size < 600) offsets.add(Math.floor(Math.random() * length));
  return [...offsets];
}

/** One of `cases`, with arguments generated for its length. */
function arbCaseWith<T>(cases: Case[], arbFor: (length: number) => fc.Arbitrary<T>): fc.Arbitrary<[Case, T]> {
  return fc.constantFrom(...cases).chain((c) => arbFor(c.buf.length).map((value): [Case, T] => [c, value]));
}

// The byte targets that are tried with every single argument value.
const SPOT_TARGETS = [TARGETS[0], TARGETS[2], TARGETS[4], TARGETS[6], TARGETS[7]];

function expectSameCopy(c: Case, target: Target, args: readonly unknown[]): void {
  const label = (): string => `${describeCall(c.label, 'copy', args)} into ${target.label}`;
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
