// What the Windows build answers where Linux has machinery Windows lacks
// (docs/platforms.md has the table): 'always' validates by
// NtQueryInformationFile (size and ChangeTime), { lazy: true } copies, atomics
// work on a view shared between processes but wait and notify are
// ERR_FEATURE_UNAVAILABLE_ON_PLATFORM, watch() polls, the hints are
// PrefetchVirtualMemory and QueryWorkingSetEx, flush is FlushViewOfFile and
// FlushFileBuffers, and reads by ReadFile (large snapshots, the pool) give
// the file's bytes.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSnapshot, open } from '../../src';
import { PACKAGE_ROOT } from '../support/processes';
import { wineHost } from '../support/wine';

const { patternBuffer } = require('../support/pattern.cjs') as typeof import('../support/pattern.cjs');

const dir = mkdtempSync(join(wineHost().dir, 'platform-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function patternFile(length: number): string {
  const path = join(dir, `file-${counter++}`);
  writeFileSync(path, patternBuffer(0, length));
  return path;
}

test("validationMethod: 'fstat' for 'always' (no lease), 'none' for 'fault'", () => {
  const path = patternFile(4096);
  const always = open(path);
  always.view().readUInt8(0);
  expect(always.validationMethod).toBe('fstat');
  const fault = open(path, { validate: 'fault' });
  expect(fault.validationMethod).toBe('none');
  always.close();
  fault.close();
});

test("'always' sees another process's write through its size and change time", () => {
  const path = patternFile(64 * 1024);
  const file = open(path, { validate: 'always', grow: 'auto' });
  const view = file.view();
  expect(view.readUInt8(100)).toBe(patternBuffer(100, 1)[0]);
  appendFileSync(path, Buffer.alloc(4096, 0x5a));
  expect(file.fileSize()).toBe(64 * 1024 + 4096);
  expect(file.read(Buffer.alloc(1), 0, 1, 64 * 1024 + 10)).toBe(1);
  file.close();
});

test('a lazy snapshot is a copy, with the same bytes', () => {
  const path = patternFile(4 << 20);
  const file = open(path);
  const snapshot = file.view().snapshot({ lazy: true });
  expect(checkSnapshot(snapshot)).toBe('copied');
  expect(snapshot.equals(patternBuffer(0, 4 << 20))).toBe(true);
  file.close();
});

test('a large snapshot (read with ReadFile) and an async one give the file\'s bytes', async () => {
  const length = 40 << 20;
  const path = patternFile(length);
  const file = open(path);
  expect(file.view().snapshot().equals(patternBuffer(0, length))).toBe(true);
  expect((await file.view(1 << 20, 8 << 20).snapshotAsync()).equals(patternBuffer(1 << 20, 8 << 20))).toBe(true);
  file.close();
});

test('atomics add exactly between two processes that map the file', async () => {
  const path = join(dir, 'counter');
  writeFileSync(path, Buffer.alloc(4096));
  const ADDS = 20_000;
  const child = spawn(process.execPath, ['-e', `
    const words = require('.').open(${JSON.stringify(path)}, { mode: 'r+' }).view().atomics('int32');
    for (let i = 0; i < ${ADDS}; i++) words.add(0, 1);`], { cwd: PACKAGE_ROOT, stdio: 'ignore' });
  const file = open(path, { mode: 'r+' });
  const words = file.view().atomics('int32');
  for (let i = 0; i < ADDS; i++) words.add(0, 1);
  expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
  expect(words.load(0)).toBe(2 * ADDS);
  expect(words.compareExchange(0, 2 * ADDS, 7)).toBe(2 * ADDS);
  expect(readFileSync(path).readInt32LE(0)).toBe(7);
  file.close();
});

test('wait, waitAsync and notify are ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', async () => {
  const path = join(dir, 'waits');
  writeFileSync(path, Buffer.alloc(4096));
  const file = open(path, { mode: 'r+' });
  const words = file.view().atomics('int32');
  const unavailable = expect.objectContaining({ code: 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM' });
  expect(() => words.wait(0, 0, 10)).toThrow(unavailable);
  expect(() => words.notify(0)).toThrow(unavailable);
  await expect(words.waitAsync(0, 0, 10)).rejects.toEqual(unavailable);
  file.close();
});

test("watch() polls: another process's change arrives as a 'poll' event with the new size", async () => {
  const path = patternFile(4096);
  const file = open(path);
  const watcher = file.watch({ interval: 20 });
  expect(watcher.method).toBe('poll');
  const child = spawn(process.execPath, ['-e', `require('fs').appendFileSync(${JSON.stringify(path)}, Buffer.alloc(100))`],
    { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));  // before any await: it may end first
  const event = await watcher.next();
  expect(event.value).toEqual({ kind: 'change', size: 4196, method: 'poll' });
  expect(await exited).toBe(0);
  await watcher.return();
  file.close();
});

test('watch() follows the mapped file through a rename: a change under its new name arrives', async () => {
  const path = patternFile(4096);
  const file = open(path);
  const watcher = file.watch({ interval: 20 });
  const renamed = `${path}-renamed`;
  renameSync(path, renamed);
  writeFileSync(path, Buffer.alloc(10));  // another file under the old name: not the watched one
  appendFileSync(renamed, Buffer.alloc(100));
  const event = await watcher.next();
  expect(event.value).toEqual({ kind: 'change', size: 4196, method: 'poll' });
  await watcher.return();
  file.close();
});

test("the hints: 'willneed' prefetches, 'hugepage' is EINVAL, residency counts the view's pages", () => {
  const length = 1 << 20;
  const path = patternFile(length);
  const file = open(path);
  file.advise('willneed');
  for (const kind of ['normal', 'sequential', 'random', 'dontneed'] as const) file.advise(kind);
  expect(() => file.advise('hugepage')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  const view = file.view();
  for (let offset = 0; offset < length; offset += 4096) view.readUInt8(offset);
  const { pages, resident } = file.residency();
  expect(pages).toBe(length / 4096);
  expect(resident).toBe(pages);  // every page touched: in this process's working set
  file.close();
});

test('flush writes a writable mapping through to the file', () => {
  const path = patternFile(64 * 1024);
  const file = open(path, { mode: 'r+' });
  file.view().writeUInt32LE(0xdeadbeef, 1000);
  file.flush();
  expect(readFileSync(path).readUInt32LE(1000)).toBe(0xdeadbeef);
  file.close();
});
