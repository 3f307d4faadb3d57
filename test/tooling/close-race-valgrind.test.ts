// No use-after-unmap: close() racing in-flight async copies, run under
// valgrind memcheck. An addon that unmapped at once (ignoring in-flight work)
// makes valgrind report "Invalid read" and the program die by SIGSEGV here;
// this one must run clean.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

test('close() during async copies under valgrind: no invalid access, every copy right or MappedFileClosed', () => {
  const result = spawnSync('valgrind', [
    '--error-exitcode=99', '--smc-check=all-non-file', `--suppressions=${join(__dirname, '..', 'support', 'node-v8.supp')}`,
    '-q', process.execPath, join(__dirname, '..', 'support', 'close-race-script.js'), '8',
  ], { encoding: 'utf8', timeout: 300_000 });
  expect(result.error).toBeUndefined();  // valgrind is installed (.ci/run installs it)
  expect(result.stderr).not.toMatch(/Invalid (read|write)|Process terminating/);
  expect(result.status).toBe(0);
  const tally = JSON.parse(result.stdout.trim().split('\n').pop() as string);
  expect(tally.other).toBe(0);
  expect(tally.right + tally.closed).toBe(8 * 12);
}, 320_000);
