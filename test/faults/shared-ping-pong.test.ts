// wait()/notify() and waitAsync() between two processes: 10,000 round trips
// on two words of a shared file, none lost (every round's value arrives)
// and none stuck (no wait reaches its 10 s timeout).
import { readFileSync } from 'node:fs';
import { runSupportScript } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
// Under qemu-user each waitAsync's thread start and each wake are emulated:
// a tenth of the rounds keeps the stage inside CI's hour.
const ROUNDS = process.env.SAFE_MMAP_TEST_QEMU === '1' ? 1_000 : 10_000;

test.each(['sync', 'async'] as const)(`%s: ${ROUNDS.toLocaleString('en')} round trips between two processes, none lost, none stuck`, async (mode) => {
  const path = dir.file(`ping-pong-${mode}`, Buffer.alloc(4096));
  const [ping, pong] = await Promise.all(['ping', 'pong'].map((role) =>
    runSupportScript('shared-words.js', [role, path, String(ROUNDS), mode])));
  for (const end of [ping, pong]) {
    expect(end).toMatchObject({ code: 0, signal: null });
    expect(JSON.parse(end.stdout)).toMatchObject({ done: ROUNDS, stuck: 0 });
  }
  const words = readFileSync(path);
  expect([words.readInt32LE(0), words.readInt32LE(4)]).toEqual([ROUNDS, ROUNDS]);
}, 300_000);
