// Tokens made into the values a case passes: fresh objects every time,
// lengths relative to the case's subject, views and signals of its own.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as util from 'node:util';
import { PAGE } from '../../test/support/files';
import type { MappedView } from '../package';
import { mod, type Context } from './fixtures';
import {
  isTokenObject, type ObjectKind, type OpenOptionsToken, type PathForm, type PathKind, type SignalKind, type Token,
  type TokenObject, type TypedKind, type TypedLength, type ViewKind,
} from './pools';

/** Thrown by the fuzz's own valueOf/getters/proxy traps: must come out unchanged. */
export class FuzzSentinel extends Error {
  readonly fuzzSentinel = true;

  constructor() {
    super('thrown by a value the fuzz passed in');
  }
}

function subjectSizes(ctx: Context): { len: number; size: number; half: number } {
  const length = ctx.view ? ctx.view.length : ctx.size;
  return { len: length, size: ctx.size, half: Math.floor(length / 2) };
}

function lengthOf(n: TypedLength, ctx: Context): number {
  const { len, half } = subjectSizes(ctx);
  if (typeof n === 'number') return n;
  return Math.max(0, { len, 'len-1': len - 1, 'len+1': len + 1, half }[n]);
}

export function materialize(token: Token, ctx: Context): unknown {
  if (!isTokenObject(token)) return token;
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
      const options: Record<string, unknown> = {};
      for (const key of ['start', 'end', 'highWaterMark'] as const) {
        if (token[key] !== undefined) options[key] = materialize(token[key], ctx);
      }
      if (token.signal !== 'none') options.signal = token.signal === 'junk' ? 'signal' : makeSignal(token.signal, ctx);
      return options;
    }
    case 'readOptions': {
      const options: Record<string, unknown> = {};
      for (const key of ['offset', 'length', 'position'] as const) {
        if (token[key] !== undefined) options[key] = materialize(token[key], ctx);
      }
      return options;
    }
    case 'snapshotOptions':
      return isTokenObject(token.lazy) && token.lazy.$ === 'absent' ? {} : { lazy: materialize(token.lazy, ctx) };
    case 'path': return makePath(token, ctx);
    case 'openOptions': return makeOpenOptions(token, ctx);
    default: throw new Error(`fuzz: unknown token ${(token as TokenObject).$}`);
  }
}

function makeTyped({ type, n, fill }: { type: TypedKind; n: TypedLength; fill: string }, ctx: Context): unknown {
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
    default: {  // offsetU8: a Uint8Array that starts inside a larger buffer
      const outer = new Uint8Array(length + 16);
      outer.set(bytes, 7);
      return outer.subarray(7, 7 + length);
    }
  }
}

function makeViewArg(which: ViewKind, ctx: Context): MappedView {
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

function makeSignal(kind: SignalKind, ctx: Context): AbortSignal | undefined {
  if (kind === 'none') return undefined;
  if (kind === 'aborted') return AbortSignal.abort();
  const controller = new AbortController();
  if (kind === 'abortAfterCall') ctx.afterCall.push(() => controller.abort());
  return controller.signal;
}

function makeObject(kind: ObjectKind): unknown {
  const sentinel = (): never => { throw new FuzzSentinel(); };
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

function makePath({ kind, form }: { kind: PathKind; form: PathForm }, ctx: Context): unknown {
  const { paths } = ctx.fixtures;
  const file = {
    target: paths.target, created: paths.created, missing: path.join(paths.dir, 'missing.bin'),
    missingDir: path.join(paths.dir, 'no', 'such.bin'), dir: paths.dir, dot: '.', devNull: '/dev/null',
    devZero: '/dev/zero', fifo: paths.fifo, notDir: path.join(paths.ro, 'x'), tooLong: path.join(paths.dir, 'x'.repeat(300)),
    loop: paths.loop, protected: paths.ro, protectedLink: paths.protectedLink,
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

/**
 * open()'s path, kept inside the fixtures: a relative path would be resolved
 * against the working directory, and open(junk, { mode: 'w+' }) would create
 * a file there, so it goes to the fixtures' junk/ directory instead. ('' and
 * '.' cannot create anything.)
 */
export function confinePath(value: unknown, ctx: Context): unknown {
  const { junk } = ctx.fixtures.paths;
  if (typeof value === 'string' && value !== '' && value !== '.' && !path.isAbsolute(value)) return path.join(junk, value);
  if (util.types.isUint8Array(value) && value.length > 0 && value[0] !== 0x2f) {  // not '/'
    return Buffer.concat([Buffer.from(`${junk}/`), value]);
  }
  return value;
}

function makeOpenOptions(token: OpenOptionsToken, ctx: Context): Record<string, unknown> {
  const options: Record<string, unknown> = token.getter === 'proto' ? Object.create({ mode: 'r' }) : {};
  for (const key of ['validate', 'mode', 'size', 'grow', 'populate'] as const) {
    const value = token[key];
    if (!(isTokenObject(value) && value.$ === 'absent')) options[key] = materialize(value, ctx);
  }
  if (token.getter === 'throws') Object.defineProperty(options, 'validate', { get() { throw new FuzzSentinel(); }, enumerable: true });
  return options;
}
