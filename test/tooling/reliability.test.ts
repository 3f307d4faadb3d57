// The reliability report (scripts/reliability/, `npm run reliability`) at a
// small scale: each fault kind injects real faults in a child process of its
// own, and the JSON tallies what came out. safe-mmap must return no wrong byte,
// never crash, and throw the documented class for each fault; the raw mapping
// (the guard off) must die by SIGBUS. Needs root (tmpfs mounts), /dev/fuse,
// gcc and libfuse3-dev (.ci/run installs them); without them the rows report
// an error and this test fails, it does not skip.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Row } from '../../scripts/reliability/fault-kind';

// As `npm run build:scripts` compiled it.
const SCRIPT = join(__dirname, '..', '..', 'lib-scripts', 'scripts', 'reliability', 'main.js');
const KINDS = ['truncation', 'race', 'eio', 'vanish', 'full-disk', 'bad-input', 'leak', 'lease-race', 'lease-otrunc',
  'lease-stopped', 'raw'];

test('reliability report: faults injected, no wrong byte and no crash for safe-mmap, SIGBUS for a raw mapping', () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SAFE_MMAP_TEST_DISABLE_GUARD;
  const result = spawnSync(process.execPath, [SCRIPT, '--scale', '0.05', '--json'],
    { encoding: 'utf8', timeout: 90_000, killSignal: 'SIGKILL', env });
  if (result.error) throw new Error(`the reliability report did not finish: ${result.error.message}\n${result.stderr}`);
  const report = JSON.parse(result.stdout.trim().split('\n').pop() as string);
  console.log(`reliability (scale 0.05, seed ${report.seed}, ${report.seconds} s):\n${report.table}`);
  const rows: Record<string, Row> = Object.fromEntries((report.rows as Row[]).map((row) => [row.kind, row]));
  expect(Object.keys(rows)).toEqual(KINDS);

  for (const kind of KINDS.filter((k) => k !== 'raw')) {
    const row = rows[kind];
    // One object per row, so that a failure names the row and shows its samples.
    expect({ kind, error: row.error, crashes: row.crashes, wrongBytes: row.wrongBytes ?? 0, unexpected: row.unexpected,
      unexpectedSamples: row.unexpectedSamples, injectedSome: row.injected > 0, signal: row.exit?.signal ?? null })
      .toEqual({ kind, error: null, crashes: 0, wrongBytes: 0, unexpected: 0,
        unexpectedSamples: [], injectedSome: true, signal: null });
  }
  // The bytes were checked where reads return data (the soak checks its own).
  for (const kind of ['truncation', 'eio', 'vanish', 'full-disk', 'leak']) {
    expect({ kind, checked: rows[kind].bytesChecked > 0 }).toEqual({ kind, checked: true });
  }
  const count = (kind: string, outcome: string) => rows[kind].outcomes[outcome] ?? 0;
  // The documented classes came out.
  expect(count('truncation', 'MappedFileTruncated')).toBeGreaterThan(0);
  expect(count('truncation', 'returned')).toBeGreaterThan(0);  // reads below the cut
  expect(count('race', 'MappedFileTruncated')).toBeGreaterThan(0);
  expect(count('race', 'returned')).toBeGreaterThan(0);
  expect(count('eio', 'MappedFileIOError')).toBe(rows.eio.injected);
  expect(count('vanish', 'MappedFileIOError')).toBeGreaterThan(0);
  expect(count('full-disk', 'MappedFileIOError')).toBe(rows['full-disk'].injected);
  expect(count('bad-input', 'TypeError ERR_INVALID_ARG_TYPE')).toBeGreaterThan(0);
  expect(count('bad-input', 'RangeError ERR_OUT_OF_RANGE')).toBeGreaterThan(0);
  expect(count('leak', 'returned')).toBe(rows.leak.injected);
  expect(rows.leak.details?.leak).toMatchObject({ fds: 0, maps: 0 });

  // The comparison row: the same truncations without the guard kill the process.
  expect({ crashes: rows.raw.crashes, exit: rows.raw.exit, ok: rows.raw.ok })
    .toMatchObject({ crashes: 1, exit: { code: null, signal: 'SIGBUS' }, ok: true });

  expect(report.ok).toBe(true);
  expect(result.status).toBe(0);
}, 100_000);
