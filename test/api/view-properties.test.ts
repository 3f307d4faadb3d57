// Property-based Buffer parity for MappedView. fast-check generates a file
// (random bytes, a few repeated bytes, or UTF-8 / UTF-16LE text whose
// multi-byte characters straddle the 4096-byte page boundaries), a view at
// some offset, a chain of subarray/slice calls on it, and then a random
// sequence of operations with random arguments, valid and invalid. Each
// operation runs on the view and on the oracle, a Buffer holding the same
// bytes, and both must return deep-equal values (NaN equal to NaN) or throw
// errors of the same class with the same `code` (the rule in
// support/parity.ts). The generators of files, operations and scenarios are
// in support/view-generators.ts; this file holds what is checked.
//
// The oracle for a view of [offset, offset + length) is
// Buffer.from(fs.readFileSync(path).subarray(offset, offset + length)): an
// aligned copy, never a subarray at an odd byteOffset. Node 20's own UTF-16
// search misbehaves on a Buffer that starts at an odd address: its
// FindFirstCharacter aligns memchr's hit down to an even *address*, which
// there is one byte before the code unit, so indexOf(string, undefined,
// 'ucs2') loops forever and indexOf(Uint8Array, 0, 'ucs2') can answer -2.
//
// SAFE_MMAP_FC_RUNS sets the base number of runs per property (default 60),
// as in test/api/buffer-parity.test.ts; each property runs a multiple of it. By
// default the file makes about 11,000 comparisons (1,260 generated scenarios).
// SAFE_MMAP_FC_REPORT=1 prints the number of comparisons made.
import * as buffer from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { isUint8Array } from 'node:util/types';
import * as fc from 'fast-check';
import { open, MappedFile, MappedView } from '../../src';
import { backingBytes, TARGETS } from '../support/buffer-args';
import { PAGE } from '../support/files';
import { testCuttingMappedFile } from '../support/platforms';
import { useTempDir } from '../support/temp-dir';
import {
  assertProperty, call, comparisonCount, describeCall, expectSameOutcome,
} from '../support/parity';
import {
  ALL_OPS, arbScenario, FileSpec, makeContent, oddUint8Array, Op, OpKind, OtherSpec, resolveNeedle, Scenario,
} from '../support/view-generators';

const RUNS = Number(process.env.SAFE_MMAP_FC_RUNS) || 60;
const MAX_LENGTH = buffer.constants.MAX_LENGTH;

const dir = useTempDir();

// ---------------------------------------------------------------------------
// Files

let fileCount = 0;

/** A mapped file and the bytes fs reads from it. */
interface Opened { file: MappedFile; bytes: Buffer; name: string }

/** The files one property run maps; all closed and deleted at the end of the run. */
class RunFiles {
  readonly main: Opened;
  #twin: Opened | undefined;
  readonly #others = new Map<string, Opened>();
  readonly #all: { file: MappedFile; path: string }[] = [];

  constructor(readonly spec: FileSpec) {
    this.main = this.#open(makeContent(spec), `file(${spec.size} B ${spec.kind}, '${spec.mode}')`);
  }

  #open(content: Buffer, name: string): Opened {
    const file = path.join(dir.path, `${fileCount++}.bin`);
    fs.writeFileSync(file, content);
    const mapped = open(file, { validate: this.spec.mode });
    this.#all.push({ file: mapped, path: file });
    return { file: mapped, bytes: fs.readFileSync(file), name };
  }

  /** Another file with the same bytes. */
  twin(): Opened {
    this.#twin ??= this.#open(this.main.bytes, 'twin file');
    return this.#twin;
  }

  /** Another file with the same bytes but one: the byte at `at` (modulo the size) set to `to`. */
  other(at: number, to: number): Opened {
    const key = `${at},${to}`;
    let opened = this.#others.get(key);
    if (!opened) {
      const content = Buffer.from(this.main.bytes);
      if (content.length > 0) content[at % content.length] = to;
      opened = this.#open(content, `other file (byte ${content.length ? at % content.length : '-'} = ${to})`);
      this.#others.set(key, opened);
    }
    return opened;
  }

  close(): void {
    for (const { file, path: filePath } of this.#all) {
      file.close();
      fs.rmSync(filePath, { force: true });
    }
  }
}

// ---------------------------------------------------------------------------
// Cases: a view and its oracle

/** A view and the oracle for it: an aligned Buffer copy of the same bytes. */
interface Case { label: string; view: MappedView; buf: Buffer }

/** Same length, same offset in the file as the Buffer range, same path. */
function expectSameShape(label: string, view: MappedView, byteOffset: number, filePath: string, expected: Buffer): void {
  const actual = { length: view.length, byteLength: view.byteLength, byteOffset: view.byteOffset, path: view.path };
  const wanted = { length: expected.length, byteLength: expected.length, byteOffset, path: filePath };
  if (!Object.keys(wanted).every((key) => Object.is(actual[key as keyof typeof actual], wanted[key as keyof typeof wanted]))) {
    throw new Error(`${label}: view is ${inspect(actual)}, expected ${inspect(wanted)}`);
  }
}

/** file.view(...args) and its oracle Buffer.from(bytes.subarray(range)). */
function viewCase(opened: Opened, args: readonly number[]): Case {
  const [offset = 0, length = opened.bytes.length - offset] = args;
  const label = `${opened.name}.view(${args.join(', ')})`;
  const view = opened.file.view(...args);
  const buf = Buffer.from(opened.bytes.subarray(offset, offset + length));
  expectSameShape(label, view, offset, opened.file.path, buf);
  expectSameOutcome(() => buf, () => view.snapshot(), `${label}.snapshot()`);
  return { label, view, buf };
}

/**
 * subarray/slice on both: the new view has the bytes, length and place of the
 * new Buffer. Returns the case for the new view (with an aligned copy as its
 * oracle), or undefined when both threw.
 */
function subCase(c: Case, method: 'subarray' | 'slice', args: readonly unknown[]): Case | undefined {
  const label = describeCall(c.label, method, args);
  const outcome = expectSameOutcome(() => call(c.buf, method, args),
    () => (call(c.view, method, args) as MappedView).snapshot(), label);
  if (outcome.threw) return undefined;
  const expected = outcome.value as Buffer;
  const view = call(c.view, method, args) as MappedView;
  expectSameShape(label, view, c.view.byteOffset + expected.byteOffset - c.buf.byteOffset, c.view.path, expected);
  return { label, view, buf: Buffer.from(expected) };
}

// ---------------------------------------------------------------------------
// The one deliberate deviation from Buffer

const UTF16_NAMES = new Set(['ucs2', 'ucs-2', 'utf16le', 'utf-16le']);

/** The encoding a search uses: a string byteOffset is the encoding, as in lib/buffer.js. */
function searchEncoding(args: readonly unknown[]): unknown {
  return typeof args[1] === 'string' ? args[1] : args[2];
}

/**
 * Whether Buffer's answer to indexOf/lastIndexOf(...args) on `haystack` is
 * Node's false "found at length - 1" (a Node bug, which MappedView does not
 * copy).
 *
 * For a UTF-16 (ucs2/utf16le) search whose value is a Buffer/Uint8Array,
 * Node's IndexOfBuffer (src/node_buffer.cc) searches length/2 code units and
 * then tests its search's "not found" answer against the byte length. In an
 * odd-length haystack "not found" comes back as (length/2)*2 = length - 1,
 * which is not the byte length, so Buffer returns length - 1 (and includes()
 * true). It cannot be a real match: a UTF-16 match needs at least one whole
 * code unit (a needle of 0 or 1 bytes never gets to the search) and only one
 * byte follows position length - 1. MappedView answers -1 there. An empty
 * needle's legitimate answer length - 1 (e.g. byteOffset -1) is excluded by
 * the needle-length test.
 */
function isNodeUtf16NotFound(haystack: Buffer, args: readonly unknown[], answer: unknown): boolean {
  const [value] = args;
  if (!isUint8Array(value) || value.length < 2) return false;
  if (haystack.length % 2 !== 1 || answer !== haystack.length - 1) return false;
  let name: string;
  try {
    name = (searchEncoding(args) as string) + '';  // lib/buffer.js getEncodingOps coerces so
  } catch {
    return false;
  }
  return UTF16_NAMES.has(name.toLowerCase());
}

/** Buffer's indexOf/lastIndexOf/includes, with Node's UTF-16 not-found answer turned into -1 / false. */
function oracleSearch(haystack: Buffer, method: string, args: readonly unknown[]): unknown {
  const answer = call(haystack, method, args);
  if (method === 'includes') {
    return answer === true && isNodeUtf16NotFound(haystack, args, call(haystack, 'indexOf', args)) ? false : answer;
  }
  return isNodeUtf16NotFound(haystack, args, answer) ? -1 : answer;
}

// ---------------------------------------------------------------------------
// Running the operations

/** The other side of equals/compare: what the view gets, and the bytes the oracle gets instead. */
function resolveOther(spec: OtherSpec, c: Case, files: RunFiles): { forView: unknown; forBuffer: unknown; label: string } {
  switch (spec.kind) {
    case 'bytes': {
      const n = c.buf.length;
      const bytes = Buffer.from(c.buf.subarray(Math.min(spec.trimStart, n), Math.max(n - spec.trimEnd, 0)));
      if (spec.set && bytes.length > 0) bytes[spec.set[0] % bytes.length] = spec.set[1];
      const value = spec.as === 'Buffer' ? bytes : spec.as === 'Uint8Array' ? new Uint8Array(bytes) : oddUint8Array(bytes);
      return { forView: value, forBuffer: value, label: inspect(value) };
    }
    case 'view': {
      const opened = spec.file === 'same' ? files.main : spec.file === 'twin' ? files.twin() : files.other(...spec.set);
      let offset = c.view.byteOffset;
      let length = c.view.length;
      if (spec.range !== 'same') {
        offset = spec.range[0] % (opened.bytes.length + 1);
        length = spec.range[1] % (opened.bytes.length - offset + 1);
      }
      const other = viewCase(opened, [offset, length]);
      return { forView: other.view, forBuffer: other.buf, label: other.label };
    }
    case 'the view itself':
      return { forView: c.view, forBuffer: c.buf, label: 'itself' };
    case 'value':
      return { forView: spec.value, forBuffer: spec.value, label: inspect(spec.value) };
  }
}

/** lib/internal/validators.js validateInteger(size, 'size', 1, kMaxLength), the rule for chunks(size). */
function validateChunkSize(size: unknown): asserts size is number {
  if (typeof size !== 'number') {
    throw Object.assign(new TypeError(`The "size" argument must be of type number`), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  if (!Number.isInteger(size)) {
    throw Object.assign(new RangeError(`The value of "size" is out of range. It must be an integer`),
      { code: 'ERR_OUT_OF_RANGE' });
  }
  if (size < 1 || size > MAX_LENGTH) {
    throw Object.assign(new RangeError(`The value of "size" is out of range. It must be >= 1 && <= ${MAX_LENGTH}`),
      { code: 'ERR_OUT_OF_RANGE' });
  }
}

/** What chunks(size) must yield: consecutive copies of `size` bytes, the last one shorter. */
function expectedChunks(buf: Buffer, args: readonly unknown[]): Buffer[] {
  const size = args[0];
  validateChunkSize(size);
  const chunks: Buffer[] = [];
  for (let at = 0; at < buf.length; at += size) chunks.push(Buffer.from(buf.subarray(at, at + size)));
  return chunks;
}

/** view.chunks(...args), collected; an error must come from the call itself, not from the first next(). */
function collectChunks(view: MappedView, args: readonly unknown[]): Buffer[] {
  const iterator = call(view, 'chunks', args) as Generator<Buffer>;
  try {
    return Array.from(iterator);
  } catch (error) {
    throw new Error(`chunks(${args.map((arg) => inspect(arg)).join(', ')}) threw only when iterated: ${String(error)}`);
  }
}

function expectSameCopy(c: Case, targetLabel: string, args: readonly unknown[]): void {
  const target = TARGETS.find((t) => t.label === targetLabel)!;
  const label = (): string => describeCall(`${c.label} into ${target.label}`, 'copy', args);
  const forBuffer = target.make(c.buf.length);
  const forView = target.make(c.buf.length);
  expectSameOutcome(() => call(c.buf, 'copy', [forBuffer, ...args]), () => call(c.view, 'copy', [forView, ...args]),
    label);
  const expected = backingBytes(forBuffer);
  const actual = backingBytes(forView);
  if (expected !== undefined && (actual === undefined || !expected.equals(actual))) {
    throw new Error(`${label()}: target bytes differ\n  Buffer: ${expected.toString('hex').slice(0, 200)}\n` +
      `  view:   ${actual?.toString('hex').slice(0, 200)}`);
  }
}

/** Runs one operation on the view and on its oracle. Returns the case later operations use. */
function runOp(c: Case, op: Op, files: RunFiles): Case {
  switch (op.op) {
    case 'search': {
      const value = resolveNeedle(op.value, c.buf, searchEncoding([undefined, ...op.rest]));
      const args = [value, ...op.rest];
      expectSameOutcome(() => oracleSearch(c.buf, op.method, args), () => call(c.view, op.method, args),
        () => describeCall(c.label, op.method, args));
      break;
    }
    case 'equals': {
      const other = resolveOther(op.other, c, files);
      const args = (forEither: unknown): unknown[] => [forEither].slice(0, op.arity);
      expectSameOutcome(() => call(c.buf, 'equals', args(other.forBuffer)), () => call(c.view, 'equals', args(other.forView)),
        () => `${c.label}.equals(${op.arity ? other.label : ''})`);
      break;
    }
    case 'compare': {
      const target = resolveOther(op.target, c, files);
      expectSameOutcome(() => call(c.buf, 'compare', [target.forBuffer, ...op.rest]),
        () => call(c.view, 'compare', [target.forView, ...op.rest]),
        () => describeCall(c.label, 'compare', [`<${target.label}>`, ...op.rest]));
      break;
    }
    case 'toString':
    case 'at':
      expectSameOutcome(() => call(c.buf, op.op, op.args), () => call(c.view, op.op, op.args),
        () => describeCall(c.label, op.op, op.args));
      break;
    case 'readInt':
    case 'read':
      expectSameOutcome(() => call(c.buf, op.method, op.args), () => call(c.view, op.method, op.args),
        () => describeCall(c.label, op.method, op.args));
      break;
    case 'subarray': {
      const sub = subCase(c, op.method, op.args);
      if (op.enter && sub) return sub;
      break;
    }
    case 'copy':
      expectSameCopy(c, op.target, op.args);
      break;
    case 'snapshot': {
      const first = expectSameOutcome(() => Buffer.from(c.buf), () => c.view.snapshot(), `${c.label}.snapshot()`);
      const snapshot = c.view.snapshot();
      if (snapshot.length > 0) {
        snapshot[0] ^= 0xff;  // a copy: changing it changes neither the file nor the next snapshot
        expectSameOutcome(() => first.threw ? undefined : first.value, () => c.view.snapshot(),
          `${c.label}.snapshot() after changing an earlier snapshot`);
      }
      break;
    }
    case 'chunks':
      expectSameOutcome(() => expectedChunks(c.buf, op.args), () => collectChunks(c.view, op.args),
        () => describeCall(c.label, 'chunks', op.args));
      break;
  }
  return c;
}


function runScenario(scenario: Scenario): void {
  const files = new RunFiles(scenario.file);
  try {
    let c = viewCase(files.main, scenario.view);
    for (const step of scenario.chain) c = subCase(c, step.method, step.args) ?? c;
    for (const op of scenario.ops) c = runOp(c, op, files);
  } finally {
    files.close();
  }
}

/** Runs `numRuns` scenarios of up to `maxOps` operations of the given kinds. */
function checkScenarios(kinds: readonly OpKind[], numRuns: number, maxOps: number): void {
  // Each run compares at least the view's snapshot and one operation.
  assertProperty(fc.property(arbScenario(kinds, maxOps), runScenario), numRuns, 2 * numRuns);
}

// ---------------------------------------------------------------------------

describe('the generated files', () => {
  test('text files have a multi-byte character across every page boundary', () => {
    for (const seed of [1, 2, 3]) {
      const utf8 = makeContent({ size: 5 * PAGE + 1, kind: 'UTF-8 text', seed, mode: 'always' });
      const utf16 = makeContent({ size: 5 * PAGE + 1, kind: 'UTF-16LE text', seed, mode: 'always' });
      const leads = new Set<number>();
      for (let boundary = PAGE; boundary < 5 * PAGE; boundary += PAGE) {
        // UTF-8: a continuation byte at the boundary, its lead byte 1 to 3 bytes before.
        expect(utf8[boundary] & 0xc0).toBe(0x80);
        const lead = [1, 2, 3].find((back) => (utf8[boundary - back] & 0xc0) === 0xc0)!;
        expect(lead).toBeDefined();
        leads.add(lead);
        // UTF-16LE: a high surrogate just before the boundary, its low surrogate just after.
        expect(utf16.readUInt16LE(boundary - 2) & 0xfc00).toBe(0xd800);
        expect(utf16.readUInt16LE(boundary) & 0xfc00).toBe(0xdc00);
      }
      expect(utf8.toString('utf8', 0, PAGE - 8)).toMatch(/[^\x00-\x7f]/);
      expect(leads.size).toBeGreaterThan(1);
    }
  });
});

describe('MappedView behaves like a Buffer holding the same bytes (fast-check)', () => {
  test('random sequences of every operation', () => {
    checkScenarios(ALL_OPS, RUNS * 6, 16);
  });

  test('indexOf, lastIndexOf and includes', () => {
    checkScenarios(['search', 'subarray'], RUNS * 6, 12);
  });

  test('equals and compare, against Buffers, Uint8Arrays and views of the same and other files', () => {
    checkScenarios(['equals', 'compare'], RUNS * 3, 10);
  });

  test('toString, readUIntLE/BE, readIntLE/BE, at and the fixed-width reads', () => {
    checkScenarios(['toString', 'readInt', 'at', 'read'], RUNS * 3, 12);
  });

  test('subarray, slice, copy, snapshot and chunks', () => {
    checkScenarios(['subarray', 'copy', 'snapshot', 'chunks'], RUNS * 3, 8);
  });
});

describe('the UTF-16 search deviation', () => {
  test("Buffer answers length - 1 for a missing UTF-16 Uint8Array needle in an odd-length buffer; a view answers -1", () => {
    const bytes = Buffer.from('abcdefg');  // 7 bytes
    const file = open(dir.file('deviation.bin', bytes));
    try {
      const view = file.view();
      for (const encoding of ['ucs2', 'utf16le', 'UTF-16LE']) {
        for (const needle of [Buffer.from('zz'), new Uint8Array([0x7a, 0x7a, 0x7a])]) {
          // Node's answer (src/node_buffer.cc IndexOfBuffer): not a match, just (7 / 2) * 2.
          expect(bytes.indexOf(needle, 0, encoding as BufferEncoding)).toBe(6);
          expect(bytes.lastIndexOf(needle, undefined, encoding as BufferEncoding)).toBe(6);
          expect(bytes.includes(needle as Buffer, 0, encoding as BufferEncoding)).toBe(true);
          expect(view.indexOf(needle, 0, encoding as BufferEncoding)).toBe(-1);
          expect(view.lastIndexOf(needle, undefined, encoding as BufferEncoding)).toBe(-1);
          expect(view.includes(needle, 0, encoding as BufferEncoding)).toBe(false);
          // The oracle's correction covers exactly this answer.
          expect(oracleSearch(bytes, 'indexOf', [needle, 0, encoding])).toBe(-1);
          expect(oracleSearch(bytes, 'includes', [needle, 0, encoding])).toBe(false);
        }
      }
      // Elsewhere both agree: a real match, the same search in an even-length
      // range, a string needle (IndexOfString rounds the length down), an
      // empty needle whose answer is length - 1, and a non-UTF-16 search.
      expect(view.indexOf(Buffer.from('cd'), 0, 'ucs2')).toBe(bytes.indexOf(Buffer.from('cd'), 0, 'ucs2'));
      expect(view.indexOf(Buffer.from('cd'), 0, 'ucs2')).toBe(2);
      expect(view.subarray(0, 6).indexOf(Buffer.from('zz'), 0, 'ucs2')).toBe(-1);
      expect(bytes.subarray(0, 6).indexOf(Buffer.from('zz'), 0, 'ucs2')).toBe(-1);
      expect(view.indexOf('z', 0, 'ucs2')).toBe(bytes.indexOf('z', 0, 'ucs2'));
      expect(view.indexOf(Buffer.alloc(0), -1, 'ucs2')).toBe(6);
      expect(bytes.indexOf(Buffer.alloc(0), -1, 'ucs2')).toBe(6);
      expect(oracleSearch(bytes, 'indexOf', [Buffer.alloc(0), -1, 'ucs2'])).toBe(6);
      expect(view.indexOf(Buffer.from('zz'), 0, 'latin1')).toBe(bytes.indexOf(Buffer.from('zz'), 0, 'latin1'));
    } finally {
      file.close();
    }
  });
});

describe('chunks(size)', () => {
  test('yields copies of size bytes, the last one shorter, and checks size when called', () => {
    const bytes = makeContent({ size: 3 * PAGE + 5, kind: 'random bytes', seed: 7, mode: 'always' });
    const file = open(dir.file('chunks.bin', bytes));
    try {
      const view = file.view(3, bytes.length - 4);
      for (const size of [1, 2, PAGE - 1, PAGE, PAGE + 1, view.length - 1, view.length, view.length + 1, 2 ** 31]) {
        const chunks = [...view.chunks(size)];
        expect(chunks.length).toBe(Math.ceil(view.length / size));
        chunks.slice(0, -1).forEach((chunk) => expect(chunk.length).toBe(size));
        expect(chunks[chunks.length - 1].length).toBeGreaterThan(0);
        expect(chunks[chunks.length - 1].length).toBeLessThanOrEqual(size);
        expect(Buffer.concat(chunks).equals(bytes.subarray(3, bytes.length - 1))).toBe(true);
      }
      expect([...file.view(5, 0).chunks(3)]).toEqual([]);
      // Bad sizes throw from the call itself, before any next().
      const badSizes: [unknown, string, string][] = [
        [undefined, 'TypeError', 'ERR_INVALID_ARG_TYPE'], ['4', 'TypeError', 'ERR_INVALID_ARG_TYPE'],
        [4n, 'TypeError', 'ERR_INVALID_ARG_TYPE'], [null, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
        [0, 'RangeError', 'ERR_OUT_OF_RANGE'], [-1, 'RangeError', 'ERR_OUT_OF_RANGE'],
        [1.5, 'RangeError', 'ERR_OUT_OF_RANGE'], [NaN, 'RangeError', 'ERR_OUT_OF_RANGE'],
        [Infinity, 'RangeError', 'ERR_OUT_OF_RANGE'], [MAX_LENGTH + 1, 'RangeError', 'ERR_OUT_OF_RANGE'],
      ];
      for (const [size, type, code] of badSizes) {
        let thrown: unknown;
        try {
          call(view, 'chunks', [size]);
        } catch (error) {
          thrown = error;
        }
        expect({ size, type: (thrown as Error | undefined)?.constructor.name, code: (thrown as { code?: string })?.code })
          .toEqual({ size, type, code });
      }
    } finally {
      file.close();
    }
  });
});

describe('util.inspect(view)', () => {
  const MiB = 1 << 20;

  /** "<Buffer 01 02 ... 9 more bytes>" → "01 02 ... 9 more bytes". */
  function bufferBody(bytes: Buffer): string {
    const shown = inspect(bytes);
    expect(shown.startsWith('<Buffer ') && shown.endsWith('>')).toBe(true);
    return shown.slice('<Buffer '.length, -1);
  }

  function header(view: MappedView): string {
    return `<MappedView ${inspect(view.path)} byteOffset=${view.byteOffset} length=${view.length}`;
  }

  test('shows the path, byteOffset, length and the first INSPECT_MAX_BYTES bytes like Buffer', () => {
    const bytes = randomBytes(3 * MiB + 17);
    const filePath = dir.file('inspect.bin', bytes);
    const file = open(filePath);
    try {
      for (const [offset, length] of [[0, bytes.length], [5, bytes.length - 9], [PAGE - 7, 2 * MiB], [100, 50], [100, 51],
        [100, 49], [100, 1], [100, 0]]) {
        const view = file.view(offset, length);
        const oracle = Buffer.from(bytes.subarray(offset, offset + length));
        const shown = inspect(view);
        const body = bufferBody(oracle);
        expect(shown).toBe(body ? `${header(view)}: ${body}>` : `${header(view)}>`);
        expect(shown).toContain(inspect(filePath));  // quoted as util.inspect quotes a string (Windows paths: escaped backslashes)
        expect(shown).toContain(`byteOffset=${offset} length=${length}`);
        // The byte list is Buffer's: the first INSPECT_MAX_BYTES bytes in hex.
        const hex = oracle.subarray(0, buffer.INSPECT_MAX_BYTES).toString('hex').replace(/(..)(?!$)/g, '$1 ');
        expect(shown.includes(hex)).toBe(true);
        const more = length - buffer.INSPECT_MAX_BYTES;
        if (more > 0) expect(shown.endsWith(` ... ${more} more byte${more > 1 ? 's' : ''}>`)).toBe(true);
        else expect(shown).not.toContain('more byte');
        // Nested in an object, as console.log would show it.
        expect(inspect({ view })).toContain(header(view));
      }
    } finally {
      file.close();
    }
  });

  test('follows a changed buffer.INSPECT_MAX_BYTES', () => {
    const bytes = makeContent({ size: 2 * PAGE, kind: 'random bytes', seed: 12, mode: 'always' });
    const file = open(dir.file('inspect-max.bin', bytes));
    // A plain require: the property is writable on the module itself, not on a namespace import.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const bufferModule = require('node:buffer') as { INSPECT_MAX_BYTES: number };
    const saved = bufferModule.INSPECT_MAX_BYTES;
    try {
      for (const max of [0, 1, 7, 300]) {
        bufferModule.INSPECT_MAX_BYTES = max;
        const view = file.view(9);
        const body = bufferBody(Buffer.from(bytes.subarray(9)));
        expect(inspect(view)).toBe(body ? `${header(view)}: ${body}>` : `${header(view)}>`);
      }
    } finally {
      bufferModule.INSPECT_MAX_BYTES = saved;
      file.close();
    }
  });

  testCuttingMappedFile('reads only the bytes it shows: still works when the rest of a multi-MiB file is gone', () => {
    const max = buffer.INSPECT_MAX_BYTES;
    const bytes = randomBytes(4 * MiB);
    const filePath = dir.file('inspect-truncated.bin', bytes);
    const file = open(filePath, { validate: 'always' });
    try {
      const offset = 100;
      const view = file.view(offset);
      const tail = file.view(PAGE - 10);  // its first bytes straddle the end of the first page
      const oracle = Buffer.from(bytes.subarray(offset));
      const expected = `${header(view)}: ${bufferBody(oracle)}>`;
      expect(expected.endsWith(` ... ${oracle.length - max} more bytes>`)).toBe(true);
      expect(inspect(view)).toBe(expected);
      // Only the first page is left: the view of 4 MiB still inspects.
      fs.truncateSync(filePath, PAGE);
      expect(inspect(view)).toBe(expected);
      expect(() => view.snapshot()).toThrow(expect.objectContaining({ code: 'ERR_MAPPED_FILE_TRUNCATED' }));
      // A view whose shown bytes are partly gone says so, and does not throw.
      expect(inspect(tail)).toBe(`${header(tail)}: (MappedFileTruncated)>`);
      // Exactly the bytes inspect shows are left: it still works...
      fs.truncateSync(filePath, offset + max);
      expect(inspect(view)).toBe(expected);
      // ...and with one byte fewer it no longer does: it reads all it shows, no more.
      fs.truncateSync(filePath, offset + max - 1);
      expect(inspect(view)).toBe(`${header(view)}: (MappedFileTruncated)>`);
    } finally {
      file.close();
    }
  });

  test("does not throw for a closed file's view", () => {
    const file = open(dir.file('inspect-closed.bin', Buffer.from('hello, world')));
    const view = file.view(1, 5);
    const empty = file.view(3, 0);
    expect(inspect(view)).toBe(`${header(view)}: 65 6c 6c 6f 2c>`);
    file.close();
    expect(inspect(view)).toBe(`${header(view)}: (MappedFileClosed)>`);
    expect(inspect(empty)).toBe(`${header(empty)}: (MappedFileClosed)>`);
  });
});

describe('no [Symbol.iterator]', () => {
  test('a view is not iterable, so spreading it throws a TypeError', () => {
    const file = open(dir.file('iterator.bin', Buffer.from('abc')));
    try {
      for (const view of [file.view(), file.view(1, 1), file.view(3, 0), file.view().subarray(1)]) {
        expect(Symbol.iterator in view).toBe(false);
        expect((view as unknown as Record<symbol, unknown>)[Symbol.iterator]).toBeUndefined();
        expect(() => [...(view as unknown as Iterable<number>)]).toThrow(TypeError);
      }
      // What to use instead: chunks() and snapshot().
      expect(Buffer.concat([...file.view().chunks(2)]).toString()).toBe('abc');
    } finally {
      file.close();
    }
  });
});

afterAll(() => {
  if (process.env.SAFE_MMAP_FC_REPORT) process.stdout.write(`view-properties: ${comparisonCount()} comparisons\n`);
});
