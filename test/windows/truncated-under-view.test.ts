// A file truncated under a mapped view, on Windows. Windows itself refuses
// the truncation while we map the file (truncate-refused.test.ts), but a
// program on a file server, or on the Linux host of a Wine process, does
// not ask: here the Linux side (test/support/wine-host.js) cuts the file.
// Wine reports the SIGBUS that follows as EXCEPTION_ACCESS_VIOLATION, which
// the guard's vectored handler claims (native/win32/guard.cc); a real
// Windows raises EXCEPTION_IN_PAGE_ERROR for an I/O error under a view,
// which the same handler claims and this test cannot produce (docs/platforms.md).
// Every access past the new end gives MappedFileTruncated and the process
// goes on; the unguarded control child dies of the access violation.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MappedFileTruncated, open, type ValidationMode } from '../../src';
import { PACKAGE_ROOT } from '../support/processes';
import { ACCESS_VIOLATION_EXIT, wineHost } from '../support/wine';

const { patternBuffer } = require('../support/pattern.cjs') as typeof import('../support/pattern.cjs');

const host = wineHost();
const dir = mkdtempSync(join(host.dir, 'cut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LENGTH = 1 << 20;
const CUT_TO = 4096;
const PAST = 500_000;

function mappedThenCut(name: string, validate: ValidationMode) {
  const path = join(dir, name);
  writeFileSync(path, patternBuffer(0, LENGTH));
  const file = open(path, { validate });
  const view = file.view();
  expect(view.readUInt8(PAST)).toBe(patternBuffer(PAST, 1)[0]);  // mapped and touched
  host.truncate(path, CUT_TO);
  expect(statSync(path).size).toBe(CUT_TO);
  return { file, view };
}

describe.each(['always', 'fault'] as const)("validate: '%s'", (validate) => {
  test('a read past the new end is MappedFileTruncated, one before it the file\'s byte', () => {
    const { file, view } = mappedThenCut(`read-${validate}`, validate);
    expect(() => view.readUInt32LE(PAST)).toThrow(MappedFileTruncated);
    expect(view.readUInt8(100)).toBe(patternBuffer(100, 1)[0]);
    file.close();
  });

  test('a copy and a snapshot across the new end throw, and leave no byte behind', () => {
    const { file, view } = mappedThenCut(`copy-${validate}`, validate);
    const target = Buffer.alloc(64 * 1024, 0xee);
    expect(() => view.copy(target, 0, PAST, PAST + target.length)).toThrow(MappedFileTruncated);
    expect(() => view.subarray(0, 600_000).snapshot()).toThrow(MappedFileTruncated);
    let thrown: unknown;
    try { view.readUInt8(PAST); } catch (error) { thrown = error; }
    expect(thrown).toBeInstanceOf(MappedFileTruncated);
    expect((thrown as MappedFileTruncated).code).toBe('ERR_MAPPED_FILE_TRUNCATED');
    file.close();
  });

  test('10,000 faulting reads in a row are each claimed', () => {
    const { file, view } = mappedThenCut(`many-${validate}`, validate);
    let caught = 0;
    for (let i = 0; i < 10_000; i++) {
      try { view.readUInt8(CUT_TO + 4096 + (i % 200) * 4096); } catch (error) {
        if (error instanceof MappedFileTruncated) caught++;
      }
    }
    expect(caught).toBe(10_000);
    file.close();
  });
});

test('without the guard, the same read kills the process with an access violation', async () => {
  // The child maps the file in 'fault' mode with the guard switched off,
  // says so, waits for the cut (it watches the size), then reads past the end.
  const path = join(dir, 'unguarded');
  writeFileSync(path, patternBuffer(0, LENGTH));
  const child = spawn(process.execPath, ['-e', `
    const fs = require('fs');
    const { open } = require('.');
    const view = open(${JSON.stringify(path)}, { validate: 'fault' }).view();
    view.readUInt8(${PAST});
    fs.writeFileSync(${JSON.stringify(`${path}.mapped`)}, '');
    while (fs.statSync(${JSON.stringify(path)}).size !== ${CUT_TO}) {}
    console.log('read', view.readUInt8(${PAST}));
    console.log('survived');`], {
    cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SAFE_MMAP_TEST_DISABLE_GUARD: '1' },
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!existsSync(`${path}.mapped`) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  host.truncate(path, CUT_TO);
  expect(await exited).toBe(ACCESS_VIOLATION_EXIT);
  expect(stdout).not.toContain('survived');
});
