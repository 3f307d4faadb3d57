// Snapshots: which Buffers came from snapshot(), and whether a lazy one
// (docs/api.md, "Lazy snapshots") still shares the file's pages. A lazy
// snapshot is an ArrayBuffer over a private mapping of the file, made under
// the read lease; the addon turns it into the caller's own memory when a
// writer comes (native/lazy_ranges.h). Everything else is a copy.
import { binding } from './binding';
import { invalidArgType, invalidArgValue, MappedFileIOError, MappedFileTruncated } from './errors';

/** What checkSnapshot says: still the file's pages, or the caller's own memory. */
export type SnapshotState = 'mapped' | 'copied';

interface LazyRecord {
  readonly index: number;
  readonly generation: number;
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

// Keyed by the ArrayBuffer, so that any view over a snapshot's memory may be
// checked; null marks an ordinary copy. Weak: a snapshot's record goes with it.
const snapshots = new WeakMap<ArrayBufferLike, LazyRecord | null>();
const lazy = binding.constants.lazy;

/** Below this many bytes `{ lazy: true }` copies: a copy is cheaper than a mapping. */
export const LAZY_MINIMUM_BYTES = lazy.minimumBytes;

/** Records a Buffer made by copying (snapshot(), snapshotAsync(), or a lazy request that copied). */
export function rememberCopy(copy: Buffer): Buffer {
  snapshots.set(copy.buffer, null);
  return copy;
}

/**
 * The Buffer over a lazy range the addon made (its ArrayBuffer is exactly
 * the snapshot), recorded for checkSnapshot.
 */
export function rememberLazy(made: [ArrayBuffer, number, number], path: string, offset: number): Buffer {
  const [arrayBuffer, index, generation] = made;
  snapshots.set(arrayBuffer, { index, generation, path, offset, length: arrayBuffer.byteLength });
  return Buffer.from(arrayBuffer);
}

/**
 * Whether a snapshot still shares its file's pages ('mapped', a lazy
 * snapshot nobody has written to the file since) or owns its memory
 * ('copied': every eager snapshot, and a lazy one after a writer came).
 * Throws the error a guarded read would have thrown (MappedFileTruncated,
 * MappedFileIOError) when a hole cost a lazy snapshot bytes: those bytes read
 * as zeros. A TypeError for anything that did not come from snapshot().
 */
export function checkSnapshot(snapshot: ArrayBufferView | ArrayBuffer): SnapshotState {
  let memory: ArrayBufferLike;
  if (ArrayBuffer.isView(snapshot)) memory = snapshot.buffer;
  else if (snapshot instanceof ArrayBuffer) memory = snapshot;
  else throw invalidArgType('snapshot', 'an instance of Buffer, TypedArray, DataView or ArrayBuffer', snapshot);
  const record = snapshots.get(memory);
  if (record === undefined) {
    throw invalidArgValue('snapshot', snapshot, 'is not memory returned by snapshot() or snapshotAsync()');
  }
  if (record === null) return 'copied';
  const [state, damage, fileSize] = binding.lazySnapshotState(record.index, record.generation);
  if (damage !== lazy.undamaged) {
    const details = { path: record.path, offset: record.offset, length: record.length, fileSize };
    throw damage === lazy.truncated ? new MappedFileTruncated(details) : new MappedFileIOError(details);
  }
  return state === lazy.mapped ? 'mapped' : 'copied';
}
