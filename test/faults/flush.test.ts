// flush() and flushAsync(): msync(MS_SYNC) of the pages holding a range.
// (Durability itself cannot be observed without pulling the plug; these check
// the calls, their ranges and their errors.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MappedFileClosed, open } from '../../src';
import { PAGE } from '../support/files';
import { useTempDir } from '../support/temp-dir';
import { useTmpfs } from '../support/tmpfs';

const dir = useTempDir();

test('flush and flushAsync over whole files, ranges and views; written bytes are in the file', async () => {
  const path = dir.file('flush', Buffer.alloc(8 * PAGE));
  const file = open(path, { mode: 'r+' });
  const view = file.view(PAGE + 3, 3 * PAGE);
  view.fill('abc');
  file.flush();
  file.flush(PAGE + 1, 10);
  view.flush();
  await file.flushAsync(2 * PAGE);
  await view.flushAsync();
  expect(readFileSync(path).subarray(PAGE + 3, 4 * PAGE + 3).toString()).toBe('abc'.repeat(PAGE));
  expect(() => file.flush(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => file.flush(0, 9 * PAGE)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  await expect(file.flushAsync('x' as unknown as number)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  const pending = file.flushAsync();
  file.close();
  await pending;  // already queued: it finishes (the unmap waits for it)
  expect(() => file.flush()).toThrow(MappedFileClosed);
  await expect(file.flushAsync()).rejects.toBeInstanceOf(MappedFileClosed);
  expect(() => view.flush()).toThrow(MappedFileClosed);
});

describe('an msync that fails (needs root: tmpfs, loop device, mkfs.ext4)', () => {
  // An ext4 image on a loop device whose backing file sits on a tmpfs too
  // small for it: writes into the mapping succeed (ext4 has room), but the
  // write-back msync forces cannot reach the loop device's backing store.
  const backing = useTmpfs('8m');
  let mountPoint: string;
  beforeAll(() => {
    const image = join(backing(), 'ext4.img');
    execFileSync('truncate', ['-s', '64M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', image]);
    mountPoint = mkdtempSync(join(tmpdir(), 'safe-mmap-ext4-'));
    execFileSync('mount', ['-o', 'loop', image, mountPoint]);
  });
  afterAll(() => {
    execFileSync('umount', [mountPoint]);
    rmdirSync(mountPoint);
  });

  test('becomes an fs-style error (code, syscall msync, path), sync and async', async () => {
    const path = join(mountPoint, 'data.bin');
    const file = open(path, { mode: 'w+', size: 32 << 20 });
    const view = file.view();
    const chunk = Buffer.alloc(1 << 20, 7);
    for (let at = 0; at < view.length; at += chunk.length) view.set(chunk, at);
    let error: unknown;
    try { file.flush(); } catch (caught) { error = caught; }
    expect(error).toMatchObject({ syscall: 'msync', path });
    expect(['ENOSPC', 'EIO']).toContain((error as NodeJS.ErrnoException).code);
    expect((error as Error).message).toMatch(/^(ENOSPC|EIO): .*, msync '/);
    view.set(chunk, 0);  // dirty again
    await expect(file.flushAsync()).rejects.toMatchObject({ syscall: 'msync', path });
    file.close();
  });
});
