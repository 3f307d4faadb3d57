// flush() and flushAsync(): msync(MS_SYNC) of the pages holding a range.
// (Durability itself cannot be observed without pulling the plug; these check
// the calls, their ranges and their errors.)
import { readFileSync } from 'node:fs';
import { MappedFileClosed, open } from '../src';
import { PAGE, TempDir } from './support/files';

let dir: TempDir;
beforeAll(() => { dir = new TempDir(); });
afterAll(() => dir.remove());

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
