// The change watch where the native one does not exist (Windows: it is built
// on Linux's signalfd, inotify and eventfd, native/change_watch.h). The same
// interface as the native watch, over the periodic stat that the native
// watch also runs beside its lease and inotify: every `interval` ms, the
// file's size and change time against the last seen. Changes therefore show
// after they happened, within one interval, and a change that restores both
// (a rewrite of equal bytes inside one tick of the clock) is not seen.
// The stat is of a descriptor opened with the watch, as the native watch
// fstats the mapping's own: it follows the mapped file through a rename, as
// the path would not. libuv opens it with FILE_SHARE_DELETE, and the mapping
// holds the file open anyway, so it keeps no other program from renaming or
// deleting it.
import { closeSync, fstatSync, openSync } from 'node:fs';

import { binding, type NativeChangeWatch } from './binding';

const W = binding.constants.watch;

export class PolledChangeWatch implements NativeChangeWatch {
  #fd: number | undefined;
  readonly #onChange: () => void;
  #seen: string;
  #dirty = false;
  #sequence = 0;
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  constructor(path: string, onChange: () => void) {
    this.#fd = openSync(path, 'r');
    this.#onChange = onChange;
    this.#seen = this.#state();
  }

  take(): [number, number, number] | undefined {
    if (!this.#dirty) return undefined;
    this.#dirty = false;
    return [W.seenByPoll, this.#sequence, this.#size()];
  }

  ack(): void {}

  poll(): void {
    const now = this.#state();
    if (now === this.#seen) return;
    this.#seen = now;
    this.#sequence += 1;
    const wasDirty = this.#dirty;
    this.#dirty = true;
    if (!wasDirty) this.#onChange();  // on the clean-to-dirty transition, as the native watch
  }

  lease(): number {
    return W.leaseNever;
  }

  /** A pending next() keeps the process alive, as the native watch's threadsafe function does. */
  ref(keepAlive: boolean): void {
    if (keepAlive) {
      this.#keepAlive ??= setInterval(() => {}, 2 ** 30);
    } else {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  stop(): void {
    this.ref(false);
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  // Size and change time in nanoseconds (Windows: EndOfFile and ChangeTime),
  // or a marker when the file cannot be stat'ed: a change too.
  #state(): string {
    try {
      const stats = fstatSync(this.#fd!, { bigint: true });
      return `${stats.size}:${stats.ctimeNs}`;
    } catch (error) {
      return `error:${(error as NodeJS.ErrnoException).code}`;
    }
  }

  #size(): number {
    const size = Number(this.#seen.split(':')[0]);
    return Number.isInteger(size) ? size : NaN;
  }
}
