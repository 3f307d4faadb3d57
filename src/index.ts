export { open, MappedFile } from './file';
export type { OpenOptions, ValidationMode } from './file';
export { MappedView } from './view';
export {
  MappedFileError, MappedFileTruncated, MappedFileIOError, MappedFileClosed,
} from './errors';
export type { MappedFileErrorDetails } from './errors';
