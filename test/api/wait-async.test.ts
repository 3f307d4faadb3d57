// waitAsync(): a Promise that sleeps on a thread of its own, never on
// libuv's pool; abortable; settled by close(); notified from anywhere.
import { execFileSync, spawn } from 'node:child_process';
import { openSync, closeSync, promises as fsPromises, readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { AbortError, MappedFileClosed, open } from '../../src';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
const PENDING = 1_000;

function threadCount(): number {
  return readdirSync('/proc/self/task').length;
}

async function settledThreadCount(expected: number): Promise<number> {
  for (let tries = 0; tries < 200 && threadCount() > expected; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return threadCount();
}

async function readFileMilliseconds(path: string): Promise<number> {
  const started = process.hrtime.bigint();
  await fsPromises.readFile(path);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

// Under qemu-user every system call is emulated; the bound says the pool is
// free, not how fast an emulated readFile is.
const READ_FILE_BOUND_MS = process.env.SAFE_MMAP_TEST_QEMU === '1' ? 200 : 50;

test(`${PENDING.toLocaleString('en')} pending waitAsync leave fs.readFile as fast as with none; one notify settles them all`, async () => {
  const small = dir.file('small', Buffer.alloc(100, 1));
  const file = open(dir.file('words', Buffer.alloc(4096)), { mode: 'r+' });
  const words = file.view().atomics('int32');
  const threadsBefore = threadCount();
  const pending = Array.from({ length: PENDING }, () => words.waitAsync(0, 0));
  // Each read of a small file takes a pool thread for its open, read and close.
  const times = [];
  for (let round = 0; round < 5; round += 1) times.push(await readFileMilliseconds(small));
  expect(Math.min(...times)).toBeLessThan(READ_FILE_BOUND_MS);
  expect(threadCount()).toBeGreaterThanOrEqual(threadsBefore + PENDING);
  // The value changes first: a waiter whose thread had not fallen asleep yet
  // sees it changed and ends 'ok' too.
  words.store(0, 1);
  const woken = words.notify(0);
  expect(woken).toBeLessThanOrEqual(PENDING);
  expect(new Set(await Promise.all(pending))).toEqual(new Set(['ok']));
  expect(await settledThreadCount(threadsBefore)).toBeLessThanOrEqual(threadsBefore);
  file.close();
}, 120_000);

// Deno runs fs work on a blocking pool that grows (tokio's, hundreds of
// threads), so no four waits can hold it: the control needs libuv's pool of
// four (Node, and Bun's equivalent), and asserts nothing true under Deno.
const poolOfFour = (process.versions as Record<string, string | undefined>).deno === undefined;

(poolOfFour ? test : test.skip)('the control: waits that did hold the pool (FIFO opens) make the same fs.readFile miss the bound', async () => {
  const small = dir.file('small-control', Buffer.alloc(100, 1));
  const fifos = Array.from({ length: 4 }, (_, index) => {
    const path = `${dir.path}/fifo-${index}`;
    execFileSync('mkfifo', [path]);
    return path;
  });
  // An open of a FIFO with no writer blocks its pool thread (4 by default).
  const blocked = fifos.map((path) => fsPromises.open(path, 'r'));
  const slow = readFileMilliseconds(small);
  const outcome = await Promise.race([slow, new Promise((resolve) => setTimeout(() => resolve('still waiting'), READ_FILE_BOUND_MS * 4))]);
  expect(outcome).toBe('still waiting');
  // Lets each open through. A pool may not have started them all, nor in
  // order (Bun's two pool threads once sat in two of them while a blocking
  // write open waited for a reader of a third, for good): so the writers
  // open O_RDWR, which never blocks on a FIFO (Linux), and stay open until
  // every reader's open has returned.
  const writers = fifos.map((path) => openSync(path, 'r+'));
  for (const handle of await Promise.all(blocked)) await handle.close();
  for (const writer of writers) closeSync(writer);
  await slow;
}, 60_000);

test('an abort rejects with AbortError at once and the wait\'s thread ends; an aborted signal rejects before waiting', async () => {
  const file = open(dir.file('abort', Buffer.alloc(4096)), { mode: 'r+' });
  const words = file.view().atomics('int32');
  const threadsBefore = threadCount();
  const controller = new AbortController();
  const waiting = words.waitAsync(1, 0, Infinity, { signal: controller.signal });
  expect(threadCount()).toBe(threadsBefore + 1);
  setTimeout(() => controller.abort(), 20);
  await expect(waiting).rejects.toBeInstanceOf(AbortError);
  expect(await settledThreadCount(threadsBefore)).toBe(threadsBefore);
  await expect(words.waitAsync(1, 0, Infinity, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
  await expect(words.waitAsync(1, 0, Infinity, { signal: 'no' as unknown as AbortSignal })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  file.close();
});

test('close() rejects every pending wait with MappedFileClosed, and their threads end', async () => {
  const file = open(dir.file('close', Buffer.alloc(4096)), { mode: 'r+' });
  const words = file.view().atomics('uint32');
  const threadsBefore = threadCount();
  const waiting = Array.from({ length: 10 }, (_, index) => words.waitAsync(index, 0).then(() => 'settled', (error) => error));
  file.close();
  for (const outcome of await Promise.all(waiting)) expect(outcome).toBeInstanceOf(MappedFileClosed);
  expect(await settledThreadCount(threadsBefore)).toBe(threadsBefore);
});

test('not-equal and timed-out, as Atomics.waitAsync\'s values; a timeout ends the wait', async () => {
  const file = open(dir.file('values', Buffer.alloc(4096)), { mode: 'r+' });
  const words = file.view().atomics('int32');
  words.store(0, 3);
  expect(await words.waitAsync(0, 2)).toBe('not-equal');
  // An end at once with a live signal (the fuzz found a ReferenceError here).
  expect(await words.waitAsync(0, 2, Infinity, { signal: new AbortController().signal })).toBe('not-equal');
  expect(await words.waitAsync(0, 3, 0)).toBe('timed-out');
  const started = process.hrtime.bigint();
  expect(await words.waitAsync(0, 3, 40)).toBe('timed-out');
  expect(Number(process.hrtime.bigint() - started) / 1e6).toBeGreaterThanOrEqual(39);
  file.close();
});

test('a worker\'s notify on its own mapping of the file wakes a waitAsync here', async () => {
  const path = dir.file('worker', Buffer.alloc(4096));
  const file = open(path, { mode: 'r+' });
  const waiting = file.view().atomics('int32').waitAsync(5, 0, 30_000);
  const worker = new Worker(`
    const { open } = require(${JSON.stringify(require.resolve('../../lib'))});
    const file = open(${JSON.stringify(path)}, { mode: 'r+' });
    const words = file.view().atomics('int32');
    words.store(5, 1);
    require('node:worker_threads').parentPort.postMessage(words.notify(5));
    file.close();`, { eval: true });
  const [woken] = await Promise.all([new Promise((resolve) => worker.once('message', resolve)), waiting]);
  expect(await waiting).toBe('ok');
  expect(woken).toBe(1);
  await worker.terminate();
  file.close();
});

test('a pending waitAsync keeps the process alive until another process notifies it', () => {
  const path = dir.file('alive', Buffer.alloc(4096));
  const child = spawn(process.execPath, ['-e', `
    const { open } = require('./lib');
    const words = open(${JSON.stringify(path)}, { mode: 'r+' }).view().atomics('int32');
    words.waitAsync(0, 0).then((result) => console.log(result));
    console.log('waiting');`], { cwd: `${__dirname}/../..`, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  return new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output === 'waiting\n') {
        const notifier = open(path, { mode: 'r+' });
        const words = notifier.view().atomics('int32');
        setTimeout(() => { words.store(0, 1); words.notify(0); notifier.close(); }, 200);
      }
    });
    child.on('exit', (code) => {
      expect([code, output]).toEqual([0, 'waiting\nok\n']);
      resolve();
    });
  });
}, 60_000);
