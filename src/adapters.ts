// Adapters: the shapes that existing parsers take, over a MappedFile or a
// MappedView, so that users do not write them by hand. No dependency on any of
// those parsers; each adapter is a few lines over the public API, and every
// byte it hands out is a JS-owned copy (never memory aliasing the mapping).
import { invalidArgType } from './errors';
import { AsyncOptions } from './async';
import { MappedFile } from './file';
import { validateInteger } from './validate';
import { MappedView } from './view';

/**
 * A web-style random-access source (hyparquet's AsyncBuffer, and the shape of
 * Blob#slice + arrayBuffer): `byteLength`, and `slice(start, end)` returning
 * the bytes of [start, end) in a new ArrayBuffer of exactly that length.
 * Indexes follow ArrayBuffer#slice / Blob#slice: end-exclusive, `end` optional,
 * negatives count from the end, both clamped to [0, byteLength].
 */
export interface ArrayBufferSource {
  readonly byteLength: number;
  slice(start?: number, end?: number): ArrayBuffer;
}

/** ArrayBufferSource whose slice() copies on the thread pool and returns a Promise. */
export interface AsyncArrayBufferSource {
  readonly byteLength: number;
  slice(start?: number, end?: number): Promise<ArrayBuffer>;
}

/**
 * An fs-style positional reader, for libraries that take `read(buffer, offset,
 * length, position)`: it copies up to `length` bytes of the file at `position`
 * into buffer[offset...] and returns the count, as fs.readSync: short at the
 * file's end, 0 past it (the end is the file's size now, not at open). A
 * truncation racing the read (after the size check) throws MappedFileTruncated.
 */
export interface FsReader {
  read(buffer: ArrayBufferView, offset: number, length: number, position: number): number;
  /** read() copying on the thread pool. Do not touch buffer until the promise settles. */
  readAsync(buffer: ArrayBufferView, offset: number, length: number, position: number,
    options?: AsyncOptions): Promise<number>;
}

function viewOf(source: unknown): MappedView {
  if (source instanceof MappedView) return source;
  if (source instanceof MappedFile) return source.view();
  throw invalidArgType('source', 'an instance of MappedFile or MappedView', source);
}

/**
 * A synchronous ArrayBufferSource over a file (its mapped size now) or a view.
 * Errors (MappedFileTruncated, MappedFileClosed...) are thrown by slice().
 */
export function arrayBufferSource(source: MappedFile | MappedView): ArrayBufferSource {
  const view = viewOf(source);
  return { byteLength: view.length, slice: (start, end) => view.subarray(start, end).arrayBuffer() };
}

/**
 * An ArrayBufferSource whose slice() runs on the thread pool. Every error,
 * argument and closed-file errors included, arrives as a rejection.
 */
export function asyncArrayBufferSource(source: MappedFile | MappedView): AsyncArrayBufferSource {
  const view = viewOf(source);
  // async: a synchronous throw of subarray() (closed file) becomes a rejection.
  return { byteLength: view.length, slice: async (start, end) => view.subarray(start, end).arrayBufferAsync() };
}

/** An FsReader over a file. Errors of readAsync(), argument errors included, arrive as rejections. */
export function fsReader(file: MappedFile): FsReader {
  if (!(file instanceof MappedFile)) throw invalidArgType('file', 'an instance of MappedFile', file);
  return {
    read: (buffer, offset, length, position) => readAt(file, buffer, offset, length, position, false) as number,
    readAsync: async (buffer, offset, length, position, options) =>
      readAt(file, buffer, offset, length, position, true, options),
  };
}

// TODO(merge): file.read — issue-12 adds MappedFile#read/readAsync with exact
// fs.readSync semantics; fsReader's two lines then call them and this goes.
// Meanwhile: positional reads clamped to the file's current size (fstat, as
// fs.readSync sees it) and to the mapped size.
function readAt(file: MappedFile, buffer: unknown, offset: unknown, length: unknown, position: unknown,
  async: boolean, options?: AsyncOptions): number | Promise<number> {
  if (!ArrayBuffer.isView(buffer)) {
    throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer);
  }
  // A DataView over a detached buffer throws on byteLength (a TypedArray says 0): empty, either way.
  let byteLength = 0;
  try { byteLength = buffer.byteLength; } catch { /* detached */ }
  validateInteger(offset, 'offset', 0, byteLength);
  validateInteger(length, 'length', 0, byteLength - offset);
  validateInteger(position, 'position', 0, Number.MAX_SAFE_INTEGER);
  const end = Math.min(position + length, file.fileSize(), file.size);  // fileSize() throws when closed
  const count = Math.max(end - position, 0);
  // Before touching buffer.buffer: a detached buffer has length 0 and gets here only with count 0.
  if (count === 0) return async ? Promise.resolve(0) : 0;
  const target = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, count);
  const view = file.view(position, count);
  return async ? view.copyAsync(target, 0, 0, count, options) : view.copy(target);
}
