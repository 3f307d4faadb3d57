// view.snapshot() of 32 MiB or more copies with pread on the mapping's own
// validation, not through the mapping (native kSnapshotByReadFrom): the
// bytes are the file's, the mapping's page table stays empty (what a first
// touch through it pays for: docs/benchmarks.md), and a range the file no
// longer holds is MappedFileTruncated, never the zeros of a tail page, with
// or without a lease. The race with a truncating process is in
// test/faults/truncation-race.test.ts; I/O errors and holes in
// test/faults/faultfs.test.ts and test/faults/io-error.test.ts.
import { closeSync, constants, openSync, readFileSync, truncateSync } from 'node:fs';
import { MappedFileTruncated, open } from '../../src';
import { PAGE, patternBuffer } from '../support/files';
import { heatUntilLeased } from '../support/lease-heat.cjs';
import { testCuttingMappedFile, testPosixOnly } from '../support/platforms';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
const MiB = 1 << 20;
const FROM = 32 * MiB;  // native/mapping.h, kSnapshotByReadFrom

// Resident KiB of this process's mappings of `path` (/proc/self/smaps): what
// the mapping's page table maps.
function mappedKiB(path: string): number {
  let total = 0;
  let inFile = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inFile = line.endsWith(` ${path}`);
    else if (inFile && line.startsWith('Rss:')) total += Number(/(\d+) kB/.exec(line)?.[1]);
  }
  return total;
}

test('the bytes of the file, below, at and above 32 MiB, at offsets inside pages', () => {
  const length = FROM + 3 * MiB + 123;
  const path = dir.patternFile('bytes', length);
  const file = open(path);
  const view = file.view();
  const expected = patternBuffer(0, length);
  for (const size of [FROM - 1, FROM, FROM + 1, FROM + 2 * MiB + 5]) {
    for (const offset of [0, 1, PAGE - 1, length - size]) {
      expect(view.subarray(offset, offset + size).snapshot().equals(expected.subarray(offset, offset + size))).toBe(true);
    }
  }
  expect(view.snapshot().equals(expected)).toBe(true);
  expect(view.toString('latin1')).toBe(expected.toString('latin1'));
  file.close();
});

testPosixOnly("a large snapshot leaves the mapping's page table empty; a smaller one fills it", () => {
  const path = dir.patternFile('page-table', FROM + MiB);
  const file = open(path);
  expect(file.view().snapshot().equals(patternBuffer(0, FROM + MiB))).toBe(true);
  expect(mappedKiB(path)).toBe(0);
  expect(file.view(0, FROM - 1).snapshot().equals(patternBuffer(0, FROM - 1))).toBe(true);
  expect(mappedKiB(path)).toBeGreaterThan(0);  // the control: this route goes through the mapping
  file.close();
});

describe.each([
  ['fstat', false, (path: string) => truncateSync(path, FROM + 100)],
  ['lease', true, (path: string) => truncateSync(path, FROM + 100)],
  // Hole 1 of the lease (docs/guarantees.md): this truncates and breaks no lease.
  ['lease, cut by open(O_RDONLY|O_TRUNC)', true, (path: string) => closeSync(openSync(path, constants.O_RDONLY | constants.O_TRUNC))],
])('a file cut inside the range (%s)', (name, lease, cut) => {
  testCuttingMappedFile('throws MappedFileTruncated with the new size; what the file still holds reads', () => {
    const path = dir.patternFile(`cut-${name.replace(/\W+/g, '-')}`, FROM + 2 * MiB);
    const file = open(path, { lease });
    const view = file.view();
    if (lease) expect(heatUntilLeased(file)).toBe('lease');
    cut(path);
    const size = readFileSync(path).length;
    let error: unknown;
    try { view.snapshot(); } catch (caught) { error = caught; }
    expect(error).toBeInstanceOf(MappedFileTruncated);
    expect(error).toMatchObject({ path, offset: 0, length: FROM + 2 * MiB, fileSize: size });
    if (size > 0) expect(view.subarray(0, size).snapshot().equals(patternBuffer(0, size))).toBe(true);
    file.close();
  });
});
