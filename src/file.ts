// open() and MappedFile: owns one native mapping and its descriptor.
import { closeSync, constants, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { binding, NativeMapping } from './binding';
import { invalidArgType, invalidArgValue } from './errors';
import { validateInteger } from './validate';
import { MappedReadStream, ReadStreamOptions } from './stream';
import { MappedView, ViewSource } from './view';

// Node >= 18.18 defines Symbol.dispose as Symbol.for('nodejs.dispose'); other
// realms (vm contexts, jest) may lack it, so fall back to the same registered symbol.
const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('nodejs.dispose');

export type ValidationMode = 'always' | 'fault';

export interface OpenOptions {
  /**
   * 'always' (default): size and ctime are checked around every access, so no
   * byte that was not in the file at one moment is ever returned.
   * 'fault': no system call per access, only the fault guard; a read inside
   * the zero-filled tail page of a truncated file can return those zeros.
   */
  validate?: ValidationMode;
}

// In step with ValidationMode in native/mapping.h.
const VALIDATION_MODES: Record<ValidationMode, number> = { always: 0, fault: 1 };

// O_NONBLOCK so that opening a FIFO by mistake fails fast in the type check
// instead of blocking until a writer appears. libuv adds O_CLOEXEC.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

export class MappedFile implements ViewSource {
  /** The path as given to open(), as a string. */
  readonly path: string;
  /** Number of bytes mapped: the file's size when it was opened. */
  readonly size: number;
  readonly validate: ValidationMode;
  #native: NativeMapping;
  #closed = false;

  /** @internal Use open(). */
  constructor(native: NativeMapping, path: string, validate: ValidationMode) {
    this.#native = native;
    this.path = path;
    this.size = native.mappedSize();
    this.validate = validate;
  }

  /** @internal The mapping; after close() every call on it throws MappedFileClosed. */
  get native(): NativeMapping {
    return this.#native;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The file's current size on disk (fstat), which may differ from `size`. */
  fileSize(): number {
    return this.#native.fileSize();
  }

  /** A live window of `length` bytes at `offset`. Nothing is copied. */
  view(offset: number = 0, length?: number): MappedView {
    validateInteger(offset, 'offset', 0, this.size);
    const available = this.size - offset;
    if (length === undefined) length = available;
    else validateInteger(length, 'length', 0, available);
    return new MappedView(this, offset, length);
  }

  /**
   * A stream.Readable of [start, end] (inclusive, as fs.createReadStream),
   * reading on the thread pool with backpressure. A fault becomes an 'error'
   * event carrying MappedFileTruncated or MappedFileIOError.
   */
  createReadStream(options?: ReadStreamOptions): MappedReadStream {
    return new MappedReadStream(this.view(), options);
  }

  /**
   * Unmaps and closes the descriptor. Asynchronous operations already copying
   * finish first (the unmap waits for them); queued ones reject with
   * MappedFileClosed. Idempotent; later accesses throw MappedFileClosed.
   */
  close(): void {
    this.#closed = true;
    this.#native.close();
  }

  [disposeSymbol](): void {
    this.close();
  }
}

/** Maps a regular file read-only. Throws fs-style errors (ENOENT, EISDIR...) like fs.openSync. */
export function open(path: string | Buffer | URL, options?: OpenOptions): MappedFile {
  const validate = readValidationMode(options);
  const fd = openSync(path, OPEN_FLAGS);  // fs validates the path and formats its errors
  const displayPath = toDisplayPath(path);
  try {
    return new MappedFile(new binding.NativeMapping(fd, VALIDATION_MODES[validate], displayPath), displayPath, validate);
  } catch (error) {
    closeSync(fd);  // the native side owns fd only once mapping succeeded
    throw error;
  }
}

function readValidationMode(options: unknown): ValidationMode {
  if (options === undefined) return 'always';
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const { validate = 'always' } = options as OpenOptions;
  if (!Object.prototype.hasOwnProperty.call(VALIDATION_MODES, validate)) {
    throw invalidArgValue('options.validate', validate, "must be one of: 'always', 'fault'");
  }
  return validate;
}

function toDisplayPath(path: string | Buffer | URL): string {
  if (typeof path === 'string') return path;
  if (path instanceof URL) return fileURLToPath(path);
  return Buffer.from(path).toString();
}
