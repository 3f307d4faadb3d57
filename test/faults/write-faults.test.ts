// Writes into a mapping fault as reads do. A full disk under a sparse file
// cannot allocate the page (MappedFileIOError); a file truncated by another
// process gives MappedFileTruncated. The process lives, and what was written
// before stays written. The tmpfs test needs root (mount); on CI it runs.
import { readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { MappedFileIOError, MappedFileTruncated, open } from '../../src';
import { startTruncator } from '../support/processes';
import { PAGE, patternBuffer } from '../support/files';
import { useTempDir } from '../support/temp-dir';
import { useTmpfs } from '../support/tmpfs';

describe('a full disk under a sparse file (tmpfs size=1m, 4 MiB file)', () => {
  const mountPoint = useTmpfs('1m');

  test('writing across it throws MappedFileIOError past capacity; earlier data reads back intact after flush', () => {
    const path = join(mountPoint(), 'sparse.bin');
    const file = open(path, { mode: 'w+', size: 4 << 20 });
    const view = file.view();
    const chunk = Buffer.alloc(64 * 1024);
    let written = 0;
    let caught: unknown;
    for (let at = 0; at < view.length; at += chunk.length) {
      chunk.fill(1 + ((at / chunk.length) % 250));
      try {
        view.set(chunk, at);
        written = at + chunk.length;
      } catch (error) {
        caught = error;
        break;
      }
    }
    expect(caught).toBeInstanceOf(MappedFileIOError);
    expect(caught).toMatchObject({ code: 'ERR_MAPPED_FILE_IO', path, fileSize: 4 << 20 });
    expect((caught as Error).message).toMatch(/allocated|full disk/);
    expect(written).toBeGreaterThan(256 * 1024);
    expect(written).toBeLessThan(4 << 20);

    file.flush(0, written);
    const onDisk = readFileSync(path).subarray(0, written);
    const intact = [];
    for (let at = 0; at < written; at += chunk.length) {
      intact.push(onDisk.subarray(at, at + chunk.length).equals(Buffer.alloc(chunk.length, 1 + ((at / chunk.length) % 250))));
    }
    expect(intact.every(Boolean)).toBe(true);
    // The process lives, and the mapping still reads what fits.
    expect(view.readUInt8(0)).toBe(1);
    file.close();
  });
});

describe('truncation', () => {
  const dir = useTempDir();

  test('a write past the new end throws MappedFileTruncated; writes below it work', () => {
    const path = dir.patternFile('write-truncated', 4 * PAGE);
    const file = open(path, { mode: 'r+' });
    const view = file.view();
    truncateSync(path, PAGE + 100);
    expect(() => view.writeUInt32LE(7, 3 * PAGE)).toThrow(MappedFileTruncated);
    expect(() => view.fill(0x41, PAGE + 50, PAGE + 200)).toThrow(MappedFileTruncated);
    expect(() => view.write('x', 2 * PAGE)).toThrow(MappedFileTruncated);
    expect(view.writeUInt32LE(0xdeadbeef, PAGE)).toBe(PAGE + 4);
    file.flush(0, PAGE + 100);
    expect(readFileSync(path).readUInt32LE(PAGE)).toBe(0xdeadbeef);
    expect(readFileSync(path).length).toBe(PAGE + 100);  // nothing was written past the end
    file.close();
  });

  test('another process truncating while this one writes in a loop: only MappedFileTruncated, no crash', async () => {
    const FILE_LENGTH = 1 << 20;
    const path = dir.patternFile('write-race', FILE_LENGTH);
    const file = open(path, { mode: 'r+' });
    const view = file.view();
    const truncator = startTruncator(path, FILE_LENGTH, 3000);
    await truncator.ready;  // the window starts when the truncator has booted
    truncator.go();
    const tally: Record<string, number> = {};
    const block = patternBuffer(0, 64 * 1024);
    const deadline = Date.now() + 3000;
    let round = 0;
    while (Date.now() < deadline) {
      const at = Math.floor(Math.random() * (FILE_LENGTH - block.length));
      try {
        // Write back what the pattern holds there, so the truncator's oracle stays true.
        if (round++ % 2) view.set(patternBuffer(at, 4096), at);
        else view.writeUInt8(patternBuffer(at, 1)[0], at);
        tally.ok = (tally.ok ?? 0) + 1;
      } catch (error) {
        const name = (error as Error).constructor.name;
        tally[name] = (tally[name] ?? 0) + 1;
      }
    }
    await truncator.finished;
    file.close();
    expect(Object.keys(tally).sort()).toEqual(['MappedFileTruncated', 'ok']);
  });
});
