// `safe-mmap bench`: runs every case on the user's file, reports markdown on
// stdout (JSON with --json) and progress on stderr, and rejects bad options.
// Speeds are not asserted here (the machine is noisy); the ratios must be
// real measurements: finite, positive, the baseline exactly 1.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../support/processes';
import { patternBuffer, TempDir } from '../support/files';

const CLI = join(PACKAGE_ROOT, 'bin', 'safe-mmap.js');
const dir = new TempDir();
afterAll(() => dir.remove());

function bench(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, 'bench', ...args], { encoding: 'utf8', timeout: 100_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Group { title: string; baseline: string; rows: { name: string; nsPerOperation: number; ratio: number }[] }

test('--json on a user file: every case, measured against its fs baseline in the same run', () => {
  const file = dir.patternFile('data.bin', (3 << 20) + 123);
  const { status, stdout, stderr } = bench([file, '--rounds', '2', '--json']);
  expect({ status, stderr: status === 0 ? '' : stderr }).toEqual({ status: 0, stderr: '' });
  const run = JSON.parse(stdout);
  expect(run.file).toEqual({ path: file, size: (3 << 20) + 123 });
  expect(run.machine).toMatchObject({ cpus: expect.any(Number), node: process.version });
  const titles = (run.groups as Group[]).map((group) => group.title.split(':')[0]);
  expect(new Set(titles)).toEqual(new Set(['Tiny random reads', 'Sequential copy', 'Large snapshot', 'Search',
    'Cold cache', 'Async copy', 'Stream', 'One read in flight', 'One read in flight, cold', 'fs-style read', 'Small stream',
    'First reads of a fresh file', 'Lazy snapshot, making one', 'Lazy snapshot, reading it', 'Lazy snapshot, reading it once',
    'Lazy snapshot or copy']));
  expect(titles.filter((title) => title === 'One read in flight')).toHaveLength(3);  // 4 KiB, 64 KiB, 1 MiB
  expect(titles.filter((title) => title === 'One read in flight, cold')).toHaveLength(3);
  expect(titles.filter((title) => title === 'Sequential copy')).toHaveLength(3);  // 4 KiB, 64 KiB, 1 MiB
  expect(titles.filter((title) => title === 'Lazy snapshot or copy')).toHaveLength(4);  // 16 KiB to 1 MiB: the file has 3 MiB
  expect(titles.filter((title) => title === 'Large snapshot')).toHaveLength(2);  // the user's file: warm and fresh processes
  for (const group of run.groups as Group[]) {
    const baseline = group.rows.find((row) => row.name === group.baseline);
    expect(baseline?.ratio).toBe(1);
    for (const row of group.rows) {
      expect(Number.isFinite(row.nsPerOperation) && row.nsPerOperation > 0).toBe(true);
      expect(row.ratio).toBeCloseTo(baseline!.nsPerOperation / row.nsPerOperation, 6);
    }
  }
  const copy = (run.groups as Group[]).find((group) => group.title.startsWith('Sequential copy: 64 KiB'))!;
  // The test's own file, on a local filesystem: the default mode runs with a
  // lease, and a second row with the lease switched off (fstat).
  expect(copy.rows.map((row) => row.name)).toEqual(['fs.readSync', 'fs.read (callback)', 'FileHandle.read',
    "view.copy, 'always' (lease)", "view.copy, 'fault'", 'unguarded mmap memcpy', "view.copy, 'always' (fstat)"]);
  expect(run.targets.map((target: { name: string }) => target.name)).toEqual(expect.arrayContaining([
    "Tiny hot reads, 'always' with a lease, vs fs.readSync", "Tiny hot reads, 'always' with fstat, vs fs.readSync",
    "Guard + check overhead, 'always' with a lease, 64 KiB chunks"]));
  // No write case touches the user's file.
  expect(readFileSync(file).equals(patternBuffer(0, (3 << 20) + 123))).toBe(true);
}, 110_000);

test('markdown on stdout, progress on stderr, --chunk picks one chunk size, --svg writes a chart', () => {
  const file = dir.patternFile('small.bin', 1 << 20);
  const chart = join(dir.path, 'chart.svg');
  const { status, stdout, stderr } = bench([file, '--rounds', '1', '--chunk', '16k', '--svg', chart]);
  expect(status).toBe(0);
  expect(stdout).toMatch(/^Machine: /);
  expect(stdout).toContain('### Sequential copy: 16 KiB chunks');
  expect(stdout).not.toContain('### Sequential copy: 64 KiB chunks');
  expect(stdout).toMatch(/\| fs\.readSync \| [\d.]+ \| [\d.]+ \| 1\.00x \|/);
  expect(stderr).toContain('round 1/1');
  const svg = readFileSync(chart, 'utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toContain('unguarded mmap memcpy vs fs.readSync');
}, 110_000);

test.each([
  [['--rounds', '0'], /--rounds: not a positive integer/],
  [['--chunk', 'lots'], /--chunk: not a size/],
  [['--frobnicate'], /Unknown option '--frobnicate'/],
  [['a', 'b'], /unexpected argument: b/],
])('bad options %j: exit 2 with the usage', (args, message) => {
  const { status, stderr } = bench(args as string[]);
  expect(status).toBe(2);
  expect(stderr).toMatch(message);
  expect(stderr).toContain('usage: safe-mmap bench');
});

test('a missing file: exit 1 with the fs error', () => {
  const { status, stderr } = bench([join(dir.path, 'absent.bin'), '--rounds', '1']);
  expect(status).toBe(1);
  expect(stderr).toMatch(/ENOENT/);
});
