// file.watch(): change notifications as an async iterable, the JS half of
// native/change_watch.h. The native watch marks itself dirty on each change
// and calls onChange on the clean-to-dirty transition only; this side takes
// the latest state when a consumer waits for it, delivers one event, and
// acks it once the consumer's continuation ran, which lets a lease held for
// that event go (the writer's open() returns then).
import { AbortError } from './async';
import { binding, NativeChangeWatch } from './binding';
import { invalidArgType } from './errors';
import { validateInteger } from './validate';
import { PolledChangeWatch } from './watch-poll';

/**
 * Which mechanism saw the change first: 'lease', the break of our read lease
 * when another process opened the file for writing or truncated it (before
 * its change); 'inotify', the kernel's report of a change made through this
 * kernel (after it); 'poll', the periodic fstat (size or ctime moved), the
 * only one that sees changes made behind the kernel's back (FUSE daemons,
 * other NFS clients).
 */
export type ChangeMethod = 'lease' | 'inotify' | 'poll';

export interface ChangeEvent {
  kind: 'change';
  /** The file's size (fstat) when the event was delivered; NaN when fstat failed. */
  size: number;
  method: ChangeMethod;
}

export interface WatchOptions {
  /** Aborting ends the iteration with an AbortError (code 'ABORT_ERR'), as fs.promises.watch does. */
  signal?: AbortSignal;
  /** Milliseconds between two fstat polls; an integer from 10 to 2^31 - 1. Default 100. */
  interval?: number;
}

export const DEFAULT_WATCH_INTERVAL = 100;

const W = binding.constants.watch;

/** What file.watch() needs of the file, without importing file.ts (which imports this). */
export interface WatchedFile {
  readonly path: string;
  readonly slot: number;
  readonly wantLease: boolean;
  onClose(hook: () => void): (() => void) | undefined;
}

interface Waiter {
  resolve: (result: IteratorResult<ChangeEvent, undefined>) => void;
  reject: (error: unknown) => void;
}

/**
 * The iterable that file.watch() returns: one event per coalesced burst of
 * changes. Iterate it once (it is its own iterator).
 */
export class ChangeWatcher implements AsyncIterableIterator<ChangeEvent> {
  #native: NativeChangeWatch | null = null;
  #waiters: Waiter[] = [];
  #ended = false;
  #error: unknown = null;
  #timer: ReturnType<typeof setInterval> | undefined;
  #signal: AbortSignal | undefined;
  #unregisterClose: (() => void) | undefined;
  #lastMethod: 'lease' | 'inotify' | 'poll' = 'inotify';
  readonly #onAbort = () => this.#end(new AbortError(this.#signal?.reason));

  /** @internal Use file.watch(). */
  constructor(file: WatchedFile, options: unknown) {
    const { signal, interval } = readWatchOptions(options);
    this.#signal = signal;
    if (signal?.aborted) {
      this.#ended = true;
      this.#error = new AbortError(signal.reason);
      return;
    }
    // Windows has no native watch (native/win32/unsupported.cc): it polls.
    this.#native = process.platform === 'win32'
      ? new PolledChangeWatch(file.path, () => this.#onChange())
      : new binding.ChangeWatch(file.slot, file.path, file.wantLease, () => this.#onChange());
    this.#lastMethod = this.method;
    // The poll never keeps the process alive by itself; a pending next() does
    // (through the threadsafe function), as fs.promises.watch's loop.
    this.#timer = setInterval(() => this.#native?.poll(), interval);
    this.#timer.unref();
    // close() of the file ends the iteration cleanly, before the unmap.
    this.#unregisterClose = file.onClose(() => this.#end(null));
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /**
   * 'lease' while the watch holds (or, after a writer broke it, will take
   * again) its own read lease: a writer's open() or truncate() is reported
   * before its change can start. 'inotify' otherwise (leases off, a writable
   * mapping, a filesystem off the lease allowlist, another owner's file),
   * with the fstat poll every `interval` ms beside it. 'poll' on Windows,
   * where the stat poll is all there is.
   */
  get method(): 'lease' | 'inotify' | 'poll' {
    if (this.#native instanceof PolledChangeWatch) this.#lastMethod = 'poll';
    else if (this.#native !== null) this.#lastMethod = this.#native.lease() === W.leaseNever ? 'inotify' : 'lease';
    return this.#lastMethod;
  }

  next(): Promise<IteratorResult<ChangeEvent, undefined>> {
    if (this.#ended) return this.#finished();
    const event = this.#waiters.length === 0 ? this.#take() : null;
    if (event !== null) return Promise.resolve({ value: event, done: false });
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#native?.ref(true);
    });
  }

  /** Ends the iteration cleanly (a `break` out of for await calls it). */
  return(): Promise<IteratorResult<ChangeEvent, undefined>> {
    this.#end(null);
    this.#error = null;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #finished(): Promise<IteratorResult<ChangeEvent, undefined>> {
    const error = this.#error;
    this.#error = null;
    return error === null ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
  }

  #onChange(): void {
    while (this.#waiters.length > 0) {
      const event = this.#take();
      if (event === null) break;
      (this.#waiters.shift() as Waiter).resolve({ value: event, done: false });
    }
    if (this.#waiters.length === 0) this.#native?.ref(false);
  }

  // The latest state, or null when nothing changed since the last take.
  // Acked after the consumer's continuation ran: a promise resolved now runs
  // its reactions in this turn's microtasks, before setImmediate.
  #take(): ChangeEvent | null {
    const native = this.#native;
    const state = native?.take();
    if (native === null || state === undefined) return null;
    const [seen, sequence, size] = state;
    setImmediate(() => { if (this.#native === native) native.ack(sequence); });
    const method: ChangeMethod = seen & W.seenByLease ? 'lease' : seen & W.seenByInotify ? 'inotify'
      : seen & W.seenByPoll ? 'poll' : this.method;
    return { kind: 'change', size: size < 0 ? NaN : size, method };
  }

  // Stops the native watch; the first waiter gets `error` (when there is
  // one), the others and later next()s are done.
  #end(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.method;  // keep the last answer
    clearInterval(this.#timer);
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#unregisterClose?.();
    const native = this.#native;
    this.#native = null;
    native?.stop();
    const waiters = this.#waiters;
    this.#waiters = [];
    if (error !== null && waiters.length === 0) this.#error = error;
    waiters.forEach((waiter, index) => {
      if (index === 0 && error !== null) waiter.reject(error);
      else waiter.resolve({ value: undefined, done: true });
    });
  }
}

function readWatchOptions(options: unknown): { signal: AbortSignal | undefined; interval: number } {
  if (options === undefined) return { signal: undefined, interval: DEFAULT_WATCH_INTERVAL };
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const { signal, interval = DEFAULT_WATCH_INTERVAL } = options as WatchOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  }
  validateInteger(interval, 'options.interval', 10, 2 ** 31 - 1);
  return { signal, interval };
}
