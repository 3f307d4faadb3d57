// Cookbook (docs/cookbook.md), Apache Arrow: tableFromIPC over a lazy snapshot
// of an IPC file gives every value that tableFromIPC over readFileSync's
// Buffer gives, and its columns are views into the snapshot (nothing copied).
// Another process then truncates and rewrites the file while the table is in
// use: every column keeps its values and checkSnapshot says 'copied'. Without
// the swap (SAFE_MMAP_TEST_DISABLE_LAZY_SWAP=1) the columns read the new file's
// bytes, or zeros past its new end, and that test fails.
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { makeVector, Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { checkSnapshot, MappedFile, open } from '../../src';
import { binding } from '../../src/binding';
import { prng } from '../support/random';
import { useTempDir } from '../support/temp-dir';

// --- the cookbook recipe ---
// tableFromIPC keeps views into the bytes it is given: over a lazy snapshot, the
// table's columns are the file's pages, made in O(1) whatever the file's size.
// A writer that opens, rewrites or truncates the file waits until the snapshot
// has become this process's own copy, so the columns keep their values.
function readTable(file: MappedFile): { table: Table; bytes: Buffer } {
  // A copy instead where no lease protects the file (checkSnapshot says which).
  const bytes = file.view().snapshot({ lazy: true });
  return { table: tableFromIPC(bytes), bytes };
}
// --- end of recipe ---

const BATCHES = 4;
const ROWS_PER_BATCH = 40_000;  // about 4 MB per file: well above LAZY_MINIMUM_BYTES (1 MiB)
const dir = useTempDir();

interface Columns { id: Int32Array; value: Float64Array; name: string[] }

/** Columns in a form jest compares quickly: each typed array's bytes in hex, the names joined. */
const comparable = ({ id, value, name }: Columns) => ({
  id: Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex'),
  value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex'),
  name: name.join('\n'),
});

/** An IPC file (the file format, several record batches) of id: Int32, value: Float64, name: Utf8. */
function writeArrowFile(target: string, seed: number, batches: number): Columns {
  const random = prng(seed);
  const rows = batches * ROWS_PER_BATCH;
  const columns: Columns = {
    id: Int32Array.from({ length: rows }, (_, i) => i * 7 + seed),
    value: Float64Array.from({ length: rows }, () => (random() - 0.5) * 1e9),
    name: Array.from({ length: rows }, () => `n${Math.floor(random() * 1e12).toString(36)}`),
  };
  const batch = (k: number) => {
    const [from, to] = [k * ROWS_PER_BATCH, (k + 1) * ROWS_PER_BATCH];
    return new Table({
      id: makeVector(columns.id.subarray(from, to)),
      value: makeVector(columns.value.subarray(from, to)),
      name: vectorFromArray(columns.name.slice(from, to), new Utf8()),
    });
  };
  let table = batch(0);
  for (let k = 1; k < batches; k++) table = table.concat(batch(k));
  writeFileSync(target, tableToIPC(table, 'file'));
  return columns;
}

/** Every value of the table, column by column (comparable). */
function columnsOf(table: Table) {
  return comparable({
    id: Int32Array.from(table.getChild('id')!.toArray() as Int32Array),
    value: Float64Array.from(table.getChild('value')!.toArray() as Float64Array),
    name: Array.from(table.getChild('name')!, (name) => name as string),
  });
}

/** A scan of every column's buffers (as code using the table in place would): sums of ids, values and name bytes. */
function scan(table: Table): [number, number, number] {
  let ids = 0;
  let values = 0;
  let nameBytes = 0;
  for (const data of table.getChild('id')!.data) for (const id of data.values as Int32Array) ids += id;
  for (const data of table.getChild('value')!.data) for (const value of data.values as Float64Array) values += value;
  for (const data of table.getChild('name')!.data) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    for (let i = offsets[0]; i < offsets[offsets.length - 1]; i++) nameBytes += bytes[i];
  }
  return [ids, values, nameBytes];
}

test('every value read through the recipe equals tableFromIPC over readFileSync, and every column is a view into the snapshot', () => {
  const path = `${dir.path}/table.arrow`;
  const written = writeArrowFile(path, 1, BATCHES);
  const expected = tableFromIPC(readFileSync(path));
  expect(columnsOf(expected)).toEqual(comparable(written));
  const file = open(path);
  try {
    const { table, bytes } = readTable(file);
    expect(checkSnapshot(bytes)).toBe('mapped');
    expect([bytes.byteOffset, bytes.buffer.byteLength]).toEqual([0, statSync(path).size]);
    expect(table.batches).toHaveLength(BATCHES);
    expect(columnsOf(table)).toEqual(comparable(written));
    // Zero-copy: Arrow's buffers are typed arrays over the snapshot's own ArrayBuffer.
    const buffers = table.schema.fields.flatMap((field) => table.getChild(field.name)!.data
      .flatMap((data) => [data.values, ...(data.valueOffsets ? [data.valueOffsets] : [])]));
    expect(buffers).toHaveLength(BATCHES * 4);
    expect(buffers.filter((typed) => typed.buffer !== bytes.buffer)).toEqual([]);
  } finally {
    file.close();
  }
});

test('another process truncates and rewrites the file while the table is in use: every column keeps its values, checkSnapshot says copied', async () => {
  const path = `${dir.path}/rewritten.arrow`;
  const written = writeArrowFile(path, 2, BATCHES);
  // What the writer puts there instead: another table, half as long, other values.
  const replacement = `${dir.path}/replacement.arrow`;
  const replacing = writeArrowFile(replacement, 3, BATCHES / 2);
  const file = open(path);
  try {
    const { table, bytes } = readTable(file);
    expect(checkSnapshot(bytes)).toBe('mapped');
    const before = scan(table);
    const swaps = binding.testing.lazyCounts()[1];
    // A blocking writer: writeFileSync's open(O_WRONLY|O_TRUNC) waits for the
    // lease's release, which waits for the snapshot's swap; then it truncates
    // the file to nothing and writes the replacement.
    const writer = spawn(process.execPath, ['-e',
      `require('node:fs').writeFileSync(${JSON.stringify(path)}, require('node:fs').readFileSync(${JSON.stringify(replacement)}))`],
    { stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = new Promise<number | string | null>((resolve) => writer.on('exit', (code, signal) => resolve(code ?? signal)));
    let done = false;
    void exited.then(() => { done = true; });
    const scans: Array<[number, number, number]> = [];
    while (!done) {  // the table in use throughout: scanned, yielding between scans
      scans.push(scan(table));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await exited).toBe(0);
    scans.push(scan(table));
    expect(scans.filter((sums) => sums.some((sum, i) => sum !== before[i]))).toEqual([]);
    expect(checkSnapshot(bytes)).toBe('copied');
    expect(binding.testing.lazyCounts()[1]).toBeGreaterThan(swaps);
    expect(columnsOf(table)).toEqual(comparable(written));
    // The writer did go through: the file is the replacement now.
    expect(columnsOf(tableFromIPC(readFileSync(path)))).toEqual(comparable(replacing));
  } finally {
    file.close();
  }
});
