// snapshot() and every other read hand out JS-owned copies: nothing returned
// aliases the mapping, so later changes to the file never show through and a
// later truncation can never fault inside V8-compiled code.
import { truncateSync, writeFileSync } from 'node:fs';
import { open } from '../../src';
import { PAGE, patternBuffer } from '../support/files';
import { testCuttingMappedFile } from '../support/platforms';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();

testCuttingMappedFile('a snapshot never changes afterwards and never faults, whatever happens to the file', () => {
  const path = dir.patternFile('snap', 3 * PAGE);
  const file = open(path);
  const snapshot = file.view().snapshot();
  const copied = Buffer.alloc(3 * PAGE);
  file.view().copy(copied);
  const text = file.view(PAGE, 64).toString('latin1');

  writeFileSync(path, Buffer.alloc(3 * PAGE, 0xee));  // rewrite in place
  expect(file.view().readUInt8(PAGE)).toBe(0xee);     // the live view sees the new bytes
  truncateSync(path, 0);                              // and now the pages are gone

  const expected = patternBuffer(0, 3 * PAGE);
  expect(snapshot).toEqual(expected);  // reading every byte would fault if it aliased the mapping
  expect(copied).toEqual(expected);
  expect(text).toBe(expected.subarray(PAGE, PAGE + 64).toString('latin1'));
  snapshot[0] = 0;  // and it is writable memory of its own
  expect(snapshot.buffer.byteLength).toBeGreaterThanOrEqual(3 * PAGE);
  file.close();
});

test('a snapshot is a fresh Buffer each time', () => {
  const path = dir.patternFile('fresh', 100);
  const file = open(path);
  const view = file.view();
  const first = view.snapshot();
  const second = view.snapshot();
  expect(first).toEqual(second);
  first[0] ^= 0xff;
  expect(second[0]).toBe(patternBuffer(0, 1)[0]);
  expect(view.readUInt8(0)).toBe(patternBuffer(0, 1)[0]);
  file.close();
});
