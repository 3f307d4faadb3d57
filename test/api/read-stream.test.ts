// file.createReadStream(): a stream.Readable that agrees with fs, honours
// backpressure and destroy(), and reports faults as 'error' events.
import { createHash } from 'node:crypto';
import { createReadStream as fsCreateReadStream, truncateSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { MappedFileTruncated, open } from '../../src';
import { binding } from '../../src/binding';
import { PAGE, patternBuffer } from '../support/files';
import { testCuttingMappedFile } from '../support/platforms';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();

async function sha256(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(stream, hash);
  return hash.digest('hex');
}

test.each([
  ['an empty file', 0], ['a 1-byte file', 1], ['a file of exactly one page', PAGE], ['a multi-MiB file', (5 << 20) + 17],
])('sha256 through the stream equals fs.createReadStream for %s', async (_, length) => {
  const path = dir.file(`hash-${length}`, patternBuffer(0, length));
  const file = open(path);
  expect(await sha256(file.createReadStream())).toBe(await sha256(fsCreateReadStream(path)));
  file.close();
});

test('start, end (inclusive) and highWaterMark behave as in fs.createReadStream', async () => {
  const path = dir.patternFile('ranges', 3 * PAGE + 11);
  const file = open(path);
  for (const options of [{ start: 0, end: 0 }, { start: 5, end: 4000 }, { start: 100 }, { end: 99 },
    { start: PAGE, end: 10 * PAGE }, { start: 3 * PAGE + 11 }, { highWaterMark: 1000 }, { start: 7, highWaterMark: 1 }]) {
    // 'data' events deliver the chunks as pushed (for await may merge buffered ones).
    const chunks: Buffer[] = [];
    await new Promise((resolve, reject) => file.createReadStream(options)
      .on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', resolve).on('error', reject));
    const expected: Buffer[] = [];
    for await (const chunk of fsCreateReadStream(path, options)) expected.push(chunk);
    expect(Buffer.concat(chunks).equals(Buffer.concat(expected))).toBe(true);  // equals: jest's toEqual walks a Buffer byte by byte, minutes under qemu
    const highWaterMark = options.highWaterMark ?? 64 * 1024;
    expect(chunks.slice(0, -1).every((chunk) => chunk.length === highWaterMark)).toBe(true);
  }
  expect(() => file.createReadStream({ start: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => file.createReadStream({ start: 10, end: 5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => file.createReadStream({ start: '1' as unknown as number })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  file.close();
});

test('backpressure: a paused stream stops reading; destroy() stops it for good', async () => {
  const path = dir.patternFile('backpressure', 8 << 20);
  const file = open(path);
  const stream = file.createReadStream({ highWaterMark: PAGE });
  stream.pause();
  stream.read(0);  // let it fill its buffer once
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(stream.bytesRead).toBeLessThanOrEqual(4 * PAGE);  // only about one highWaterMark, not 8 MiB
  const first = stream.read(PAGE) as Buffer;
  expect(first).toEqual(patternBuffer(0, PAGE));
  stream.destroy();
  const readAtDestroy = stream.bytesRead;
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(stream.bytesRead).toBeLessThanOrEqual(readAtDestroy + PAGE);
  expect(stream.destroyed).toBe(true);
  file.close();
});

// In 'always' mode the size check sees the truncation before any page is
// touched; 'fault' mode reads on and takes the fault, so that case is the one
// that fails without the guard (the process dies of SIGBUS).
testCuttingMappedFile.each(['always', 'fault'] as const)("validate '%s': a truncation during the stream is an error event carrying MappedFileTruncated", async (validate) => {
  // 100 KiB is page-aligned: no zero-filled tail page, which 'fault' mode would return as documented.
  const path = dir.patternFile(`truncated-${validate}`, 4 << 20);
  const file = open(path, { validate });
  const stream = file.createReadStream({ highWaterMark: 64 * 1024 });
  const received: Buffer[] = [];
  const error = await new Promise<unknown>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (received.length === 2) truncateSync(path, 100 * 1024);
    });
    stream.on('error', resolve);
    stream.on('end', () => resolve('ended without error'));
  });
  expect(error).toBeInstanceOf(MappedFileTruncated);
  // Everything delivered before the error is the file's real content.
  const delivered = Buffer.concat(received);
  expect(delivered.equals(patternBuffer(0, delivered.length))).toBe(true);
  file.close();
});

testCuttingMappedFile.each([
  ['on the calling thread, validate fault', 1, 'fault'], ['on the pool, validate fault', 2, 'fault'],
  ['on the calling thread, validate always', 1, 'always'], ['on the pool, validate always', 2, 'always'],
] as const)(
  'a stream cut mid-trip (%s) delivers exactly the bytes below the cut, as fs does, then MappedFileTruncated',
  async (_, asyncPath, validate) => {
    // The cut lies inside the second 1 MiB trip: that trip fails as a whole
    // (in 'fault' mode by a SIGBUS past the end; 'always' sees the size
    // first), then the stream fetches what is still in the file.
    const cut = (1 << 20) + (1 << 19) + 123;
    const path = dir.patternFile(`cut-${asyncPath}-${validate}`, 4 << 20);
    const file = open(path, { validate });
    binding.testing.setAsyncPath(asyncPath);
    try {
      const stream = file.createReadStream({ highWaterMark: 64 * 1024 });
      truncateSync(path, cut);
      const received: Buffer[] = [];
      const error = await new Promise<unknown>((resolve) => {
        stream.on('data', (chunk: Buffer) => received.push(chunk));
        stream.on('error', resolve);
        stream.on('end', () => resolve('ended without error'));
      });
      expect(error).toBeInstanceOf(MappedFileTruncated);
      const delivered = Buffer.concat(received);
      expect(delivered.length).toBe(cut);
      expect(delivered.equals(patternBuffer(0, cut))).toBe(true);
      // fs.createReadStream on the cut file delivers the same bytes (and ends).
      const fromFs: Buffer[] = [];
      for await (const chunk of fsCreateReadStream(path)) fromFs.push(chunk);
      expect(delivered.equals(Buffer.concat(fromFs))).toBe(true);

      // The same through for await, which reads in paused mode.
      const again: Buffer[] = [];
      const failure = await (async () => {
        for await (const chunk of file.createReadStream({ start: 1000 })) again.push(chunk);
      })().then(() => 'ended without error', (caught) => caught);
      expect(failure).toBeInstanceOf(MappedFileTruncated);
      expect(Buffer.concat(again).equals(patternBuffer(1000, cut - 1000))).toBe(true);
    } finally {
      binding.testing.setAsyncPath(0);
      file.close();
    }
  });

test('for await over the stream works, and an AbortSignal destroys it with AbortError', async () => {
  const path = dir.patternFile('abort', 1 << 20);
  const file = open(path);
  let total = 0;
  for await (const chunk of file.createReadStream()) total += (chunk as Buffer).length;
  expect(total).toBe(1 << 20);

  const controller = new AbortController();
  const stream = file.createReadStream({ signal: controller.signal, highWaterMark: PAGE });
  const error = await new Promise((resolve) => {
    stream.once('data', () => controller.abort());
    stream.on('error', resolve);
  });
  expect(error).toMatchObject({ name: 'AbortError' });
  file.close();
});
