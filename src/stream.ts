// A stream.Readable over a range of a MappedFile. Chunks are slices of
// snapshots (snapshotAsync: at once when the pages are resident, else on the
// thread pool), so reading never waits for the disk on the event loop, and a
// fault becomes an 'error' event carrying the MappedFile error. A chunk never
// aliases the mapping. At a truncation the stream first delivers every byte
// still in the file, as fs.createReadStream delivers up to the end, then
// emits MappedFileTruncated.
import { Readable } from 'node:stream';
import { invalidArgType, invalidArgValue, MappedFileTruncated, outOfRange } from './errors';
import { validateInteger } from './validate';
import type { MappedView } from './view';

export interface ReadStreamOptions {
  /** First byte, default 0. */
  start?: number;
  /** Last byte, inclusive as in fs.createReadStream; default the end of the mapping. */
  end?: number;
  /** Bytes per chunk, default 64 KiB (as fs). */
  highWaterMark?: number;
  /** Destroys the stream with an AbortError when aborted. */
  signal?: AbortSignal;
}

const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
// Each trip to the thread pool fetches this much (a whole number of chunks)
// and the chunks are slices of it: one pool round trip per megabyte instead
// of one per 64 KiB chunk, which is what makes fs.createReadStream slow.
const READ_AHEAD = 1 << 20;

export class MappedReadStream extends Readable {
  /** Bytes pushed so far, as on fs.ReadStream. */
  bytesRead = 0;
  readonly path: string;
  readonly start: number;
  readonly end: number;
  #view: MappedView;
  #position: number;  // next byte to fetch from the view
  #pending: Buffer[] = [];  // fetched chunks not yet pushed
  // A truncation met by a fetch: emitted once the bytes still in the file
  // that came before it are delivered.
  #truncation: MappedFileTruncated | null = null;

  /** @internal Made by MappedFile#createReadStream. */
  constructor(view: MappedView, options: ReadStreamOptions | undefined) {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw invalidArgType('options', 'of type object', options);
    }
    const { start = 0, end = Infinity, highWaterMark = DEFAULT_HIGH_WATER_MARK, signal } = options ?? {};
    // fs.createReadStream's rules for start and end.
    validateInteger(start, 'start', 0, Number.MAX_SAFE_INTEGER);
    if (end !== Infinity) validateInteger(end, 'end', 0, Number.MAX_SAFE_INTEGER);
    if (start > end) throw outOfRange('start', `<= "end" (here: ${end})`, start);
    // Readable's own check, but formatting the value safely: its util.inspect
    // throws for some values (a DataView over a detached buffer), without a code.
    if (highWaterMark !== null && (!Number.isInteger(highWaterMark) || highWaterMark < 0)) {
      throw invalidArgValue('options.highWaterMark', highWaterMark, 'is invalid');
    }
    super({ highWaterMark, signal });
    this.#view = view;
    this.path = view.path;
    this.start = start;
    this.end = Math.min(end, view.length - 1);
    this.#position = Math.min(start, view.length);
  }

  override _read(): void {
    if (this.#pushPending()) return;
    if (this.#truncation !== null) {
      this.#failWhenDelivered();
      return;
    }
    // highWaterMark 0 is valid for a Readable, but 0-byte slices would never
    // advance (the stream hung): hand out default-sized chunks then.
    const chunkLength = this.readableHighWaterMark || DEFAULT_HIGH_WATER_MARK;
    const length = Math.min(Math.max(chunkLength, READ_AHEAD - (READ_AHEAD % chunkLength)), this.end + 1 - this.#position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    this.#fetch(this.#position, length, chunkLength);
  }

  // Fetches [at, at + length) of the view. After a truncation, fetches the
  // part still in the file (smaller each time the file shrinks again), and
  // leaves the error to be emitted after those bytes.
  #fetch(at: number, length: number, chunkLength: number, truncation: MappedFileTruncated | null = null): void {
    this.#view.subarray(at, at + length).snapshotAsync().then((block) => {
      this.#position = at + length;
      for (let offset = 0; offset < block.length; offset += chunkLength) {
        this.#pending.push(block.subarray(offset, offset + chunkLength));
      }
      this.#truncation = truncation;
      if (this.destroyed) return;
      if (!this.#pushPending() && truncation !== null) this.#failWhenDelivered();
    }, (error: Error) => {
      if (this.destroyed) return;
      const stillInFile = error instanceof MappedFileTruncated && error.fileSize !== undefined
        ? Math.max(0, Math.min(length, error.fileSize - (this.#view.byteOffset + at))) : length;
      // Not a truncation, or no progress possible (the file keeps changing).
      if (stillInFile >= length) return void this.destroy(error);
      const first = truncation ?? (error as MappedFileTruncated);
      if (stillInFile === 0) {
        this.#truncation = first;
        this.#failWhenDelivered();
        return;
      }
      this.#fetch(at, stillInFile, chunkLength, first);
    });
  }

  // Emits the pending truncation once every byte pushed before it has been
  // read: destroy() drops whatever the stream still buffers.
  #failWhenDelivered(): void {
    if (this.destroyed || this.#truncation === null || this.#pending.length > 0) return;
    if (this.readableLength === 0) this.destroy(this.#truncation);
  }

  // Every consumer (flowing mode, for await, pipe) reads through read():
  // the moment the last buffered byte leaves is the moment to fail.
  override read(size?: number): any {  // eslint-disable-line @typescript-eslint/no-explicit-any
    const chunk = super.read(size);
    if (this.#truncation !== null && this.readableLength === 0 && this.#pending.length === 0) {
      process.nextTick(() => this.#failWhenDelivered());
    }
    return chunk;
  }

  // Pushes fetched chunks until the stream wants no more; true if it pushed any.
  #pushPending(): boolean {
    if (this.#pending.length === 0) return false;
    let wantsMore = true;
    while (wantsMore && this.#pending.length > 0) {
      const chunk = this.#pending.shift() as Buffer;
      this.bytesRead += chunk.length;
      wantsMore = this.push(chunk);
    }
    return true;
  }
}
