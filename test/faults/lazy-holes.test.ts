// The holes under a lazy snapshot (issue 20, "Each hole"): the file loses
// pages while the lease is still held, so the snapshot's bytes past the cut
// cannot be kept, but the process must live. (a) another process opens the
// file with O_RDONLY|O_TRUNC, which truncates it without breaking any lease;
// (b) the reader is stopped (SIGSTOP) while a writer waits out a 1 s
// lease-break-time, so the kernel revokes the lease and the writer truncates
// before the reader can swap anything; then it is continued. Each time a full
// read of the snapshot in JS completes, the bytes before the cut are the
// file's, those past it read as zeros (a zero page where a page was taken
// away), and checkSnapshot throws MappedFileTruncated. The controls run the
// same with the guard off (SAFE_MMAP_TEST_DISABLE_GUARD=1, which also turns
// off the zero page): the reader dies by SIGBUS.
import { spawn } from 'node:child_process';
import { closeSync, constants, ftruncateSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { LAZY_MINIMUM_BYTES } from '../../src';
import { patternBuffer } from '../support/files';
import { PACKAGE_ROOT } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();

const FILE_LENGTH = Math.max(1 << 20, LAZY_MINIMUM_BYTES);  // lazy, not a copy
const NO_GUARD = { SAFE_MMAP_TEST_DISABLE_GUARD: '1' };
const BREAK_TIME = '/proc/sys/fs/lease-break-time';

interface HoleRead {
  state: string; method: string; patternBefore: number; zerosAfter: number; sum: number;
  check: string; fileSize: number | null; breaks: number; compared: number; copied: number;
}

/**
 * Starts the reader: a lazy snapshot of the whole file (a pattern file: no
 * zero byte), read once in full (its pages are mapped), "ready" printed; once
 * <path>.go exists it reads it in full again in JS and reports. `cut` is the
 * file's size after the hole.
 */
function startHoleReader(path: string, cut: number, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['-e', `
    const { open, checkSnapshot } = require('.');
    const { patternByte } = require('./test/support/pattern.cjs');
    const { waitForGo } = require('./test/support/wait-for-go');
    const path = ${JSON.stringify(path)};
    const file = open(path);
    const snapshot = file.view().snapshot({ lazy: true });
    const state = checkSnapshot(snapshot);
    const method = file.validationMethod;  // before the hole: a break takes the lease away
    let sum = 0;
    for (let i = 0; i < snapshot.length; i++) sum += snapshot[i];
    process.stdout.write('ready\\n');
    waitForGo(path);
    // Native code meets the hole first, on the last two pages (past every cut
    // here): Buffer.compare reads one (C++ in Node, outside any guard), and a
    // guarded view.copy of another file writes zeros into the other (its
    // guard frame covers the source, not this page). Both must complete.
    const PAGE = 4096, end = snapshot.length;
    const compared = Buffer.compare(snapshot.subarray(end - 2 * PAGE, end - PAGE), Buffer.alloc(PAGE));
    require('node:fs').writeFileSync(path + '.source', Buffer.alloc(PAGE));
    const source = open(path + '.source');
    const copied = source.view().copy(snapshot, end - PAGE);
    source.close();
    let patternBefore = 0, zerosAfter = 0;
    sum = 0;
    for (let i = 0; i < snapshot.length; i++) {
      const byte = snapshot[i];
      sum += byte;
      if (i < ${cut}) patternBefore += byte === patternByte(i);
      else zerosAfter += byte === 0;
    }
    let check, fileSize = null;
    try { check = checkSnapshot(snapshot); } catch (error) { check = error.name; fileSize = error.fileSize; }
    const breaks = require('./lib/binding').binding.testing.leaseBreaksHandled();
    process.stdout.write(JSON.stringify({ state, method, patternBefore, zerosAfter, sum, check, fileSize, breaks, compared, copied }) + '\\n');`],
  { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let output = '';
  let onReady: () => void;
  const ready = new Promise<void>((resolve) => { onReady = resolve; });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; read: HoleRead | null }>((resolve) => {
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      if (output.startsWith('ready\n')) onReady();
    });
    child.on('exit', (code, signal) => {
      onReady();
      const last = output.trim().split('\n').pop() as string;
      resolve({ code, signal, read: code === 0 ? JSON.parse(last) : null });
    });
  });
  return { child, ready, ended, go: () => writeFileSync(`${path}.go`, '') };
}

/**
 * What a reader that lived must show: a lazy snapshot made under the lease;
 * after the hole a full read whose bytes before the cut are the file's and
 * past it zeros (so the sum is the sum of the pattern before the cut); the
 * native accesses past the cut (a compare, a guarded copy into it) done; the
 * error; and the lease breaks its watcher handled.
 */
function expectSurvived(ended: Awaited<ReturnType<typeof startHoleReader>['ended']>, cut: number,
  breaks: unknown) {
  expect({ code: ended.code, signal: ended.signal }).toEqual({ code: 0, signal: null });
  expect(ended.read).toEqual({
    state: 'mapped', method: 'lease', patternBefore: cut, zerosAfter: FILE_LENGTH - cut,
    sum: patternBuffer(0, cut).reduce((total, byte) => total + byte, 0), check: 'MappedFileTruncated', fileSize: cut,
    breaks, compared: 0, copied: 4096,
  });
}

/** (a): O_RDONLY|O_TRUNC from this process (another than the reader's), then nothing. */
async function readOnlyTruncate(name: string, env: NodeJS.ProcessEnv = {}) {
  const path = dir.patternFile(name, FILE_LENGTH);
  const reader = startHoleReader(path, 0, env);
  await reader.ready;
  closeSync(openSync(path, constants.O_RDONLY | constants.O_TRUNC));
  expect(statSync(path).size).toBe(0);  // Linux truncates on a read-only open too
  reader.go();
  return reader.ended;
}

describe('(a) open(O_RDONLY|O_TRUNC) by another process: no break, the file is cut to 0', () => {
  test('the reader lives, reads zeros, and checkSnapshot throws MappedFileTruncated', async () => {
    expectSurvived(await readOnlyTruncate('otrunc'), 0, 0);  // no break: nothing was swapped
  });

  test('control: with the guard off (test hook) the reader dies by SIGBUS', async () => {
    const ended = await readOnlyTruncate('otrunc-no-guard', NO_GUARD);
    expect({ code: ended.code, signal: ended.signal }).toEqual({ code: null, signal: 'SIGBUS' });
  });
});

describe('(b) the reader stopped past lease-break-time while a writer truncates', () => {
  const CUT = FILE_LENGTH / 2 + 1;  // mid-page: the rest of that page reads as zeros without a fault

  /** Stops the reader, lets a writer open (the kernel revokes after 1 s), cut and close, then continues it. */
  async function stoppedReader(name: string, env: NodeJS.ProcessEnv = {}) {
    const path = dir.patternFile(name, FILE_LENGTH);
    const reader = startHoleReader(path, CUT, env);
    await reader.ready;
    // Root only: a machine where it cannot be written fails here, not skips.
    let saved: string;
    try {
      saved = readFileSync(BREAK_TIME, 'utf8');
      writeFileSync(BREAK_TIME, '1');
    } catch (error) {
      reader.child.kill('SIGKILL');
      throw error;
    }
    let openMs: number;
    try {
      reader.child.kill('SIGSTOP');
      const started = Date.now();
      const fd = openSync(path, 'r+');  // blocks until the kernel revokes the stopped reader's lease
      openMs = Date.now() - started;
      ftruncateSync(fd, CUT);
      closeSync(fd);
    } finally {
      writeFileSync(BREAK_TIME, saved);
      reader.go();
      reader.child.kill('SIGCONT');
    }
    expect(openMs).toBeGreaterThanOrEqual(900);  // revoked by the kernel: nobody swapped the snapshot
    return reader.ended;
  }

  test('the reader lives, reads the bytes before the cut and zeros past it, and checkSnapshot throws MappedFileTruncated', async () => {
    expectSurvived(await stoppedReader('stopped'), CUT, expect.any(Number));
  });

  test('control: with the guard off (test hook) the reader dies by SIGBUS', async () => {
    const ended = await stoppedReader('stopped-no-guard', NO_GUARD);
    expect({ code: ended.code, signal: ended.signal }).toEqual({ code: null, signal: 'SIGBUS' });
  });
});
