// Every view operation that touches bytes goes through the guard and the
// file's validation, and fails exactly as snapshot() does: MappedFileTruncated
// past the end, MappedFileIOError on an unreadable page, MappedFileClosed
// after close().
import { rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MappedFile, MappedFileClosed, MappedFileIOError, MappedFileTruncated, MappedView, open } from '../../src';
import { PAGE, TempDir } from '../support/files';
import { useTempDir } from '../support/temp-dir';
import { useTmpfs } from '../support/tmpfs';

// Each reads bytes in the view's third page or across the whole view.
const OPERATIONS: Record<string, (view: MappedView) => unknown> = {
  snapshot: (view) => view.snapshot(),
  readUInt32LE: (view) => view.readUInt32LE(2 * PAGE),
  readBigInt64BE: (view) => view.readBigInt64BE(2 * PAGE + 8),
  readUIntBE: (view) => view.readUIntBE(2 * PAGE, 6),
  readIntLE: (view) => view.readIntLE(2 * PAGE + 1, 3),
  at: (view) => view.at(2 * PAGE + 5),
  'toString(hex)': (view) => view.toString('hex', 2 * PAGE, 2 * PAGE + 10),
  copy: (view) => view.copy(Buffer.alloc(10), 0, 2 * PAGE),
  indexOf: (view) => view.indexOf('needle that is not there'),
  lastIndexOf: (view) => view.lastIndexOf(0x7f),
  includes: (view) => view.includes(Buffer.from([1, 2, 3])),
  equals: (view) => view.equals(Buffer.alloc(view.length)),
  compare: (view) => view.compare(Buffer.alloc(view.length)),
  compareView: (view) => view.subarray(0, PAGE).compare(view.subarray(2 * PAGE, 3 * PAGE)),
  chunks: (view) => [...view.chunks(PAGE)],
  subarraySnapshot: (view) => view.subarray(2 * PAGE, 3 * PAGE).snapshot(),
};

function errorOf(operation: () => unknown): unknown {
  try { operation(); } catch (error) { return error; }
  return 'no error';
}

/** A file of four pages of 0x41, mapped, and a view of it from its second page. */
function mappedFromSecondPage(dir: TempDir, name: string): { path: string; file: MappedFile; view: MappedView } {
  const path = dir.file(name, Buffer.alloc(4 * PAGE, 0x41));
  const file = open(path);
  return { path, file, view: file.view(PAGE) };
}

describe('after truncation', () => {
  const dir = useTempDir();

  test.each(Object.keys(OPERATIONS))('%s throws MappedFileTruncated', (name) => {
    const { path, file, view } = mappedFromSecondPage(dir, `truncated-${name}`);
    truncateSync(path, PAGE + 10);
    const error = errorOf(() => OPERATIONS[name](view));
    expect(error).toBeInstanceOf(MappedFileTruncated);
    expect(error).toMatchObject({ code: 'ERR_MAPPED_FILE_TRUNCATED', path, fileSize: PAGE + 10 });
    file.close();
  });
});

describe('after close()', () => {
  const dir = useTempDir();

  test.each(Object.keys(OPERATIONS))('%s throws MappedFileClosed', (name) => {
    const { path, file, view } = mappedFromSecondPage(dir, `closed-${name}`);
    file.close();
    const error = errorOf(() => OPERATIONS[name](view));
    expect(error).toBeInstanceOf(MappedFileClosed);
    expect(error).toMatchObject({ code: 'ERR_MAPPED_FILE_CLOSED', path });
  });
});

describe('on a page that cannot be read (full tmpfs under a sparse file; needs root)', () => {
  const mountPoint = useTmpfs('256k');

  test.each(Object.keys(OPERATIONS))('%s throws MappedFileIOError', (name) => {
    const path = join(mountPoint(), `sparse-${name}`);
    writeFileSync(path, '');
    truncateSync(path, 1 << 20);  // holes only
    const filler = join(mountPoint(), 'filler');
    try { writeFileSync(filler, Buffer.alloc(512 << 10)); } catch { /* ENOSPC: now full */ }
    const file = open(path);
    const error = errorOf(() => OPERATIONS[name](file.view(PAGE, 4 * PAGE)));
    expect(error).toBeInstanceOf(MappedFileIOError);
    expect(error).toMatchObject({ code: 'ERR_MAPPED_FILE_IO', path, fileSize: 1 << 20 });
    file.close();
    for (const file of [path, filler]) rmSync(file, { force: true });
  });
});
