// Offsets and lengths are 64-bit: a sparse 5 GiB file maps whole, and views,
// reads and truncation checks work past 4 GiB.
import { constants } from 'node:buffer';
import { closeSync, openSync, ftruncateSync, writeSync, truncateSync } from 'node:fs';
import { MappedFileTruncated, open } from '../../src';
import { testCuttingMappedFile } from '../support/platforms';
import { useTempDir } from '../support/temp-dir';

const GiB = 1024 ** 3;
const SIZE = 5 * GiB;
const MARK_AT = 4 * GiB + 12345;  // past 2^32
const MARK = Buffer.from('past four gibibytes');

const dir = useTempDir();
let path: string;
beforeAll(() => {
  path = dir.file('five-gib.sparse');
  const fd = openSync(path, 'r+');
  ftruncateSync(fd, SIZE);
  writeSync(fd, MARK, 0, MARK.length, MARK_AT);
  writeSync(fd, Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, SIZE - 4);
  closeSync(fd);
});

test('a sparse 5 GiB file maps whole and reads correctly past 4 GiB', () => {
  const file = open(path);
  expect(file.size).toBe(SIZE);
  expect(file.fileSize()).toBe(SIZE);
  const view = file.view();
  expect(view.length).toBe(SIZE);
  expect(view.readUInt32BE(SIZE - 4)).toBe(0xdeadbeef);
  expect(view.subarray(MARK_AT, MARK_AT + MARK.length).toString()).toBe(MARK.toString());

  const tail = file.view(4 * GiB, GiB);
  expect(tail.byteOffset).toBe(4 * GiB);
  expect(tail.subarray(12345, 12345 + MARK.length).snapshot()).toEqual(MARK);
  const target = Buffer.alloc(MARK.length + 2);
  expect(tail.copy(target, 1, 12345, 12345 + MARK.length)).toBe(MARK.length);
  expect(target.subarray(1, 1 + MARK.length)).toEqual(MARK);
  expect(view.readBigUInt64LE(4 * GiB + 1)).toBe(0n);  // a hole reads as zeros: they are in the file
  // More than the largest Buffer: refused before allocating, with Buffer.alloc's error class.
  // Node 22 raised the largest Buffer from 4 GiB to 2^53 - 1 bytes, beyond any
  // file here: there 5 GiB is a legal Buffer, and snapshotting it would
  // allocate 5 GiB, so this check runs where the limit is below the file.
  if (SIZE > constants.MAX_LENGTH) {
    expect(() => view.snapshot()).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_BUFFER_TOO_LARGE' }));
    expect(() => view.toString('latin1')).toThrow(RangeError);
  }
  file.close();
});

testCuttingMappedFile('truncation past 4 GiB is detected with 64-bit sizes', () => {
  const file = open(path);
  const view = file.view();
  truncateSync(path, 4 * GiB + 100);
  let caught: unknown;
  try { view.readUInt32BE(SIZE - 4); } catch (error) { caught = error; }
  expect(caught).toBeInstanceOf(MappedFileTruncated);
  expect((caught as MappedFileTruncated).fileSize).toBe(4 * GiB + 100);
  expect((caught as MappedFileTruncated).offset).toBe(SIZE - 4);
  expect(view.readUInt8(4 * GiB + 99)).toBe(0);
  file.close();
});
