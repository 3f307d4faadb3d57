// When the kernel cannot queue a lease's real-time signal (the per-user
// queue of pending signals is full, RLIMIT_SIGPENDING), it sends a plain
// SIGIO instead, which names no descriptor (fs/fcntl.c, send_sigio_to_task).
// The watcher must then treat every leased mapping as broken and release
// them all: the writer must not wait lease-break-time, and no mapping may
// trust a lease that may be gone.
//
// The overflow is made real, not simulated: the reader runs under
// `prlimit --sigpending=0`, so that no real-time signal can be queued for it.
// The control runs the same script without the limit, where only the file
// written to loses its lease.
import { spawnSync } from 'node:child_process';
import { PAGE } from '../support/files';
import { useTempDir } from '../support/temp-dir';
import { PACKAGE_ROOT } from '../support/processes';

const dir = useTempDir();

interface Outcome {
  before: string[];          // validationMethod of both files before the writer
  written: string;           // of the file the writer opened, after it
  untouched: string;         // of the other file, after it
  writerMs: number;          // how long the writer's open for write took
  breaks: number;            // breaks the watcher handled meanwhile
  intact: boolean;           // both files still read as they were written
}

/** Maps two files, lets a shell open the first for writing, reports. */
function runReader(limitSignalQueue: boolean): Outcome {
  const written = dir.patternFile(`written-${limitSignalQueue}`, 4 * PAGE);
  const untouched = dir.patternFile(`untouched-${limitSignalQueue}`, 4 * PAGE);
  const script = `
    const { spawnSync } = require('node:child_process');
    const { readFileSync } = require('node:fs');
    const { open } = require('./lib');
    const { binding } = require('./lib/binding');
    const [writtenPath, untouchedPath] = process.argv.slice(1);
    const written = open(writtenPath);
    const untouched = open(untouchedPath);
    const { heatUntilLeased } = require('./test/support/lease-heat.cjs');
    const before = [heatUntilLeased(written), heatUntilLeased(untouched)];
    const breaksBefore = binding.testing.leaseBreaksHandled();
    const started = process.hrtime.bigint();
    // The shell's ">>" opens the file for writing: that breaks our lease, and
    // the open waits until the watcher releases it (or lease-break-time).
    const writer = spawnSync('sh', ['-c', ': >> "$1"', 'sh', writtenPath], { timeout: 20000 });
    const writerMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (writer.status !== 0) throw new Error('writer: ' + (writer.error || writer.status));
    const outcome = {
      before, written: written.validationMethod, untouched: untouched.validationMethod, writerMs,
      breaks: binding.testing.leaseBreaksHandled() - breaksBefore,
      intact: written.view().snapshot().equals(readFileSync(writtenPath)) &&
        untouched.view().snapshot().equals(readFileSync(untouchedPath)),
    };
    console.log(JSON.stringify(outcome));`;
  const node = [process.execPath, '-e', script, written, untouched];
  const [command, ...args] = limitSignalQueue ? ['prlimit', '--sigpending=0:0', '--', ...node] : node;
  const child = spawnSync(command, args, { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 60_000 });
  if (child.status !== 0) throw new Error(`reader exited with ${child.status ?? child.signal}: ${child.error ?? ''}\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() as string);
}

test('control: with room in the signal queue, only the file written to loses its lease', () => {
  const outcome = runReader(false);
  expect(outcome.before).toEqual(['lease', 'lease']);
  expect(outcome).toMatchObject({ written: 'fstat', untouched: 'lease', breaks: 1, intact: true });
  expect(outcome.writerMs).toBeLessThan(5000);
});

test('a full signal queue (SIGIO instead of the lease signal): every lease is released at once, the writer is not held', () => {
  const outcome = runReader(true);
  expect(outcome.before).toEqual(['lease', 'lease']);
  // Both are broken: the SIGIO said "some lease", not which.
  expect(outcome).toMatchObject({ written: 'fstat', untouched: 'fstat', breaks: 2, intact: true });
  // lease-break-time is 45 s by default: a watcher that missed the SIGIO
  // would hold the writer that long.
  expect(outcome.writerMs).toBeLessThan(5000);
});
