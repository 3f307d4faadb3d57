// A lazy snapshot outlives its file: after close(), after the MappedFile is
// collected, after the file is deleted, it still reads the bytes the file held
// when it was made, and keeps them when another process rewrites or empties
// the file afterwards. close() (and the collector's release) swap it into the
// caller's own memory, so checkSnapshot says 'mapped' before and 'copied' after.
// With SAFE_MMAP_TEST_DISABLE_LAZY_SWAP=1 the snapshot stays the file's pages:
// checkSnapshot keeps saying 'mapped' and the rewrite shows through.
// This file also runs under Bun and Deno (test/runtimes/run.sh).
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync, unlinkSync } from 'node:fs';
import { checkSnapshot, LAZY_MINIMUM_BYTES, open } from '../../src';
import { binding } from '../../src/binding';
import { PAGE, patternBuffer } from '../support/files';
import { PACKAGE_ROOT, rewriteInAnotherProcess } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
const FILE_LENGTH = 4 << 20;  // room for a snapshot of LAZY_MINIMUM_BYTES and more
// Not page-aligned at either end: the snapshot is a window into its mapping.
const OFFSET = PAGE + 123;
const LENGTH = LAZY_MINIMUM_BYTES + 3 * PAGE + 5;
const expected = patternBuffer(OFFSET, LENGTH);

test('after close(): the snapshot is swapped (mapped, then copied) and keeps its bytes through a rewrite and a truncation', () => {
  const path = dir.patternFile('close', FILE_LENGTH);
  const file = open(path);
  const snapshot = file.view(OFFSET, LENGTH).snapshot({ lazy: true });
  expect(checkSnapshot(snapshot)).toBe('mapped');
  expect(snapshot.byteOffset).toBe(0);
  expect(snapshot.buffer.byteLength).toBe(LENGTH);
  const swapsBefore = binding.testing.lazyCounts()[1];
  file.close();
  expect(checkSnapshot(snapshot)).toBe('copied');
  expect(binding.testing.lazyCounts()[1]).toBe(swapsBefore + 1);
  expect(snapshot.equals(expected)).toBe(true);

  rewriteInAnotherProcess(path, 0xee, FILE_LENGTH);
  expect(snapshot.equals(expected)).toBe(true);
  rewriteInAnotherProcess(path, 0, 0);  // emptied: a page still of the file would fault now
  expect(snapshot.equals(expected)).toBe(true);
  expect(checkSnapshot(snapshot)).toBe('copied');
});

test('after the MappedFile and its views are collected: copied, and the bytes survive a rewrite and a truncation', () => {
  const path = dir.patternFile('collected', FILE_LENGTH);
  // A child of its own with --expose-gc: nothing but the snapshot keeps the
  // file alive, and gc() runs until a WeakRef to the file is empty and its
  // release has swapped the range.
  const script = `(async () => {
    const root = ${JSON.stringify(PACKAGE_ROOT)}; const path = ${JSON.stringify(path)};
    const { open, checkSnapshot } = require(root);
    const { binding } = require(root + '/lib/binding');
    const { execFileSync } = require('node:child_process');
    const expected = require(root + '/test/support/pattern.cjs').patternBuffer(${OFFSET}, ${LENGTH});
    const rewrite = (length) => execFileSync(process.execPath, ['-e',
      'require("node:fs").writeFileSync(' + JSON.stringify(path) + ', Buffer.alloc(' + length + ', 0xee))']);
    let file = open(path);
    const snapshot = file.view(${OFFSET}, ${LENGTH}).snapshot({ lazy: true });
    const report = { before: checkSnapshot(snapshot) };
    // The file's WeakRef is looked at in a turn of its own, between two gc()s:
    // deref() keeps its target alive until the end of the turn that called it.
    // (Not a FinalizationRegistry: Bun never ran its callback for the file.)
    const ref = new WeakRef(file);
    file = undefined;
    const tick = () => new Promise((resolve) => setTimeout(resolve, 10));
    let rounds = 0, collected = false;
    await tick();
    while (rounds < 50 && !(collected && binding.testing.lazyCounts()[0] === 0)) {
      gc();
      await tick();
      collected = ref.deref() === undefined;
      await tick();
      rounds++;
    }
    Object.assign(report, { rounds, collected,
      liveRanges: binding.testing.lazyCounts()[0], after: checkSnapshot(snapshot),
      intactAfterGc: snapshot.equals(expected) });
    rewrite(${FILE_LENGTH});
    report.intactAfterRewrite = snapshot.equals(expected);
    rewrite(0);
    report.intactAfterTruncation = snapshot.equals(expected);
    console.log(JSON.stringify(report));
  })();`;
  const child = spawnSync(process.execPath, ['--expose-gc', '-e', script],
    { encoding: 'utf8', timeout: 60_000 });
  expect(child.stderr).toBe('');
  expect(child.status).toBe(0);
  const report = JSON.parse(child.stdout.trim().split('\n').pop() as string);
  expect(report).toEqual({
    before: 'mapped', rounds: expect.any(Number), collected: true, liveRanges: 0, after: 'copied',
    intactAfterGc: true, intactAfterRewrite: true, intactAfterTruncation: true,
  });
});

test('after the file is deleted: still mapped while open, swapped when a writer comes through /proc, readable after close()', () => {
  const path = dir.patternFile('deleted', FILE_LENGTH);
  const file = open(path);
  const snapshot = file.view(OFFSET, LENGTH).snapshot({ lazy: true });
  unlinkSync(path);
  expect(snapshot.equals(expected)).toBe(true);
  expect(checkSnapshot(snapshot)).toBe('mapped');  // deleting breaks no lease: the inode lives on

  // The deleted inode is still reachable through the descriptor: another
  // process opens /proc/<pid>/fd/<n> for writing, which breaks the lease.
  const fd = readdirSync('/proc/self/fd').find((entry) => {
    try { return readlinkSync(`/proc/self/fd/${entry}`) === `${path} (deleted)`; } catch { return false; }
  });
  expect(fd).toBeDefined();
  const throughProc = `/proc/${process.pid}/fd/${fd}`;
  rewriteInAnotherProcess(throughProc, 0xee, FILE_LENGTH);
  expect(file.view(OFFSET, 16).toString('hex')).toBe('ee'.repeat(16));  // the writer did get through
  expect(checkSnapshot(snapshot)).toBe('copied');
  expect(snapshot.equals(expected)).toBe(true);
  rewriteInAnotherProcess(throughProc, 0, 0);
  expect(snapshot.equals(expected)).toBe(true);
  file.close();
  expect(snapshot.equals(expected)).toBe(true);
  expect(checkSnapshot(snapshot)).toBe('copied');
});

test("a writable open of the file in this same process waits for the swap, then opens (no EAGAIN); the snapshot keeps its bytes", () => {
  const path = dir.patternFile('own-writer', FILE_LENGTH);
  const file = open(path);
  const snapshot = file.view(OFFSET, LENGTH).snapshot({ lazy: true });
  expect(checkSnapshot(snapshot)).toBe('mapped');
  const writable = open(path, { mode: 'r+' });  // breaks this process's own lease
  try {
    expect(checkSnapshot(snapshot)).toBe('copied');
    writable.view(OFFSET, LENGTH).fill(0xee);
    expect(snapshot.equals(expected)).toBe(true);
    expect(file.view(OFFSET, 4).snapshot()).toEqual(Buffer.alloc(4, 0xee));
  } finally {
    writable.close();
    file.close();
  }
});
