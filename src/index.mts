// ESM entry: re-exports the CommonJS objects themselves, so that `instanceof`
// agrees whichever way the package was loaded.
import safeMmap from './index.js';

type Cjs = typeof import('./index.js');
export const open: Cjs['open'] = safeMmap.open;
export const MappedFile: Cjs['MappedFile'] = safeMmap.MappedFile;
export type MappedFile = import('./index.js').MappedFile;
export const MappedView: Cjs['MappedView'] = safeMmap.MappedView;
export type MappedView = import('./index.js').MappedView;
export const MappedFileError: Cjs['MappedFileError'] = safeMmap.MappedFileError;
export type MappedFileError = import('./index.js').MappedFileError;
export const MappedFileTruncated: Cjs['MappedFileTruncated'] = safeMmap.MappedFileTruncated;
export type MappedFileTruncated = import('./index.js').MappedFileTruncated;
export const MappedFileIOError: Cjs['MappedFileIOError'] = safeMmap.MappedFileIOError;
export type MappedFileIOError = import('./index.js').MappedFileIOError;
export const MappedFileClosed: Cjs['MappedFileClosed'] = safeMmap.MappedFileClosed;
export type MappedFileClosed = import('./index.js').MappedFileClosed;
export const MappedFileChanged: Cjs['MappedFileChanged'] = safeMmap.MappedFileChanged;
export type MappedFileChanged = import('./index.js').MappedFileChanged;
export const MappedAtomics: Cjs['MappedAtomics'] = safeMmap.MappedAtomics;
export type MappedAtomics<T extends number | bigint = number | bigint> = import('./index.js').MappedAtomics<T>;
export const MappedReadStream: Cjs['MappedReadStream'] = safeMmap.MappedReadStream;
export type MappedReadStream = import('./index.js').MappedReadStream;
export const ChangeWatcher: Cjs['ChangeWatcher'] = safeMmap.ChangeWatcher;
export type ChangeWatcher = import('./index.js').ChangeWatcher;
export const AbortError: Cjs['AbortError'] = safeMmap.AbortError;
export type AbortError = import('./index.js').AbortError;
export const RecordLock: Cjs['RecordLock'] = safeMmap.RecordLock;
export type RecordLock = import('./index.js').RecordLock;
export const arrayBufferSource: Cjs['arrayBufferSource'] = safeMmap.arrayBufferSource;
export const asyncArrayBufferSource: Cjs['asyncArrayBufferSource'] = safeMmap.asyncArrayBufferSource;
export const fsReader: Cjs['fsReader'] = safeMmap.fsReader;
export const checkSnapshot: Cjs['checkSnapshot'] = safeMmap.checkSnapshot;
export const LAZY_MINIMUM_BYTES: Cjs['LAZY_MINIMUM_BYTES'] = safeMmap.LAZY_MINIMUM_BYTES;
export type { ArrayBufferSource, AsyncArrayBufferSource, FsReader } from './index.js';
export type { AtomicType, WaitAsyncOptions, WaitResult } from './index.js';
export type { LockOptions } from './index.js';
export type {
  ReadStreamOptions, AsyncOptions, OpenOptions, ReadOptions, ReadResult, ValidationMode, ValidationMethod,
  MappedFileErrorDetails, SnapshotOptions, SnapshotState, ChangeEvent, ChangeMethod, WatchOptions,
} from './index.js';
export default safeMmap;
