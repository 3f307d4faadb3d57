// Async operations: options, AbortSignal handling. The work itself runs in
// the addon behind the same guard, at once when the pages are resident, else
// on libuv's thread pool; this module only connects an AbortSignal to the
// flag the work checks before it starts.
import { invalidArgType } from './errors';

// Node >= 18.18 defines Symbol.dispose as Symbol.for('nodejs.dispose'); other
// realms (vm contexts, jest) may lack it, so fall back to the same registered
// symbol. For everything that `using` may release: MappedFile, RecordLock.
/**
 * MappedFile[whenClosed](hook): runs hook once at close(), before the unmap,
 * and returns the function that unregisters it. Symbol-keyed: internal to
 * the library's modules (waits, locks, watches), not a public method.
 */
export const whenClosed = Symbol('safe-mmap: at close()');

export const disposeSymbol: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('nodejs.dispose');

export interface AsyncOptions {
  /** Aborting rejects the operation with an AbortError (code 'ABORT_ERR'), as fs does. */
  signal?: AbortSignal;
}

/** Node's AbortError shape (lib/internal/errors.js): name 'AbortError', code 'ABORT_ERR'. */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(reason?: unknown) {
    super('The operation was aborted', reason === undefined ? undefined : { cause: reason });
    this.name = 'AbortError';
  }
}

/** Validates `options` (undefined or an object whose `signal` is an AbortSignal) and returns the signal. */
export function signalOf(options: unknown): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const { signal } = options as AsyncOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  }
  return signal;
}

/**
 * Runs start(abortFlag) and settles with its result, or rejects with an
 * AbortError when `signal` aborts first. An abort sets the flag (an Int32Array
 * over a SharedArrayBuffer, read by the pool thread), so work that has not
 * started is skipped; work already copying finishes first. Either way the
 * promise settles only once the addon no longer touches the caller's memory.
 */
export async function runAbortable<T>(signal: AbortSignal | undefined,
  start: (abortFlag: Int32Array | null) => Promise<T | undefined>): Promise<T> {
  if (signal === undefined) return (await start(null)) as T;
  if (signal.aborted) throw new AbortError(signal.reason);
  const abortFlag = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = () => Atomics.store(abortFlag, 0, 1);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await start(abortFlag);
    if (signal.aborted) throw new AbortError(signal.reason);
    return result as T;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
