// A lazy snapshot's bytes never change (issue 20, "Never changed"): a JS loop
// in another process sums lazy Float64Array snapshots of a file over and over
// (test/support/lazy-summer.js) while a writer process breaks the lease,
// truncates the file and rewrites it with other values (rewriter.js). Every
// snapshot's sum stays what it was when it was made, that sum is the sum of
// what the file held then, the reader lives, and many snapshots are copied by
// a break. With the swap switched off (SAFE_MMAP_TEST_DISABLE_LAZY_SWAP=1)
// the same run sees its sums change (docs/reliability.md, "Lazy snapshots").
import { readFileSync } from 'node:fs';
import { LAZY_MINIMUM_BYTES } from '../../src';
import { raceChildAgainstWriter, startRewriter } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();

// 1 MiB (128 Ki doubles, 256 pages), or the size below which snapshots are copies.
const FILE_LENGTH = Math.max(1 << 20, LAZY_MINIMUM_BYTES);
const RACE_MS = 5000;

/**
 * Source `generation`: integer-valued doubles (exact sums), different in
 * every page from the other generations, never 0 (a zero page lowers the sum).
 */
function floatSource(generation: number): Buffer {
  const floats = new Float64Array(FILE_LENGTH / 8);
  for (let i = 0; i < floats.length; i++) floats[i] = (generation + 1) * (1 + (i % 1000));
  return Buffer.from(floats.buffer);
}

interface SummerTally {
  lazy: number; copies: number; copiedOnBreak: number; sums: number; wrongSums: number;
  firstWrong: string | null; errors: Record<string, number>; damaged: number; lazyCounts: [number, number];
}

/** The race: the reader's exit and tally, and the writer's. */
async function race(name: string, milliseconds: number, env: NodeJS.ProcessEnv = {}) {
  const sources = [0, 1, 2].map((generation) => dir.file(`${name}-source-${generation}`, floatSource(generation)));
  const path = dir.file(name, readFileSync(sources[0]));
  const writer = startRewriter(path, milliseconds - 500, sources);
  await writer.ready;  // under qemu the writer boots slowly: the window starts now
  const { exit, tally, written } = await raceChildAgainstWriter<SummerTally, Awaited<typeof writer.finished>>(
    'lazy-summer.js', [path, String(milliseconds), ...sources], 'mapped ', writer, env);
  return { exit, tally, written };
}

test('sums of lazy Float64Array snapshots never change while another process truncates and rewrites the file', async () => {
  const { exit, tally, written } = await race('floats', RACE_MS);
  // A reader killed by SIGBUS (a snapshot that was still the file's when the
  // file was cut, outside the zero-page claim) fails here, with its signal.
  expect(exit).toEqual({ code: 0, signal: null });
  if (tally === null) return;
  expect(tally.wrongSums).toBe(0);
  expect(tally.firstWrong).toBeNull();
  expect(tally.damaged).toBe(0);
  // MappedFileTruncated comes only from copies made while the writer had the
  // file cut short (no lease then, so no lazy snapshot).
  expect(Object.keys(tally.errors).filter((name) => name !== 'MappedFileTruncated')).toEqual([]);
  expect(written.foreign).toBe(0);
  expect(written.cycles).toBeGreaterThan(10);
  // Many lazy snapshots lived through a break: swapped, then seen 'copied'
  // and summed once more (about 650 in 5 s natively).
  expect(tally.copiedOnBreak).toBeGreaterThan(5);
  expect(tally.lazyCounts[1]).toBeGreaterThanOrEqual(tally.copiedOnBreak);
  expect(tally.sums).toBeGreaterThan(100);
});

test('control: with the swap switched off (test hook), the same race sees the sums change', async () => {
  const { exit, tally } = await race('no-swap', 3000, { SAFE_MMAP_TEST_DISABLE_LAZY_SWAP: '1' });
  // The snapshots stay the file's pages: they show the new bytes, or zero
  // pages where the cut took pages away (the reader may also die).
  if (exit.code === 0) {
    expect(tally?.wrongSums).toBeGreaterThan(0);
    expect(tally?.copiedOnBreak).toBe(0);
  } else {
    expect(exit.signal).toBe('SIGBUS');
  }
});
