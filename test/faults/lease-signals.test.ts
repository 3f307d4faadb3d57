// The lease watcher acts only on breaks of the lease it is told about:
// - a break signal queued for a descriptor number that has since been closed
//   and reused by another mapping must not break that mapping's lease (a
//   { stable: true } file would fail every access with MappedFileChanged);
// - a SIGIO sent by a process is not the kernel's queue-overflow SIGIO;
// and a mapping that failed to map leaves no slot a binding call can reach.
// Each case counts breaks against a real one made afterwards on another file:
// the watcher takes signals in order, so once that break is counted every
// signal before it was handled.
import { closeSync, constants, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { binding } from '../../src/binding';
import { MappedFile, open } from '../../src';
import { TempDir } from '../support/files';
import { runNodeScript } from '../support/processes';
import { buildTestModule } from '../support/test-modules';
import { heatUntilLeased } from '../support/lease-heat.cjs';

let dir: TempDir;
beforeAll(() => { dir = new TempDir(); });
afterAll(() => { binding.testing.setLeaseWatcherPaused(false); dir.remove(); });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** This process's descriptors that name `path`. */
function descriptorsOf(path: string): number[] {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try { return readlinkSync(`/proc/self/fd/${fd}`) === path; } catch { return false; }
  }).map(Number);
}

/**
 * Makes one real break on a fresh leased file and waits until the watcher
 * has counted it; returns how many breaks were counted meanwhile in all.
 */
async function breaksUpToARealOne(before: number): Promise<number> {
  const path = dir.patternFile(`real-break-${before}`, 4096);
  const file = open(path);
  try {
    expect(heatUntilLeased(file)).toBe('lease');
    closeSync(openSync(path, 'r+'));  // waits for the watcher's release
    for (let waited = 0; binding.testing.leaseBreaksHandled() === before; waited++) {
      if (waited > 5000) throw new Error('the real break was never counted');
      await sleep(1);
    }
    return binding.testing.leaseBreaksHandled() - before;
  } finally {
    file.close();
  }
}

function expectUnbroken(file: MappedFile, path: string): void {
  expect(file.validationMethod).toBe('lease');
  expect(file.view().snapshot().equals(readFileSync(path))).toBe(true);
}

test('a break queued for a closed descriptor spares the stable mapping that reuses its number', async () => {
  const first = dir.patternFile('first', 8192);
  const second = dir.patternFile('second', 8192);
  binding.testing.setLeaseWatcherPaused(true);
  let reused: MappedFile | undefined;
  try {
    const closed = open(first);
    expect(heatUntilLeased(closed)).toBe('lease');
    const [descriptor] = descriptorsOf(first);
    // A non-blocking open for writing fails at once and starts a break,
    // whose signal the paused watcher takes and holds.
    expect(() => openSync(first, constants.O_WRONLY | constants.O_NONBLOCK)).toThrow(
      expect.objectContaining({ code: 'EAGAIN' }));
    closed.close();
    reused = open(second, { stable: true });
    expect(descriptorsOf(second)).toEqual([descriptor]);  // the case exists: the number came back
    heatUntilLeased(reused);
    expectUnbroken(reused, second);
    const before = binding.testing.leaseBreaksHandled();
    binding.testing.setLeaseWatcherPaused(false);
    expect(await breaksUpToARealOne(before)).toBe(1);
    expectUnbroken(reused, second);
  } finally {
    binding.testing.setLeaseWatcherPaused(false);
    reused?.close();
  }
});

test('a SIGIO sent by a process to the watcher breaks no lease', async () => {
  const signals = require(buildTestModule('thread-signal', dir.path)) as {
    sendToThread(tid: number, signal: number): number;
  };
  const path = dir.patternFile('sigio', 8192);
  const file = open(path, { stable: true });
  try {
    heatUntilLeased(file);
    expectUnbroken(file, path);
    const watchers = readdirSync('/proc/self/task').filter(
      (tid) => readFileSync(join('/proc/self/task', tid, 'comm'), 'utf8').trim() === 'safe-mmap-lease');
    expect(watchers).toHaveLength(1);
    const before = binding.testing.leaseBreaksHandled();
    expect(signals.sendToThread(Number(watchers[0]), osConstants.signals.SIGIO)).toBe(0);
    expect(await breaksUpToARealOne(before)).toBe(1);
    expectUnbroken(file, path);
  } finally {
    file.close();
  }
});

test('a mapping that failed to map leaves no slot behind: a call with its number is a TypeError, not a crash', () => {
  // In a child: before the fix, the call dereferenced the missing region.
  const child = runNodeScript(`
    const { binding } = require('./lib/binding.js');
    const fd = require('node:fs').openSync(${JSON.stringify(dir.path)}, 'r');
    let mapError;
    try { new binding.NativeMapping(fd, 0, 'a directory', 0); } catch (error) { mapError = error.code; }
    let callError;
    try { binding.copyTo(0, Buffer.alloc(4), 0, 0, 4); } catch (error) { callError = error.constructor.name + ': ' + error.message; }
    console.log(JSON.stringify({ mapError, callError }));
  `);
  expect(child.signal).toBeNull();
  expect(child.status).toBe(0);
  expect(JSON.parse(child.stdout)).toEqual({ mapError: 'EISDIR', callError: 'TypeError: not a live mapping slot' });
});
