// snapshot(), snapshotAsync(), arrayBuffer() and arrayBufferAsync() hand out
// an ArrayBuffer of their own, exactly as long as the view (never Node's
// shared pool, never memory aliasing the mapping), from 0 B to tens of MiB.
import { truncateSync, writeFileSync } from 'node:fs';
import { MappedFileClosed, MappedFileTruncated, open } from '../../src';
import { PAGE, patternBuffer } from '../support/files';
import { testCuttingMappedFile } from '../support/platforms';
import { useTempDir } from '../support/temp-dir';

const MiB = 1024 * 1024;
const SIZES = [0, 1, 7, 64, 65, 4095, PAGE, PAGE + 1, 12 * 1024, MiB + 3, 40 * MiB];

const dir = useTempDir();
let path: string;
let expected: Buffer;
beforeAll(() => {
  expected = patternBuffer(0, 40 * MiB + PAGE);
  path = dir.file('big', expected);
});

// An own, exactly-sized buffer: byteOffset 0 and byteLength === length, and
// the same bytes as the file at `at`.
function expectOwnExact(bytes: ArrayBuffer, length: number, at: number): void {
  expect(bytes).toBeInstanceOf(ArrayBuffer);
  expect(bytes.byteLength).toBe(length);
  expect(Buffer.from(bytes).equals(expected.subarray(at, at + length))).toBe(true);
}

test.each(SIZES)('%i bytes: snapshot().buffer and arrayBuffer() are exactly sized and own their memory', (length) => {
  const file = open(path);
  const at = 5;  // an unaligned start, so a result over the mapping could not be page-aligned anyway
  const view = file.view(at, length);
  const snapshot = view.snapshot();
  expect(snapshot.byteOffset).toBe(0);
  expectOwnExact(snapshot.buffer, length, at);
  expectOwnExact(view.arrayBuffer(), length, at);
  expect(view.arrayBuffer()).not.toBe(view.arrayBuffer());  // fresh each time
  file.close();
});

test.each([0, 1, 4095, MiB + 3, 40 * MiB])('%i bytes: snapshotAsync() and arrayBufferAsync() likewise', async (length) => {
  const file = open(path);
  const view = file.view(3, length);
  const snapshot = await view.snapshotAsync();
  expect(snapshot.byteOffset).toBe(0);
  expectOwnExact(snapshot.buffer, length, 3);
  expectOwnExact(await view.arrayBufferAsync(), length, 3);
  file.close();
});

testCuttingMappedFile('an ArrayBuffer never changes afterwards and never faults when the file is rewritten and truncated', async () => {
  const own = dir.file('own', patternBuffer(0, 3 * PAGE));
  const file = open(own, { validate: 'fault' });
  const sync = file.view().arrayBuffer();
  const async = await file.view().arrayBufferAsync();
  writeFileSync(own, Buffer.alloc(3 * PAGE, 0xee));
  truncateSync(own, 0);
  // Reading every byte would fault (or show 0xee) if either aliased the mapping.
  expect(Buffer.from(sync).equals(patternBuffer(0, 3 * PAGE))).toBe(true);
  expect(Buffer.from(async).equals(patternBuffer(0, 3 * PAGE))).toBe(true);
  file.close();
});

testCuttingMappedFile('errors: past a truncation MappedFileTruncated, after close MappedFileClosed (async: as rejections)', async () => {
  const small = dir.file('small', patternBuffer(0, 4 * PAGE));
  const file = open(small);
  const view = file.view();
  truncateSync(small, PAGE);
  expect(() => view.arrayBuffer()).toThrow(MappedFileTruncated);
  await expect(view.arrayBufferAsync()).rejects.toBeInstanceOf(MappedFileTruncated);
  expect(Buffer.from(view.subarray(0, PAGE).arrayBuffer()).equals(patternBuffer(0, PAGE))).toBe(true);
  const empty = view.subarray(0, 0);
  file.close();
  expect(() => view.arrayBuffer()).toThrow(MappedFileClosed);
  expect(() => empty.arrayBuffer()).toThrow(MappedFileClosed);  // nothing to copy, still closed
  await expect(view.arrayBufferAsync()).rejects.toBeInstanceOf(MappedFileClosed);
  await expect(empty.arrayBufferAsync()).rejects.toBeInstanceOf(MappedFileClosed);
});

testCuttingMappedFile("'fault' mode: the guard turns the fault of a truncated page into MappedFileTruncated, sync and on the pool", async () => {
  const small = dir.file('small-fault', patternBuffer(0, 4 * PAGE));
  const file = open(small, { validate: 'fault' });  // no size check: the copy itself faults
  const view = file.view(2 * PAGE, PAGE);
  truncateSync(small, PAGE);
  expect(() => view.arrayBuffer()).toThrow(MappedFileTruncated);
  await expect(view.arrayBufferAsync()).rejects.toBeInstanceOf(MappedFileTruncated);
  file.close();
});

test('arrayBufferAsync() takes an AbortSignal as snapshotAsync() does', async () => {
  const file = open(path);
  await expect(file.view(0, PAGE).arrayBufferAsync({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
  await expect(file.view(0, PAGE).arrayBufferAsync({ signal: 1 as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  file.close();
});
