// A short soak in CI (`npm run test:soak -- --seconds N` runs a longer one;
// this runs scripts/soak.ts as `npm run build:scripts` compiled it):
// readers on the main thread, in workers and through async operations, and
// writer processes that truncate, extend, rewrite and replace the file; then
// a short bad-input fuzz (the soak's default is 100,000 cases).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const FUZZ_RUNS = 2000;
const FUZZ_SEED = 7;

test('soak: no wrong byte, no crash, only the documented errors', () => {
  const result = spawnSync(process.execPath, [join(__dirname, '..', '..', 'lib-scripts', 'scripts', 'soak.js'), '--seconds', '6',
    '--fuzz-runs', String(FUZZ_RUNS), '--fuzz-seed', String(FUZZ_SEED), '--json'],
  { encoding: 'utf8', timeout: 120_000 });
  const summary = JSON.parse(result.stdout.trim().split('\n').pop() as string);
  console.log(`soak summary: ${JSON.stringify(summary)}`);
  expect(summary.wrongBytes).toBe(0);
  expect(summary.crashes).toBe(0);
  expect(summary.unexpectedErrors).toBe(0);
  expect(summary.reads).toBeGreaterThan(1000);
  expect(summary.faultsCaught).toBeGreaterThan(0);
  for (const action of ['truncate', 'extend', 'rewrite', 'replace']) expect(summary.writerActions[action]).toBeGreaterThan(0);
  // The fuzz part: all cases ran in their child, with only documented outcomes.
  const { fuzz } = summary;
  expect({ seed: fuzz.seed, cases: fuzz.cases, unexpectedCount: fuzz.unexpectedCount, unexpected: fuzz.unexpected,
    readOnlyUnchanged: fuzz.readOnlyUnchanged, crash: fuzz.crash })
    .toEqual({ seed: FUZZ_SEED, cases: FUZZ_RUNS, unexpectedCount: 0, unexpected: [], readOnlyUnchanged: true, crash: undefined });
  expect(fuzz.outcomes.returned).toBeGreaterThan(FUZZ_RUNS / 10);
  expect(fuzz.outcomes['MappedFileClosed ERR_MAPPED_FILE_CLOSED']).toBeGreaterThan(0);
  expect(fuzz.outcomes['TypeError ERR_INVALID_ARG_TYPE']).toBeGreaterThan(0);
  expect(result.status).toBe(0);
}, 130_000);
