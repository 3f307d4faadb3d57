// Kernel hints: advise() (madvise), { populate: true } (MAP_POPULATE) and
// residency() (mincore).
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { open } from '../src';
import { PAGE, TempDir } from './support/files';

let dir: TempDir;
let path: string;
const PAGES = 256;
beforeAll(() => {
  dir = new TempDir();
  path = dir.file('hints.bin');
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.alloc(PAGES * PAGE, 3));
  fsyncSync(fd);
  closeSync(fd);
});
afterAll(() => dir.remove());

const evict = () => execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);

test('residency() counts the pages in the page cache: none after eviction, all after reading', () => {
  const file = open(path);
  evict();
  expect(file.residency()).toEqual({ pages: PAGES, resident: 0 });
  file.view(0, 10 * PAGE).snapshot();
  const afterSome = file.residency(0, 10 * PAGE);
  expect(afterSome).toEqual({ pages: 10, resident: 10 });
  file.view().snapshot();
  expect(file.residency()).toEqual({ pages: PAGES, resident: PAGES });
  expect(file.residency(PAGE + 1, 2)).toEqual({ pages: 1, resident: 1 });
  file.close();
});

test("advise('willneed') reads ahead; every kind is accepted; unknown kinds are refused", async () => {
  const file = open(path);
  evict();
  file.advise('willneed');
  let resident = 0;
  for (let i = 0; i < 200 && resident < PAGES; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    resident = file.residency().resident;
  }
  expect(resident).toBe(PAGES);
  for (const kind of ['normal', 'sequential', 'random', 'dontneed', 'hugepage'] as const) {
    expect(() => file.advise(kind, PAGE, 4 * PAGE)).not.toThrow();
  }
  expect(() => file.advise('soon' as 'normal')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  expect(() => file.advise('random', -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  file.close();
  expect(() => file.advise('normal')).toThrow(expect.objectContaining({ code: 'ERR_MAPPED_FILE_CLOSED' }));
  expect(() => file.residency()).toThrow(expect.objectContaining({ code: 'ERR_MAPPED_FILE_CLOSED' }));
});

test('{ populate: true } faults the file in at open', () => {
  evict();
  const file = open(path, { populate: true });
  expect(file.residency()).toEqual({ pages: PAGES, resident: PAGES });
  file.close();
});
