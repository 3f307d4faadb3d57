// The async forms copy resident ranges at once on the calling thread (the
// fast path) and send the rest to the thread pool (the slow path). Both
// give the same answers, the same errors, and honour close() and abort.
import { truncateSync } from 'node:fs';
import { AbortError, MappedFile, MappedFileClosed, MappedFileTruncated, MappedView, open } from '../../src';
import { binding } from '../../src/binding';
import { evictFromPageCache } from '../support/evict';
import { PAGE, patternBuffer, patternByte } from '../support/files';
import { useTempDir } from '../support/temp-dir';

const AUTO = 0, CALLING_THREAD = 1, POOL = 2;
const dir = useTempDir();
afterEach(() => binding.testing.setAsyncPath(AUTO));

/**
 * Runs `operation` at the start of a turn of the event loop and returns how
 * many accesses it ran on each path. (The fast path is taken only in the
 * first 1 ms of a turn; a test's setup may have used it up.)
 */
async function pathsOf(operation: () => Promise<unknown>): Promise<{ callingThread: number; pool: number }> {
  await new Promise((resolve) => setImmediate(resolve));
  const [hereBefore, poolBefore] = binding.testing.asyncPathCounts();
  await operation();
  const [hereAfter, poolAfter] = binding.testing.asyncPathCounts();
  return { callingThread: hereAfter - hereBefore, pool: poolAfter - poolBefore };
}

/**
 * Evicts the file's pages and runs `operation`: it must go to the pool.
 * Under load the pages were seen back in the page cache between a verified
 * eviction and the access (its RWF_NOWAIT read found them), so up to five
 * evictions are tried, 100 ms apart; a fast path taken on cold pages fails
 * all five.
 */
async function pathsWhenEvicted(path: string, file: MappedFile, operation: () => Promise<unknown>) {
  let paths = { callingThread: -1, pool: -1 };
  for (let attempt = 0; attempt < 5 && paths.pool !== 1; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(evictFromPageCache(path, file)).toBe(0);
    paths = await pathsOf(operation);
  }
  return paths;
}

type Form = [string, (view: MappedView) => Promise<unknown>, (view: MappedView) => unknown];
const NEEDLE = patternBuffer(5 * PAGE + 3, 40);
const FORMS: Form[] = [
  ['snapshotAsync', (view) => view.snapshotAsync(), (view) => view.snapshot()],
  ['copyAsync', async (view) => { const target = Buffer.alloc(3 * PAGE, 0xee); const n = await view.copyAsync(target, 5, PAGE + 1); return [n, target]; },
    (view) => { const target = Buffer.alloc(3 * PAGE, 0xee); const n = view.copy(target, 5, PAGE + 1); return [n, target]; }],
  ['indexOfAsync', (view) => view.indexOfAsync(NEEDLE), (view) => view.indexOf(NEEDLE)],
  ['lastIndexOfAsync', (view) => view.lastIndexOfAsync(NEEDLE), (view) => view.lastIndexOf(NEEDLE)],
  ['includesAsync', (view) => view.includesAsync('no such bytes'), (view) => view.includes('no such bytes')],
];

test.each(FORMS)('%s takes the fast path on a hot file and the pool on an evicted one, with identical results',
  async (_, asyncForm, syncForm) => {
    const path = dir.patternFile('forms', 8 * PAGE + 5);
    const file = open(path);
    const view = file.view();
    const expected = syncForm(view);  // also makes the pages resident
    let result: unknown;
    expect(await pathsOf(async () => { result = await asyncForm(view); })).toEqual({ callingThread: 1, pool: 0 });
    expect(result).toEqual(expected);

    expect(await pathsWhenEvicted(path, file, async () => { result = await asyncForm(view); }))
      .toEqual({ callingThread: 0, pool: 1 });
    expect(result).toEqual(expected);
    file.close();
  });

test('readAsync takes both paths, with identical results', async () => {
  const path = dir.patternFile('read-paths', 3 * PAGE + 100);
  const file = open(path);
  file.view().snapshot();
  const read = () => file.readAsync(Buffer.alloc(PAGE, 0xee), 7, 2000, 3 * PAGE);
  let hot: unknown, cold: unknown;
  expect(await pathsOf(async () => { hot = await read(); })).toEqual({ callingThread: 1, pool: 0 });
  expect(await pathsWhenEvicted(path, file, async () => { cold = await read(); })).toEqual({ callingThread: 0, pool: 1 });
  expect(hot).toEqual(cold);
  expect((hot as { bytesRead: number }).bytesRead).toBe(100);
  file.close();
});

test('a truncation faulting on the fast path rejects with MappedFileTruncated and no wrong byte is delivered', async () => {
  // The fast path is forced: after a real truncation the pages past the new
  // end leave the page cache, so the residency check alone would send these
  // to the pool. Each copy crosses the cut and faults (SIGBUS) on the page
  // after it, on this thread, under the guard.
  const cut = 2 * PAGE + 100;
  for (const validate of ['always', 'fault'] as const) {
    const path = dir.patternFile(`cut-${validate}`, 6 * PAGE);
    const file = open(path, { validate });
    const view = file.view();
    view.snapshot();
    truncateSync(path, cut);
    binding.testing.setAsyncPath(CALLING_THREAD);

    await expect(view.snapshotAsync()).rejects.toBeInstanceOf(MappedFileTruncated);
    await expect(view.indexOfAsync('never there')).rejects.toBeInstanceOf(MappedFileTruncated);
    const target = Buffer.alloc(6 * PAGE, 0xee);
    await expect(view.copyAsync(target)).rejects.toMatchObject({ code: 'ERR_MAPPED_FILE_TRUNCATED', fileSize: cut });
    // The promise rejected, so nothing was delivered as data; what the copy
    // left below the cut is the file's bytes or untouched, never other bytes.
    for (let i = 0; i < cut; i++) {
      if (target[i] !== 0xee && target[i] !== patternByte(i)) throw new Error(`wrong byte at ${i}`);
    }
    // read() speaks fs's dialect: a short count up to the new end.
    const { bytesRead, buffer } = await file.readAsync(Buffer.alloc(3 * PAGE), 0, 3 * PAGE, PAGE);
    expect(bytesRead).toBe(cut - PAGE);
    expect(buffer.subarray(0, bytesRead)).toEqual(patternBuffer(PAGE, bytesRead));
    binding.testing.setAsyncPath(AUTO);
    file.close();
  }
});

test("'always': bytes past the cut in a resident tail page never come back from the fast path", async () => {
  // No fault here: the tail page stays resident and reads as zeros past the
  // new end. The seqlock sees the size change and rejects.
  const path = dir.patternFile('tail', 4 * PAGE);
  const file = open(path);
  const view = file.view();
  view.snapshot();
  truncateSync(path, PAGE + 100);
  let outcome: unknown;
  expect(await pathsOf(async () => {
    outcome = await view.subarray(PAGE + 50, PAGE + 150).snapshotAsync().catch((error) => error);
  })).toEqual({ callingThread: 1, pool: 0 });
  expect(outcome).toBeInstanceOf(MappedFileTruncated);
  file.close();
});

test.each([['the fast path', CALLING_THREAD], ['the pool', POOL]])('close() and abort on %s', async (_, path) => {
  const file = open(dir.patternFile(`close-${path}`, 4 * PAGE));
  const view = file.view();
  view.snapshot();
  binding.testing.setAsyncPath(path as 0 | 1 | 2);

  // Aborted before the call, and right after it: an AbortError either way.
  const aborted = new AbortController();
  aborted.abort();
  await expect(view.copyAsync(Buffer.alloc(PAGE), 0, 0, PAGE, { signal: aborted.signal })).rejects.toBeInstanceOf(AbortError);
  const controller = new AbortController();
  const pending = view.snapshotAsync({ signal: controller.signal });
  controller.abort();
  await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });

  // close() with an operation in flight: it settles (resolved on the fast
  // path, which already copied; MappedFileClosed or resolved on the pool),
  // and everything after close() rejects with MappedFileClosed.
  const inFlight = view.snapshotAsync().then((bytes) => bytes, (error) => error);
  file.close();
  const settled = await inFlight;
  if (path === CALLING_THREAD) expect(settled).toEqual(patternBuffer(0, 4 * PAGE));
  else expect(settled instanceof MappedFileClosed || Buffer.isBuffer(settled)).toBe(true);
  await expect(view.snapshotAsync()).rejects.toBeInstanceOf(MappedFileClosed);
  await expect(view.indexOfAsync('x')).rejects.toBeInstanceOf(MappedFileClosed);
  await expect(file.readAsync(Buffer.alloc(10), 0, 10, 0)).rejects.toBeInstanceOf(MappedFileClosed);
});

test('an awaited loop of fast-path copies still lets the event loop turn', async () => {
  // A promise settled at once continues in a microtask: without the time
  // budget of the fast path, this loop would never yield to the event loop.
  const path = dir.patternFile('loop', 1 << 20);
  const file = open(path);
  const view = file.view();
  view.snapshot();
  const target = Buffer.alloc(64 * 1024);
  const turnsDuring = async (path: 0 | 1) => {
    binding.testing.setAsyncPath(path);
    let turns = 0;
    let counting = true;
    const tick = () => { if (counting) { turns++; setImmediate(tick); } };
    setImmediate(tick);
    const until = Date.now() + 150;
    while (Date.now() < until) {
      for (let at = 0; at < view.length; at += target.length) await view.copyAsync(target, 0, at, at + target.length);
    }
    counting = false;
    return turns;
  };
  const withBudget = await turnsDuring(AUTO);
  const withoutBudget = await turnsDuring(CALLING_THREAD);
  // Reported for the record (the loop turns at least once per 1 ms budget).
  console.log(`event-loop turns in 150 ms of awaited copies: ${withBudget} (fast path with budget), ${withoutBudget} (no budget)`);
  expect(withoutBudget).toBe(0);  // the control: such a loop really starves the event loop
  expect(withBudget).toBeGreaterThanOrEqual(10);
  file.close();
});
