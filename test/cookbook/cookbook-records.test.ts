// Cookbook (docs/cookbook.md), your own format: one parser of fixed-size records, written
// against Buffer's read* methods and subarray(), runs unchanged over a
// MappedView and gives every row it gives over fs.readFileSync's Buffer. A
// truncation in the middle of the scan throws MappedFileTruncated out of the
// parser. Without the guard ('fault' mode, SAFE_MMAP_TEST_DISABLE_GUARD=1) that
// test dies by SIGBUS; in 'always' mode the size check catches it first.
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { MappedFileTruncated, MappedView, open } from '../../src';
import { PAGE } from '../support/files';
import { testCuttingMappedFile } from '../support/platforms';
import { useTempDir } from '../support/temp-dir';
import { prng } from '../support/random';

// --- the cookbook recipe ---
// A "REC1" file: a 16-byte header (magic, record count, record size), then
// records of 32 bytes: u32 id, f64 value, i16 x, i16 y, u8 flags, 15 bytes of latin1 name.
interface Row { id: number; value: number; x: number; y: number; flags: number; name: string }

// Buffer and MappedView share read*, subarray() and toString(): one parser serves both.
function* readRecords(bytes: Buffer | MappedView): Generator<Row> {
  if (bytes.toString('latin1', 0, 4) !== 'REC1') throw new Error('not a REC1 file');
  const count = bytes.readUInt32LE(4);
  const size = bytes.readUInt32LE(8);
  for (let i = 0; i < count; i++) {
    const record = bytes.subarray(16 + i * size, 16 + (i + 1) * size);  // a view: nothing copied
    yield {
      id: record.readUInt32LE(0), value: record.readDoubleLE(4), x: record.readInt16LE(12),
      y: record.readInt16LE(14), flags: record.readUInt8(16), name: record.toString('latin1', 17, 32).replace(/\0+$/, ''),
    };
  }
}

// Scans: one guarded copy per 64 KiB of whole records into a reused Buffer,
// then the same parser (a native call per field costs more than the parse).
function* scanRecords(view: MappedView, recordsPerChunk = 2048): Generator<Row> {
  const header = view.subarray(0, 16).snapshot();
  const count = header.readUInt32LE(4);
  const size = header.readUInt32LE(8);
  const chunk = Buffer.allocUnsafe(16 + recordsPerChunk * size);
  header.copy(chunk);
  for (let first = 0; first < count; first += recordsPerChunk) {
    const records = Math.min(recordsPerChunk, count - first);
    const copied = view.copy(chunk, 16, 16 + first * size, 16 + (first + records) * size);
    chunk.writeUInt32LE(records, 4);
    yield* readRecords(chunk.subarray(0, 16 + copied));  // a short copy fails as a short Buffer does
  }
}
// --- end of recipe ---

const COUNT = 20_000;
const dir = useTempDir();
let path: string;
let written: Row[];

function writeRecords(target: string): Row[] {
  const random = prng(21);
  const rows: Row[] = [];
  const out = Buffer.alloc(16 + COUNT * 32);
  out.write('REC1', 0, 'latin1');
  out.writeUInt32LE(COUNT, 4);
  out.writeUInt32LE(32, 8);
  for (let i = 0; i < COUNT; i++) {
    const row = {
      id: i * 3 + 1, value: (random() - 0.5) * 1e9, x: Math.floor(random() * 65536) - 32768,
      y: Math.floor(random() * 65536) - 32768, flags: Math.floor(random() * 256), name: `n${Math.floor(random() * 1e12)}`.slice(0, 15),
    };
    const at = 16 + i * 32;
    out.writeUInt32LE(row.id, at);
    out.writeDoubleLE(row.value, at + 4);
    out.writeInt16LE(row.x, at + 12);
    out.writeInt16LE(row.y, at + 14);
    out.writeUInt8(row.flags, at + 16);
    out.write(row.name, at + 17, 15, 'latin1');
    rows.push(row);
  }
  writeFileSync(target, out);
  return rows;
}

beforeAll(() => {
  path = `${dir.path}/data.rec`;
  written = writeRecords(path);
});

test('every record over a MappedView equals the same parser over readFileSync\'s Buffer', () => {
  const expected = [...readRecords(readFileSync(path))];
  expect(expected).toEqual(written);
  const file = open(path);
  expect([...readRecords(file.view())]).toEqual(expected);
  // Scanned in chunks (small ones here, so that the last chunk is partial): the same rows.
  const chunkRows = [...scanRecords(file.view(), 999)];
  expect(chunkRows).toEqual(expected);
  file.close();
});

test('a file that is not REC1, or shorter than its count says, fails as the Buffer parse fails', () => {
  const bad = `${dir.path}/bad.rec`;
  writeFileSync(bad, Buffer.from('NOPE0000000000000000'));
  const notRec = open(bad);
  expect(() => [...readRecords(notRec.view())]).toThrow('not a REC1 file');
  notRec.close();
  const short = `${dir.path}/short.rec`;
  writeFileSync(short, readFileSync(path).subarray(0, 16 + 10 * 32 + 5));
  const bufferError = (() => { try { [...readRecords(readFileSync(short))]; } catch (error) { return error; } })();
  const file = open(short);
  const code = (bufferError as { code: string }).code;
  expect(code).toBe('ERR_BUFFER_OUT_OF_BOUNDS');  // the 5-byte record is shorter than one u32
  expect(() => [...readRecords(file.view())]).toThrow(expect.objectContaining({ code }));
  expect(() => [...scanRecords(file.view())]).toThrow(expect.objectContaining({ code }));
  file.close();
});

describe.each(['always', 'fault'] as const)("validate: '%s'", (validate) => {
  testCuttingMappedFile.each(['readRecords', 'scanRecords'] as const)('a truncation in the middle of the scan throws MappedFileTruncated out of %s', (parser) => {
    const own = `${dir.path}/truncated-${validate}-${parser}.rec`;
    writeRecords(own);
    const keep = 32 * PAGE;  // page-aligned: 'fault' mode faults past it; past the first 64 KiB chunk
    const file = open(own, { validate });
    const rows: Row[] = [];
    let caught: unknown;
    try {
      const parse = parser === 'readRecords' ? readRecords : scanRecords;
      for (const row of parse(file.view())) {
        rows.push(row);
        if (rows.length === 100) truncateSync(own, keep);  // scanRecords: inside the first chunk
      }
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MappedFileTruncated);
    expect((caught as MappedFileTruncated).fileSize).toBe(keep);
    expect(rows.length).toBeGreaterThanOrEqual(100);
    expect(rows.length).toBeLessThanOrEqual(Math.floor((keep - 16) / 32));
    if (parser === 'scanRecords') expect(rows.length).toBe(2048);  // the second chunk's copy crosses the new end
    expect(rows).toEqual(written.slice(0, rows.length));  // and every row before it is right
    file.close();
  });
});
