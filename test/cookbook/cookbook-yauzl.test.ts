// Cookbook (docs/cookbook.md), yauzl: a zip (made here with yazl) read through the
// recipe's RandomAccessReader gives every entry, byte for byte, that yauzl's
// own file reader (yauzl.open) gives. A truncation in the middle of an
// entry's data reaches the entry's stream as MappedFileTruncated, passed
// through yauzl unchanged; a truncation under a local header gives yauzl's
// own "unexpected EOF", exactly as with yauzl's file reader (the fs-style
// read reports a short count, as fs does). The entry's stream reads the file
// with pread (its trips are plain copies), which cannot fault: these tests
// pass without the guard, and the other cookbook files are the ones that
// show it (CONTRIBUTING.md, "Testing the tests").
import { createWriteStream, statSync, truncateSync } from 'node:fs';
import { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import * as yazl from 'yazl';
import { fsReader, MappedFile, MappedFileTruncated, open } from '../../src';
import { PAGE } from '../support/files';
import { testCuttingMappedFile } from '../support/platforms';
import { useTempDir } from '../support/temp-dir';
import { prng } from '../support/random';

// --- the cookbook recipe ---
class MappedZipReader extends yauzl.RandomAccessReader {
  readonly #reader;
  constructor(readonly file: MappedFile) {
    super();
    this.#reader = fsReader(file);
  }
  // yauzl's ranges are end-exclusive; createReadStream's `end` is inclusive, as in fs.
  _readStreamForRange(start: number, end: number): Readable {
    return this.file.createReadStream({ start, end: end - 1 });
  }
  // Headers and the central directory: positional reads (yauzl's default makes a stream for each).
  read(buffer: Buffer, offset: number, length: number, position: number,
    callback: (error: Error | null, bytesRead?: number) => void): void {
    this.#reader.readAsync(buffer, offset, length, position).then((count) => callback(null, count), callback);
  }
  // yauzl calls this once the zip and its streams are done (autoClose, as yauzl.open).
  close(callback: (error: Error | null) => void): void {
    this.file.close();
    setImmediate(callback, null);
  }
}
// --- end of recipe ---

function openMappedZip(file: MappedFile, options: yauzl.Options = {}): Promise<yauzl.ZipFile> {
  return yauzl.fromRandomAccessReaderPromise(new MappedZipReader(file), file.size, options);
}

const MiB = 1024 * 1024;
const dir = useTempDir();
let path: string;
const contents = new Map<string, Buffer>();

function makeContents(): void {
  const random = prng(7);
  const noise = (length: number) => Buffer.from(Uint8Array.from({ length }, () => Math.floor(random() * 256)));
  contents.set('noise.bin', noise(3 * MiB + 123));                          // deflate, incompressible
  contents.set('text.txt', Buffer.from('safe-mmap cookbook line\n'.repeat(90_000)));  // deflate, compressible
  contents.set('stored.bin', noise(4 * MiB));                              // stored (compress: false)
  contents.set('empty', Buffer.alloc(0));
  for (let i = 0; i < 300; i++) contents.set(`small/${i}.dat`, noise(i * 7));  // a long central directory
}

async function writeZip(target: string): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, bytes] of contents) zip.addBuffer(bytes, name, { compress: name !== 'stored.bin' });
  zip.end();
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.pipe(createWriteStream(target)).on('close', resolve).on('error', reject);
  });
}

// Every entry of a zip: name -> bytes, through yauzl's lazy-entries
// interface, each read before the next is asked for (as autoClose expects).
async function readAll(zip: yauzl.ZipFile): Promise<Map<string, Buffer>> {
  const result = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      readEntry(zip, entry).then((bytes) => { result.set(entry.fileName, bytes); zip.readEntry(); }, reject);
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return result;
}

async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function entryNamed(zip: yauzl.ZipFile, name: string): Promise<yauzl.Entry> {
  return new Promise((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => (entry.fileName === name ? resolve(entry) : zip.readEntry()));
    zip.on('end', () => reject(new Error(`no entry ${name}`)));
    zip.on('error', reject);
    zip.readEntry();
  });
}

beforeAll(async () => {
  makeContents();
  path = `${dir.path}/archive.zip`;
  await writeZip(path);
});

test('every entry through the recipe equals yauzl\'s own file reader, byte for byte', async () => {
  const expected = await readAll(await yauzl.openPromise(path, { lazyEntries: true }));
  const file = open(path);
  const actual = await readAll(await openMappedZip(file, { lazyEntries: true }));
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  expect(actual.size).toBe(contents.size);
  for (const [name, bytes] of expected) {
    expect(actual.get(name)!.equals(bytes)).toBe(true);
    expect(bytes.equals(contents.get(name)!)).toBe(true);
  }
  // autoClose: once every stream ended, yauzl closed the reader, and so the file.
  await new Promise((resolve) => setImmediate(resolve));
  expect(file.closed).toBe(true);
});

describe.each(['always', 'fault'] as const)("validate: '%s'", (validate) => {
  testCuttingMappedFile('a truncation in the middle of an entry\'s data: its stream errors with MappedFileTruncated', async () => {
    const own = `${dir.path}/mid-${validate}.zip`;
    await writeZip(own);
    const file = open(own, { validate });
    const zip = await openMappedZip(file, { lazyEntries: true, autoClose: false });
    const entry = await entryNamed(zip, 'stored.bin');
    const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
    // Page-aligned, 1 MiB into the entry's 4 MiB: 'fault' mode faults past it.
    const keep = Math.ceil((fileDataStart + MiB) / PAGE) * PAGE;
    const stream = await zip.openReadStreamPromise(entry);
    let received = 0;
    let truncated = false;
    const caught = await new Promise<unknown>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (!truncated) { truncated = true; truncateSync(own, keep); }  // after the first chunk: mid-read
      });
      stream.on('error', resolve);
      stream.on('end', () => resolve(undefined));
    });
    expect(truncated).toBe(true);
    expect(caught).toBeInstanceOf(MappedFileTruncated);
    expect((caught as MappedFileTruncated).fileSize).toBe(keep);
    expect(received).toBeLessThanOrEqual(keep - fileDataStart);
    file.close();
  });
});

testCuttingMappedFile('a truncation under a local header: yauzl\'s own "unexpected EOF", as with yauzl\'s file reader', async () => {
  const own = `${dir.path}/header.zip`;
  await writeZip(own);
  const mapped = await openMappedZip(open(own), { lazyEntries: true, autoClose: false });
  const native = await yauzl.openPromise(own, { lazyEntries: true, autoClose: false });
  const mappedEntry = await entryNamed(mapped, 'small/299.dat');  // the last entry: its header is near the end
  const nativeEntry = await entryNamed(native, 'small/299.dat');
  truncateSync(own, Math.floor(statSync(own).size / 2));
  const nativeError = await native.openReadStreamPromise(nativeEntry).catch((error: Error) => error);
  const mappedError = await mapped.openReadStreamPromise(mappedEntry).catch((error: Error) => error);
  expect(nativeError).toBeInstanceOf(Error);
  expect((mappedError as Error).message).toBe((nativeError as Error).message);
  expect((mappedError as Error).message).toBe('unexpected EOF');
  mapped.close();
  native.close();
});
