// The generators of test/api/view-properties.test.ts: the files it maps (random
// bytes, a few repeated bytes, or UTF-8 / UTF-16LE text whose multi-byte
// characters straddle the page boundaries), the operations it runs on a view
// and on its Buffer oracle (generated as data, made concrete against the case
// they run on), and the scenarios that chain them: a file, a view of it, a
// subarray/slice chain, operations.
import * as buffer from 'node:buffer';
import * as fc from 'fast-check';
import type { ValidationMode } from '../../src';
import { arbEncoding, arbIndex, arbReadOffset, edgeOffsets, TARGETS } from './buffer-args';
import { PAGE } from './files';
import { call } from './parity';
import { prng, type Random } from './random';
import { READS } from './reads';

const MAX_LENGTH = buffer.constants.MAX_LENGTH;

// ---------------------------------------------------------------------------
// Files

export type ContentKind = 'random bytes' | 'few distinct bytes' | 'UTF-8 text' | 'UTF-16LE text';
export interface FileSpec { size: number; kind: ContentKind; seed: number; mode: ValidationMode }

const SIZES: number[] = [0, 1, 2, 3, 4, 7, 8];
for (let pages = 1; pages <= 5; pages++) SIZES.push(pages * PAGE - 1, pages * PAGE, pages * PAGE + 1);

const arbFileSpec: fc.Arbitrary<FileSpec> = fc.record({
  size: fc.oneof(
    { arbitrary: fc.constantFrom(...SIZES), weight: 3 },
    { arbitrary: fc.integer({ min: 0, max: 5 * PAGE + 64 }), weight: 2 },
    { arbitrary: fc.integer({ min: 0, max: 40 }), weight: 1 },
  ),
  kind: fc.constantFrom<ContentKind>('random bytes', 'few distinct bytes', 'UTF-8 text', 'UTF-16LE text'),
  seed: fc.nat(),
  mode: fc.constantFrom<ValidationMode>('always', 'fault'),
});

// Bytes that numbers and short strings in the searches below will find.
const FEW_BYTES = [0x00, 0x61, 0x62, 0xff, 0xc3, 0xa9, 0x3d, 0xd8];

// Characters by UTF-8 width.
const UTF8_CHARS: Record<number, string[]> = {
  1: ['a', 'b', ' ', '\n', '\u0000', '\u007f'],
  2: ['é', 'ß', 'ÿ', 'Ā', '\u0080', '\u07ff'],
  3: ['€', '中', '\u0800', '\uffff', '\ufeff', '\ud7ff'],
  4: ['😀', '𝄞', '\u{10000}', '\u{10ffff}'],
};
// UTF-16 code unit sequences: single units (lone surrogates included) and surrogate pairs.
const UTF16_UNITS = ['a', 'b', 'é', '€', '中', '\u0000', '\uffff', '\u6161', '\ud800', '\udc00'];
const UTF16_PAIRS = ['😀', '𝄞', '\u{10000}', '\u{10ffff}'];

/**
 * UTF-8 text in which a 2-, 3- or 4-byte character straddles every page
 * boundary, starting 1, 2 or 3 bytes before it. The last character may be cut
 * by the end of the file.
 */
function utf8Text(size: number, rand: Random): Buffer {
  const out = Buffer.alloc(size);
  let lead = 1 + rand.int(3);  // bytes of the next straddler before its boundary
  for (let at = 0; at < size;) {
    const toBoundary = PAGE - (at % PAGE);
    let width: number;
    if (toBoundary === lead) {
      width = lead + 1 + rand.int(4 - lead);
      lead = 1 + rand.int(3);
    } else if (toBoundary <= 8 && toBoundary > lead) {
      width = 1;  // step up to the boundary one byte at a time
    } else {
      width = 1 + rand.int(4);
    }
    at += Buffer.from(rand.pick(UTF8_CHARS[width]), 'utf8').copy(out, at);
  }
  return out;
}

/** UTF-16LE text in which a surrogate pair straddles every page boundary. */
function utf16Text(size: number, rand: Random): Buffer {
  const out = Buffer.alloc(size);
  for (let at = 0; at < size;) {
    const toBoundary = PAGE - (at % PAGE);
    const text = toBoundary === 2 ? rand.pick(UTF16_PAIRS)
      : toBoundary <= 6 || rand() < 0.7 ? rand.pick(UTF16_UNITS) : rand.pick(UTF16_PAIRS);
    at += Buffer.from(text, 'utf16le').copy(out, at);
  }
  return out;
}

export function makeContent(spec: FileSpec): Buffer {
  const rand = prng(spec.seed);
  switch (spec.kind) {
    case 'random bytes': return Buffer.from(Array.from({ length: spec.size }, () => rand.int(256)));
    case 'few distinct bytes': return Buffer.from(Array.from({ length: spec.size }, () => rand.pick(FEW_BYTES)));
    case 'UTF-8 text': return utf8Text(spec.size, rand);
    case 'UTF-16LE text': return utf16Text(spec.size, rand);
  }
}

// ---------------------------------------------------------------------------
// Operations: generated as data, made concrete against the case they run on
// (so that a needle can be a piece of the view's own bytes).

export type ContentForm = 'Buffer' | 'Uint8Array' | 'Uint8Array at an odd byteOffset' | 'string';
/** A search value: a fixed one, or `length` bytes of the view's content at `start` (modulo its length). */
export type NeedleSpec =
  | { from: 'value'; value: unknown }
  | { from: 'content'; start: number; length: number; even: boolean; as: ContentForm };

/** The other side of equals/compare. */
export type OtherSpec =
  | { kind: 'bytes'; as: Exclude<ContentForm, 'string'>; trimStart: number; trimEnd: number; set?: [number, number] }
  | { kind: 'view'; file: 'same' | 'twin' | 'other'; range: 'same' | [number, number]; set: [number, number] }
  | { kind: 'the view itself' }
  | { kind: 'value'; value: unknown };

export type Op =
  | { op: 'search'; method: 'indexOf' | 'lastIndexOf' | 'includes'; value: NeedleSpec; rest: unknown[] }
  | { op: 'equals'; other: OtherSpec; arity: 0 | 1 }
  | { op: 'compare'; target: OtherSpec; rest: unknown[] }
  | { op: 'toString'; args: unknown[] }
  | { op: 'readInt'; method: string; args: unknown[] }
  | { op: 'at'; args: unknown[] }
  | { op: 'read'; method: string; args: unknown[] }
  | { op: 'subarray'; method: 'subarray' | 'slice'; args: unknown[]; enter: boolean }
  | { op: 'copy'; target: string; args: unknown[] }
  | { op: 'snapshot' }
  | { op: 'chunks'; args: unknown[] };
export type OpKind = Op['op'];
export const ALL_OPS: OpKind[] = ['search', 'equals', 'compare', 'toString', 'readInt', 'at', 'read', 'subarray', 'copy',
  'snapshot', 'chunks'];

/** The first `arity` of `args`, so that arguments.length varies too. */
function withArity(args: fc.Arbitrary<unknown>[], minArity = 0): fc.Arbitrary<unknown[]> {
  return fc.tuple(fc.tuple(...args), fc.integer({ min: minArity, max: args.length }))
    .map(([all, arity]) => all.slice(0, arity));
}

const NEEDLE_NUMBERS = [0, 1, 0x61, 0x62, 0xff, 0xc3, 0xd8, 256, 0x161, -1, -0x9f, 97.9, -0.5, NaN, Infinity,
  -Infinity, -0, 2 ** 32 + 0x61, 2 ** 53, -(2 ** 31), 1e21];
const NEEDLE_STRINGS = ['', 'a', 'b', 'ab', 'ba', 'aa', 'é', 'ß', '€', '中', '😀', '\ud83d', '\ude00', '\ud800',
  '\udfff', 'a\ud800', '\ud800a', '\u0000', 'ÿ', 'Ā', 'ab\u0000', 'YQ==', 'YWI', '61', '6162', 'zz', 'g', ' ', '\n',
  '\uffff', '€€', 'a\u0000'];
const NEEDLE_OTHERS: unknown[] = [
  Buffer.alloc(0), new Uint8Array(0), true, false, null, undefined, {}, [0x61], new Uint16Array([0x6161]),
  new Int8Array([0x61]), new Uint8ClampedArray([0x61]), new Float32Array(1), new DataView(new ArrayBuffer(2)),
  new ArrayBuffer(2), 0x61n, Symbol('needle'), () => 0x61, new String('a'), new Number(0x61), { valueOf: () => 0x61 },
];
const arbNeedle: fc.Arbitrary<NeedleSpec> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      from: fc.constant('content' as const),
      start: fc.nat(),
      length: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 40 })),
      even: fc.boolean(),
      as: fc.constantFrom<ContentForm>('Buffer', 'Uint8Array', 'Uint8Array at an odd byteOffset', 'string'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constantFrom(...NEEDLE_NUMBERS), fc.integer({ min: -300, max: 600 }), fc.double(),
      fc.constantFrom(...NEEDLE_STRINGS), fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 3 }),
      fc.uint8Array({ maxLength: 4 }), fc.uint8Array({ maxLength: 3 }).map((bytes) => Buffer.from(bytes)),
      fc.constantFrom(...NEEDLE_OTHERS),
    ).map((value) => ({ from: 'value' as const, value })),
  },
);

// Any encoding, with the UTF-16 ones (whose matches must be at even positions) more often.
const arbSearchEncoding: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: arbEncoding },
  { weight: 1, arbitrary: fc.constantFrom<unknown>('ucs2', 'utf16le', 'utf-16le', 'UCS-2', 'UTF16LE', new String('ucs2')) },
);

function arbSearchOffset(n: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.integer({ min: -n - 3, max: n + 3 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(-0, 0.5, -0.5, 1.5, -1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 31 - 1,
        -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 2 ** 53, -(2 ** 53), 1e21, null, true, [], [1], {}, '', '1', '-1', 'utf8',
        'ucs2', 'UTF-16LE', 'hex', 'latin1', 'base64', 'ascii', 'bogus', 1n, -1n, 2n ** 40n, -(2n ** 40n),
        Symbol('byteOffset'), { valueOf: () => 1 }, { valueOf: () => 2n ** 40n }, { valueOf: () => 1n }),
    },
    { weight: 1, arbitrary: fc.double() },
    { weight: 1, arbitrary: arbIndex(n) },
    { weight: 1, arbitrary: arbSearchEncoding },
  );
}

function arbOther(): fc.Arbitrary<OtherSpec> {
  const arbSet = fc.tuple(fc.nat(), fc.constantFrom(0, 0x61, 0xff, 0x80));
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('bytes' as const),
        as: fc.constantFrom<Exclude<ContentForm, 'string'>>('Buffer', 'Uint8Array', 'Uint8Array at an odd byteOffset'),
        trimStart: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 })),
        trimEnd: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 })),
        set: fc.option(arbSet, { nil: undefined }),
      }, { requiredKeys: ['kind', 'as', 'trimStart', 'trimEnd'] }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('view' as const),
        file: fc.constantFrom<'same' | 'twin' | 'other'>('same', 'twin', 'other'),
        range: fc.oneof(fc.constant('same' as const), fc.tuple(fc.nat(), fc.nat())),
        set: arbSet,
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'the view itself' as const }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>('abc', 1, null, undefined, {}, [1, 2], new ArrayBuffer(4),
        new DataView(new ArrayBuffer(4)), new Uint16Array(2), new Int8Array(2), Buffer.alloc(0), new Uint8Array(0),
        Buffer.from([0]), Buffer.from([0xff]), Symbol('other'))
        .map((value) => ({ kind: 'value' as const, value })),
    },
  );
}

function arbCompareArg(n: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: fc.integer({ min: 0, max: n + 3 }) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: -1 }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(0.5, 1.5, NaN, Infinity, -Infinity, -0, '1', null, true, 2 ** 31, 2 ** 32,
        MAX_LENGTH, MAX_LENGTH + 1, 1n, {}, Symbol('compare')),
    },
  );
}

const READ_INT_METHODS = ['readUIntLE', 'readUIntBE', 'readIntLE', 'readIntBE', 'readUintLE', 'readUintBE'];

function arbOp(n: number, kinds: readonly OpKind[]): fc.Arbitrary<Op> {
  const all: Record<OpKind, { weight: number; arbitrary: fc.Arbitrary<Op> }> = {
    search: {
      weight: 6,
      arbitrary: fc.record({
        op: fc.constant('search' as const),
        method: fc.constantFrom<'indexOf' | 'lastIndexOf' | 'includes'>('indexOf', 'lastIndexOf', 'includes'),
        value: arbNeedle,
        rest: withArity([arbSearchOffset(n), arbSearchEncoding]),
      }),
    },
    equals: {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('equals' as const), other: arbOther(), arity: fc.constantFrom<0 | 1>(1, 1, 1, 1, 0),
      }),
    },
    compare: {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('compare' as const),
        target: arbOther(),
        rest: withArity([arbCompareArg(n), arbCompareArg(n), arbCompareArg(n), arbCompareArg(n)]),
      }),
    },
    toString: {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('toString' as const), args: withArity([arbEncoding, arbIndex(n), arbIndex(n)]),
      }),
    },
    readInt: {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('readInt' as const),
        method: fc.constantFrom(...READ_INT_METHODS),
        args: withArity([arbReadOffset(n), fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 0, max: 7 }) },
          {
            weight: 2,
            arbitrary: fc.constantFrom(-1, 1.5, 6.5, NaN, Infinity, -Infinity, '2', null, undefined, 2 ** 32 + 1, -0,
              1n, true, {}, [2], Symbol('byteLength')),
          },
        )]),
      }),
    },
    at: {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('at' as const), args: withArity([arbIndex(n)]) }),
    },
    read: {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('read' as const), method: fc.constantFrom(...READS), args: withArity([arbReadOffset(n)]),
      }),
    },
    subarray: {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('subarray' as const),
        method: fc.constantFrom<'subarray' | 'slice'>('subarray', 'slice'),
        args: withArity([arbIndex(n), arbIndex(n)]),
        enter: fc.integer({ min: 0, max: 3 }).map((i) => i === 0),  // continue with the new view 1 time in 4
      }),
    },
    copy: {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('copy' as const),
        target: fc.constantFrom(...TARGETS.map((target) => target.label)),
        args: withArity([arbIndex(n), arbIndex(n), arbIndex(n)]),
      }),
    },
    snapshot: { weight: 1, arbitrary: fc.constant({ op: 'snapshot' as const }) },
    chunks: {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('chunks' as const),
        args: withArity([fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: Math.max(1, Math.floor(n / 64)), max: n + 2 }) },
          { weight: 2, arbitrary: fc.constantFrom(1, 2, 3, 7, PAGE - 1, PAGE, PAGE + 1, 2 ** 31, MAX_LENGTH) },
          {
            weight: 2,
            arbitrary: fc.constantFrom(0, -1, -0, 1.5, NaN, Infinity, -Infinity, '4', null, undefined, true, 4n,
              MAX_LENGTH + 1, {}, [4], Symbol('size')),
          },
        )], 1),
      }),
    },
  };
  return fc.oneof(...kinds.map((kind) => all[kind]));
}

/** A content needle made concrete for this case; a string is decoded with the search's own encoding. */
export function resolveNeedle(spec: NeedleSpec, buf: Buffer, encoding: unknown): unknown {
  if (spec.from === 'value') return spec.value;
  let start = spec.start % (buf.length + 1);
  if (spec.even) start &= ~1;
  const bytes = buf.subarray(start, Math.min(start + spec.length, buf.length));
  switch (spec.as) {
    case 'Buffer': return Buffer.from(bytes);
    case 'Uint8Array': return new Uint8Array(bytes);
    case 'Uint8Array at an odd byteOffset': return oddUint8Array(bytes);
    case 'string': {
      const name = typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8';
      return bytes.toString(name);
    }
  }
}

export function oddUint8Array(bytes: Uint8Array): Uint8Array {
  const holder = new Uint8Array(bytes.length + 1);
  holder.set(bytes, 1);
  return holder.subarray(1);
}

// ---------------------------------------------------------------------------
// Scenarios: a file, a view of it, a subarray/slice chain, operations

export interface Scenario {
  file: FileSpec;
  view: number[];
  chain: { method: 'subarray' | 'slice'; args: unknown[] }[];
  ops: Op[];
}

function arbViewArgs(size: number): fc.Arbitrary<number[]> {
  const edges = edgeOffsets(size).filter((offset) => offset >= 0 && offset <= size);
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: size }) },
    { weight: 2, arbitrary: fc.constantFrom(...edges) },
  ).chain((offset) => fc.oneof(
    fc.constant(offset === 0 ? [] : [offset]),
    fc.constant([offset]),
    fc.integer({ min: 0, max: size - offset }).map((length) => [offset, length]),
    fc.integer({ min: Math.max(0, size - offset - 3), max: size - offset }).map((length) => [offset, length]),
  ));
}

// Steps that mostly keep part of the view (a chain of random [start, end)
// pairs would mostly end empty), and sometimes go out of range.
function arbChainStep(length: number): fc.Arbitrary<Scenario['chain'][number]> {
  const special = fc.constantFrom(undefined, NaN, -0, 0.5, -1.5, Infinity, -Infinity, 2 ** 53, null);
  const start = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: Math.ceil(length / 3) }) },
    { weight: 1, arbitrary: fc.integer({ min: -length - 2, max: -1 }) },
    { weight: 1, arbitrary: special },
  );
  const end = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: Math.floor(length / 2), max: length + 2 }) },
    { weight: 2, arbitrary: fc.integer({ min: -Math.ceil(length / 3) - 1, max: -1 }) },
    { weight: 1, arbitrary: special },
  );
  return fc.record({ method: fc.constantFrom<'subarray' | 'slice'>('subarray', 'slice'), args: withArity([start, end]) });
}

export function arbScenario(kinds: readonly OpKind[], maxOps: number): fc.Arbitrary<Scenario> {
  return arbFileSpec.chain((file) => arbViewArgs(file.size).chain((view) => {
    const [offset = 0, length = file.size - offset] = view;
    return fc.array(arbChainStep(length), { maxLength: 3 }).chain((chain) => {
      let dummy = Buffer.allocUnsafe(length);
      for (const step of chain) dummy = call(dummy, step.method, step.args) as Buffer;
      return fc.record({
        file: fc.constant(file),
        view: fc.constant(view),
        chain: fc.constant(chain),
        ops: fc.array(arbOp(dummy.length, kinds), { minLength: 1, maxLength: maxOps }),
      });
    });
  }));
}