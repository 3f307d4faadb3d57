// The bad-input fuzz's cases: which call, on what subject (a fresh MappedFile
// or view over one of the fixture files), with which arguments from the
// pools, and how a case is written out so that it can be replayed.
import * as fc from 'fast-check';
import { inspect } from 'node:util';
import { PAGE } from '../../test/support/files';
import {
  arbAdvice, arbAsyncOptions, arbAtomicType, arbAtomicValue, arbBad, arbBigIntValue, arbByteLength, arbChunkSize, arbEncoding, arbFillValue,
  arbJunk, arbNeedle, arbNumberValue, arbOffset, arbOpenOptions, arbPath, arbReadOffsetOrOptions, arbReadPosition,
  arbSetSource, arbSnapshotOptions, arbStreamOptions, arbString, arbTarget, isTokenObject, Token,
} from './pools';

/**
 * A function or method the fuzz calls. on: what the call is made on; kind: how
 * its outcome is awaited; twin: what docs/api.md says it behaves like (a Buffer
 * method, fs, or Atomics), asked about errors without a code.
 */
export interface Method {
  name: string;
  on: 'module' | 'file' | 'view';
  /** An adapter made over the subject's view or file, then used once. */
  over?: 'view' | 'file';
  kind: 'sync' | 'async' | 'stream' | 'iterator';
  args: fc.Arbitrary<Token>[];
  twin?: string;
}

const READ_WIDTHS = {
  readUInt8: 1, readInt8: 1, readUInt16LE: 2, readUInt16BE: 2, readInt16LE: 2, readInt16BE: 2, readUInt32LE: 4,
  readUInt32BE: 4, readInt32LE: 4, readInt32BE: 4, readFloatLE: 4, readFloatBE: 4, readDoubleLE: 8, readDoubleBE: 8,
  readBigUInt64LE: 8, readBigUInt64BE: 8, readBigInt64LE: 8, readBigInt64BE: 8,
};
const alias = (name: string): string => name.replace('UInt', 'Uint');
const withAliases = (names: string[]): string[] => [...new Set(names.flatMap((name) => [name, alias(name)]))];

export const METHODS: Method[] = [
  { name: 'open', on: 'module', kind: 'sync', args: [arbPath, arbOpenOptions], twin: 'fs.openSync' },
  // Memory that did not come from snapshot(): a TypeError with a code, whatever it is.
  { name: 'checkSnapshot', on: 'module', kind: 'sync', args: [fc.oneof(arbTarget, arbBad)] },
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
  // Record locks: bad ranges and options; a granted lock goes with the case's close().
  { name: 'lock', on: 'file', kind: 'async', args: [arbOffset, arbOffset, arbAsyncOptions] },
  // Change notifications: bad options throw; a watcher made goes with the case's close().
  { name: 'watch', on: 'file', kind: 'sync', args: [fc.oneof(arbAsyncOptions, arbBad)] },
  { name: 'createReadStream', on: 'file', kind: 'stream', args: [arbStreamOptions], twin: 'fs.createReadStream' },
  { name: 'close', on: 'file', kind: 'sync', args: [] },
  { name: 'dispose', on: 'file', kind: 'sync', args: [] },  // file[Symbol.dispose]()
  { name: 'fileProperties', on: 'file', kind: 'sync', args: [] },  // path, size, closed... never throw
  // MappedView: reads
  ...withAliases(Object.keys(READ_WIDTHS)).map((name): Method => ({ name, on: 'view', kind: 'sync', args: [arbOffset], twin: name })),
  ...withAliases(['readUIntLE', 'readUIntBE', 'readIntLE', 'readIntBE'])
    .map((name): Method => ({ name, on: 'view', kind: 'sync', args: [arbOffset, arbByteLength], twin: name })),
  { name: 'at', on: 'view', kind: 'sync', args: [arbOffset], twin: 'at' },
  ...['indexOf', 'lastIndexOf', 'includes'].flatMap((name): Method[] => [
    { name, on: 'view', kind: 'sync', args: [arbNeedle, arbOffset, arbEncoding], twin: name },
    { name: `${name}Async`, on: 'view', kind: 'async', args: [arbNeedle, arbOffset, arbEncoding, arbAsyncOptions], twin: name },
  ]),
  // view.atomics(type), then one operation (atomics.<name>): index and values
  // as Atomics takes them. wait gets timeout 0 and waitAsync 1 ms, so that
  // no case sleeps; the case's close() settles a waitAsync that is pending.
  // Their twin is Atomics itself, on a typed array of the same words.
  { name: 'atomics', on: 'view', kind: 'sync', args: [arbAtomicType] },
  ...['load', 'notify'].map((name): Method => ({ name: `atomics.${name}`, on: 'view', kind: 'sync', args: [arbAtomicType, arbOffset, arbOffset], twin: 'Atomics' })),
  ...['store', 'add', 'sub', 'and', 'or', 'xor', 'exchange', 'wait'].map((name): Method =>
    ({ name: `atomics.${name}`, on: 'view', kind: 'sync', args: [arbAtomicType, arbOffset, arbAtomicValue], twin: 'Atomics' })),
  { name: 'atomics.compareExchange', on: 'view', kind: 'sync', args: [arbAtomicType, arbOffset, arbAtomicValue, arbAtomicValue], twin: 'Atomics' },
  { name: 'atomics.waitAsync', on: 'view', kind: 'async', args: [arbAtomicType, arbOffset, arbAtomicValue, arbAsyncOptions], twin: 'Atomics' },
  { name: 'equals', on: 'view', kind: 'sync', args: [arbTarget], twin: 'equals' },
  { name: 'compare', on: 'view', kind: 'sync', args: [arbTarget, arbOffset, arbOffset, arbOffset, arbOffset], twin: 'compare' },
  { name: 'toString', on: 'view', kind: 'sync', args: [arbEncoding, arbOffset, arbOffset], twin: 'toString' },
  { name: 'subarray', on: 'view', kind: 'sync', args: [arbOffset, arbOffset], twin: 'subarray' },
  { name: 'slice', on: 'view', kind: 'sync', args: [arbOffset, arbOffset], twin: 'slice' },
  { name: 'copy', on: 'view', kind: 'sync', args: [arbTarget, arbOffset, arbOffset, arbOffset], twin: 'copy' },
  { name: 'copyAsync', on: 'view', kind: 'async', args: [arbTarget, arbOffset, arbOffset, arbOffset, arbAsyncOptions], twin: 'copy' },
  { name: 'snapshot', on: 'view', kind: 'sync', args: [arbSnapshotOptions] },
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
  ...withAliases(Object.keys(READ_WIDTHS).map((name) => name.replace('read', 'write'))).map((name): Method => ({
    name, on: 'view', kind: 'sync', args: [name.includes('Big') ? arbBigIntValue : arbNumberValue, arbOffset], twin: name,
  })),
  ...withAliases(['writeUIntLE', 'writeUIntBE', 'writeIntLE', 'writeIntBE'])
    .map((name): Method => ({ name, on: 'view', kind: 'sync', args: [arbNumberValue, arbOffset, arbByteLength], twin: name })),
  { name: 'flush', on: 'view', kind: 'sync', args: [] },
  { name: 'flushAsync', on: 'view', kind: 'async', args: [] },
];
export const ASYNC_METHOD = new Set(METHODS.filter((m) => m.kind === 'async').map((m) => m.name));
/** Every function the fuzz calls, as 'module.open', 'file.view', 'view.readUInt8'... */
export const METHOD_NAMES = [...new Set(METHODS.map((m) => `${m.on}.${m.name}`))];

/** Which fixture file a case's subject maps, and how. */
export interface Subject {
  file: 'ro' | 'empty' | 'rw' | 'wplus' | 'truncated' | 'grown';
  validate: 'always' | 'fault';
  populate: boolean;
  grow: boolean;
  /** For 'truncated' and 'grown': mapped 'r+' rather than 'r'. */
  writable: boolean;
  /** Taken modulo the sizes: where the view starts, how long it is, where the file is cut. */
  at: number; length: number; cut: number;
  /** A subarray(start, end) of the view. */
  sub: [number, number | undefined] | null;
  closed: boolean;
  /** Close the file right after an async call starts, or mid-stream. */
  closeDuring: boolean;
}

export interface Case {
  method: Method;
  subject: Subject;
  style: 'clean' | 'oneBad' | 'chaos';
  args: Token[];
  /** How many of args and extra are passed. */
  count: number;
  /** One argument more than the method takes. */
  extra: Token;
}

// What a call is made on: a fresh MappedFile (and view) over one of the fixture files.
const SUBJECT_FILES = ['ro', 'ro', 'empty', 'rw', 'rw', 'rw', 'wplus', 'wplus', 'truncated', 'grown'] as const;
const arbSubject: fc.Arbitrary<Subject> = fc.record({
  file: fc.constantFrom(...SUBJECT_FILES),
  validate: fc.constantFrom('always' as const, 'fault' as const),
  populate: fc.boolean(),
  grow: fc.boolean(),
  writable: fc.boolean(),
  at: fc.nat(), length: fc.nat(), cut: fc.nat(),
  sub: fc.option(fc.tuple(fc.integer({ min: -20, max: 3 * PAGE }), fc.option(fc.integer({ min: -20, max: 3 * PAGE }), { nil: undefined })), { nil: null }),
  closed: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
  closeDuring: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, { arbitrary: fc.constant(true), weight: 1 }),
});

// The files whose bytes are checked at the end; open() may map them, but not with mode 'w+' (which truncates).
const PROTECTED_PATHS = new Set(['protected', 'protectedLink', 'empty', 'emptyFile']);
const sparingProtectedFiles = (testCase: Case): Case => {
  const [pathToken, options] = testCase.args;
  if (testCase.method.name === 'open' && isTokenObject(pathToken) && pathToken.$ === 'path' &&
    PROTECTED_PATHS.has(pathToken.kind) && isTokenObject(options) && options.$ === 'openOptions' && options.mode === 'w+') {
    return { ...testCase, args: [{ ...pathToken, kind: 'target' }, options] };
  }
  return testCase;
};

export const arbCase: fc.Arbitrary<Case> = fc.constantFrom(...METHODS).chain((method) => fc.record({
  method: fc.constant(method),
  subject: arbSubject,
  plausible: fc.tuple(...method.args),
  bad: fc.tuple(...method.args.map(() => arbBad)),
  // Which parameters get a bad value: none (the calls that reach the native
  // side), exactly one (each check on its own), or any of them.
  style: fc.constantFrom('clean' as const, 'oneBad' as const, 'oneBad' as const, 'chaos' as const),
  which: fc.nat(),
  mask: fc.array(fc.boolean(), { minLength: method.args.length, maxLength: method.args.length }),
  // Usually every parameter; sometimes fewer (defaults), sometimes one more.
  count: fc.oneof({ arbitrary: fc.constant(method.args.length), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: method.args.length + 1 }), weight: 2 }),
  extra: arbJunk,
}).map(({ plausible, bad, style, which, mask, ...rest }): Case => ({
  ...rest,
  style,
  args: plausible.map((value, i) =>
    ((style === 'oneBad' && i === which % plausible.length) || (style === 'chaos' && mask[i]) ? bad[i] : value)),
}))).map(sparingProtectedFiles);

/** A token as the case's description shows it. */
function describeToken(token: Token): string {
  if (!isTokenObject(token)) {
    if (Object.is(token, -0)) return '-0';
    return inspect(token, { maxStringLength: 24 });
  }
  if (token.$ === 'rel') {
    const d = `${token.d >= 0 ? '+' : ''}${token.d}`;
    return token.base === 'page' ? `${token.k}*PAGE${d}` : `${token.base}${d}`;
  }
  if (token.$ === 'sym') return 'Symbol(fuzz)';
  if (token.$ === 'absent') return '<absent>';
  if (token.$ === 'array') return `[${token.items.map(describeToken).join(', ')}]`;
  const { $: kind, ...fields } = token;
  const parts = Object.entries(fields).map(([key, value]) => `${key}: ${describeToken(value as Token)}`);
  return `<${kind} ${parts.join(', ')}>`;
}

/** The case as a call, numbered: runBadInputFuzz's { only: [n] } replays it. */
export function describeCase(testCase: Case, index: number): string {
  const { method, subject, args, count, extra } = testCase;
  const shown = [...args, extra].slice(0, count).map(describeToken).join(', ');
  if (method.on === 'module' && !method.over) return `#${index} ${method.name}(${shown})`;
  const file = `${subject.file}${subject.file === 'truncated' || subject.file === 'grown' ? (subject.writable ? ' r+' : ' r') : ''}` +
    `${subject.validate === 'fault' ? ' fault' : ''}${subject.populate ? ' populate' : ''}${subject.grow ? ' grow' : ''}`;
  const on = method.on === 'file' || method.over === 'file' ? `file(${file})` : `file(${file}).view(at ${subject.at}, length ${subject.length})` +
    `${subject.sub ? `.subarray(${subject.sub[0]}, ${subject.sub[1]})` : ''}`;
  const state = `${subject.closed ? ' [closed]' : ''}${subject.closeDuring ? ' [close during]' : ''}`;
  const call = method.over ? `->${method.name}(...).${method.name.endsWith('Source') ? 'slice' : 'read'}` : method.name;
  return `#${index} ${on}${state}.${call}(${shown})`;
}
