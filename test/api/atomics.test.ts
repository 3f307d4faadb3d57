// view.atomics(type): the results and return values of JS Atomics on a
// typed array over a SharedArrayBuffer, for each operation, element type and
// kind of argument, and the errors Atomics and Buffer give for bad ones.
import { MappedAtomics, MappedFile, open } from '../../src';
import { testFutexWaits } from '../support/platforms';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
const WORDS = 16;

type Reference = Int32Array | Uint32Array | BigInt64Array | BigUint64Array;
const TYPES = {
  int32: (buffer: SharedArrayBuffer) => new Int32Array(buffer),
  uint32: (buffer: SharedArrayBuffer) => new Uint32Array(buffer),
  bigint64: (buffer: SharedArrayBuffer) => new BigInt64Array(buffer),
  biguint64: (buffer: SharedArrayBuffer) => new BigUint64Array(buffer),
} as const;

const NUMBERS: unknown[] = [0, 1, -1, 7.9, -7.9, 2 ** 31, 2 ** 32 + 5, -(2 ** 31) - 1, NaN, Infinity, -Infinity, -0, '12', true, null, undefined];
const BIGINTS: unknown[] = [0n, 1n, -1n, 2n ** 63n, 2n ** 64n + 3n, -(2n ** 63n) - 1n, '42', true];

const loadReference = (reference: Reference, index: number): unknown =>
  (Atomics.load as unknown as (a: Reference, i: number) => unknown)(reference, index);

function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (error) {
    return { threw: (error as Error).constructor.name };
  }
}

let file: MappedFile;
beforeEach(() => { file = open(dir.file('words', Buffer.alloc(WORDS * 8)), { mode: 'r+' }); });
afterEach(() => file.close());

describe.each(Object.keys(TYPES) as (keyof typeof TYPES)[])('%s', (type) => {
  const values = type.startsWith('big') ? [...BIGINTS, 5, undefined] : NUMBERS;
  const fresh = (): [MappedAtomics, Reference] => {
    const reference = TYPES[type](new SharedArrayBuffer(WORDS * 8));
    return [file.view(0, reference.byteLength).atomics(type), reference];
  };

  test.each(['add', 'sub', 'and', 'or', 'xor', 'exchange', 'store'] as const)('%s returns and stores what Atomics does', (operation) => {
    const [mapped, reference] = fresh();
    values.forEach((value, index) => {
      const word = index % mapped.length;
      // Start from an interesting value in both.
      const start = type.startsWith('big') ? BigInt(index) * 0x1234567890n - 99n : index * 0x12345679 - 99;
      (Atomics.store as unknown as (a: Reference, i: number, v: unknown) => unknown)(reference, word, start);
      mapped.store(word, start as never);
      const expected = outcome(() => (Atomics[operation] as unknown as (a: Reference, i: number, v: unknown) => unknown)(reference, word, value));
      expect([value, outcome(() => (mapped[operation] as (i: number, v: unknown) => unknown)(word, value))]).toEqual([value, expected]);
      expect(mapped.load(word)).toEqual(loadReference(reference, word));
    });
  });

  test('compareExchange returns the old value and swaps only on a match', () => {
    const [mapped, reference] = fresh();
    for (const [expectedValue, replacement] of (type.startsWith('big')
      ? [[0n, 5n], [0n, 6n], [5n, -1n], [-1n, 2n ** 64n - 1n], [2n ** 64n - 1n, 9n]]
      : [[0, 5], [0, 6], [5, -1], [-1, 2 ** 32 - 1], [2 ** 32 - 1, 9], [9, 1.5]])) {
      const expected = outcome(() => (Atomics.compareExchange as unknown as (a: Reference, i: number, e: unknown, r: unknown) => unknown)(reference, 3, expectedValue, replacement));
      expect(outcome(() => (mapped.compareExchange as (i: number, e: unknown, r: unknown) => unknown)(3, expectedValue, replacement))).toEqual(expected);
      expect(mapped.load(3)).toEqual(loadReference(reference, 3));
    }
  });

  test('indices are converted as Atomics converts them; out of range is a RangeError', () => {
    const [mapped, reference] = fresh();
    // An index whose conversion throws (a valueOf giving a Symbol, a typed
    // array over a detached buffer, whose toString cannot join) throws V8's
    // own TypeError, as from Atomics.
    const detached = new Uint8Array(new ArrayBuffer(4));
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    for (const index of [0, 1.9, '2', true, null, undefined, NaN, -0, -1, mapped.length, 2 ** 53, Infinity, 'x',
      { valueOf: () => Symbol('index') }, detached]) {
      const expected = outcome(() => Atomics.load(reference.subarray(0, mapped.length) as Int32Array, index as number));
      const label = typeof index === 'object' && index !== null ? Object.prototype.toString.call(index) : String(index);
      expect([label, outcome(() => mapped.load(index as number))]).toEqual([label, expected]);
    }
    expect(() => mapped.add(mapped.length, 1 as never)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    // An index that util.inspect cannot show (a DataView over a detached
    // buffer) on an empty range: still the coded RangeError (the fuzz found an uncoded TypeError).
    const buffer = new ArrayBuffer(8);
    const overDetached = new DataView(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    const empty = file.view(0, 0).atomics(type);
    expect(() => empty.load(overDetached as never)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
  });
});

test('the words are the file\'s bytes, little-endian, shared with views and other mappings', () => {
  const words = file.view().atomics('int32');
  words.store(2, -2);
  expect(file.view().readInt32LE(8)).toBe(-2);
  const other = open(file.path, { mode: 'r+' });
  expect(other.view().atomics('uint32').add(2, 1)).toBe(2 ** 32 - 2);
  expect(words.load(2)).toBe(-1);
  other.close();
  // A view at offset 8 counts its words from there.
  expect(file.view(8, 16).atomics('int32').load(0)).toBe(-1);
  expect(file.view(8, 17).atomics('int32').length).toBe(4);  // a trailing partial word is left out
});

test('a view that does not start on a word boundary is a RangeError, as new Int32Array(buffer, 2) is', () => {
  expect(() => file.view(2).atomics('int32')).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_INVALID_ARG_VALUE' }));
  expect(() => file.view(4).atomics('bigint64')).toThrow(RangeError);
  expect(() => file.view(8).atomics('bigint64')).not.toThrow();
  expect(() => new Int32Array(new ArrayBuffer(8), 2)).toThrow(RangeError);
});

test('an unknown type is ERR_INVALID_ARG_VALUE', () => {
  for (const type of ['int8', 'float64', 1, undefined, 'INT32']) {
    expect(() => file.view().atomics(type as 'int32')).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }));
  }
});

testFutexWaits('on a read-only mapping: loads, waits and notify work; every mutating operation is a TypeError', () => {
  file.view().atomics('int32').store(0, 7);
  const readOnly = open(file.path);
  const words = readOnly.view().atomics('int32');
  expect(words.load(0)).toBe(7);
  expect(words.wait(0, 6)).toBe('not-equal');
  expect(words.wait(0, 7, 0)).toBe('timed-out');
  expect(words.notify(0)).toBe(0);
  for (const mutate of [() => words.store(0, 1), () => words.add(0, 1), () => words.sub(0, 1), () => words.and(0, 1),
    () => words.or(0, 1), () => words.xor(0, 1), () => words.exchange(0, 1), () => words.compareExchange(0, 7, 1)]) {
    expect(mutate).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_MAPPED_FILE_READ_ONLY' }));
  }
  expect(words.load(0)).toBe(7);
  readOnly.close();
});

testFutexWaits('bigint64 and biguint64 words cannot be waited on or notified: a TypeError', () => {
  for (const type of ['bigint64', 'biguint64'] as const) {
    const words = file.view().atomics(type);
    expect(() => words.wait(0, 0n)).toThrow(TypeError);
    expect(() => words.notify(0)).toThrow(TypeError);
    expect(() => { words.waitAsync(0, 0n).catch(() => undefined); }).not.toThrow();  // it rejects instead
  }
  return expect(file.view().atomics('bigint64').waitAsync(0, 0n)).rejects.toThrow(TypeError);
});

testFutexWaits('wait: not-equal at once, timed-out after the timeout, with Atomics.wait\'s timeout conversions', () => {
  const words = file.view().atomics('int32');
  words.store(0, 5);
  expect(words.wait(0, 4)).toBe('not-equal');
  expect(words.wait(0, 5, 0)).toBe('timed-out');
  expect(words.wait(0, 5, -10)).toBe('timed-out');
  const started = process.hrtime.bigint();
  expect(words.wait(0, 5, 30)).toBe('timed-out');
  expect(Number(process.hrtime.bigint() - started) / 1e6).toBeGreaterThanOrEqual(29);
  const reference = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(reference, 0, 5);
  expect(words.wait(0, 4 + 2 ** 32 as never, 0)).toBe(Atomics.wait(reference, 0, 4 + 2 ** 32, 0));
});

testFutexWaits('after close(), every operation throws MappedFileClosed', () => {
  const words = file.view().atomics('uint32');
  file.close();
  for (const run of [() => words.load(0), () => words.add(0, 1), () => words.wait(0, 0, 0), () => words.notify(0)]) {
    expect(run).toThrow(expect.objectContaining({ code: 'ERR_MAPPED_FILE_CLOSED' }));
  }
  return expect(words.waitAsync(0, 0)).rejects.toMatchObject({ code: 'ERR_MAPPED_FILE_CLOSED' });
});

test('workers of one process, each with its own mapping of the file, lose no add either', async () => {
  const { Worker } = await import('node:worker_threads');
  const ADDS = 100_000;
  const workers = Array.from({ length: 3 }, () => new Worker(`
    const { open } = require(${JSON.stringify(require.resolve('../../lib'))});
    const { parentPort, workerData } = require('node:worker_threads');
    const file = open(workerData, { mode: 'r+' });
    const words = file.view().atomics('uint32');
    for (let i = 0; i < ${ADDS}; i++) words.add(0, 1);
    file.close();
    parentPort.postMessage('done');`, { eval: true, workerData: file.path }));
  const mine = file.view().atomics('uint32');
  for (let i = 0; i < ADDS; i++) mine.add(0, 1);
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))));
  expect(mine.load(0)).toBe(4 * ADDS);
  await Promise.all(workers.map((worker) => worker.terminate()));
}, 120_000);
