// Kind 'full-disk': writes into the holes of a sparse file on a full tmpfs
// must throw MappedFileIOError, and what was written before stays intact.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PAGE } from '../../test/support/files';
import { prng } from '../../test/support/random';
import { loadPackage, type MappedView } from '../package';
import type { ChildKind, ChildOptions } from './fault-kind';
import { lazyUnmount } from './faultfs';
import { checkBytes, newTally, outcomeName, record, statusWriter } from './tally';

type Write = (view: MappedView, at: number, length: number, byte: number) => void;

async function fullDiskChild({ count, seed, dir, statusFile }: ChildOptions): Promise<void> {
  const { open } = loadPackage();
  const random = prng(seed);
  const SIZE = 4 << 20;  // a 4 MiB sparse file on a 1 MiB tmpfs
  const CHUNK = 64 * 1024;
  const HOLE_WRITES = 15;  // more writes into holes once the filesystem is full
  const tally = newTally({ rounds: 0, writes: 0 });
  const status = statusWriter(statusFile);
  status.save(tally);
  const mountPoint = fs.mkdtempSync(path.join(dir, 'tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
  try {
    const file = path.join(mountPoint, 'sparse.bin');
    const chunkByte = (round: number, at: number): number => 1 + ((round * 7 + at / CHUNK) % 250);
    const writers: Write[] = [
      (view, at, length, byte) => view.set(Buffer.alloc(length, byte), at),
      (view, at, length, byte) => view.fill(byte, at, at + length),
      (view, at, length, byte) => view.write(String.fromCharCode(byte).repeat(length), at, length, 'latin1'),
      (view, at, length, byte) => view.writeUInt32LE(byte * 0x01010101, at),
      (view, at, length, byte) => view.writeDoubleLE(Buffer.alloc(8, byte).readDoubleLE(0), at),
    ];
    for (let round = 0; round < count; round++) {
      const mapped = open(file, { mode: 'w+', size: SIZE, validate: round % 2 ? 'fault' : 'always' });
      const view = mapped.view();
      // Fill from the start, a chunk at a time, until the filesystem is full.
      let written = 0;
      let failedEnd = 0;
      for (let at = 0; at < SIZE; at += CHUNK) {
        const byte = chunkByte(round, at);
        let error;
        try {
          random.pick(writers.slice(0, 3))(view, at, CHUNK, byte);
        } catch (caught) {
          error = caught;
        }
        tally.writes++;
        if (!error) { written = at + CHUNK; continue; }
        tally.injected++;
        record(tally, outcomeName(error), 'MappedFileIOError', error);
        failedEnd = at + CHUNK;
        break;
      }
      if (!failedEnd) record(tally, 'no fault: the whole file fitted', 'MappedFileIOError');
      // Then writes into holes past what was written, with every kind of write.
      for (let k = 0; k < HOLE_WRITES && failedEnd; k++) {
        const write = random.pick(writers);
        const length = 8 + random.int(2 * PAGE);
        const at = failedEnd + random.int(SIZE - failedEnd - length);
        let error;
        try {
          write(view, at, length, 0x5a);
        } catch (caught) {
          error = caught;
        }
        tally.writes++;
        tally.injected++;
        record(tally, outcomeName(error), 'MappedFileIOError', error);
      }
      // What was written before the fault is intact: through the mapping,
      // and through read(2) after a flush.
      const expected = (offset: number): number => chunkByte(round, offset - (offset % CHUNK));
      checkBytes(tally, view.subarray(0, written).snapshot(), 0, expected);
      mapped.flush(0, written);
      const onDisk = Buffer.alloc(written);
      const fd = fs.openSync(file, 'r');
      fs.readSync(fd, onDisk, 0, written, 0);
      fs.closeSync(fd);
      checkBytes(tally, onDisk, 0, expected);
      mapped.close();
      fs.rmSync(file);
      tally.rounds++;
      if (round % 16 === 0) status.save(tally);
    }
  } finally {
    lazyUnmount(mountPoint);
    try { fs.rmdirSync(mountPoint); } catch { /* the runner cleans up */ }
  }
  status.finish(tally);
}

export const fullDisk: ChildKind = {
  kind: 'full-disk', label: 'full disk under a sparse write (tmpfs `size=1m`, 4 MiB file)', count: 1000,
  unit: 'writes into holes', timeout: 300,
  child: fullDiskChild,
};
