// A short soak in CI (`npm run test:soak -- --seconds N` runs a longer one):
// readers on the main thread, in workers and through async operations, and
// writer processes that truncate, extend, rewrite and replace the file.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

test('soak: no wrong byte, no crash, only the documented errors', () => {
  const result = spawnSync(process.execPath, [join(__dirname, '..', 'scripts', 'soak.js'), '--seconds', '6', '--json'],
    { encoding: 'utf8', timeout: 120_000 });
  expect(result.status).toBe(0);
  const summary = JSON.parse(result.stdout.trim().split('\n').pop() as string);
  console.log(`soak summary: ${JSON.stringify(summary)}`);
  expect(summary.wrongBytes).toBe(0);
  expect(summary.crashes).toBe(0);
  expect(summary.unexpectedErrors).toBe(0);
  expect(summary.reads).toBeGreaterThan(1000);
  expect(summary.faultsCaught).toBeGreaterThan(0);
  for (const action of ['truncate', 'extend', 'rewrite', 'replace']) expect(summary.writerActions[action]).toBeGreaterThan(0);
}, 130_000);
