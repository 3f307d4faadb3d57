// file.watch(): change notifications (src/watch.ts, native/change_watch.h).
// The lease's event must come before the writer's first write returns (the
// writer's open waits for it); without a lease, inotify or the poll report
// the change within two poll intervals; a burst coalesces and still ends
// with an event showing the final size; abort, close() and break end the
// iteration, and nothing leaks. SAFE_MMAP_TEST_DISABLE_WATCH_HOLD=1 (the lease
// released at once) makes the first test fail. The FUSE fallback to the poll:
// test/faults/watch-fuse.
import { readdirSync } from 'node:fs';
import { AbortError, ChangeEvent, ChangeWatcher, MappedFileClosed, open } from '../../src';
import { binding } from '../../src/binding';
import { Worker } from 'node:worker_threads';
import { PACKAGE_ROOT, runWatchWriter } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
const INTERVAL = 100;
const MS = 1_000_000n;

interface Seen { at: bigint; event: ChangeEvent }

// Iterates in the background, noting when each event's body ran.
function collect(watcher: ChangeWatcher): { events: Seen[]; first: Promise<Seen>; done: Promise<void> } {
  const events: Seen[] = [];
  let onFirst: (seen: Seen) => void = () => undefined;
  const first = new Promise<Seen>((resolve) => { onFirst = resolve; });
  const done = (async () => {
    for await (const event of watcher) {
      const seen = { at: process.hrtime.bigint(), event };
      events.push(seen);
      if (events.length === 1) onFirst(seen);
    }
  })();
  return { events, first, done };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Five writers one after another: without the hold the writer wins this race
// most of the time (2 of 3 single rounds), so five rounds all won by the
// event show the hold.
test('with a lease: the event runs before the writer\'s first write returns', async () => {
  const path = dir.file('lease', Buffer.alloc(4096, 1));
  const file = open(path);
  try {
    const watcher = file.watch();
    expect(watcher.method).toBe('lease');
    const { events, first, done } = collect(watcher);
    const rounds = [];
    for (let round = 0; round < 5; round++) {
      const written = await runWatchWriter(path, 1, 50);
      if (round === 0) await first;
      await sleep(200);  // the writer closed: the lease is taken again (IN_CLOSE_WRITE)
      const seen = events.find((one) => one.at > written.opened);
      rounds.push({ method: seen?.event.method, size: seen?.event.size, eventBeforeWrite: seen !== undefined &&
        seen.at < written.firstWrite, eventToWriteMs: seen && Number(written.firstWrite - seen.at) / 1e6 });
    }
    // Delivered before the change (the size is the old one), and the writer's
    // open returned only after the body above ran.
    expect(rounds.map(({ eventToWriteMs: _, ...round }) => round)).toEqual(rounds.map((_, index) => ({
      method: 'lease', size: 4096 + 16 * index, eventBeforeWrite: true })));
    await watcher.return();
    await done;
  } finally {
    file.close();
  }
});

test('with a lease but nobody reading: a writer is not held for the grace', async () => {
  const path = dir.file('unread', Buffer.alloc(4096, 1));
  const file = open(path);
  try {
    const watcher = file.watch();  // made, never awaited
    expect(watcher.method).toBe('lease');
    const written = await runWatchWriter(path, 1, 50);
    // Held, the open would have waited for the 100 ms grace (kHoldGraceMs).
    expect(Number(written.firstWrite - written.opened) / 1e6).toBeLessThan(50);
    await watcher.return();
  } finally {
    file.close();
  }
});

test.each([
  ['{ lease: false }', 'no-lease', { lease: false }],
  ["mode 'r+'", 'writable', { mode: 'r+' as const }],
])('without a lease (%s): the event within 2 poll intervals of the change', async (_name, name, options) => {
  const path = dir.file(name, Buffer.alloc(4096, 1));
  const file = open(path, options);
  try {
    const watcher = file.watch({ interval: INTERVAL });
    expect(watcher.method).toBe('inotify');
    const { first, done } = collect(watcher);
    const written = await runWatchWriter(path, 1, 50);
    const seen = await first;
    expect(['inotify', 'poll']).toContain(seen.event.method);
    expect(seen.at).toBeGreaterThan(written.opened);
    expect(Number(seen.at - written.firstWrite) / 1e6).toBeLessThan(2 * INTERVAL);
    await watcher.return();
    await done;
  } finally {
    file.close();
  }
});

test.each([
  ['with a lease', {}],
  ['without', { lease: false }],
])('1,000 changes in a burst (%s): coalesced, and an event after the last one shows the final size', async (_name, options) => {
  const path = dir.file(`burst-${Object.keys(options).length}`, Buffer.alloc(100, 1));
  const file = open(path, options);
  try {
    const watcher = file.watch({ interval: INTERVAL });
    const { events, done } = collect(watcher);
    const written = await runWatchWriter(path, 1000, 50);
    await sleep(3 * INTERVAL);
    await watcher.return();
    await done;
    const last = events[events.length - 1];
    expect(written.size).toBe(100 + 1000 * 16);
    expect({ after: last.at > written.lastWrite, size: last.event.size })
      .toEqual({ after: true, size: written.size });
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(250);
  } finally {
    file.close();
  }
});

describe('ending', () => {
  test('abort ends the iteration with an AbortError; a signal aborted before starts none', async () => {
    const file = open(dir.file('abort', Buffer.alloc(10)));
    try {
      const controller = new AbortController();
      const watcher = file.watch({ signal: controller.signal });
      const pending = watcher.next();
      controller.abort();
      await expect(pending).rejects.toBeInstanceOf(AbortError);
      await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
      await expect(watcher.next()).resolves.toEqual({ value: undefined, done: true });

      const early = file.watch({ signal: AbortSignal.abort() });
      await expect(early.next()).rejects.toMatchObject({ code: 'ABORT_ERR' });

      // for await, as with fs.promises.watch
      const late = new AbortController();
      const loop = (async () => { for await (const _ of file.watch({ signal: late.signal })) { /* none */ } })();
      setTimeout(() => late.abort(), 20);
      await expect(loop).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      file.close();
    }
  });

  test('close() ends it cleanly; watch() on a closed file throws MappedFileClosed', async () => {
    const file = open(dir.file('close', Buffer.alloc(10)));
    const watcher = file.watch();
    const pending = watcher.next();
    file.close();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(() => file.watch()).toThrow(MappedFileClosed);
  });

  test('break ends it (return()); bad options are refused', async () => {
    const path = dir.file('break', Buffer.alloc(10));
    const file = open(path);
    try {
      const watcher = file.watch();
      const writer = runWatchWriter(path, 3, 20);
      let count = 0;
      for await (const _ of watcher) { count++; break; }
      expect(count).toBe(1);
      await expect(watcher.next()).resolves.toEqual({ value: undefined, done: true });
      await writer;
      expect(() => file.watch({ interval: 5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => file.watch({ interval: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => file.watch({ signal: {} as AbortSignal })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      expect(() => file.watch(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    } finally {
      file.close();
    }
  });

  test('200 watch/abort cycles leak no descriptor, thread or watch', async () => {
    const file = open(dir.file('cycles', Buffer.alloc(10)));
    const tasks = () => readdirSync('/proc/self/task').length;
    const fds = () => readdirSync('/proc/self/fd').length;
    try {
      const warm = new AbortController();
      const first = file.watch({ signal: warm.signal }).next();
      warm.abort();
      await first.catch(() => undefined);
      await sleep(50);
      const before = { fds: fds(), tasks: tasks(), watches: binding.testing.changeWatchesAlive() };
      for (let i = 0; i < 200; i++) {
        const controller = new AbortController();
        const pending = file.watch({ signal: controller.signal }).next();
        controller.abort();
        await expect(pending).rejects.toMatchObject({ code: 'ABORT_ERR' });
      }
      let after = { fds: -1, tasks: -1, watches: -1 };
      for (let i = 0; i < 100; i++) {
        await sleep(20);
        after = { fds: fds(), tasks: tasks(), watches: binding.testing.changeWatchesAlive() };
        if (after.fds === before.fds && after.watches === before.watches) break;
      }
      expect(after).toEqual(before);
    } finally {
      file.close();
    }
  });

  test('a worker torn down with a watch pending: its watch is stopped and freed (env cleanup hook)', async () => {
    const path = dir.file('worker', Buffer.alloc(10));
    const fds = () => readdirSync('/proc/self/fd').length;
    await sleep(50);
    const before = { watches: binding.testing.changeWatchesAlive() };
    const fdsBefore = fds();
    const worker = new Worker(`
      const { open } = require(${JSON.stringify(PACKAGE_ROOT)});
      const { parentPort } = require('node:worker_threads');
      const file = open(${JSON.stringify(path)});
      const watcher = file.watch();
      watcher.next();  // pending when the worker goes
      parentPort.postMessage(watcher.method);`, { eval: true });
    const method = await new Promise((resolve) => worker.once('message', resolve));
    expect(method).toBe('lease');
    await worker.terminate();
    let after = { watches: -1 };
    for (let i = 0; i < 100 && after.watches !== before.watches; i++) {
      await sleep(20);
      after = { watches: binding.testing.changeWatchesAlive() };
    }
    expect(after).toEqual(before);
    // The lease went with it: a writer's open does not wait for the 45 s lease-break-time.
    const written = await runWatchWriter(path, 1);
    expect(Number(written.firstWrite - written.opened) / 1e6).toBeLessThan(1000);
    expect(fds()).toBeLessThanOrEqual(fdsBefore + 2);
  });
});
