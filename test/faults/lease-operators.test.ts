// What other programs see while a hot reader in another process holds its
// read lease (native/lease_policy.h):
// - coreutils truncate opens with O_NONBLOCK, which fails with EAGAIN while
//   a lease is held; the break it started changed nothing, so the reader
//   backs off, and the retry gets through at any interval up to 5 s;
// - the other common tools wait the reader's release (about 0.1 ms) and go
//   through at once;
// - a file read now and then holds no lease at all, and a leased file gives
//   its lease back after about a second of idleness;
// - SAFE_MMAP_LEASE=0 keeps every lease off.
// Every reader reads with the strict pattern oracle: every tool below
// writes only the pattern (test/support/files.ts), so a byte that is not the
// pattern at its offset, or a zero, is a wrong byte.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { binding } from '../../src/binding';
import { open } from '../../src';
import { patternBuffer } from '../support/files';
import { useTempDir } from '../support/temp-dir';
import { leaseHolders } from '../support/proc-locks';
import { startLeaseReader, startLeaseWriter } from '../support/processes';
import { heatUntilLeased } from '../support/lease-heat.cjs';

const dir = useTempDir();

const FILE_LENGTH = 256 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until some process holds a lease on `path`, for at most `ms`. */
async function untilLeased(path: string, ms = 5000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(5)) {
    if (leaseHolders(path).length > 0) return true;
  }
  return false;
}

/**
 * Runs `command` until it succeeds, at most `attempts` times, `intervalMs`
 * apart. Returns each attempt's outcome: 'ok', or the first line it printed.
 */
async function retry(command: string[], attempts: number, intervalMs: number): Promise<string[]> {
  const outcomes: string[] = [];
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(intervalMs);
    const run = spawnSync(command[0], command.slice(1), { encoding: 'utf8', timeout: 20_000 });
    outcomes.push(run.status === 0 ? 'ok' : (run.stderr || String(run.status)).split('\n')[0]);
    if (run.status === 0) break;
  }
  return outcomes;
}

/** truncate(1) at `intervalMs` against a hot reader: [first attempt, second attempt], and the reader's tally. */
async function truncateUnderHotReader(name: string, intervalMs: number, env: NodeJS.ProcessEnv = {}) {
  const path = dir.patternFile(name, FILE_LENGTH);
  const reader = startLeaseReader(path, intervalMs + 2000, env);
  expect(await reader.mapped).toBe('lease');
  expect(await untilLeased(path)).toBe(true);
  const outcomes = await retry(['truncate', '-s', String(FILE_LENGTH / 2 + 100), path], 2, intervalMs);
  const tally = await reader.tally;
  return { outcomes, tally, size: readFileSync(path).length };
}

describe('truncate(1), retried at human speed, gets through by its second attempt', () => {
  test.each([200, 1000, 2000])('retried after %i ms: EAGAIN once, then through; the reader sees MappedFileTruncated and no wrong bytes',
    async (intervalMs) => {
      const { outcomes, tally, size } = await truncateUnderHotReader(`truncate-${intervalMs}`, intervalMs);
      expect(outcomes).toEqual([expect.stringContaining('Resource temporarily unavailable'), 'ok']);
      expect(size).toBe(FILE_LENGTH / 2 + 100);
      expect(tally.errors.MappedFileTruncated).toBeGreaterThan(0);
      expect(Object.keys(tally.errors).filter((name) => name !== 'MappedFileTruncated')).toEqual([]);
      expect(tally.wrongBytes).toBe(0);
    });

  // Under qemu-user the reader re-takes its lease too slowly for the lockout
  // to show within 1 s (seen in the arm64 stage); natively it always does.
  const underQemu = process.env.SAFE_MMAP_TEST_QEMU === '1';
  (underQemu ? test.skip : test)(`control: with the back-off switched off (test hook), the retry after 1 s is locked out${
    underQemu ? ' (NOT RUN under qemu-user: the re-take is too slow there)' : ''}`, async () => {
    const { outcomes } = await truncateUnderHotReader('truncate-no-backoff', 1000,
      { SAFE_MMAP_TEST_DISABLE_LEASE_BACKOFF: '1' });
    expect(outcomes).toEqual([expect.stringContaining('Resource temporarily unavailable'),
      expect.stringContaining('Resource temporarily unavailable')]);
  });
});

test('the common tools against a file under a hot reader: each goes through, and the file holds what it wrote', async () => {
  const path = dir.patternFile('tools', FILE_LENGTH);
  const source = (length: number) => dir.file(`source-${length}`, patternBuffer(0, length));
  // [tool, command, the file's length after it (always the pattern), attempts allowed]
  // In this order: the in-place writers while the reader holds its lease
  // (each waits for it first), truncate last of them (it makes the reader
  // back off), then the tools that replace the file by rename, which no
  // lease on the old inode can stop.
  const tools: Array<[string, string[], number, number]> = [
    ['touch', ['touch', path], FILE_LENGTH, 1],
    ['cp', ['cp', source(200_000), path], 200_000, 1],
    ['dd', ['dd', `if=${source(180_000)}`, `of=${path}`, 'bs=64k', 'status=none'], 180_000, 1],
    ['>', ['sh', '-c', 'head -c 150000 "$1" > "$2"', 'sh', source(FILE_LENGTH), path], 150_000, 1],
    ['>>', ['sh', '-c', 'tail -c +150001 "$1" >> "$2"', 'sh', source(FILE_LENGTH), path], FILE_LENGTH, 1],
    ['truncate', ['truncate', '-s', '100000', path], 100_000, 2],
    ['sed -i', ['sed', '-i', '-e', '', path], 100_000, 1],
    ['install', ['install', '-m', '644', source(230_000), path], 230_000, 1],
  ];
  const reader = startLeaseReader(path, 8000);
  expect(await reader.mapped).toBe('lease');
  const seen: Array<[string, boolean, string[], boolean]> = [];
  for (const [tool, command, length, attempts] of tools) {
    // Leased before each in-place tool: the reader takes its lease again
    // once a change it saw is over (test/support/proc-locks.ts).
    const leased = tool === 'sed -i' || tool === 'install' || await untilLeased(path, 2000);
    const outcomes = await retry(command, attempts, 1000);
    seen.push([tool, leased, outcomes, readFileSync(path).equals(patternBuffer(0, length))]);
  }
  const tally = await reader.tally;
  expect(seen).toEqual(tools.map(([tool, , , attempts]) => [tool, true,
    attempts === 1 ? ['ok'] : [expect.stringContaining('Resource temporarily unavailable'), 'ok'], true]));
  expect(tally.wrongBytes).toBe(0);
  expect(Object.keys(tally.errors).filter((name) => name !== 'MappedFileTruncated')).toEqual([]);
});

test('a writer that opens, waits, then writes is a change: the hot reader takes its lease again after it, with no back-off', async () => {
  const path = dir.patternFile('slow-writer', FILE_LENGTH);
  const file = open(path);
  try {
    expect(heatUntilLeased(file)).toBe('lease');
    // The writer holds the file open for writing for 300 ms before it writes
    // (the pattern's own byte, so nothing else changes), then closes it.
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      const fd = fs.openSync(${JSON.stringify(path)}, 'r+');
      setTimeout(() => { fs.writeSync(fd, Buffer.from([${patternBuffer(0, 1)[0]}]), 0, 1, 0); fs.closeSync(fd); }, 300);`]);
    const exited = new Promise((resolve) => writer.on('exit', resolve));
    let done = false;
    void exited.then(() => { done = true; });
    while (!done) {  // hot meanwhile: a reader that checked too early would judge the break unchanged
      heatUntilLeased(file, 200);
      await sleep(2);
    }
    const deadline = Date.now() + 2000;
    while (heatUntilLeased(file, 200) !== 'lease' && Date.now() < deadline) await sleep(5);
    expect(file.validationMethod).toBe('lease');
    expect(file.view().snapshot().equals(patternBuffer(0, FILE_LENGTH))).toBe(true);
  } finally {
    file.close();
  }
});

describe('idle files hold no lease', () => {
  test('a file read now and then never takes one; a hot one gives its lease back after about a second idle, and a writer then breaks nothing', async () => {
    const path = dir.patternFile('idle', FILE_LENGTH);
    const file = open(path);
    try {
      const view = file.view();
      for (let i = 0; i < 5; i++) {
        view.readUInt32LE(i * 4);
        await sleep(20);
      }
      expect([file.validationMethod, leaseHolders(path)]).toEqual(['fstat', []]);
      expect(heatUntilLeased(file)).toBe('lease');
      expect(leaseHolders(path)).toEqual([process.pid]);
      await sleep(1700);  // idle: the watcher gives it back within 1 to 1.5 s
      expect([file.validationMethod, leaseHolders(path)]).toEqual(['fstat', []]);
      const breaks = binding.testing.leaseBreaksHandled();
      writeFileSync(path, patternBuffer(0, 1000), { flag: 'r+' });
      await sleep(50);
      expect(binding.testing.leaseBreaksHandled()).toBe(breaks);
      expect(view.subarray(0, 1000).snapshot().equals(patternBuffer(0, 1000))).toBe(true);
    } finally {
      file.close();
    }
  });
});

describe('SAFE_MMAP_LEASE=0 (the operator switch)', () => {
  const SWITCHED_OFF = { SAFE_MMAP_LEASE: '0' };

  test('no lease is ever taken, however hot, and validationMethod says fstat', () => {
    const path = dir.patternFile('switch', FILE_LENGTH);
    const child = execFileSync(process.execPath, ['-e', `
      const { open } = require('.');
      const { heatUntilLeased } = require('./test/support/lease-heat.cjs');
      const file = open(${JSON.stringify(path)});
      const method = heatUntilLeased(file, 100000);
      const locks = require('node:fs').readFileSync('/proc/locks', 'utf8');
      console.log(JSON.stringify({ method, leases: locks.split('\\n').filter((line) => / LEASE .* ' + process.pid + ' /.test(line)) }));
    `], { cwd: `${__dirname}/../..`, encoding: 'utf8', env: { ...process.env, ...SWITCHED_OFF } });
    expect(JSON.parse(child)).toEqual({ method: 'fstat', leases: [] });
  });

  test('every guarantee holds: a writer that truncates and rewrites gives MappedFileTruncated, never a wrong byte', async () => {
    const path = dir.patternFile('switch-race', FILE_LENGTH);
    const writer = startLeaseWriter(path, FILE_LENGTH, 2500);
    await writer.ready;
    const reader = startLeaseReader(path, 3000, SWITCHED_OFF);
    expect(await reader.mapped).toBe('fstat');
    writer.go();
    const [tally, written] = await Promise.all([reader.tally, writer.finished]);
    expect(written.cycles).toBeGreaterThan(10);
    expect(tally.methods).toEqual({ fstat: expect.any(Number) });
    expect(tally.breaks).toBe(0);
    expect(tally.errors.MappedFileTruncated).toBeGreaterThan(0);
    expect(tally.wrongBytes).toBe(0);
  });
});
