// Adapters: the shapes that existing parsers take, over a MappedFile or a
// MappedView, so that users do not write them by hand. No dependency on any of
// those parsers; each adapter is a few lines over the public API, and every
// byte it hands out is a JS-owned copy (never memory aliasing the mapping).
import { invalidArgType } from './errors';
import { AbortError, AsyncOptions, signalOf } from './async';
import { MappedFile } from './file';
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
 * file's end, 0 past it (the end is the file's size now, not at open), and a
 * truncation racing the read gives a short count, as fs does.
 */
export interface FsReader {
  read(buffer: NodeJS.ArrayBufferView, offset: number, length: number, position: number): number;
  /** read() copying on the thread pool. Do not touch buffer until the promise settles. */
  readAsync(buffer: NodeJS.ArrayBufferView, offset: number, length: number, position: number,
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

/**
 * An FsReader over a file: file.read() and file.readAsync(), which follow
 * fs.readSync and FileHandle.read exactly. Errors of readAsync(), argument
 * errors included, arrive as rejections. options.signal rejects with an
 * AbortError when it aborts before the read settles (the read itself is not
 * interrupted, as FileHandle.read is not).
 */
export function fsReader(file: MappedFile): FsReader {
  if (!(file instanceof MappedFile)) throw invalidArgType('file', 'an instance of MappedFile', file);
  return {
    read: (buffer, offset, length, position) => file.read(buffer, offset, length, position),
    readAsync: async (buffer, offset, length, position, options) => {
      const signal = signalOf(options);
      if (signal?.aborted) throw new AbortError(signal.reason);
      const { bytesRead } = await file.readAsync(buffer, offset, length, position);
      if (signal?.aborted) throw new AbortError(signal.reason);
      return bytesRead;
    },
  };
}
