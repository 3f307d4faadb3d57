// A stream.Readable over a range of a MappedFile. Chunks are slices of
// snapshots taken on the thread pool (snapshotAsync), so reading never stalls
// the event loop and a fault becomes an 'error' event carrying the
// MappedFile error. A chunk never aliases the mapping.
import { Readable } from 'node:stream';
import { invalidArgType, invalidArgValue, outOfRange } from './errors';
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
    // highWaterMark 0 is valid for a Readable, but 0-byte slices would never
    // advance (the stream hung): hand out default-sized chunks then.
    const chunkLength = this.readableHighWaterMark || DEFAULT_HIGH_WATER_MARK;
    const length = Math.min(Math.max(chunkLength, READ_AHEAD - (READ_AHEAD % chunkLength)), this.end + 1 - this.#position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const at = this.#position;
    this.#view.subarray(at, at + length).snapshotAsync().then((block) => {
      this.#position = at + length;
      for (let offset = 0; offset < block.length; offset += chunkLength) {
        this.#pending.push(block.subarray(offset, offset + chunkLength));
      }
      if (!this.destroyed) this.#pushPending();
    }, (error: Error) => this.destroy(error));
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
