// Runs the side-by-side proof of concept (demo/truncation-race.js) for ~2 s:
// the unguarded reader must die by SIGBUS, the safe-mmap reader must survive
// with only MappedFileTruncated errors and no wrong byte.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const DEMO = join(__dirname, '..', '..', 'demo', 'truncation-race.js');

test('demo: the raw mapping dies by SIGBUS, safe-mmap survives the same race', () => {
  const { env } = process;
  const result = spawnSync(process.execPath, [DEMO, '--seconds', '2'], {
    encoding: 'utf8',
    timeout: 90_000,
    killSignal: 'SIGKILL',
    env: { ...env, SAFE_MMAP_TEST_DISABLE_GUARD: undefined },
  });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.error) throw new Error(`demo did not finish: ${result.error.message}\n${output}`);

  expect({ status: result.status, signal: result.signal, output }).toMatchObject({ status: 0, signal: null });
  expect(result.stdout).toMatch(/^raw mapping: killed by SIGBUS after \d+ reads/m);
  expect(result.stdout).toMatch(/^safe-mmap: survived; [1-9]\d* reads ok, \d+ MappedFileTruncated caught, 0 wrong bytes$/m);
});
