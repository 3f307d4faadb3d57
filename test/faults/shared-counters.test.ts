// view.atomics(): 4 processes adding to one word of a shared file lose no
// update; the control, a plain read and write of the same word, does.
import { readFileSync } from 'node:fs';
import { runSupportScript } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
const PROCESSES = 4;
const ITERATIONS = 250_000;

async function countInProcesses(kind: 'atomic' | 'plain'): Promise<number> {
  const path = dir.file(`counter-${kind}`, Buffer.alloc(4096));
  const ends = await Promise.all(Array.from({ length: PROCESSES }, () =>
    runSupportScript('shared-words.js', ['count', path, kind, String(ITERATIONS), String(PROCESSES)])));
  for (const end of ends) {
    expect(end).toMatchObject({ code: 0, signal: null });
    expect(JSON.parse(end.stdout)).toMatchObject({ done: ITERATIONS });
  }
  return readFileSync(path).readInt32LE(0);
}

test(`${PROCESSES} processes × ${ITERATIONS.toLocaleString('en')} add(0, 1) total exactly ${(PROCESSES * ITERATIONS).toLocaleString('en')}`, async () => {
  expect(await countInProcesses('atomic')).toBe(PROCESSES * ITERATIONS);
}, 300_000);

test('the control, readInt32LE then writeInt32LE in the same processes, loses updates', async () => {
  expect(await countInProcesses('plain')).toBeLessThan(PROCESSES * ITERATIONS);
}, 300_000);
