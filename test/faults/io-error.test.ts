// A fault inside the file's current size is an I/O error, not a truncation.
// Real fault: a sparse file on a full tmpfs. Reading one of its holes makes
// the kernel allocate a page, which fails, and the access gets SIGBUS while
// the file keeps its size. Needs root (mount); on CI it must run, not skip.
import { rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MappedFileIOError, MappedFileTruncated, open } from '../../src';
import { useTmpfs } from '../support/tmpfs';

const mountPoint = useTmpfs('1m');

function catchError(read: () => unknown): unknown {
  try { read(); } catch (error) { return error; }
  return undefined;
}

test.each(['always', 'fault'] as const)("validate '%s': a page that cannot be read throws MappedFileIOError", (validate) => {
  const path = join(mountPoint(), `sparse-${validate}`);
  writeFileSync(path, '');
  truncateSync(path, 4 << 20);  // 4 MiB of holes on a 1 MiB filesystem
  const file = open(path, { validate });
  const filler = join(mountPoint(), `filler-${validate}`);
  try {
    writeFileSync(filler, Buffer.alloc(2 << 20, 1));
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');  // the filesystem is now full
  }
  const view = file.view();
  const error = catchError(() => view.readUInt32LE(3 << 20));
  expect(error).toBeInstanceOf(MappedFileIOError);
  expect(error).not.toBeInstanceOf(MappedFileTruncated);
  expect(error).toMatchObject({ code: 'ERR_MAPPED_FILE_IO', path, offset: 3 << 20, length: 4, fileSize: 4 << 20 });
  expect(catchError(() => view.subarray(1 << 20, 2 << 20).snapshot())).toBeInstanceOf(MappedFileIOError);
  // The process lives on and the file is still usable where it can be read.
  expect(file.fileSize()).toBe(4 << 20);
  file.close();
  for (const file of [path, filler]) rmSync(file, { force: true });
});

test("a snapshot of 32 MiB or more reads a hole with pread, as readFileSync does: the zeros it holds, no page to allocate", () => {
  const path = join(mountPoint(), 'sparse-large');
  writeFileSync(path, '');
  truncateSync(path, 40 << 20);
  const filler = join(mountPoint(), 'filler-large');
  try { writeFileSync(filler, Buffer.alloc(2 << 20, 1)); } catch { /* ENOSPC: now full */ }
  const file = open(path);
  const view = file.view();
  expect(catchError(() => view.subarray(0, 64 << 10).snapshot())).toBeInstanceOf(MappedFileIOError);  // through the mapping
  expect(view.subarray(0, 32 << 20).snapshot().equals(Buffer.alloc(32 << 20))).toBe(true);
  file.close();
  for (const file of [path, filler]) rmSync(file, { force: true });
});
