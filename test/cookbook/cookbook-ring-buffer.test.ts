// Cookbook (docs/cookbook.md), a ring buffer between two processes: one
// producer and one consumer pass fixed-size messages through a shared file,
// with two atomic counters and wait/notify. The producer runs in another
// process (this file's recipe, compiled, in a child): every message arrives,
// once and in order, with its bytes; a full ring makes the producer wait and
// an empty one the consumer. A truncation under the waiting consumer comes
// out as MappedFileTruncated and the process lives.
import { spawn } from 'node:child_process';
import { readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { transpileModule, ModuleKind, ScriptTarget } from 'typescript';
import { MappedFile, MappedFileTruncated, open } from '../../src';
import { PACKAGE_ROOT } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

// --- the cookbook recipe ---
// A ring of SLOTS messages of SLOT bytes in a shared file, for one producer
// process and one consumer process. Word 0 counts the messages written, word 1
// the messages read (uint32: they wrap, and their difference stays right).
const HEADER = 64;  // the two counters, on a cache line of their own
const SLOTS = 256;
const SLOT = 64;
const RING_BYTES = HEADER + SLOTS * SLOT;

class Ring {
  readonly #counters;
  readonly #slots;

  constructor(file: MappedFile) {
    this.#counters = file.view(0, 8).atomics('uint32');
    this.#slots = file.view(HEADER, SLOTS * SLOT);
  }

  /** Producer: waits while the ring is full, then writes and publishes one message. */
  async push(message: Uint8Array): Promise<void> {
    const written = this.#counters.load(0);
    for (let read = this.#counters.load(1); written - read >>> 0 === SLOTS; read = this.#counters.load(1)) {
      await this.#counters.waitAsync(1, read);  // the consumer's notify(1) wakes it
    }
    this.#slots.set(message.subarray(0, SLOT), (written % SLOTS) * SLOT);
    // The atomic store publishes the plain write above: a consumer that
    // loads the new count sees the message's bytes.
    this.#counters.store(0, written + 1 >>> 0);
    this.#counters.notify(0);
  }

  /** Consumer: waits while the ring is empty, then copies out and frees one message. */
  async shift(): Promise<Buffer> {
    const read = this.#counters.load(1);
    for (let written = this.#counters.load(0); written === read; written = this.#counters.load(0)) {
      await this.#counters.waitAsync(0, written);  // the producer's notify(0) wakes it
    }
    const at = (read % SLOTS) * SLOT;
    const message = this.#slots.subarray(at, at + SLOT).snapshot();  // a copy: the slot is reused
    this.#counters.store(1, read + 1 >>> 0);
    this.#counters.notify(1);
    return message;
  }
}

// Producer:  const ring = new Ring(open('ring.bin', { mode: 'w+', size: RING_BYTES }));  await ring.push(bytes);
// Consumer:  const ring = new Ring(open('ring.bin', { mode: 'r+' }));  const bytes = await ring.shift();
// --- end of recipe ---

const dir = useTempDir();
const MESSAGES = process.env.SAFE_MMAP_TEST_QEMU === '1' ? 2_000 : 20_000;

function messageOf(index: number): Buffer {
  const message = Buffer.alloc(SLOT, index & 0xff);
  message.writeUInt32LE(index, 0);
  return message;
}

// The recipe, compiled, with a producer loop after it: run in another process.
function producerScript(path: string, messages: number): string {
  const source = readFileSync(__filename, 'utf8');
  const recipe = /\/\/ --- the cookbook recipe ---\n([\s\S]*?)\/\/ --- end of recipe ---\n/.exec(source)![1];
  const program = `
    const { open } = require(${JSON.stringify(PACKAGE_ROOT)});
    ${recipe}
    ${messageOf.toString()}
    (async () => {
      const ring = new Ring(open(${JSON.stringify(path)}, { mode: 'r+' }));
      for (let index = 0; index < ${messages}; index++) await ring.push(messageOf(index));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  return transpileModule(program, { compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022 } }).outputText;
}

test(`${MESSAGES.toLocaleString('en')} messages from another process arrive once each, in order, with their bytes`, async () => {
  const path = dir.file('ring', Buffer.alloc(RING_BYTES));
  const ring = new Ring(open(path, { mode: 'r+' }));
  const producer = spawn(process.execPath, ['-e', producerScript(path, MESSAGES)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => producer.on('exit', resolve));
  let wrong = 0;
  for (let index = 0; index < MESSAGES; index++) {
    if (!(await ring.shift()).equals(messageOf(index))) wrong += 1;
  }
  expect(await exited).toBe(0);
  expect(wrong).toBe(0);
  // Both counters say every message went through.
  const counters = readFileSync(path);
  expect([counters.readUInt32LE(0), counters.readUInt32LE(4)]).toEqual([MESSAGES, MESSAGES]);
}, 300_000);

test('a full ring makes the producer wait until the consumer frees a slot', async () => {
  const path = dir.file('full', Buffer.alloc(RING_BYTES));
  const ring = new Ring(open(path, { mode: 'r+' }));
  const producer = spawn(process.execPath, ['-e', producerScript(path, SLOTS + 1)], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => producer.on('exit', resolve));
  const counters = open(path).view(0, 8).atomics('uint32');
  while (counters.load(0) < SLOTS) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(counters.load(0)).toBe(SLOTS);  // message SLOTS waits for a free slot
  expect((await ring.shift()).equals(messageOf(0))).toBe(true);
  expect(await exited).toBe(0);
  expect(counters.load(0)).toBe(SLOTS + 1);
});

test('a consumer waiting on an empty ring gets MappedFileTruncated when the file is cut, and lives', async () => {
  const path = dir.file('cut', Buffer.alloc(RING_BYTES));
  const ring = new Ring(open(path, { mode: 'r+' }));
  const waiting = ring.shift().then(() => 'a message', (error) => error);
  await new Promise((resolve) => setTimeout(resolve, 50));
  truncateSync(path, 0);
  expect(await waiting).toBeInstanceOf(MappedFileTruncated);
});
