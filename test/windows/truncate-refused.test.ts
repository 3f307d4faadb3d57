// What Windows does instead of SIGBUS for a file that we map: it refuses to
// cut it. SetEndOfFile (fs.ftruncateSync, fs.truncateSync) fails with
// ERROR_USER_MAPPED_FILE (1224) while any view of the file is mapped, in
// this process or another; libuv has no errno for 1224, so fs reports it as
// 'UNKNOWN' (errno -4094). Once close() unmapped it, the same call works. And
// the file stays what other programs expect of a file fs.openSync opened
// (FILE_SHARE_DELETE): it can be renamed under the view, which keeps reading
// the same bytes.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, renameSync, rmSync, statSync, ftruncateSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from '../../src';
import { PACKAGE_ROOT } from '../support/processes';
import { wineHost } from '../support/wine';

const { patternBuffer } = require('../support/pattern.cjs') as typeof import('../support/pattern.cjs');

const dir = mkdtempSync(join(wineHost().dir, 'refused-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const LENGTH = 256 * 1024;

function refused(cut: () => void): NodeJS.ErrnoException {
  let thrown: NodeJS.ErrnoException | undefined;
  try { cut(); } catch (error) { thrown = error as NodeJS.ErrnoException; }
  expect(thrown).toBeDefined();
  return thrown as NodeJS.ErrnoException;
}

test.each(['r', 'r+'] as const)("fs.ftruncateSync and fs.truncateSync on a file mapped '%s' fail, and the bytes stay", (mode) => {
  const path = join(dir, `mapped-${mode}`);
  writeFileSync(path, patternBuffer(0, LENGTH));
  const file = open(path, { mode });
  const fd = openSync(path, 'r+');
  const error = refused(() => ftruncateSync(fd, 10));
  expect(error.code).toBe('UNKNOWN');
  expect(error.errno).toBe(-4094);
  expect(error.syscall).toBe('ftruncate');
  expect(refused(() => truncateSync(path, 0)).code).toBe('UNKNOWN');
  expect(statSync(path).size).toBe(LENGTH);
  expect(file.view().equals(patternBuffer(0, LENGTH))).toBe(true);
  file.close();
  ftruncateSync(fd, 10);  // unmapped: allowed again
  closeSync(fd);
  expect(statSync(path).size).toBe(10);
});

test('another process cannot cut a file this one maps', () => {
  const path = join(dir, 'other-process');
  writeFileSync(path, patternBuffer(0, LENGTH));
  const file = open(path);
  const child = spawnSync(process.execPath, ['-e', `
    try { require('fs').truncateSync(${JSON.stringify(path)}, 0); console.log('cut'); }
    catch (error) { console.log(error.code, error.errno); }`], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
  expect(child.stdout.trim()).toBe('UNKNOWN -4094');
  expect(file.view().readUInt32LE(LENGTH - 4)).toBe(patternBuffer(LENGTH - 4, 4).readUInt32LE(0));
  file.close();
});

test("open() with mode 'w+' on a file mapped elsewhere reports fs's error and maps nothing", () => {
  const path = join(dir, 'w-plus');
  writeFileSync(path, patternBuffer(0, LENGTH));
  const first = open(path);
  expect(() => open(path, { mode: 'w+', size: 10 })).toThrow(expect.objectContaining({ code: 'UNKNOWN' }));
  expect(first.view().equals(patternBuffer(0, LENGTH))).toBe(true);
  first.close();
});

test('a mapped file can be renamed, and the view keeps reading it', () => {
  const path = join(dir, 'renamed');
  writeFileSync(path, patternBuffer(0, LENGTH));
  const file = open(path);
  renameSync(path, `${path}.moved`);
  expect(file.view().equals(patternBuffer(0, LENGTH))).toBe(true);
  expect(file.fileSize()).toBe(LENGTH);
  file.close();
});
