// The cookbook's recipes (docs/cookbook.md) against each library's own file reader and
// against a readSync-based adapter, in the same interleaved rounds (Arrow: its
// tableFromIPC over readFileSync). Data is made here, in scratchDir, with the
// same devDependencies the cookbook tests use (yazl, hyparquet-writer,
// apache-arrow); without them (an installed package has no
// devDependencies) the recipes are left out with a note.
// Decoding dominates several of these (inflate, Parquet decoding): the rows
// say how much of a parse the bytes' source can matter, not how fast a copy is.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const { Readable } = require('node:stream');
const { open, arrayBufferSource, asyncArrayBufferSource, checkSnapshot, fsReader } = require('..');
const { compare } = require('./measure');
const { collect, fallbackCounter, settle, sumFloat64 } = require('./lazy');

const KiB = 1024;
const MiB = 1024 * KiB;
let sink = 0;

async function loadLibraries() {
  try {
    return {
      yauzl: require('yauzl'),
      yazl: require('yazl'),
      pmtiles: require('pmtiles'),
      hyparquet: await import('hyparquet'),
      hyparquetWriter: await import('hyparquet-writer'),
      arrow: require('apache-arrow'),
    };
  } catch (error) {
    return { missing: error.message.split('\n')[0] };
  }
}

/** A readSync-based ArrayBufferSource: what one writes by hand over fs. */
function readSyncSource(fd, byteLength) {
  return {
    byteLength,
    slice(start = 0, end = byteLength) {
      const bytes = Buffer.allocUnsafeSlow(Math.max(Math.min(end, byteLength) - start, 0));
      const count = fs.readSync(fd, bytes, 0, bytes.length, start);
      return count === bytes.length ? bytes.buffer : bytes.buffer.slice(0, count);
    },
  };
}

// ---- yauzl

function zipReaders(yauzl) {
  // The cookbook recipe (TypeScript there), in JavaScript.
  class MappedZipReader extends yauzl.RandomAccessReader {
    #reader;
    constructor(file) { super(); this.file = file; this.#reader = fsReader(file); }
    _readStreamForRange(start, end) { return this.file.createReadStream({ start, end: end - 1 }); }
    read(buffer, offset, length, position, callback) {
      this.#reader.readAsync(buffer, offset, length, position).then((count) => callback(null, count), callback);
    }
    close(callback) { this.file.close(); setImmediate(callback, null); }
  }
  // The same over fs.readSync: 64 KiB pulls for streams, positional reads for headers.
  class ReadSyncZipReader extends yauzl.RandomAccessReader {
    constructor(path) { super(); this.fd = fs.openSync(path, 'r'); }
    _readStreamForRange(start, end) {
      const fd = this.fd;
      let at = start;
      return new Readable({
        read() {
          if (at >= end) return this.push(null);
          const chunk = Buffer.allocUnsafe(Math.min(64 * KiB, end - at));
          const count = fs.readSync(fd, chunk, 0, chunk.length, at);
          at += count;
          this.push(count === 0 ? null : chunk.subarray(0, count));
        },
      });
    }
    read(buffer, offset, length, position, callback) {
      let count;
      try { count = fs.readSync(this.fd, buffer, offset, length, position); } catch (error) { return setImmediate(callback, error); }
      setImmediate(callback, null, count);
    }
    close(callback) { fs.closeSync(this.fd); setImmediate(callback, null); }
  }
  return { MappedZipReader, ReadSyncZipReader };
}

async function readWholeZip(zip) {
  let bytes = 0;
  await new Promise((resolve, reject) => {
    zip.on('entry', (entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        stream.on('data', (chunk) => { bytes += chunk.length; sink ^= chunk[0]; });
        stream.on('end', () => zip.readEntry());
        stream.on('error', reject);
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return bytes;
}

async function writeZip(yazl, path, compress) {
  const zip = new yazl.ZipFile();
  for (let i = 0; i < 64; i++) {
    const bytes = compress ? Buffer.from(`line ${i} of a compressible entry\n`.repeat(16 * KiB)) : crypto.randomBytes(512 * KiB);
    zip.addBuffer(bytes, `entry-${i}`, { compress });
  }
  zip.end();
  await new Promise((resolve, reject) => zip.outputStream.pipe(fs.createWriteStream(path)).on('close', resolve).on('error', reject));
}

async function zipGroups({ yauzl, yazl }, scratchDir, rounds, progress) {
  const { MappedZipReader, ReadSyncZipReader } = zipReaders(yauzl);
  const groups = [];
  for (const compress of [false, true]) {
    const path = `${scratchDir}/recipe-${compress ? 'deflated' : 'stored'}.zip`;
    await writeZip(yazl, path, compress);
    const size = fs.statSync(path).size;
    const options = { lazyEntries: true };
    groups.push(await compare({
      title: `Recipe, yauzl: every entry of a zip of 64 ${compress ? 'deflated' : 'stored'} entries (${(size / MiB).toFixed(1)} MiB file)`,
      baseline: 'yauzl.open (its fd reader)',
      rounds,
      progress,
      cases: {
        'yauzl.open (its fd reader)': async () => { await readWholeZip(await yauzl.openPromise(path, options)); return 1; },
        'readSync RandomAccessReader': async () => {
          await readWholeZip(await yauzl.fromRandomAccessReaderPromise(new ReadSyncZipReader(path), size, options));
          return 1;
        },
        'recipe: MappedZipReader': async () => {
          const file = open(path);
          await readWholeZip(await yauzl.fromRandomAccessReaderPromise(new MappedZipReader(file), file.size, options));
          return 1;
        },
      },
    }));
  }
  return groups;
}

// ---- hyparquet

async function parquetGroups({ hyparquet, hyparquetWriter }, scratchDir, rounds, progress) {
  const path = `${scratchDir}/recipe.parquet`;
  const rows = 200_000;
  const bytes = hyparquetWriter.parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Int32Array.from({ length: rows }, (_, i) => i), type: 'INT32' },
      { name: 'value', data: Float64Array.from({ length: rows }, () => Math.random()), type: 'DOUBLE' },
      { name: 'name', data: Array.from({ length: rows }, (_, i) => `row-${i}`), type: 'STRING' },
    ],
    rowGroupSize: 20_000,
  });
  fs.writeFileSync(path, new Uint8Array(bytes));
  const fd = fs.openSync(path, 'r');
  const file = open(path);
  try {
    // The byte ranges hyparquet asks for, recorded once, to time the reads alone.
    const ranges = [];
    const recording = arrayBufferSource(file);
    await hyparquet.parquetReadObjects({
      file: { byteLength: recording.byteLength, slice: (start, end) => { ranges.push([start, end]); return recording.slice(start, end); } },
    });
    const replay = async (source) => { for (const [start, end] of ranges) sink ^= (await source.slice(start, end)).byteLength; return 1; };
    const own = () => hyparquet.asyncBufferFromFile(path);
    const sources = {
      'hyparquet asyncBufferFromFile (its reader)': own,
      'readSync source': () => readSyncSource(fd, file.size),
      'recipe: arrayBufferSource': () => arrayBufferSource(file),
      'asyncArrayBufferSource': () => asyncArrayBufferSource(file),
    };
    const caseOf = (run) => Object.fromEntries(Object.entries(sources).map(([name, make]) => [name, async () => run(await make())]));
    return [
      await compare({
        title: `Recipe, hyparquet: parquetReadObjects, ${rows / 1000}k rows × 3 columns (${(bytes.byteLength / MiB).toFixed(1)} MiB; decoding dominates)`,
        baseline: 'hyparquet asyncBufferFromFile (its reader)',
        rounds,
        progress,
        cases: caseOf(async (source) => { sink ^= (await hyparquet.parquetReadObjects({ file: source })).length; return 1; }),
      }),
      await compare({
        title: `Recipe, hyparquet: its ${ranges.length} slice() calls replayed alone, no decoding`,
        baseline: 'hyparquet asyncBufferFromFile (its reader)',
        rounds,
        progress,
        cases: caseOf(replay),
      }),
    ];
  } finally {
    fs.closeSync(fd);
    file.close();
  }
}

// ---- PMTiles

function writeArchive(pmtiles, path, maxZoom) {
  const tiles = [];
  for (let z = 0; z <= maxZoom; z++) {
    for (let x = 0; x < 1 << z; x++) for (let y = 0; y < 1 << z; y++) tiles.push({ z, x, y, id: pmtiles.zxyToTileId(z, x, y), length: 512 + crypto.randomInt(8 * KiB) });
  }
  tiles.sort((a, b) => a.id - b.id);
  const varints = (values) => {
    const out = [];
    for (let value of values) {
      while (value >= 0x80) { out.push((value % 0x80) | 0x80); value = Math.floor(value / 0x80); }
      out.push(value);
    }
    return out;
  };
  const directory = Buffer.from([...varints([tiles.length]), ...varints(tiles.map((tile, i) => tile.id - (i ? tiles[i - 1].id : 0))),
    ...varints(tiles.map(() => 1)), ...varints(tiles.map((tile) => tile.length)), ...varints(tiles.map((_, i) => (i ? 0 : 1)))]);
  const metadata = Buffer.from('{}');
  const tileData = crypto.randomBytes(tiles.reduce((sum, tile) => sum + tile.length, 0));
  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'latin1');
  header.writeUInt8(3, 7);
  const metadataOffset = 127 + directory.length;
  const tileOffset = metadataOffset + metadata.length;
  [127, directory.length, metadataOffset, metadata.length, tileOffset, 0, tileOffset, tileData.length, tiles.length, tiles.length,
    tiles.length].forEach((value, i) => header.writeBigUInt64LE(BigInt(value), 8 + 8 * i));
  header.set([1, 1, 1, 2, 0, maxZoom], 96);  // clustered, no compression, png, zooms
  fs.writeFileSync(path, Buffer.concat([header, directory, metadata, tileData]));
  return tiles;
}

async function tileGroups({ pmtiles }, scratchDir, rounds, progress) {
  const path = `${scratchDir}/recipe.pmtiles`;
  const tiles = writeArchive(pmtiles, path, 5);  // 1365 tiles: the root directory fits the first 16 KiB, as the spec needs
  const fd = fs.openSync(path, 'r');
  const file = open(path);
  try {
    // The cookbook recipe.
    const mappedTileSource = (mapped) => {
      const source = arrayBufferSource(mapped);
      return { getKey: () => mapped.path, getBytes: async (offset, length) => ({ data: source.slice(offset, offset + length) }) };
    };
    const readSync = readSyncSource(fd, fs.statSync(path).size);
    const readAll = async (source) => {
      const archive = new pmtiles.PMTiles(source);
      for (const { z, x, y } of tiles) sink ^= (await archive.getZxy(z, x, y)).data.byteLength;
      return tiles.length;
    };
    return [await compare({
      title: `Recipe, PMTiles: getZxy of each of ${tiles.length} tiles (${(fs.statSync(path).size / MiB).toFixed(1)} MiB archive), per tile`,
      baseline: 'pmtiles FileSource (fs.openAsBlob)',
      bytesPerOperation: Math.round(fs.statSync(path).size / tiles.length),
      rounds,
      progress,
      cases: {
        'pmtiles FileSource (fs.openAsBlob)': async () => readAll(new pmtiles.FileSource(new File([await fs.openAsBlob(path)], 'recipe.pmtiles'))),
        'readSync source': () => readAll({ getKey: () => path, getBytes: async (offset, length) => ({ data: readSync.slice(offset, offset + length) }) }),
        'recipe: mappedTileSource': () => readAll(mappedTileSource(file)),
      },
    })];
  } finally {
    fs.closeSync(fd);
    file.close();
  }
}

// ---- Own format: fixed-size records

// The cookbook recipe, in JavaScript.
function* readRecords(bytes) {
  if (bytes.toString('latin1', 0, 4) !== 'REC1') throw new Error('not a REC1 file');
  const count = bytes.readUInt32LE(4);
  const size = bytes.readUInt32LE(8);
  for (let i = 0; i < count; i++) {
    const record = bytes.subarray(16 + i * size, 16 + (i + 1) * size);
    yield {
      id: record.readUInt32LE(0), value: record.readDoubleLE(4), x: record.readInt16LE(12),
      y: record.readInt16LE(14), flags: record.readUInt8(16), name: record.toString('latin1', 17, 32).replace(/\0+$/, ''),
    };
  }
}

async function recordGroups(scratchDir, rounds, progress, notes) {
  const path = `${scratchDir}/recipe.rec`;
  const count = 500_000;
  const bytes = crypto.randomBytes(16 + count * 32);
  bytes.write('REC1', 0, 'latin1');
  bytes.writeUInt32LE(count, 4);
  bytes.writeUInt32LE(32, 8);
  fs.writeFileSync(path, bytes);
  const fd = fs.openSync(path, 'r');
  const file = open(path);
  const view = file.view();
  const CHUNK = 2048;  // records per chunk: 64 KiB
  const parse = (records) => { let n = 0; for (const row of records) { sink ^= row.id; n++; } return n; };
  // Chunks of records, each parsed as its own REC1 (a 16-byte header in front).
  const chunked = (readChunk) => {
    const chunk = Buffer.allocUnsafe(16 + CHUNK * 32);
    chunk.write('REC1', 0, 'latin1');
    chunk.writeUInt32LE(32, 8);
    let n = 0;
    for (let first = 0; first < count; first += CHUNK) {
      const records = Math.min(CHUNK, count - first);
      readChunk(chunk, 16 + first * 32, records * 32);
      chunk.writeUInt32LE(records, 4);
      n += parse(readRecords(chunk));
    }
    return n;
  };
  // The same parser over a lazy snapshot: the file's pages, parsed in place.
  const lazy = fallbackCounter();
  const overLazySnapshot = () => {
    const snapshot = view.snapshot({ lazy: true });
    const n = parse(readRecords(snapshot));
    lazy.check(snapshot);
    return n;
  };
  try {
    const group = await compare({
      title: `Recipe, own format: ${count / 1000}k 32-byte records (${(bytes.length / MiB).toFixed(1)} MiB), per record`,
      baseline: 'readFileSync + parse the Buffer',
      bytesPerOperation: 32,
      rounds,
      progress,
      cases: {
        'readFileSync + parse the Buffer': () => parse(readRecords(fs.readFileSync(path))),
        'readSync 64 KiB chunks + parse': () => chunked((chunk, at, length) => fs.readSync(fd, chunk, 16, length, at)),
        'recipe readRecords(view): read* per field': () => parse(readRecords(view)),
        'recipe scanRecords(view): view.copy 64 KiB chunks + parse': () => chunked((chunk, at, length) => view.copy(chunk, 16, at, at + length)),
        'snapshot({ lazy: true }) + parse the Buffer in place': overLazySnapshot,
        // What the baseline is made of: the read alone, the parse alone (of a Buffer read before).
        'readFileSync alone': () => { sink ^= fs.readFileSync(path)[0]; return count; },
        'parse alone (a Buffer read before)': () => parse(readRecords(bytes)),
      },
    });
    const note = lazy.note('Own format over a lazy snapshot');
    if (note) notes.push(note);
    return [group];
  } finally {
    fs.closeSync(fd);
    file.close();
  }
}

// ---- Apache Arrow: tableFromIPC over a lazy snapshot

/** An IPC file (the file format) of about `bytes` bytes: batches of 1M rows of value: Float64, id: Int32. */
function writeArrowFile({ makeVector, Table, tableToIPC }, path, bytes) {
  const rows = 1 << 20;
  const value = Float64Array.from({ length: rows }, () => Math.random() * 1e6);
  const id = Int32Array.from({ length: rows }, (_, i) => i);
  const batch = new Table({ value: makeVector(value), id: makeVector(id) }).batches[0];
  const batches = Math.max(1, Math.round(bytes / (rows * 12)));
  fs.writeFileSync(path, tableToIPC(new Table(Array.from({ length: batches }, () => batch)), 'file'));
  return batches;
}

/** The scan: every value of the column, from its typed arrays, as code using the table would. */
function scanColumn(table) {
  let sum = 0;
  for (const data of table.getChild('value').data) sum += sumFloat64(data.values);
  return sum;
}

async function arrowGroups({ arrow }, scratchDir, rounds, progress, notes) {
  const path = `${scratchDir}/recipe.arrow`;
  const batches = writeArrowFile(arrow, path, 1024 * MiB);
  const size = fs.statSync(path).size;
  const file = open(path);
  // The cookbook recipe.
  const readTable = (mapped) => {
    const bytes = mapped.view().snapshot({ lazy: true });
    return { table: arrow.tableFromIPC(bytes), bytes };
  };
  const lazy = fallbackCounter();
  const groups = [];
  try {
    groups.push(await compare({
      title: `Recipe, Arrow: tableFromIPC of a ${(size / MiB).toFixed(0)} MiB IPC file (${batches} batches of 1M rows: Float64, Int32), to the table`,
      baseline: 'tableFromIPC(readFileSync)',
      bytesPerOperation: size,
      rounds,
      progress,
      cases: {
        'tableFromIPC(readFileSync)': { before: settle, run: () => { sink ^= arrow.tableFromIPC(fs.readFileSync(path)).numRows; return 1; } },
        'recipe: tableFromIPC(snapshot({ lazy: true }))': {
          before: settle,
          run: () => {
            const { table, bytes } = readTable(file);
            sink ^= table.numRows;
            lazy.check(bytes);
            return 1;
          },
        },
      },
    }));
    await collect();
    // A scan of one column (8 of the 12 bytes a row), hot: both tables scanned once before.
    let copied = arrow.tableFromIPC(fs.readFileSync(path));
    let mapped = readTable(file);
    lazy.check(mapped.bytes);
    sink ^= scanColumn(copied) > 0;
    sink ^= scanColumn(mapped.table) > 0;
    groups.push(await compare({
      title: `Recipe, Arrow: a scan of the Float64 column (${((size * 2) / 3 / MiB).toFixed(0)} MiB), hot`,
      baseline: 'over tableFromIPC(readFileSync)',
      bytesPerOperation: Math.round((size * 2) / 3),
      rounds,
      progress,
      cases: {
        'over tableFromIPC(readFileSync)': () => { sink ^= scanColumn(copied) > 0; return 1; },
        'over the recipe\'s table (a lazy snapshot)': () => { sink ^= scanColumn(mapped.table) > 0; return 1; },
      },
    }));
    if (checkSnapshot(mapped.bytes) !== 'mapped') notes.push('Arrow: the lazy snapshot was swapped during the scan (a writer came).');
    copied = undefined;
    mapped = undefined;
    await collect();  // before close(), which would copy a live lazy snapshot
  } finally {
    file.close();
    fs.rmSync(path, { force: true });
  }
  const note = lazy.note('Arrow');
  if (note) notes.push(note);
  return groups;
}

/** The recipe groups, on files made in scratchDir; a note instead when the libraries are missing. */
async function recipeGroups({ scratchDir, rounds, progress, notes }) {
  const libraries = await loadLibraries();
  const groups = await recordGroups(scratchDir, rounds, progress, notes);
  if (libraries.missing) {
    notes.push(`Recipes for yauzl, hyparquet, PMTiles and Arrow left out: ${libraries.missing} (they are devDependencies).`);
    return groups;
  }
  groups.push(...await zipGroups(libraries, scratchDir, rounds, progress));
  groups.push(...await parquetGroups(libraries, scratchDir, rounds, progress));
  groups.push(...await tileGroups(libraries, scratchDir, rounds, progress));
  groups.push(...await arrowGroups(libraries, scratchDir, rounds, progress, notes));
  return groups;
}

module.exports = { recipeGroups, sink: () => sink };
