// The async forms run on libuv's thread pool behind the same guard: same
// results as the sync forms, the same errors as rejections, AbortSignal as fs.
import { truncateSync, writeFileSync } from 'node:fs';
import { AbortError, MappedFileClosed, MappedFileTruncated, open } from '../../src';
import { testCuttingMappedFile } from '../support/platforms';
import { startTruncator } from '../support/processes';
import { PAGE, patternBuffer, firstPatternMismatch } from '../support/files';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();

test('async forms give the sync forms\' answers', async () => {
  const path = dir.patternFile('same', 5 * PAGE + 3);
  const file = open(path);
  const view = file.view(7);
  const expected = patternBuffer(7, view.length);
  expect(await view.snapshotAsync()).toEqual(expected);
  expect(await view.subarray(PAGE, 2 * PAGE).snapshotAsync()).toEqual(view.subarray(PAGE, 2 * PAGE).snapshot());

  const target = Buffer.alloc(300, 0xaa);
  const syncTarget = Buffer.alloc(300, 0xaa);
  expect(await view.copyAsync(target, 10, 2000, 2250)).toBe(view.copy(syncTarget, 10, 2000, 2250));
  expect(target).toEqual(syncTarget);
  expect(await view.copyAsync(Buffer.alloc(10), 20)).toBe(0);  // Buffer#copy's rules

  const needle = patternBuffer(4 * PAGE, 300);
  for (const args of [[needle], [needle, 5], [0x41], ['zz', 0, 'latin1'], [needle, -1], [Buffer.alloc(0)]] as const) {
    expect(await view.indexOfAsync(...(args as [Buffer]))).toBe(view.indexOf(...(args as [Buffer])));
    expect(await view.lastIndexOfAsync(...(args as [Buffer]))).toBe(view.lastIndexOf(...(args as [Buffer])));
    expect(await view.includesAsync(...(args as [Buffer]))).toBe(view.includes(...(args as [Buffer])));
  }
  file.close();
});

test('argument errors reject with the sync forms\' errors', async () => {
  const file = open(dir.patternFile('args', PAGE));
  const view = file.view();
  await expect(view.copyAsync('x' as unknown as Buffer)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  await expect(view.copyAsync(Buffer.alloc(4), -1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  await expect(view.indexOfAsync({} as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  await expect(view.indexOfAsync('a', 0, 'nope' as BufferEncoding)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_ENCODING' });
  await expect(view.snapshotAsync(5 as unknown as object)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  await expect(view.snapshotAsync({ signal: 'no' as unknown as AbortSignal })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  file.close();
});

testCuttingMappedFile('a truncated file rejects with MappedFileTruncated (the guard works on pool threads)', async () => {
  const path = dir.patternFile('truncated', 8 * PAGE);
  for (const validate of ['always', 'fault'] as const) {
    const file = open(path, { validate });
    const view = file.view();
    truncateSync(path, PAGE + 5);
    await expect(view.subarray(3 * PAGE).snapshotAsync()).rejects.toBeInstanceOf(MappedFileTruncated);
    await expect(view.copyAsync(Buffer.alloc(100), 0, 5 * PAGE)).rejects.toBeInstanceOf(MappedFileTruncated);
    await expect(view.subarray(2 * PAGE).indexOfAsync('absent')).rejects.toBeInstanceOf(MappedFileTruncated);
    expect((await view.subarray(0, PAGE).snapshotAsync())).toEqual(patternBuffer(0, PAGE));
    file.close();
    writeFileSync(path, patternBuffer(0, 8 * PAGE));  // whole again for the next mode
  }
});

test('after close() the async forms reject with MappedFileClosed', async () => {
  const file = open(dir.patternFile('closed', PAGE));
  const view = file.view();
  file.close();
  await expect(view.snapshotAsync()).rejects.toBeInstanceOf(MappedFileClosed);
  await expect(view.copyAsync(Buffer.alloc(4))).rejects.toBeInstanceOf(MappedFileClosed);
  await expect(view.indexOfAsync(1)).rejects.toBeInstanceOf(MappedFileClosed);
});

test('an AbortSignal rejects with AbortError: already aborted, or aborted while queued', async () => {
  const file = open(dir.patternFile('abort', 64 * PAGE));
  const view = file.view();
  const aborted = AbortSignal.abort('because');
  const error = await view.snapshotAsync({ signal: aborted }).catch((e) => e);
  expect(error).toBeInstanceOf(AbortError);
  expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: 'because' });

  // Fill the pool so that later work waits in the queue, then abort it there.
  const controller = new AbortController();
  const busy = Array.from({ length: 16 }, () => view.indexOfAsync('absent needle'));
  const queued = Array.from({ length: 8 }, () => view.copyAsync(Buffer.alloc(PAGE), 0, 0, PAGE, { signal: controller.signal }));
  controller.abort();
  for (const outcome of await Promise.allSettled(queued)) {
    expect(outcome.status).toBe('rejected');
    expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(AbortError);
  }
  await Promise.all(busy);
  // Without an abort, a signal changes nothing.
  expect(await view.snapshotAsync({ signal: new AbortController().signal })).toEqual(patternBuffer(0, 64 * PAGE));
  file.close();
});

testCuttingMappedFile('async reads racing a truncating process see only MappedFileTruncated and right bytes', async () => {
  const FILE_LENGTH = 1 << 20;
  const path = dir.patternFile('race', FILE_LENGTH);
  const file = open(path);
  const view = file.view();
  const truncator = startTruncator(path, FILE_LENGTH, 3000);
  await truncator.ready;  // the window starts when the truncator has booted
  truncator.go();
  const tally: Record<string, number> = {};
  const count = (key: string) => { tally[key] = (tally[key] ?? 0) + 1; };
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const offset = Math.floor(Math.random() * (FILE_LENGTH - 65536));
      try {
        if (i % 2 === 0) {
          const bytes = await view.subarray(offset, offset + 65536).snapshotAsync();
          count(firstPatternMismatch(bytes, offset) === -1 ? 'right bytes' : 'WRONG bytes');
        } else {
          const target = Buffer.alloc(65536);
          await view.copyAsync(target, 0, offset);
          count(firstPatternMismatch(target, offset) === -1 ? 'right bytes' : 'WRONG bytes');
        }
      } catch (error) {
        count((error as Error).constructor.name);
      }
    }));
  }
  await truncator.finished;
  file.close();
  expect(Object.keys(tally).sort()).toEqual(['MappedFileTruncated', 'right bytes']);
});
