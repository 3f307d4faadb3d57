// `npm run test:asan` (scripts/asan.sh) on a few fault tests: the addon built
// with AddressSanitizer and UBSan, in a copy of the package, runs them with no
// sanitizer report. (The full run, `npm run test:asan`, takes a few minutes.)
// Needs gcc's libasan (installed with g++).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const TESTS = ['truncation-same-process', 'signal-chaining', 'close-race'];

test('the fault tests pass under AddressSanitizer and UBSan with no sanitizer report', () => {
  const result = spawnSync('bash', [join(__dirname, '..', '..', 'scripts', 'asan.sh'), ...TESTS], {
    encoding: 'utf8',
    timeout: 280_000,
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = `${result.stdout}\n${result.stderr}`;
  expect({ error: result.error, status: result.status, signal: result.signal, output })
    .toMatchObject({ error: undefined, status: 0, signal: null });
  expect(result.stdout).toMatch(/^asan: AddressSanitizer and UBSan \(trapping, \d+ checks\) active/m);
  expect(result.stdout).toMatch(new RegExp(`^asan: passed: ${TESTS.length} test files, no sanitizer report`, 'm'));
}, 300_000);
