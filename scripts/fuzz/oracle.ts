// The bad-input fuzz's oracle: whether a case's outcome is one docs/api.md and
// src/errors.ts document. Errors are classified by constructor.name and
// `code`, never instanceof, because jest's realm differs from Node's.
import * as fs from 'node:fs';
import * as util from 'node:util';
import { ASYNC_METHOD, type Case, type Method } from './cases';
import type { Context } from './fixtures';
import { confinePath } from './values';

/** How long an async call or a stream may take to settle, and a sync call to return. */
export const CASE_TIMEOUT_MS = 5000;

/** ERR_* codes the library documents (docs/api.md, "Errors"), or passes through from Buffer/fs, with their classes. */
const DOCUMENTED_CODES: Record<string, string[]> = {
  ERR_INVALID_ARG_TYPE: ['TypeError'],
  ERR_INVALID_ARG_VALUE: ['TypeError', 'RangeError'],
  ERR_OUT_OF_RANGE: ['RangeError'],
  ERR_BUFFER_OUT_OF_BOUNDS: ['RangeError'],
  ERR_UNKNOWN_ENCODING: ['TypeError'],
  ERR_BUFFER_TOO_LARGE: ['RangeError'],
  ERR_MAPPED_FILE_READ_ONLY: ['TypeError'],
  ERR_MAPPED_FILE_NOT_WAITABLE: ['TypeError'],
  // fs's path checks for URL and Buffer paths (open() passes the path to fs.openSync).
  ERR_INVALID_URL_SCHEME: ['TypeError'],
  ERR_INVALID_FILE_URL_HOST: ['TypeError'],
  ERR_INVALID_FILE_URL_PATH: ['TypeError'],
};
const MAPPED_FILE_CODES: Record<string, string> = {
  MappedFileClosed: 'ERR_MAPPED_FILE_CLOSED', MappedFileTruncated: 'ERR_MAPPED_FILE_TRUNCATED',
};

/** How a call ended: it returned, threw (synchronously or as a rejection / 'error' event), or hung. */
export type Outcome =
  | { returned: unknown; notAPromise?: true }
  | { threw: unknown; sync: boolean }
  | { hang: true };

/** A documented outcome's key in the report's outcomes, or what was unexpected about it. */
export type Verdict = { key: string } | { unexpected: string };

type ErrorLike = { constructor?: { name?: string }; code?: unknown; syscall?: unknown; errno?: unknown; message?: unknown };

/** The outcome's key if it is a documented one, else null. */
function documentedKey(error: unknown): string | null {
  if (error === null || typeof error !== 'object') return null;
  if ((error as { fuzzSentinel?: unknown }).fuzzSentinel === true) return 'FuzzSentinel (passed through)';
  const { code, syscall, errno } = error as ErrorLike;
  const name = (error as ErrorLike).constructor?.name as string;
  if (typeof code === 'string') {
    if (DOCUMENTED_CODES[code] && DOCUMENTED_CODES[code].includes(name)) return `${name} ${code}`;
    if (MAPPED_FILE_CODES[name] === code) return `${name} ${code}`;
    if (name === 'AbortError' && code === 'ABORT_ERR') return `${name} ${code}`;
    if (name === 'Error' && /^E[A-Z0-9]+$/.test(code) && typeof syscall === 'string' && typeof errno === 'number') {
      return `${name} ${code} (${syscall})`;
    }
  }
  return null;
}

const ATOMIC_ARRAYS: Record<string, Int32ArrayConstructor | Uint32ArrayConstructor | BigInt64ArrayConstructor |
  BigUint64ArrayConstructor> = { int32: Int32Array, uint32: Uint32Array, bigint64: BigInt64Array, biguint64: BigUint64Array };

/**
 * Atomics.<operation> on a shared typed array of the view's words, with the
 * harness's arguments (run.ts: wait's timeout 0): V8's conversions of the
 * index and values ("Cannot convert a Symbol value to a number") throw there
 * as they do in MappedAtomics, which mirrors Atomics. wait and notify take
 * an Int32Array: Atomics waits on no other 32-bit type.
 */
function atomicsTwin(operation: string, ctx: Context, [type, index, ...values]: unknown[]): void {
  const waits = operation === 'wait' || operation === 'waitAsync' || operation === 'notify';
  const WordArray = waits && type === 'uint32' ? Int32Array : ATOMIC_ARRAYS[String(type)];
  if (!WordArray) return;
  const length = Math.floor((ctx.view as { length: number }).length / WordArray.BYTES_PER_ELEMENT);
  const words = new WordArray(new SharedArrayBuffer(length * WordArray.BYTES_PER_ELEMENT));
  const atomics = Atomics as unknown as Record<string, (...atomicsArgs: unknown[]) => unknown>;
  if (operation === 'wait' || operation === 'waitAsync') atomics[operation](words, index, values[0], 0);
  else atomics[operation](words, index, ...values);
}

/**
 * The error (or null) of the same call on what docs/api.md says the method
 * behaves like: a Buffer of the view's length (a Uint8Array for set()), fs
 * for open(), read()/readAsync() and createReadStream(), or Atomics for a
 * MappedAtomics operation. The oracle for errors without a code.
 */
function twinOutcome(method: Method, ctx: Context, args: unknown[]): unknown {
  try {
    if (method.twin === 'Atomics') {
      atomicsTwin(method.name.slice('atomics.'.length), ctx, args);
    } else if (method.twin === 'fs.openSync') {
      fs.closeSync(fs.openSync(confinePath(args[0], ctx) as fs.PathLike, 'r'));
    } else if (method.twin === 'fs.readSync') {
      const fd = fs.openSync(ctx.fixtures.paths.ro, 'r');
      try { (fs.readSync as (...readArgs: unknown[]) => number)(fd, ...args); } finally { fs.closeSync(fd); }
    } else if (method.twin === 'fs.createReadStream') {
      const stream = (fs.createReadStream as (...streamArgs: unknown[]) => fs.ReadStream)(ctx.fixtures.paths.ro, ...args);
      stream.on('error', () => {});
      stream.destroy();
    } else {
      const twin = Buffer.alloc((ctx.view as { length: number }).length);
      if (method.twin === 'set') Uint8Array.prototype.set.apply(twin, args as Parameters<Uint8Array['set']>);
      else (twin as unknown as Record<string, (...twinArgs: unknown[]) => unknown>)[method.twin as string](...args);
    }
    return null;
  } catch (error) {
    return error;
  }
}

/** Whether any of `tokens`, or any token nested in them, is an object token of this kind. */
function includesToken(tokens: readonly unknown[], kind: string): boolean {
  return tokens.some((token) => token !== null && typeof token === 'object' &&
    ((token as { kind?: unknown }).kind === kind ||
      Object.values(token).some((value) => Array.isArray(value) && includesToken(value, kind)) ||
      Object.values(token).some((value) => value !== null && typeof value === 'object' && !Array.isArray(value) &&
        includesToken([value], kind))));
}

export function errorText(error: unknown): string {
  if (error === null || typeof error !== 'object') return `a thrown ${typeof error}: ${String(error)}`;
  const { code, message } = error as ErrorLike;
  const name = (error as ErrorLike).constructor?.name;
  return `${name} (${code === undefined ? 'no code' : `code ${util.inspect(code)}`}): ${String(message).slice(0, 200)}`;
}

export function classify(testCase: Case, ctx: Context, args: unknown[], outcome: Outcome): Verdict {
  const { method } = testCase;
  if ('hang' in outcome) return { unexpected: `did not settle within ${CASE_TIMEOUT_MS} ms` };
  if ('returned' in outcome) {
    if (outcome.notAPromise) return { unexpected: `async method returned ${util.inspect(outcome.returned)}, not a Promise` };
    return { key: 'returned' };
  }
  const error = outcome.threw;
  if (outcome.sync && ASYNC_METHOD.has(method.name)) {
    return { unexpected: `threw synchronously from an async method (docs/api.md says errors become rejections): ${errorText(error)}` };
  }
  const key = documentedKey(error);
  if (key) return { key };
  const { code, message } = (error ?? {}) as ErrorLike;
  const name = (error as ErrorLike | null)?.constructor?.name;
  // Touching a revoked Proxy the fuzz passed in throws from V8 itself: the
  // caller's object failing, like FuzzSentinel, wherever the library reads it.
  if (error && name === 'TypeError' && code === undefined &&
    /on a proxy that has been revoked$/.test(String(message)) && includesToken(testCase.args, 'revokedProxy')) {
    return { key: 'TypeError (from a revoked Proxy passed in)' };
  }
  if (error && typeof error === 'object' && code === undefined && method.twin) {
    const twinError = twinOutcome(method, ctx, args) as ErrorLike | null;
    const like = method.twin.startsWith('fs.') || method.twin === 'Atomics' ? method.twin : 'Buffer';
    if (twinError && typeof twinError === 'object' && twinError.code === undefined &&
      twinError.constructor?.name === name && twinError.message === message) {
      return { key: `${name} (no code, as ${like}): ${message}` };
    }
    return { unexpected: `${errorText(error)}; ${like} ${twinError ? `threw ${errorText(twinError)}` : 'returned normally'}` };
  }
  return { unexpected: errorText(error) };
}

