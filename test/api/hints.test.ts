// Kernel hints: advise() (madvise), { populate: true } (MAP_POPULATE) and
// residency() (mincore).
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { open } from '../../src';
import { PAGE } from '../support/files';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
let path: string;
const PAGES = 256;
beforeAll(() => {
  path = dir.file('hints.bin');
  const fd = openSync(path, 'w');
  writeSync(fd, Buffer.alloc(PAGES * PAGE, 3));
  fsyncSync(fd);
  closeSync(fd);
});

// Under qemu-user (scripts/ci-arm64.sh sets SAFE_MMAP_TEST_QEMU=1) the hints
// never reach the kernel: qemu 7.2 drops MAP_POPULATE from mmap and answers
// madvise(MADV_WILLNEED) itself with success. There the two hint tests expect
// what the emulator does, nothing resident, so that a qemu that starts passing
// them on is noticed; the calls are still made and must still succeed.
const EMULATED = process.env.SAFE_MMAP_TEST_QEMU === '1';
const HINTED_PAGES = EMULATED ? 0 : PAGES;

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
  expect(resident).toBe(HINTED_PAGES);
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
  expect(file.residency()).toEqual({ pages: PAGES, resident: HINTED_PAGES });
  file.close();
});
