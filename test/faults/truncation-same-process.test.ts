// A file truncated by this very process: reads past the new end throw
// MappedFileTruncated, reads below it still return the right bytes, and the
// mapping works again once the file grows back. Without the guard, the first
// read after the truncation kills the process with SIGBUS.
import { truncateSync, writeFileSync } from 'node:fs';
import { MappedFileError, MappedFileTruncated, open } from '../../src';
import { PAGE, patternBuffer } from '../support/files';
import { useTempDir } from '../support/temp-dir';

const FILE_LENGTH = 4 * PAGE;
const dir = useTempDir();

function expectTruncated(read: () => unknown, fileSize: number): void {
  let caught: unknown;
  try { read(); } catch (error) { caught = error; }
  expect(caught).toBeInstanceOf(MappedFileTruncated);
  expect(caught).toBeInstanceOf(MappedFileError);
  expect((caught as MappedFileTruncated).code).toBe('ERR_MAPPED_FILE_TRUNCATED');
  expect((caught as MappedFileTruncated).fileSize).toBe(fileSize);
}

describe.each(['always', 'fault'] as const)("validate: '%s'", (validate) => {
  test('truncated to 0: every kind of read throws MappedFileTruncated', () => {
    const path = dir.patternFile(`zero-${validate}`, FILE_LENGTH);
    const file = open(path, { validate });
    const view = file.view();
    truncateSync(path, 0);
    // One page in, so that even 'fault' mode faults instead of reading a tail page.
    expectTruncated(() => view.readUInt32LE(PAGE), 0);
    expectTruncated(() => view.readUInt8(3 * PAGE + 5), 0);
    expectTruncated(() => view.readBigUInt64BE(2 * PAGE), 0);
    expectTruncated(() => view.subarray(PAGE, 2 * PAGE).snapshot(), 0);
    expectTruncated(() => view.copy(Buffer.alloc(100), 0, 2 * PAGE), 0);
    expectTruncated(() => view.toString('hex', PAGE, PAGE + 16), 0);
    expect(file.fileSize()).toBe(0);
    file.close();
  });

  test('truncated to an unaligned size: reads below it are right, reads past it throw', () => {
    const path = dir.patternFile(`unaligned-${validate}`, FILE_LENGTH);
    const newSize = PAGE + 1234;
    const file = open(path, { validate });
    const view = file.view();
    truncateSync(path, newSize);

    expect(view.subarray(0, newSize).snapshot()).toEqual(patternBuffer(0, newSize));
    expect(view.readUInt32LE(newSize - 4)).toBe(patternBuffer(newSize - 4, 4).readUInt32LE());
    if (validate === 'always') {
      // Crossing the new end inside its page: no fault there, the size check catches it.
      expectTruncated(() => view.readUInt32LE(newSize - 2), newSize);
      expectTruncated(() => view.subarray(newSize - 10, newSize + 10).snapshot(), newSize);
    }
    // Whole pages past the new end fault in either mode.
    expectTruncated(() => view.readUInt32LE(3 * PAGE), newSize);
    expectTruncated(() => view.snapshot(), newSize);
    file.close();
  });

  test('after the file grows back, reads inside the mapping work again', () => {
    const path = dir.patternFile(`regrow-${validate}`, FILE_LENGTH);
    const file = open(path, { validate });
    const view = file.view();
    truncateSync(path, 100);
    expectTruncated(() => view.readUInt32LE(2 * PAGE), 100);
    writeFileSync(path, patternBuffer(0, FILE_LENGTH));
    expect(view.snapshot()).toEqual(patternBuffer(0, FILE_LENGTH));
    expect(view.readUInt32LE(2 * PAGE)).toBe(patternBuffer(2 * PAGE, 4).readUInt32LE());
    file.close();
  });
});

test("'always' never returns the zero-filled tail page of a truncated file as data", () => {
  const path = dir.patternFile('tail-always', FILE_LENGTH);
  const view = open(path).view();
  truncateSync(path, 100);
  // Bytes 100..4095 still sit in the mapped first page, now zeros, no fault.
  expectTruncated(() => view.readUInt32LE(200), 100);
  expectTruncated(() => view.subarray(0, PAGE).snapshot(), 100);
});

test("'fault' mode returns the tail page's zeros, as documented", () => {
  const path = dir.patternFile('tail-fault', FILE_LENGTH);
  const view = open(path, { validate: 'fault' }).view();
  truncateSync(path, 100);
  expect(view.readUInt32LE(200)).toBe(0);
  expectTruncated(() => view.readUInt32LE(PAGE), 100);
});

test('many faults in a row on one thread are all caught (SIGBUS never stays blocked)', () => {
  const path = dir.patternFile('many', FILE_LENGTH);
  const view = open(path, { validate: 'fault' }).view();
  truncateSync(path, 0);
  let caught = 0;
  for (let i = 0; i < 2000; i++) {
    try { view.readUInt8(PAGE + (i % (3 * PAGE))); } catch (error) {
      if (error instanceof MappedFileTruncated) caught++;
    }
  }
  expect(caught).toBe(2000);
});
