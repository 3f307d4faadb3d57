// MappedFile#read and #readAsync speak fs's dialect: fs.readSync and
// FileHandle.read are the oracles, for results, buffer contents, the
// current position and argument errors.
import { closeSync, ftruncateSync, openSync, promises as fsp, readSync, truncateSync, writeSync } from 'node:fs';
import * as fc from 'fast-check';
import { MappedFileTruncated, open } from '../../src';
import { binding } from '../../src/binding';
import { onWindows, systemErrno, testCuttingMappedFile } from '../support/platforms';
import { startTruncator } from '../support/processes';
import { PAGE, patternBuffer } from '../support/files';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
afterEach(() => binding.testing.setAsyncPath(0));

type Kind = 'Buffer' | 'Uint8Array' | 'Float64Array' | 'DataView';
function makeBuffer(kind: Kind, bytes: Buffer): NodeJS.ArrayBufferView {
  const copy = new ArrayBuffer(bytes.length + (8 - (bytes.length % 8)) % 8);
  new Uint8Array(copy).set(bytes);
  switch (kind) {
    case 'Buffer': return Buffer.from(copy, 0, bytes.length);
    case 'Uint8Array': return new Uint8Array(copy, 0, bytes.length);
    case 'Float64Array': return new Float64Array(copy, 0, copy.byteLength / 8);
    case 'DataView': return new DataView(copy, 0, bytes.length);
  }
}
const bytesOf = (view: NodeJS.ArrayBufferView) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);

// One read: the arguments, in the form used (positional or options object).
const readArbitrary = fc.record({
  kind: fc.constantFrom<Kind>('Buffer', 'Uint8Array', 'Float64Array', 'DataView'),
  size: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 * PAGE })),
  offsetFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  lengthFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  position: fc.oneof(fc.constant(null), fc.constant(-1), fc.integer({ min: 0, max: 5 * PAGE }),
    fc.bigInt({ min: -3n, max: BigInt(5 * PAGE) })),
  optionsForm: fc.boolean(),
  fill: fc.integer({ min: 0, max: 255 }),
});
type ReadCase = typeof readArbitrary extends fc.Arbitrary<infer T> ? T : never;

function argumentsOf(read: ReadCase, buffer: NodeJS.ArrayBufferView): unknown[] {
  const offset = Math.floor(read.offsetFraction * buffer.byteLength);
  const length = Math.floor(read.lengthFraction * (buffer.byteLength - offset));
  return read.optionsForm ? [buffer, { offset, length, position: read.position }] : [buffer, offset, length, read.position];
}

// A read's count, or the error it threw: on Windows fs.readSync refuses a
// bigint position below -2n (EINVAL), where Linux reads at the current
// position, and file.read answers as fs does on each.
function outcomeOf(read: () => number): { count: number } | { error: Partial<NodeJS.ErrnoException> } {
  try {
    return { count: read() };
  } catch (caught) {
    const { name, code, errno, syscall, message } = caught as NodeJS.ErrnoException;
    return { error: { name, code, errno, syscall, message } };
  }
}

test('read() gives fs.readSync\'s results, buffer contents and current position (property)', () => {
  let run = 0;
  fc.assert(fc.property(fc.integer({ min: 0, max: 3 * PAGE + 50 }), fc.array(readArbitrary, { minLength: 1, maxLength: 6 }),
    (fileLength, reads) => {
      const path = dir.patternFile(`sync-${run++}`, fileLength);
      const file = open(path);
      const fd = openSync(path, 'r');
      try {
        for (const read of reads) {
          const initial = Buffer.alloc(read.size, read.fill);
          const ours = makeBuffer(read.kind, initial), theirs = makeBuffer(read.kind, initial);
          const expected = outcomeOf(() => (readSync as (...args: unknown[]) => number)(fd, ...argumentsOf(read, theirs)));
          expect(outcomeOf(() => file.read(...(argumentsOf(read, ours) as Parameters<typeof file.read>)))).toEqual(expected);
          expect(bytesOf(ours).equals(bytesOf(theirs))).toBe(true);
        }
      } finally {
        closeSync(fd);
        file.close();
      }
    }), { numRuns: 150 });
});

test('readAsync() resolves as FileHandle.read, on both paths (property)', async () => {
  let run = 0;
  // FileHandle.read aborts the process on some bad lengths in Node 20, so the
  // oracle gets only valid integer arguments here; and it reads a bigint
  // position as "the current position" (fs.readSync honours it, and so does
  // readAsync), so positions are numbers.
  await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 3 * PAGE + 50 }), fc.array(readArbitrary, { minLength: 1, maxLength: 6 }),
    fc.constantFrom<0 | 2>(0, 2), async (fileLength, reads, asyncPath) => {
      const path = dir.patternFile(`async-${run++}`, fileLength);
      const file = open(path);
      const handle = await fsp.open(path, 'r');
      binding.testing.setAsyncPath(asyncPath);
      try {
        for (const bigintRead of reads) {
          // A negative bigint is fs.readSync's "current position": -1 as a number.
          const read = { ...bigintRead, position: typeof bigintRead.position === 'bigint'
            ? Math.max(-1, Number(bigintRead.position)) : bigintRead.position };
          const initial = Buffer.alloc(read.size, read.fill);
          const ours = makeBuffer(read.kind, initial), theirs = makeBuffer(read.kind, initial);
          const args = argumentsOf(read, theirs);
          const expected = await (handle.read as (...a: unknown[]) => Promise<{ bytesRead: number; buffer: unknown }>)(...args);
          const result = await file.readAsync(...(argumentsOf(read, ours) as Parameters<typeof file.readAsync>));
          expect(result.bytesRead).toBe(expected.bytesRead);
          expect(result.buffer).toBe(ours);
          expect(bytesOf(ours).equals(bytesOf(theirs))).toBe(true);
        }
      } finally {
        binding.testing.setAsyncPath(0);
        await handle.close();
        file.close();
      }
    }), { numRuns: 100 });
});

test('bad arguments get fs.readSync\'s errors, thrown by read() and rejected by readAsync()', async () => {
  const path = dir.patternFile('args', 100);
  const file = open(path);
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(10);
  const cases: unknown[][] = [
    ['x', 0, 1, 0], [undefined], [null, 0, 1, 0], [{}, 0, 1, 0], [[1, 2], 0, 1, 0], [new ArrayBuffer(4), 0, 1, 0],
    [b, 11], [b, 'x'], [b, 1.5], [b, [] as unknown], [b, () => 1], [b, { offset: -1 }], [b, { offset: '1' }],
    [b, { length: 11 }], [b, 0, 11], [b, 5, 6], [b, 0, -1], [b, -1, 1, 0], [b, 1.5, 1, 0], [b, '1', 3, 0],
    [b, 0, 1, -2], [b, 0, 1, 1.5], [b, 0, 1, 2 ** 53], [b, 0, 1, 2n ** 63n], [b, 0, 1, -(2n ** 63n) - 1n],
    [b, 0, 1, 'x'], [b, 0, 1, true], [b, 0, 1, {}], [Buffer.alloc(0), 0, 1, 0], [b, 0, 1, NaN], [b, NaN, 1, 0],
    [b, Infinity, 1, 0], [b, 0, 1, Infinity], [b, { offset: 11 }], [b, { offset: 2, length: 9 }],
  ];
  for (const args of cases) {
    let expected: Error | undefined;
    try { (readSync as (...a: unknown[]) => number)(fd, ...args); } catch (error) { expected = error as Error; }
    expect(expected).toBeDefined();
    const shape = { name: expected!.name, code: (expected as NodeJS.ErrnoException).code, message: expected!.message };
    expect(() => (file.read as (...a: unknown[]) => number)(...args)).toThrow(expect.objectContaining(shape));
    await expect((file.readAsync as (...a: unknown[]) => Promise<unknown>)(...args)).rejects.toMatchObject(shape);
  }
  closeSync(fd);
  file.close();
});

test('a negative bigint position: fs.readSync\'s answer on this platform, from read() and readAsync()', async () => {
  const path = dir.patternFile('negative', 100);
  // Two files, so that each has the descriptor's current position.
  const file = open(path), asyncFile = open(path);
  const fd = openSync(path, 'r');
  try {
    for (const position of [-1n, -2n, -2n, -1n, -3n, -(2n ** 63n), -1n]) {
      const theirs = Buffer.alloc(10), ours = Buffer.alloc(10), ourAsync = Buffer.alloc(10);
      const expected = outcomeOf(() => readSync(fd, theirs, 0, 10, position));
      // Linux: the current position, which the read advances. Windows: -1n
      // likewise, -2n the current position left where it was, the rest EINVAL.
      expect(expected).toEqual(onWindows && position < -2n
        ? { error: expect.objectContaining({ code: 'EINVAL', syscall: 'read', errno: systemErrno('EINVAL') }) }
        : { count: 10 });
      expect(outcomeOf(() => file.read(ours, 0, 10, position))).toEqual(expected);
      expect(ours.equals(theirs)).toBe(true);
      const asyncOutcome = await asyncFile.readAsync(ourAsync, 0, 10, position).then(
        ({ bytesRead }) => ({ count: bytesRead }), (error) => outcomeOf(() => { throw error; }));
      expect(asyncOutcome).toEqual(expected);
      expect(ourAsync.equals(theirs)).toBe(true);
    }
  } finally {
    closeSync(fd);
    file.close();
    asyncFile.close();
  }
});

test('an empty file reads 0 everywhere; length 0 reads 0 even from an empty buffer', async () => {
  const path = dir.file('empty');
  const file = open(path);
  for (const position of [null, 0, 1, 1000, 5n]) {
    expect(file.read(Buffer.alloc(10), 0, 10, position)).toBe(0);
    expect((await file.readAsync(Buffer.alloc(10), 0, 10, position)).bytesRead).toBe(0);
  }
  expect(file.read(Buffer.alloc(0), 0, 0, 0)).toBe(0);
  expect(file.read(Buffer.alloc(0))).toBe(0);
  file.close();
});

testCuttingMappedFile('the end is the file\'s current size: a truncated file gives fs\'s short counts; grow: \'auto\' reads what was appended', async () => {
  const length = 6 * PAGE;
  const path = dir.patternFile('shrink', length);
  for (const validate of ['always', 'fault'] as const) {
    dir.patternFile('shrink', length);
    const file = open(path, { validate });
    const fd = openSync(path, 'r');
    truncateSync(path, 2 * PAGE + 7);
    for (const [position, size] of [[0, 3 * PAGE], [2 * PAGE, PAGE], [2 * PAGE + 7, 10], [5 * PAGE, 100], [PAGE, 8]]) {
      const ours = Buffer.alloc(size, 0xee), theirs = Buffer.alloc(size, 0xee);
      const expected = readSync(fd, theirs, 0, size, position);
      expect(file.read(ours, 0, size, position)).toBe(expected);
      expect(ours.subarray(0, expected)).toEqual(theirs.subarray(0, expected));
      const result = await file.readAsync(Buffer.alloc(size), 0, size, position);
      expect(result.bytesRead).toBe(expected);
      expect(result.buffer.subarray(0, expected)).toEqual(theirs.subarray(0, expected));
    }
    closeSync(fd);
    file.close();
  }

  // Growth: without grow the end stays the mapping's; with grow: 'auto' it remaps.
  const growing = dir.patternFile('grow', PAGE);
  const fixed = open(growing);
  const auto = open(growing, { grow: 'auto' });
  const fd = openSync(growing, 'r+');
  writeSync(fd, patternBuffer(PAGE, PAGE), 0, PAGE, PAGE);
  const target = Buffer.alloc(2 * PAGE);
  expect(fixed.read(target, 0, 2 * PAGE, 0)).toBe(PAGE);
  expect(auto.read(target, 0, 2 * PAGE, 0)).toBe(2 * PAGE);
  expect(target).toEqual(patternBuffer(0, 2 * PAGE));
  expect(auto.size).toBe(2 * PAGE);
  ftruncateSync(fd, 3 * PAGE);
  writeSync(fd, patternBuffer(2 * PAGE, PAGE), 0, PAGE, 2 * PAGE);
  expect((await auto.readAsync(Buffer.alloc(PAGE), 0, PAGE, 2 * PAGE)).buffer).toEqual(patternBuffer(2 * PAGE, PAGE));
  closeSync(fd);
  fixed.close();
  auto.close();
});

testCuttingMappedFile('under a truncating and regrowing process, read() returns counts of true bytes and never crashes', async () => {
  // The file's size moves between the fstat that bounds a read and the copy,
  // so copies fault past the end (caught by the guard) and are retried up to
  // the new end; a fault that the regrown file makes look like an I/O error
  // is retried too, since the file changed. Every byte below a returned
  // count is the pattern byte.
  const FILE_LENGTH = 1 << 20;
  const path = dir.patternFile('race', FILE_LENGTH);
  const truncator = startTruncator(path, FILE_LENGTH, 2000);
  // 'always': every byte below the count was in the file. ('fault' mode may
  // return the zero-filled tail page of a truncated file, as documented, so
  // it cannot promise this; its faults are covered by the tests above.)
  const file = open(path);
  const target = Buffer.alloc(256 * 1024);
  await truncator.ready;  // the window starts once it has booted (slow under qemu)
  truncator.go();
  let reads = 0, shortReads = 0, wrong = 0, truncatedErrors = 0;
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    const position = Math.floor(Math.random() * FILE_LENGTH);
    try {
      const count = file.read(target, 0, target.length, position);
      reads++;
      if (count < Math.min(target.length, FILE_LENGTH - position)) shortReads++;
      for (let i = 0; i < count; i += 509) if (target[i] !== patternBuffer(position + i, 1)[0]) wrong++;
    } catch (error) {
      if (!(error instanceof MappedFileTruncated)) throw error;
      truncatedErrors++;
    }
  }
  await truncator.finished;
  file.close();
  console.log(`read() under the race: ${reads} reads, ${shortReads} short, ${truncatedErrors} MappedFileTruncated`);
  expect(reads).toBeGreaterThan(100);
  expect(shortReads).toBeGreaterThan(0);
  expect(wrong).toBe(0);
});
