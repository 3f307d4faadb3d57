// The adapters' contracts: arrayBufferSource / asyncArrayBufferSource slice as
// ArrayBuffer#slice does (end-exclusive, end optional, negatives from the end,
// clamped); fsReader reads as fs.readSync (short count at the end, 0 past it);
// the async forms deliver every error, closed file included, as a rejection.
import { openSync, closeSync, readSync, truncateSync } from 'node:fs';
import {
  arrayBufferSource, asyncArrayBufferSource, fsReader, MappedFileClosed, MappedFileTruncated, open,
} from '../../src';
import { PAGE, patternBuffer } from '../support/files';
import { testCuttingMappedFile } from '../support/platforms';
import { useTempDir } from '../support/temp-dir';

const LENGTH = 3 * PAGE + 17;
const dir = useTempDir();
let path: string;
let bytes: Buffer;
beforeAll(() => {
  bytes = patternBuffer(0, LENGTH);
  path = dir.file('data', bytes);
});

// ArrayBuffer#slice on the same bytes is the reference.
const reference = () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
// Rows always have two entries: a shorter row would make jest pass a `done` callback.
const RANGES: Array<[number | undefined, number | undefined]> = [
  [undefined, undefined], [0, undefined], [5, undefined], [5, 10], [10, 5], [-10, undefined], [-10, -2],
  [0, LENGTH + 100], [LENGTH + 5, undefined], [PAGE - 3, PAGE + 3],
  [2.7, 9.9], [NaN, 4], [0, 0], [LENGTH, LENGTH],
];

test.each(RANGES)('slice(%p, %p) as ArrayBuffer#slice, sync and async', async (start, end) => {
  const file = open(path);
  const expected = Buffer.from(reference().slice(start as number, end));
  for (const source of [arrayBufferSource(file), arrayBufferSource(file.view()), asyncArrayBufferSource(file)]) {
    expect(source.byteLength).toBe(LENGTH);
    const result = await source.slice(start, end);
    expect(result).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(result).equals(expected)).toBe(true);
  }
  file.close();
});

test('a source over a view is relative to the view, and its slices are its own memory', () => {
  const file = open(path);
  const source = arrayBufferSource(file.view(100, 50));
  expect(source.byteLength).toBe(50);
  const piece = source.slice(10, 20);
  expect(Buffer.from(piece).equals(bytes.subarray(110, 120))).toBe(true);
  new Uint8Array(piece)[0] ^= 0xff;  // writable, and not the file
  expect(Buffer.from(source.slice(10, 11))[0]).toBe(bytes[110]);
  file.close();
});

testCuttingMappedFile('sources: a truncation throws (sync) or rejects (async) MappedFileTruncated; close gives MappedFileClosed', async () => {
  const own = dir.file('truncated', patternBuffer(0, 4 * PAGE));
  const file = open(own);
  const sync = arrayBufferSource(file);
  const async = asyncArrayBufferSource(file);
  truncateSync(own, PAGE);
  expect(() => sync.slice(2 * PAGE, 3 * PAGE)).toThrow(MappedFileTruncated);
  await expect(async.slice(2 * PAGE, 3 * PAGE)).rejects.toBeInstanceOf(MappedFileTruncated);
  expect(Buffer.from(sync.slice(0, PAGE)).equals(patternBuffer(0, PAGE))).toBe(true);
  file.close();
  expect(() => sync.slice(0, 10)).toThrow(MappedFileClosed);
  // The closed file is noticed synchronously (subarray), yet arrives as a rejection.
  const pending = async.slice(0, 10);
  expect(pending).toBeInstanceOf(Promise);
  await expect(pending).rejects.toBeInstanceOf(MappedFileClosed);
  await expect(async.slice()).rejects.toBeInstanceOf(MappedFileClosed);
});

test('bad sources are refused with ERR_INVALID_ARG_TYPE', () => {
  for (const make of [arrayBufferSource, asyncArrayBufferSource, fsReader] as Array<(value: never) => unknown>) {
    for (const bad of [undefined, null, 1, {}, Buffer.alloc(1)]) {
      expect(() => make(bad as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
  }
});

describe('fsReader', () => {
  // Every (offset, length, position) against fs.readSync on the same file and a same-sized buffer.
  const CASES: Array<[number, number, number]> = [
    [0, 16, 0], [3, 10, 100], [0, 64, LENGTH - 10], [0, 64, LENGTH], [0, 64, LENGTH + 1000], [0, 0, 5],
    [8, 56, PAGE - 20], [0, 64, 0],
  ];

  test.each(CASES)('read(buffer, %i, %i, %i) returns what fs.readSync returns, sync and async', async (offset, length, position) => {
    const fd = openSync(path, 'r');
    const expected = Buffer.alloc(64, 0xaa);
    const expectedCount = readSync(fd, expected, offset, length, position);
    closeSync(fd);
    const file = open(path);
    const reader = fsReader(file);
    const sync = Buffer.alloc(64, 0xaa);
    expect(reader.read(sync, offset, length, position)).toBe(expectedCount);
    expect(sync.equals(expected)).toBe(true);
    const async = Buffer.alloc(64, 0xaa);
    expect(await reader.readAsync(async, offset, length, position)).toBe(expectedCount);
    expect(async.equals(expected)).toBe(true);
    file.close();
  });

  test('reads into any ArrayBufferView at its own offset', () => {
    const file = open(path);
    const backing = new ArrayBuffer(32);
    const target = new DataView(backing, 8, 16);
    expect(fsReader(file).read(target, 4, 8, 1000)).toBe(8);
    expect(Buffer.from(backing, 12, 8).equals(bytes.subarray(1000, 1008))).toBe(true);
    expect(Buffer.from(backing, 0, 12).every((byte) => byte === 0)).toBe(true);
    file.close();
  });

  testCuttingMappedFile('after a truncation: short count at the new end, 0 past it, as fs.readSync', () => {
    const own = dir.file('shrinks', patternBuffer(0, 4 * PAGE));
    const file = open(own);
    const reader = fsReader(file);
    truncateSync(own, PAGE + 10);
    const target = Buffer.alloc(100);
    expect(reader.read(target, 0, 100, PAGE)).toBe(10);
    expect(target.subarray(0, 10).equals(patternBuffer(PAGE, 10))).toBe(true);
    expect(reader.read(target, 0, 100, 2 * PAGE)).toBe(0);
    file.close();
  });

  test('bad arguments throw (sync) or reject (async) with fs-style codes; closed files with MappedFileClosed', async () => {
    const file = open(path);
    const reader = fsReader(file);
    const target = Buffer.alloc(8);
    const bad: Array<[unknown[], string]> = [
      [['x', 0, 1, 0], 'ERR_INVALID_ARG_TYPE'], [[target, -1, 1, 0], 'ERR_OUT_OF_RANGE'],
      [[target, 0, 9, 0], 'ERR_OUT_OF_RANGE'], [[target, 4, 5, 0], 'ERR_OUT_OF_RANGE'],
      [[target, 0, 1, -2], 'ERR_OUT_OF_RANGE'], [[target, 0, 1, 1.5], 'ERR_OUT_OF_RANGE'],  // -1 is fs's current position
      [[target, '0', 1, 0], 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [args, code] of bad) {
      expect(() => (reader.read as (...a: unknown[]) => number)(...args)).toThrow(expect.objectContaining({ code }));
      await expect((reader.readAsync as (...a: unknown[]) => Promise<number>)(...args)).rejects.toMatchObject({ code });
    }
    // Detached targets count as empty (a DataView over one throws on byteLength): fs-style errors, or 0 bytes.
    const detached = new ArrayBuffer(8);
    const [dataView, bytes] = [new DataView(detached), new Uint8Array(detached)];
    structuredClone(detached, { transfer: [detached] });
    expect(reader.read(dataView, 0, 0, 0)).toBe(0);
    // As fs.readSync: V8's TypeError for a detached DataView, ERR_INVALID_ARG_VALUE for an empty Uint8Array.
    expect(() => reader.read(dataView, 0, 1, 0)).toThrow(TypeError);
    expect(() => reader.read(bytes, 0, 1, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    file.close();
    expect(() => reader.read(target, 0, 8, 0)).toThrow(MappedFileClosed);
    await expect(reader.readAsync(target, 0, 8, 0)).rejects.toBeInstanceOf(MappedFileClosed);
  });
});
