// open() and MappedFile: owns one native mapping and its descriptor.
import { closeSync, constants, ftruncateSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { disposeSymbol, whenClosed } from './async';
import { binding, NativeMapping } from './binding';
import { invalidArgType, invalidArgValue } from './errors';
import { lockRange, LockOptions, RecordLock } from './locks';
import { readArguments, validateInteger } from './validate';
import { MappedReadStream, ReadStreamOptions } from './stream';
import { MappedView, ViewSource } from './view';
import { ChangeWatcher, WatchOptions } from './watch';
import { MappedFileClosed } from './errors';

export type ValidationMode = 'always' | 'fault';
/**
 * How 'always' mode learns that the file changed: 'lease', a kernel read
 * lease (no system call per access); 'fstat', size and ctime around each
 * access; 'none' with validate 'fault'.
 */
export type ValidationMethod = 'lease' | 'fstat' | 'none';
export type OpenMode = 'r' | 'r+' | 'w+';
export type Advice = 'normal' | 'sequential' | 'random' | 'willneed' | 'dontneed' | 'hugepage';

export interface OpenOptions {
  /**
   * 'always' (default): size and ctime are checked around every access, so no
   * byte that was not in the file at one moment is ever returned.
   * 'fault': no system call per access, only the fault guard; a read inside
   * the zero-filled tail page of a truncated file can return those zeros.
   */
  validate?: ValidationMode;
  /** 'r' (default) read-only; 'r+' read-write; 'w+' create or truncate to `size`, read-write. */
  mode?: OpenMode;
  /** With mode 'w+': the file's size (made with ftruncate, so sparse). */
  size?: number;
  /** MAP_POPULATE: fault every page in at open. */
  populate?: boolean;
  /** 'auto': an access past the mapping but inside the file remaps first. Default 'never'. */
  grow?: 'never' | 'auto';
  /**
   * One version of the file for the mapping's whole life: once the file
   * changed in any way since open (a writer opened it, or its size or ctime
   * moved), every access throws MappedFileChanged. Mode 'r' with validate
   * 'always' only.
   */
  stable?: boolean;
  /**
   * false: never take a read lease; 'always' mode then checks with fstat
   * around every access. A lease makes each writer's open or truncate wait
   * for our watcher thread to let go of it (about 0.1 ms); default true.
   */
  lease?: boolean;
}

const { validationMode: VALIDATION_MODES, advice: ADVICE_KINDS, mapFlag: MAP_FLAGS } = binding.constants;
const ADVICE = Object.keys(ADVICE_KINDS) as Advice[];
// The validation methods by their native number.
const VALIDATION_METHODS: Record<number, ValidationMethod> = Object.fromEntries(
  Object.entries(binding.constants.validationMethod).map(([name, value]) => [value, name as ValidationMethod]));

// 'r' opens with O_NONBLOCK so that opening a FIFO by mistake fails fast in
// the type check instead of blocking until a writer appears. The writable
// modes need not (an O_RDWR open of a FIFO never waits for a peer) and must
// not: a non-blocking open for writing fails with EAGAIN against a read
// lease, this process's own included (a hot reader's, a lazy snapshot's),
// where a blocking one waits for the lease's release as fs.openSync does.
// libuv adds O_CLOEXEC.
const OPEN_FLAGS: Record<OpenMode, number> = {
  'r': constants.O_RDONLY | constants.O_NONBLOCK,
  'r+': constants.O_RDWR,
  'w+': constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC,
};

/** The options-object form of read() and readAsync(), as fs.readSync's. */
export interface ReadOptions {
  /** Where in `buffer` the bytes go; default 0. */
  offset?: number;
  /** How many bytes to read at most; default the rest of `buffer` after `offset`. */
  length?: number;
  /** Where in the file; null, undefined or -1 (or a negative bigint): the current position, which the read advances. */
  position?: number | bigint | null;
}

/** What readAsync() resolves with, as FileHandle.read. */
export interface ReadResult<T extends NodeJS.ArrayBufferView> {
  bytesRead: number;
  buffer: T;
}

export class MappedFile implements ViewSource {
  /** The path as given to open(), as a string. */
  readonly path: string;
  readonly validate: ValidationMode;
  readonly mode: OpenMode;
  /** Whether it was opened with { stable: true }. */
  readonly stable: boolean;
  #native: NativeMapping;
  #closed = false;
  #size: number;
  #grow: boolean;
  #lease: boolean;
  // The current position of read()s without a position, as a descriptor's.
  #position = 0;
  // What close() settles before it unmaps: pending waits, locks, watches.
  #closeHooks = new Set<() => void>();

  /** @internal Use open(). */
  constructor(native: NativeMapping, path: string, settings: OpenSettings) {
    this.#native = native;
    this.path = path;
    this.#size = native.mappedSize();
    this.validate = settings.validate;
    this.mode = settings.mode;
    this.stable = settings.stable;
    this.#grow = settings.grow;
    this.#lease = settings.lease;
  }

  /**
   * How changes to the file are detected right now: 'lease' while a kernel
   * read lease is held (no system call per access), 'fstat' where none can be
   * had or after a writer broke it (taken again once the file is left alone),
   * 'none' with validate 'fault'. 'closed' after close().
   */
  get validationMethod(): ValidationMethod | 'closed' {
    if (this.#closed) return 'closed';
    return VALIDATION_METHODS[this.#native.validationMethod()];
  }

  /** Number of bytes mapped: the file's size at open, or at the last refresh(). */
  get size(): number {
    return this.#size;
  }

  /** Whether the mapping is writable (mode 'r+' or 'w+'). */
  get writable(): boolean {
    return this.mode !== 'r';
  }

  /**
   * Maps the file's current size (after it grew or shrank) and returns it.
   * Views keep working: they hold offsets. A view now past the end throws
   * MappedFileTruncated on access.
   */
  refresh(): number {
    this.#size = this.#native.refresh();
    return this.#size;
  }

  /** msync(MS_SYNC) of the pages holding [offset, offset + length); fs-style errors. */
  flush(offset: number = 0, length?: number): void {
    const range = this.#range(offset, length);
    this.#native.flush(range.offset, range.length);
  }

  /** flush() on the thread pool. */
  async flushAsync(offset: number = 0, length?: number): Promise<void> {
    const range = this.#range(offset, length);
    await this.#native.flushAsync(range.offset, range.length);
  }

  /** madvise: a hint about how [offset, offset + length) will be used. */
  advise(kind: Advice, offset: number = 0, length?: number): void {
    if (!ADVICE.includes(kind)) throw invalidArgValue('kind', kind, `must be one of: ${ADVICE.map((name) => `'${name}'`).join(', ')}`);
    const range = this.#range(offset, length);
    this.#native.advise(ADVICE_KINDS[kind], range.offset, range.length);
  }

  /** mincore: how many of the pages holding [offset, offset + length) are in the page cache. */
  residency(offset: number = 0, length?: number): { pages: number; resident: number } {
    const range = this.#range(offset, length);
    const [pages, resident] = this.#native.residency(range.offset, range.length);
    return { pages, resident };
  }

  // A range of the mapping, validated like view()'s arguments.
  #range(offset: unknown, length: unknown): { offset: number; length: number } {
    validateInteger(offset, 'offset', 0, this.#size);
    if (length === undefined) return { offset, length: this.#size - offset };
    validateInteger(length, 'length', 0, this.#size - offset);
    return { offset, length };
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

  /**
   * A live window of `length` bytes at `offset`. Nothing is copied. With
   * { grow: 'auto' }, a range past the mapping remaps to the file's current size first.
   */
  view(offset: number = 0, length?: number): MappedView {
    if (this.#grow && typeof offset === 'number' && typeof length === 'number' && offset + length > this.#size) {
      this.refresh();
    }
    const range = this.#range(offset, length);
    return new MappedView(this, range.offset, range.length);
  }

  /**
   * fs.readSync(fd, buffer, offset, length, position) over the mapping, with
   * fs's arguments, forms (read(buffer, options)) and errors: copies up to
   * `length` bytes at file `position` into `buffer` at `offset` and returns
   * how many. The count is short at the end of the file and 0 past it, which
   * is not an error. The end is the file's current size (fstat) within the
   * mapping; with { grow: 'auto' } a read past the mapping but inside the
   * file remaps first. A file truncated under the read gives a short count,
   * as pread(2) would; MappedFileTruncated only when the file keeps changing
   * through every retry, MappedFileIOError for an unreadable page.
   * Bytes of `buffer` past the count may have been written by such a retry.
   */
  read<T extends NodeJS.ArrayBufferView>(buffer: T, offset?: number | ReadOptions | null, length?: number,
    position?: number | bigint | null): number;
  read(...args: unknown[]): number {
    const read = readArguments(args[0], args[1], args[2], args[3], args.length);
    if (read.length === 0) return 0;
    const at = read.position ?? this.#position;
    this.#growFor(at, read.length);
    const count = binding.readAt(this.#native.slot, read.target, read.offset, at, read.length);
    if (read.advancesPosition) this.#position = at + count;
    return count;
  }

  /**
   * read() resolving with { bytesRead, buffer }, as FileHandle.read. When
   * the pages are in memory the copy runs at once on the calling thread,
   * else on the thread pool. Arguments are checked with fs.readSync's rules
   * (FileHandle.read in Node 20 aborts the process on a fractional length;
   * this rejects or truncates as readSync does). Do not touch `buffer`
   * until it settles, nor run two position-less reads at once: the current
   * position advances when a read settles.
   */
  readAsync<T extends NodeJS.ArrayBufferView>(buffer: T, offset?: number | ReadOptions | null, length?: number,
    position?: number | bigint | null): Promise<ReadResult<T>>;
  async readAsync(...args: unknown[]): Promise<ReadResult<NodeJS.ArrayBufferView>> {
    const read = readArguments(args[0], args[1], args[2], args[3], args.length);
    if (read.length === 0) return { bytesRead: 0, buffer: read.buffer };
    const at = read.position ?? this.#position;
    this.#growFor(at, read.length);
    const bytesRead = (await this.#native.readAtAsync(read.target, read.offset, at, read.length, null)) as number;
    if (read.advancesPosition) this.#position = at + bytesRead;
    return { bytesRead, buffer: read.buffer };
  }

  // { grow: 'auto' }: a read past the mapping maps the file's current size
  // first when the file has grown (one fstat; mmap only then).
  #growFor(position: number, length: number): void {
    if (this.#grow && !this.#closed && position + length > this.#size && this.fileSize() > this.#size) this.refresh();
  }

  /**
   * A stream.Readable of [start, end] (inclusive, as fs.createReadStream),
   * reading with snapshotAsync (the thread pool unless resident) with
   * backpressure. A fault becomes an 'error' event carrying
   * MappedFileTruncated or MappedFileIOError; at a truncation every byte
   * still in the file is delivered first.
   */
  createReadStream(options?: ReadStreamOptions): MappedReadStream {
    return new MappedReadStream(this.view(), options);
  }

  /**
   * An advisory record lock on [offset, offset + length) of the file (an
   * open-file-description lock, fcntl F_OFD_SETLK): shared (F_RDLCK) with
   * { shared: true }, else exclusive (F_WRLCK), which needs mode 'r+' or 'w+'.
   * `length` Infinity (the default) locks to the end of the file and beyond.
   * Resolves with a RecordLock once held; by default it waits for other
   * holders (on a thread of its own, never the pool), { wait: false } rejects
   * with EAGAIN instead. Aborting { signal } rejects with AbortError, close()
   * with MappedFileClosed, and close() releases every lock. docs/api.md,
   * "Record locks".
   */
  lock(offset?: number, length?: number, options?: LockOptions): Promise<RecordLock> {
    return lockRange(this, offset, length, options);
  }

  /**
   * Change notifications, as an async iterable of { kind: 'change', size,
   * method } (src/watch.ts; docs/api.md, "Change notifications"). With a
   * read lease (mode 'r', leases allowed) another process's open for
   * writing or truncate is reported before its change starts; otherwise
   * inotify and an fstat poll every `interval` ms report it after. Bursts
   * coalesce; the last change is never lost. `signal` ends it with an
   * AbortError, return() (a break) and close() end it cleanly.
   */
  watch(options?: WatchOptions): ChangeWatcher {
    if (this.#closed) throw new MappedFileClosed({ path: this.path });
    const native = this.#native;
    return new ChangeWatcher({
      path: this.path, slot: native.slot, wantLease: this.mode === 'r' && this.#lease,
      onClose: (hook) => this[whenClosed](hook),
    }, options);
  }

  /**
   * Unmaps and closes the descriptor. Asynchronous operations already copying
   * finish first (the unmap waits for them); queued ones reject with
   * MappedFileClosed. Idempotent; later accesses throw MappedFileClosed.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Each hook settles its own pending work (rejecting with
    // MappedFileClosed, releasing locks) while the mapping still exists.
    const hooks = [...this.#closeHooks];
    this.#closeHooks.clear();
    for (const hook of hooks) hook();
    this.#native.close();
  }

  /**
   * @internal Runs hook once, at close(), before the unmap. Returns the
   * function that unregisters it (call it when the work settles by itself).
   * On a closed file, runs nothing and returns undefined.
   */
  [whenClosed](hook: () => void): (() => void) | undefined {
    if (this.#closed) return undefined;
    this.#closeHooks.add(hook);
    return () => { this.#closeHooks.delete(hook); };
  }

  [disposeSymbol](): void {
    this.close();
  }
}

/**
 * Maps a regular file (read-only unless options.mode says otherwise). Throws
 * fs-style errors (ENOENT, EISDIR...) like fs.openSync.
 */
export function open(path: string | Buffer | URL, options?: OpenOptions): MappedFile {
  const settings = readOpenOptions(options);
  const fd = openSync(path, OPEN_FLAGS[settings.mode], 0o666);  // fs validates the path and formats its errors
  const displayPath = toDisplayPath(path);
  try {
    if (settings.mode === 'w+') ftruncateSync(fd, settings.size);  // sparse: no blocks written
    const flags = (settings.mode === 'r' ? 0 : MAP_FLAGS.writable) | (settings.populate ? MAP_FLAGS.populate : 0) |
      (settings.grow ? MAP_FLAGS.grow : 0) | (settings.stable ? MAP_FLAGS.stable : 0) |
      (settings.lease ? 0 : MAP_FLAGS.noLease);
    const native = new binding.NativeMapping(fd, VALIDATION_MODES[settings.validate], displayPath, flags);
    return new MappedFile(native, displayPath, settings);
  } finally {
    // The mapping keeps a duplicate of its own. This one is Node's to track
    // (a worker closes leftover fs descriptors at exit), so fs closes it.
    closeSync(fd);
  }
}

interface OpenSettings {
  validate: ValidationMode; mode: OpenMode; size: number; populate: boolean; grow: boolean; stable: boolean;
  lease: boolean;
}

function readOpenOptions(options: unknown): OpenSettings {
  if (options === undefined) {
    return { validate: 'always', mode: 'r', size: 0, populate: false, grow: false, stable: false, lease: true };
  }
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const {
    validate = 'always', mode = 'r', size, populate = false, grow = 'never', stable = false, lease = true,
  } = options as OpenOptions;
  // typeof first: hasOwnProperty would coerce the value to a key, and some
  // values (a typed array over a detached buffer) throw a TypeError without a code there.
  if (typeof validate !== 'string' || !Object.prototype.hasOwnProperty.call(VALIDATION_MODES, validate)) {
    throw invalidArgValue('options.validate', validate, "must be one of: 'always', 'fault'");
  }
  if (typeof mode !== 'string' || !Object.prototype.hasOwnProperty.call(OPEN_FLAGS, mode)) {
    throw invalidArgValue('options.mode', mode, "must be one of: 'r', 'r+', 'w+'");
  }
  if (mode === 'w+') validateInteger(size, 'options.size', 0, Number.MAX_SAFE_INTEGER);
  else if (size !== undefined) throw invalidArgValue('options.size', size, "is only for mode 'w+'");
  if (typeof populate !== 'boolean') throw invalidArgType('options.populate', 'of type boolean', populate);
  if (grow !== 'never' && grow !== 'auto') throw invalidArgValue('options.grow', grow, "must be one of: 'never', 'auto'");
  if (typeof stable !== 'boolean') throw invalidArgType('options.stable', 'of type boolean', stable);
  // A writable mapping changes its own file, and 'fault' mode watches nothing.
  if (stable && (mode !== 'r' || validate !== 'always')) {
    throw invalidArgValue('options.stable', stable, "needs mode 'r' and validate 'always'");
  }
  if (typeof lease !== 'boolean') throw invalidArgType('options.lease', 'of type boolean', lease);
  return { validate, mode, size: size ?? 0, populate, grow: grow === 'auto', stable, lease };
}

function toDisplayPath(path: string | Buffer | URL): string {
  if (typeof path === 'string') return path;
  if (path instanceof URL) return fileURLToPath(path);
  return Buffer.from(path).toString();
}
