export { open, MappedFile } from './file';
export type { OpenOptions, ReadOptions, ReadResult, ValidationMode, ValidationMethod } from './file';
export { MappedView } from './view';
export type { SnapshotOptions } from './view';
export { MappedAtomics } from './atomics';
export type { AtomicType, WaitAsyncOptions, WaitResult } from './atomics';
export { checkSnapshot, LAZY_MINIMUM_BYTES } from './snapshot';
export type { SnapshotState } from './snapshot';
export { MappedReadStream } from './stream';
export type { ReadStreamOptions } from './stream';
export { ChangeWatcher } from './watch';
export type { ChangeEvent, ChangeMethod, WatchOptions } from './watch';
export { AbortError } from './async';
export { RecordLock } from './locks';
export type { LockOptions } from './locks';
export type { AsyncOptions } from './async';
export {
  MappedFileError, MappedFileTruncated, MappedFileIOError, MappedFileClosed, MappedFileChanged,
} from './errors';
export type { MappedFileErrorDetails } from './errors';
export { arrayBufferSource, asyncArrayBufferSource, fsReader } from './adapters';
export type { ArrayBufferSource, AsyncArrayBufferSource, FsReader } from './adapters';
