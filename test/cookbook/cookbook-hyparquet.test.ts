// Cookbook (docs/cookbook.md), hyparquet: a Parquet file read through arrayBufferSource /
// asyncArrayBufferSource (hyparquet's AsyncBuffer shape) gives every row that
// hyparquet's own file reader (asyncBufferFromFile) gives, and a truncation
// in the middle of the read reaches the caller as MappedFileTruncated,
// passed through hyparquet unchanged. Without the guard ('fault' mode,
// SAFE_MMAP_TEST_DISABLE_GUARD=1) the truncation test dies by SIGBUS.
import { statSync, truncateSync, writeFileSync } from 'node:fs';
import { parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { AsyncBuffer } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { arrayBufferSource, asyncArrayBufferSource, MappedFile, MappedFileTruncated, open } from '../../src';
import { PAGE } from '../support/files';
import { testCuttingMappedFile } from '../support/platforms';
import { useTempDir } from '../support/temp-dir';
import { prng } from '../support/random';

// hyparquet's own local-file reader is in its Node entry, which its types
// (resolved here without package exports) do not describe.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { asyncBufferFromFile } = require('hyparquet') as { asyncBufferFromFile(path: string): Promise<AsyncBuffer> };

// --- the cookbook recipe ---
// hyparquet allows sync slices; asyncArrayBufferSource(file) copies on the thread pool (cold files).
const readRows = (file: MappedFile) => parquetReadObjects({ file: arrayBufferSource(file) });
// --- end of recipe ---

const ROWS = 60_000;
const dir = useTempDir();
let path: string;
let expectedRows: Record<string, unknown>[];

// A file of several row groups, written by hyparquet-writer.
function writeParquet(target: string): void {
  const random = prng(14);
  const id = Int32Array.from({ length: ROWS }, (_, i) => i);
  const value = Float64Array.from({ length: ROWS }, () => random() * 1e6 - 5e5);
  const name = Array.from({ length: ROWS }, (_, i) => `row-${i}-${Math.floor(random() * 1e9).toString(36)}`);
  const big = Array.from({ length: ROWS }, () => BigInt(Math.floor(random() * 2 ** 52)) * 1024n);
  const bytes = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: id, type: 'INT32' },
      { name: 'value', data: value, type: 'DOUBLE' },
      { name: 'name', data: name, type: 'STRING' },
      { name: 'big', data: big, type: 'INT64' },
    ],
    rowGroupSize: 8_000,
  });
  writeFileSync(target, new Uint8Array(bytes));
}

beforeAll(async () => {
  path = `${dir.path}/rows.parquet`;
  writeParquet(path);
  // The reference: hyparquet's own reader for local files (fs streams).
  expectedRows = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
  expect(expectedRows).toHaveLength(ROWS);
});

test('every row read through the recipe equals hyparquet\'s own file reader, sync and async source', async () => {
  const file = open(path);
  const rows = await readRows(file);
  expect(rows).toEqual(expectedRows);
  const asyncRows = await parquetReadObjects({ file: asyncArrayBufferSource(file) });
  expect(asyncRows).toEqual(expectedRows);
  // A column subset and a row range: hyparquet reads only some byte ranges.
  const slice = await parquetReadObjects({ file: arrayBufferSource(file), columns: ['name', 'big'], rowStart: 20_001, rowEnd: 30_000 });
  expect(slice).toEqual(expectedRows.slice(20_001, 30_000).map(({ name, big }) => ({ name, big })));
  file.close();
});

// Truncates the file in front of the `when`-th slice() call, so the read
// stops in the middle, after hyparquet has read the footer and some chunks.
function truncatingBefore(source: AsyncBuffer, when: number, target: string, size: number): AsyncBuffer & { calls: number } {
  const wrapped = {
    calls: 0,
    byteLength: source.byteLength,
    slice(start: number, end?: number) {
      if (++wrapped.calls === when) truncateSync(target, size);
      return source.slice(start, end);
    },
  };
  return wrapped;
}

describe.each(['always', 'fault'] as const)("validate: '%s'", (validate) => {
  testCuttingMappedFile.each(['sync', 'async'] as const)('a truncation mid-read rejects with MappedFileTruncated (%s source)', async (kind) => {
    const own = `${dir.path}/truncated-${validate}-${kind}.parquet`;
    writeParquet(own);
    const keep = Math.floor(statSync(own).size / 2 / PAGE) * PAGE;  // page-aligned: 'fault' mode faults past it
    const file = open(own, { validate });
    const source = kind === 'sync' ? arrayBufferSource(file) : asyncArrayBufferSource(file);
    const metadata = await parquetMetadataAsync(source);
    const truncating = truncatingBefore(source, 3, own, keep);
    let caught: unknown;
    try {
      await parquetReadObjects({ file: truncating, metadata });
    } catch (error) {
      caught = error;
    }
    expect(truncating.calls).toBeGreaterThanOrEqual(3);  // the truncation happened during the read
    expect(caught).toBeInstanceOf(MappedFileTruncated);
    expect((caught as MappedFileTruncated).fileSize).toBe(keep);
    // The rows below the truncation still read, and are right.
    const first = await parquetReadObjects({ file: source, metadata, rowStart: 0, rowEnd: 8_000 });
    expect(first).toEqual(expectedRows.slice(0, 8_000));
    file.close();
  });
});
