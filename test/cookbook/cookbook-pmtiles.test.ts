// Cookbook (docs/cookbook.md), PMTiles: a tile archive (built here by hand, per the v3
// spec) read through the recipe's pmtiles Source gives every tile, the header
// and the metadata that pmtiles' own FileSource over a File of its bytes
// gives. A truncation in the middle of reading the tiles reaches getZxy()'s
// caller as MappedFileTruncated, passed through pmtiles unchanged. Without the
// guard ('fault' mode, SAFE_MMAP_TEST_DISABLE_GUARD=1) that test dies by SIGBUS.
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { FileSource, PMTiles, Source, zxyToTileId } from 'pmtiles';
import { arrayBufferSource, MappedFile, MappedFileTruncated, open } from '../../src';
import { PAGE } from '../support/files';
import { testCuttingMappedFile } from '../support/platforms';
import { prng } from '../support/random';
import { useTempDir } from '../support/temp-dir';

// --- the cookbook recipe ---
function mappedTileSource(file: MappedFile): Source {
  const source = arrayBufferSource(file);
  return {
    getKey: () => file.path,
    // async: every error (MappedFileTruncated, MappedFileClosed) arrives as a rejection.
    // slice() clamps at the end, as Blob#slice: pmtiles asks for 16 KiB at offset 0 whatever the size.
    getBytes: async (offset, length) => ({ data: source.slice(offset, offset + length) }),
  };
}
// --- end of recipe ---

const MAX_ZOOM = 4;
interface Tile { z: number; x: number; y: number; id: number; bytes: Buffer }
const dir = useTempDir();
let path: string;
let tiles: Tile[];
const METADATA = { name: 'cookbook', vector_layers: [], description: 'safe-mmap test archive' };

function varints(values: number[]): number[] {
  const out: number[] = [];
  for (let value of values) {
    while (value >= 0x80) { out.push((value % 0x80) | 0x80); value = Math.floor(value / 0x80); }
    out.push(value);
  }
  return out;
}

// PMTiles v3: 127-byte header, root directory, JSON metadata, tile data; no
// compression anywhere (1 = none), one directory entry per tile, tiles in
// tile-id order (clustered). Returns the tiles and their offsets.
function buildArchive(target: string): Tile[] {
  const random = prng(3);
  const made: Tile[] = [];
  for (let z = 0; z <= MAX_ZOOM; z++) {
    for (let x = 0; x < 1 << z; x++) {
      for (let y = 0; y < 1 << z; y++) {
        const length = 100 + Math.floor(random() * 8000);
        const bytes = Buffer.from(Uint8Array.from({ length }, () => Math.floor(random() * 256)));
        made.push({ z, x, y, id: zxyToTileId(z, x, y), bytes });
      }
    }
  }
  made.sort((a, b) => a.id - b.id);
  const ids: number[] = [];
  let last = 0;
  for (const tile of made) { ids.push(tile.id - last); last = tile.id; }
  const directory = Buffer.from([
    ...varints([made.length]), ...varints(ids), ...varints(made.map(() => 1)),
    ...varints(made.map((tile) => tile.bytes.length)),
    ...varints(made.map((_, i) => (i === 0 ? 1 : 0))),  // offset 0 (+1) then contiguous (0)
  ]);
  const metadata = Buffer.from(JSON.stringify(METADATA));
  const tileData = Buffer.concat(made.map((tile) => tile.bytes));
  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'latin1');
  header.writeUInt8(3, 7);
  const rootOffset = 127;
  const metadataOffset = rootOffset + directory.length;
  const tileOffset = metadataOffset + metadata.length;
  const fields = [rootOffset, directory.length, metadataOffset, metadata.length, tileOffset, 0, tileOffset,
    tileData.length, made.length, made.length, made.length];
  fields.forEach((value, i) => header.writeBigUInt64LE(BigInt(value), 8 + 8 * i));
  header.writeUInt8(1, 96);         // clustered
  header.writeUInt8(1, 97);         // internal compression: none
  header.writeUInt8(1, 98);         // tile compression: none
  header.writeUInt8(2, 99);         // tile type: png
  header.writeUInt8(0, 100);        // min zoom
  header.writeUInt8(MAX_ZOOM, 101); // max zoom
  header.writeInt32LE(-180e7, 102); header.writeInt32LE(-85e7, 106);
  header.writeInt32LE(180e7, 110); header.writeInt32LE(85e7, 114);
  writeFileSync(target, Buffer.concat([header, directory, metadata, tileData]));
  return made;
}

// The file's bytes read into memory: a Blob from fs.openAsBlob holds the file
// open until it is collected, and Windows cannot remove a directory while one
// of its files is open.
async function ownReader(target: string): Promise<PMTiles> {
  return new PMTiles(new FileSource(new File([readFileSync(target)], 'tiles.pmtiles')));
}

beforeAll(() => {
  path = `${dir.path}/tiles.pmtiles`;
  tiles = buildArchive(path);
});

test('every tile, the header and the metadata equal pmtiles\' own FileSource', async () => {
  const file = open(path);
  const mapped = new PMTiles(mappedTileSource(file));
  const own = await ownReader(path);
  expect(await mapped.getHeader()).toEqual({ ...(await own.getHeader()), etag: undefined });
  expect(await mapped.getMetadata()).toEqual(await own.getMetadata());
  expect(await mapped.getMetadata()).toEqual(METADATA);
  for (const tile of tiles) {
    const actual = await mapped.getZxy(tile.z, tile.x, tile.y);
    const expected = await own.getZxy(tile.z, tile.x, tile.y);
    expect(Buffer.from(actual!.data).equals(Buffer.from(expected!.data))).toBe(true);
    expect(Buffer.from(actual!.data).equals(tile.bytes)).toBe(true);
  }
  expect(await mapped.getZxy(MAX_ZOOM + 1, 0, 0)).toBeUndefined();  // outside the archive, as pmtiles says
  file.close();
});

describe.each(['always', 'fault'] as const)("validate: '%s'", (validate) => {
  testCuttingMappedFile('a truncation in the middle of reading the tiles rejects with MappedFileTruncated', async () => {
    const own = `${dir.path}/truncated-${validate}.pmtiles`;
    buildArchive(own);
    const file = open(own, { validate });
    const mapped = new PMTiles(mappedTileSource(file));
    const header = await mapped.getHeader();
    // Page-aligned, half-way into the tile data: 'fault' mode faults past it.
    const keep = Math.floor((header.tileDataOffset + header.tileDataLength! / 2) / PAGE) * PAGE;
    let read = 0;
    let caught: unknown;
    try {
      for (const tile of tiles) {
        const result = await mapped.getZxy(tile.z, tile.x, tile.y);
        expect(Buffer.from(result!.data).equals(tile.bytes)).toBe(true);  // every tile before the error is right
        if (++read === 10) truncateSync(own, keep);
      }
    } catch (error) {
      caught = error;
    }
    expect(read).toBeGreaterThan(10);
    expect(read).toBeLessThan(tiles.length);
    expect(caught).toBeInstanceOf(MappedFileTruncated);
    expect((caught as MappedFileTruncated).fileSize).toBe(keep);
    file.close();
  });
});
