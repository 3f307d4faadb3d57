// Lazy snapshots and worker_threads.
//  - postMessage(snapshot), a cloned value: the worker gets a copy with the
//    same bytes, its own memory; the sender's snapshot stays lazy.
//  - postMessage(snapshot, [snapshot.buffer]), in a transfer list: a lazy
//    snapshot's ArrayBuffer is an external one (napi_create_external_arraybuffer).
//    Node 18 and 20 clone it silently (the sender keeps it, undetached; the
//    worker gets a copy); Node 22 and later throw a DataCloneError ("Cannot
//    transfer object of unsupported type") and post nothing, and so does Bun
//    ("Cannot transfer object marked as untransferable"); Deno transfers it:
//    the sender's is detached and the worker gets the same memory, still the
//    lazy range, swapped like any other on a break. An eager snapshot's
//    ArrayBuffer is transferred (detached) everywhere. Either way nothing
//    crashes and no byte is wrong.
//  - A worker makes and reads lazy snapshots of its own; a break by another
//    process swaps them; a worker that exits frees them.
// Each case ends with a break by another process, after which every copy and
// every snapshot must still hold the bytes of before: with
// SAFE_MMAP_TEST_DISABLE_LAZY_SWAP=1 the lazy ones take the writer's bytes.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { checkSnapshot, LAZY_MINIMUM_BYTES, open } from '../../src';
import { binding } from '../../src/binding';
import { patternBuffer } from '../support/files';
import { PACKAGE_ROOT, rewriteInAnotherProcess } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
const FILE_LENGTH = 4 << 20;  // room for a snapshot of LAZY_MINIMUM_BYTES and more
const OFFSET = 4096 + 17;
const LENGTH = LAZY_MINIMUM_BYTES + 12345;
const expected = patternBuffer(OFFSET, LENGTH);
const REPLY_MS = 30_000;
// What a transfer list does with a lazy snapshot's ArrayBuffer, by runtime (see above).
const TRANSFER: 'cloned' | 'refused' | 'moved' = 'Deno' in globalThis ? 'moved'
  : 'Bun' in globalThis || Number(process.versions.node.split('.')[0]) >= 22 ? 'refused' : 'cloned';
const TRANSFER_SAYS = { cloned: 'cloned, not detached (Node 18 and 20)',
  refused: 'a DataCloneError, nothing posted (Node 22 and later, Bun)', moved: 'moved, detached (Deno)' };

/**
 * A worker that answers each message: for a Uint8Array, whether it holds
 * expected's bytes (and then scribbles on its own copy); for 'recheck', whether
 * every one received still does.
 */
function startChecker() {
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const expected = require(workerData.root + '/test/support/pattern.cjs').patternBuffer(workerData.offset, workerData.length);
    const received = [];
    parentPort.on('message', (message) => {
      if (message === 'recheck') {
        parentPort.postMessage({ intact: received.every((bytes) => bytes.equals(expected)) });
        return;
      }
      const bytes = Buffer.from(message.buffer, message.byteOffset, message.length);
      const intact = bytes.equals(expected);
      received.push(bytes);
      bytes[0] ^= 0xff;  // the worker's copy is its own: the sender must not see this
      bytes[0] ^= 0xff;
      parentPort.postMessage({ intact, length: bytes.length, type: Object.prototype.toString.call(message) });
    });`, { eval: true, workerData: { root: PACKAGE_ROOT, offset: OFFSET, length: LENGTH } });
  const replies: unknown[] = [];
  let waiting: ((reply: unknown) => void) | null = null;
  worker.on('message', (reply) => {
    if (waiting) { const resolve = waiting; waiting = null; resolve(reply); } else replies.push(reply);
  });
  // A reply, or an error within REPLY_MS: a test must end (and terminate its
  // worker) before jest's timeout, or the live worker keeps the runtime running.
  const next = () => new Promise<Record<string, unknown>>((resolve, reject) => {
    if (replies.length > 0) { resolve(replies.shift() as Record<string, unknown>); return; }
    const timer = setTimeout(() => { waiting = null; reject(new Error(`no reply in ${REPLY_MS} ms`)); }, REPLY_MS);
    waiting = (reply) => { clearTimeout(timer); resolve(reply as Record<string, unknown>); };
    worker.once('error', reject);
  });
  return { worker, next };
}

test('postMessage(lazySnapshot), cloned: the worker gets a copy with the same bytes; both keep them through a break', async () => {
  const path = dir.patternFile('cloned', FILE_LENGTH);
  const file = open(path);
  const snapshot = file.view(OFFSET, LENGTH).snapshot({ lazy: true });
  const { worker, next } = startChecker();
  try {
    worker.postMessage(snapshot);
    expect(await next()).toEqual({ intact: true, length: LENGTH, type: '[object Uint8Array]' });
    expect(snapshot.buffer.byteLength).toBe(LENGTH);
    expect(checkSnapshot(snapshot)).toBe('mapped');
    snapshot[1] ^= 0xff;  // the sender's writes stay the sender's
    worker.postMessage('recheck');
    expect(await next()).toEqual({ intact: true });
    snapshot[1] ^= 0xff;

    rewriteInAnotherProcess(path, 0xee, FILE_LENGTH);
    expect(checkSnapshot(snapshot)).toBe('copied');
    expect(snapshot.equals(expected)).toBe(true);
    worker.postMessage('recheck');
    expect(await next()).toEqual({ intact: true });
  } finally {
    await worker.terminate();
    file.close();
  }
});

test(`postMessage(lazySnapshot, [its buffer]), in a transfer list: ${TRANSFER_SAYS[TRANSFER]}; no byte wrong`, async () => {
  const path = dir.patternFile('transferred', FILE_LENGTH);
  const file = open(path);
  const snapshot = file.view(OFFSET, LENGTH).snapshot({ lazy: true });
  const { worker, next } = startChecker();
  try {
    let thrown: unknown = null;
    try { worker.postMessage(snapshot, [snapshot.buffer]); } catch (error) { thrown = error; }
    if (TRANSFER === 'refused') {
      expect(thrown).toMatchObject({ name: 'DataCloneError' });
      // Nothing was posted: the next reply is for the eager snapshot below.
    } else {
      expect(thrown).toBeNull();
      expect(await next()).toEqual({ intact: true, length: LENGTH, type: '[object Uint8Array]' });
    }
    if (TRANSFER === 'moved') {
      expect(snapshot.buffer.byteLength).toBe(0);  // detached: the worker has the memory now
    } else {
      // The sender's snapshot is untouched: not detached, still lazy.
      expect(snapshot.buffer.byteLength).toBe(LENGTH);
      expect(snapshot.equals(expected)).toBe(true);
    }
    // Still the lazy range (in the worker's hands, when moved).
    expect(checkSnapshot(snapshot)).toBe('mapped');

    // An eager snapshot's ArrayBuffer, an ordinary one, is transferred.
    const eager = file.view(OFFSET, LENGTH).snapshot();
    worker.postMessage(eager, [eager.buffer]);
    expect(eager.buffer.byteLength).toBe(0);
    expect(await next()).toEqual({ intact: true, length: LENGTH, type: '[object Uint8Array]' });

    rewriteInAnotherProcess(path, 0xee, FILE_LENGTH);
    expect(checkSnapshot(snapshot)).toBe('copied');
    if (TRANSFER !== 'moved') expect(snapshot.equals(expected)).toBe(true);
    worker.postMessage('recheck');  // the eager copy, and the lazy one when it was posted
    expect(await next()).toEqual({ intact: true });
  } finally {
    await worker.terminate();
    file.close();
  }
});

test("a worker's own lazy snapshots: mapped, swapped by a break (same bytes), freed when the worker exits", async () => {
  const path = dir.patternFile('own', FILE_LENGTH);
  const liveBefore = binding.testing.lazyCounts()[0];
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const { open, checkSnapshot } = require(workerData.root);
    const { patternBuffer } = require(workerData.root + '/test/support/pattern.cjs');
    const file = open(workerData.path);
    const ranges = [[0, workerData.length], [workerData.offset, workerData.length], [4096, 3 * workerData.length]];
    const snapshots = ranges.map(([offset, length]) => file.view(offset, length).snapshot({ lazy: true }));
    const report = () => ({
      states: snapshots.map((snapshot) => checkSnapshot(snapshot)),
      intact: snapshots.map((snapshot, i) => snapshot.equals(patternBuffer(...ranges[i]))),
      fileByte: file.view(workerData.offset, 1).readUInt8(0),
    });
    parentPort.postMessage(report());
    parentPort.once('message', () => {
      parentPort.postMessage(report());
      // One more, sent to the main thread (cloned), then the worker exits
      // with its snapshots still referenced: its environment frees them.
      parentPort.postMessage(file.view(0, workerData.length).snapshot({ lazy: true }));
    });`, { eval: true, workerData: { root: PACKAGE_ROOT, path, offset: OFFSET, length: LENGTH } });
  const messages: unknown[] = [];
  let ended: unknown = null;  // the worker's error or exit, which no message will follow
  worker.on('message', (message) => messages.push(message));
  worker.once('error', (error) => { ended = error; });
  const exited = new Promise<number>((resolve) => worker.once('exit', (code) => {
    ended ??= new Error(`worker exited with ${code}`);
    resolve(code);
  }));
  const message = async (index: number) => {
    for (const deadline = Date.now() + REPLY_MS; messages.length <= index;) {
      if (ended !== null) throw ended;
      if (Date.now() > deadline) throw new Error(`no message ${index} from the worker in ${REPLY_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return messages[index];
  };
  let reachedEnd = false;
  try {
    expect(await message(0)).toEqual({ states: ['mapped', 'mapped', 'mapped'], intact: [true, true, true],
      fileByte: expected[0] });
    expect(binding.testing.lazyCounts()[0]).toBe(liveBefore + 3);

    rewriteInAnotherProcess(path, 0xee, FILE_LENGTH);
    worker.postMessage('go');
    expect(await message(1)).toEqual({ states: ['copied', 'copied', 'copied'], intact: [true, true, true],
      fileByte: 0xee });
    reachedEnd = true;
  } finally {
    // Also when an expectation failed: a live worker would keep the runtime from exiting.
    if (!reachedEnd) await worker.terminate();
  }
  const fromWorker = await message(2) as Uint8Array;
  await worker.terminate();
  await exited;
  expect(Buffer.from(fromWorker.buffer, fromWorker.byteOffset, fromWorker.length))
    .toEqual(Buffer.alloc(LENGTH, 0xee));  // made after the rewrite: the file's new bytes
  // Whatever the worker still held went with its environment: no private
  // mapping of the file (a lazy range) is left. (Under Deno the worker's
  // MappedFile is never finalized, so its own shared mapping may stay.)
  expect(binding.testing.lazyCounts()[0]).toBe(liveBefore);
  expect(readFileSync('/proc/self/maps', 'utf8').split('\n')
    .filter((line) => line.endsWith(` ${path}`) && line.split(' ')[1][3] === 'p')).toEqual([]);
});
