// Error classes thrown by safe-mmap, plus the Node-style argument and system
// errors (same classes and `code`s as Buffer and fs give, so callers can
// handle both alike).
import { format, getSystemErrorMap, inspect, type InspectOptions } from 'node:util';

export interface MappedFileErrorDetails {
  path: string;
  offset?: number;
  length?: number;
  fileSize?: number;
  errno?: number;
}

/** Base class of every error about a mapped file's contents or lifetime. */
export class MappedFileError extends Error {
  readonly code: string;
  readonly path: string;
  readonly offset: number | undefined;
  readonly length: number | undefined;
  /** The file's size on disk when the error was detected, when known. */
  readonly fileSize: number | undefined;
  /** errno of a failed system call behind the error, when there was one. */
  readonly errno: number | undefined;

  constructor(code: string, message: string, details: MappedFileErrorDetails) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.path = details.path;
    this.offset = details.offset;
    this.length = details.length;
    this.fileSize = details.fileSize;
    this.errno = details.errno;
  }
}

/** The range read lies (partly) past the file's current end: it shrank after it was mapped. */
export class MappedFileTruncated extends MappedFileError {
  constructor(details: MappedFileErrorDetails) {
    super('ERR_MAPPED_FILE_TRUNCATED',
      `${describeRange(details)} of '${details.path}' is past the end of the file ` +
      `(now ${details.fileSize ?? 'unknown'} bytes): it was truncated after it was mapped`,
      details);
  }
}

/**
 * The range is inside the file but a page of it could not be read or written:
 * EIO, a vanished mount, or for writes a page that could not be allocated (a
 * full disk under a sparse file).
 */
export class MappedFileIOError extends MappedFileError {
  constructor(details: MappedFileErrorDetails) {
    const cause = details.errno ? describeErrno(details.errno)
      : 'the page could not be read, or could not be allocated or written (for example, a full disk)';
    super('ERR_MAPPED_FILE_IO', `I/O error at ${describeRange(details)} of '${details.path}': ${cause}`, details);
  }
}

/**
 * A file opened with { stable: true } changed in some way since it was opened
 * (a writer opened it, or its size or ctime moved), so this and every later
 * access refuse to mix two versions of it, even where the bytes are readable.
 */
export class MappedFileChanged extends MappedFileError {
  constructor(details: MappedFileErrorDetails) {
    super('ERR_MAPPED_FILE_CHANGED',
      `'${details.path}' changed after it was opened with { stable: true }: ` +
      `${describeRange(details)} would mix two versions of it`, details);
  }
}

/** The MappedFile (or the file of a view) was closed. */
export class MappedFileClosed extends MappedFileError {
  constructor(details: MappedFileErrorDetails) {
    super('ERR_MAPPED_FILE_CLOSED', `'${details.path}' was closed`, details);
  }
}

function describeRange({ offset, length }: MappedFileErrorDetails): string {
  return offset === undefined ? 'a read' : `${length} bytes at offset ${offset}`;
}

function describeErrno(errno: number): string {
  const entry = getSystemErrorMap().get(-Math.abs(errno));
  return entry ? `${entry[0]}: ${entry[1]}` : `errno ${errno}`;
}

/**
 * The errno that fs gives for `code` on this platform: libuv's (negative)
 * number, as getSystemErrorMap() holds it: -2 for ENOENT on Linux, -4058 on
 * Windows. undefined on a runtime without that map.
 */
export function uvErrno(code: string): number | undefined {
  for (const [errno, [name]] of getSystemErrorMap?.() ?? []) if (name === code) return errno;
  return undefined;
}

/**
 * An fs-style system error: `ENOENT: no such file or directory, open '/x'`,
 * or without a path `EINVAL: invalid argument, read`.
 */
export function systemError(errno: number, syscall: string, path?: string, detail?: string): NodeJS.ErrnoException {
  const [code, description] = getSystemErrorMap().get(-Math.abs(errno)) ?? ['UNKNOWN', 'unknown error'];
  const error: NodeJS.ErrnoException = new Error(`${code}: ${detail ?? description}, ${syscall}${
    path === undefined ? '' : ` '${path}'`}`);
  error.errno = -Math.abs(errno);
  error.code = code;
  error.syscall = syscall;
  if (path !== undefined) error.path = path;
  return error;
}

/** A write to a read-only mapping: refused before any memory is touched. */
export function readOnly(path: string, what = 'to write'): TypeError & { code: string } {
  return withCode(new TypeError(`'${path}' is mapped read-only: open it with { mode: 'r+' } ${what}`),
    'ERR_MAPPED_FILE_READ_ONLY');
}

// ---- Node-style argument errors (lib/internal/errors.js shapes) ----

type NodeStyleError = (TypeError | RangeError) & { code: string };

function withCode<E extends Error>(error: E, code: string): E & { code: string } {
  const coded = Object.assign(error, { code });
  // Node prints these as `TypeError [ERR_X]: message`; keep `name` the plain class.
  return coded;
}

export function invalidArgType(name: string, expected: string, actual: unknown): NodeStyleError {
  return withCode(new TypeError(`The "${name}" argument must be ${expected}. Received ${describeReceived(actual)}`),
    'ERR_INVALID_ARG_TYPE');
}

export function invalidArgValue(name: string, value: unknown, reason: string): NodeStyleError {
  const type = name.includes('.') ? 'property' : 'argument';  // as Node words it
  return withCode(new TypeError(`The ${type} '${name}' ${reason}. Received ${safeInspect(value)}`), 'ERR_INVALID_ARG_VALUE');
}

// util.inspect itself throws for some values (a DataView over a detached
// buffer): the argument error must still be the one thrown. Every error here
// that shows a received value shows it through this.
function safeInspect(value: unknown, options?: InspectOptions): string {
  try {
    return inspect(value, options);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function outOfRange(name: string, range: string, received: unknown): NodeStyleError {
  return withCode(new RangeError(`The value of "${name}" is out of range. It must be ${range}. ` +
    `Received ${formatReceivedNumber(received)}`), 'ERR_OUT_OF_RANGE');
}

/** wait/notify on 64-bit words: the kernel's futex is 32-bit. */
export function notWaitable(type: string): TypeError & { code: string } {
  return withCode(new TypeError(`${type} words cannot be waited on: the kernel's futex is 32-bit (use int32 or uint32)`),
    'ERR_MAPPED_FILE_NOT_WAITABLE');
}

/** A feature this platform cannot give (docs/platforms.md), with Node's own code for that. */
export function unavailableOnPlatform(what: string): Error & { code: string } {
  return withCode(new Error(`${what} is not available on ${process.platform}`), 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM');
}

/** A start offset that is not a multiple of the element size, as new Int32Array(buffer, 2) refuses it. */
export function misaligned(message: string): NodeStyleError {
  return withCode(new RangeError(message), 'ERR_INVALID_ARG_VALUE');
}

export function bufferOutOfBounds(): NodeStyleError {
  return withCode(new RangeError('Attempt to access memory outside buffer bounds'), 'ERR_BUFFER_OUT_OF_BOUNDS');
}

export function bufferTooLarge(maxLength: number): NodeStyleError {
  return withCode(new RangeError(`Cannot create a Buffer larger than ${maxLength} bytes`), 'ERR_BUFFER_TOO_LARGE');
}

export function unknownEncoding(encoding: unknown): NodeStyleError {
  // Node formats this one with '%s' (util.format): 1n stays `1n`, objects are
  // inspected, where String() would print `1` and `[object Object]`.
  return withCode(new TypeError(format('Unknown encoding: %s', encoding)), 'ERR_UNKNOWN_ENCODING');
}

function describeReceived(value: unknown): string {
  if (value == null) return String(value);
  if (typeof value === 'function') return `function ${value.name}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? `an instance of ${name}` : safeInspect(value, { depth: -1 });
  }
  let shown = safeInspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

function formatReceivedNumber(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) > 2 ** 32) {
    return addNumericalSeparator(String(value));
  }
  // As Node: `9_223_372_036_854_775_808n` (a read position may be a bigint).
  if (typeof value === 'bigint' && (value > 2n ** 32n || value < -(2n ** 32n))) {
    return `${addNumericalSeparator(String(value))}n`;
  }
  return safeInspect(value);
}

function addNumericalSeparator(digits: string): string {
  let result = '';
  let end = digits.length;
  const start = digits[0] === '-' ? 1 : 0;
  for (; end >= start + 4; end -= 3) result = `_${digits.slice(end - 3, end)}${result}`;
  return `${digits.slice(0, end)}${result}`;
}
