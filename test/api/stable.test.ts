// open(path, { stable: true }): one version of the file for the mapping's
// whole life. Once the file changed in any way since open, every access
// throws MappedFileChanged, even where the bytes are still readable. Both
// methods: a lease (any break counts) and fstat (size or ctime).
import { closeSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { MappedFileChanged, MappedFileError, open } from '../../src';
import { spawnSync } from 'node:child_process';
import { PAGE, patternBuffer } from '../support/files';
import { useTempDir } from '../support/temp-dir';
import { heatUntilLeased } from '../support/lease-heat.cjs';

const dir = useTempDir();

function expectChangedEverywhere(file: ReturnType<typeof open>) {
  const view = file.view();
  expect(() => view.readUInt32LE(0)).toThrow(MappedFileChanged);
  expect(() => view.subarray(0, 16).snapshot()).toThrow(MappedFileChanged);
  expect(() => view.indexOf('x')).toThrow(MappedFileChanged);
  try { view.readUInt8(1); } catch (error) {
    expect(error).toBeInstanceOf(MappedFileError);
    expect(error).toMatchObject({ code: 'ERR_MAPPED_FILE_CHANGED', path: file.path });
  }
  return expect(view.snapshotAsync()).rejects.toBeInstanceOf(MappedFileChanged);
}

test('lease method: a writer that only opens the file for writing (no byte changed) is a change', async () => {
  const path = dir.patternFile('lease-open', 4 * PAGE);
  const file = open(path, { stable: true });
  expect(file.stable).toBe(true);
  expect(heatUntilLeased(file)).toBe('lease');
  expect(file.view().subarray(0, PAGE).snapshot()).toEqual(patternBuffer(0, PAGE));
  // Another process opens for write and closes, changing nothing. A shell's
  // `>>` starts in milliseconds: the lease must still be held when it comes
  // (a file idle for a second gives it back; a Node child under qemu-user
  // took longer than that to start).
  expect(spawnSync('sh', ['-c', ': >> "$1"', 'sh', path]).status).toBe(0);
  await expectChangedEverywhere(file);
  file.close();
});

test('fstat method: a write of the same bytes (ctime moves) is a change, and so is a size change', async () => {
  const path = dir.patternFile('fstat-write', 4 * PAGE);
  const writer = openSync(path, 'r+');  // held open at open(): no lease
  const file = open(path, { stable: true });
  expect(file.validationMethod).toBe('fstat');
  const view = file.view();
  expect(view.readUInt8(5)).toBe(patternBuffer(5, 1)[0]);
  writeSync(writer, patternBuffer(5, 1), 0, 1, 5);  // the same byte again
  await expectChangedEverywhere(file);
  closeSync(writer);
  file.close();

  const grown = dir.patternFile('fstat-size', 4 * PAGE);
  const writer2 = openSync(grown, 'r+');
  const file2 = open(grown, { stable: true });
  writeSync(writer2, Buffer.from([1]), 0, 1, 8 * PAGE);  // grows: bytes below are untouched
  await expectChangedEverywhere(file2);
  closeSync(writer2);
  file2.close();
});

test('a zip-like reader: index, then records; the archive replaced in place mid-read is refused', () => {
  const path = dir.file('archive', Buffer.concat([Buffer.from([8, 0, 0, 0]), patternBuffer(4, PAGE)]));
  const file = open(path, { stable: true });
  const view = file.view();
  const records = view.readUInt32LE(0);  // the "central directory"
  writeFileSync(path, Buffer.concat([Buffer.from([8, 0, 0, 0]), Buffer.alloc(PAGE, 7)]));  // same size, new bytes
  expect(() => view.subarray(4, 4 + records).snapshot()).toThrow(MappedFileChanged);
  file.close();
});

test('an unchanged file reads on; under a lease, rename over its path does not count', () => {
  const path = dir.patternFile('calm', 4 * PAGE);
  const file = open(path, { stable: true });
  const view = file.view();
  for (let i = 0; i < 1000; i++) expect(view.readUInt8(i)).toBe(patternBuffer(i, 1)[0]);
  // Held before the rename: 1000 reads alone did not always take it under
  // qemu, and without it the rename counts (the next test).
  expect(heatUntilLeased(file)).toBe('lease');
  renameSync(dir.patternFile('other', PAGE), path);
  expect(view.subarray(0, PAGE).snapshot()).toEqual(patternBuffer(0, PAGE));
  file.close();
});

test('fstat method: rename over its path is a change (unlinking the mapped inode moves its ctime)', () => {
  const path = dir.patternFile('renamed-over', 4 * PAGE);
  const file = open(path, { stable: true, lease: false });
  const view = file.view();
  expect(view.readUInt8(7)).toBe(patternBuffer(7, 1)[0]);
  renameSync(dir.patternFile('newcomer', PAGE), path);
  expect(() => view.subarray(0, PAGE).snapshot()).toThrow(MappedFileChanged);
  file.close();
});

test('options: stable needs a boolean, mode r and validate always', () => {
  const path = dir.patternFile('options', PAGE);
  expect(() => open(path, { stable: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => open(path, { stable: true, mode: 'r+' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  expect(() => open(path, { stable: true, validate: 'fault' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  const plain = open(path);
  expect(plain.stable).toBe(false);
  plain.close();
});
