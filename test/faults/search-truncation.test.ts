// Searching runs over the mapping in place, under the guard and the seqlock:
// a truncation during a search gives MappedFileTruncated, never a wrong index
// and never a crash.
import { truncateSync } from 'node:fs';
import { MappedFileTruncated, open } from '../../src';
import { startTruncator } from '../support/processes';
import { PAGE, patternBuffer } from '../support/files';
import { useTempDir } from '../support/temp-dir';

const FILE_LENGTH = 8 << 20;
// Zero never occurs in the pattern file, so this needle is absent: a full scan.
const ABSENT = Buffer.from('\0absent\0needle');
const dir = useTempDir();

test('a search over a truncated file throws MappedFileTruncated', () => {
  const path = dir.patternFile('search-same-process', FILE_LENGTH);
  const file = open(path);
  const view = file.view(PAGE);
  const tail = patternBuffer(FILE_LENGTH - 64, 64);
  expect(view.lastIndexOf(tail)).toBe(FILE_LENGTH - 64 - PAGE);
  truncateSync(path, FILE_LENGTH / 2 + 123);
  for (const search of [() => view.indexOf(ABSENT), () => view.includes(tail), () => view.lastIndexOf(tail),
    () => view.indexOf(0), () => view.equals(patternBuffer(PAGE, view.length))]) {
    expect(search).toThrow(MappedFileTruncated);
  }
  file.close();
});

test('searches racing a truncating process: the right index or MappedFileTruncated, nothing else', async () => {
  const path = dir.patternFile('search-race', FILE_LENGTH);
  // lastIndexOf of a needle whose last occurrence is near the end scans back
  // from the end, through whatever the truncation left: a tail page of zeros
  // that slipped through would make it answer an earlier occurrence.
  const present = patternBuffer(FILE_LENGTH - 400, 300);
  const lastOccurrence = patternBuffer(0, FILE_LENGTH).lastIndexOf(present);
  expect(lastOccurrence).toBeGreaterThan(FILE_LENGTH - 700);
  const file = open(path);
  const view = file.view();
  const searches = [
    { name: 'present', search: () => view.lastIndexOf(present), expected: lastOccurrence },
    { name: 'absent', search: () => view.indexOf(ABSENT), expected: -1 },
  ];
  expect(view.lastIndexOf(present)).toBe(lastOccurrence);
  const truncator = startTruncator(path, FILE_LENGTH, 3000);
  await truncator.ready;  // the window starts when the truncator has booted
  truncator.go();
  const outcomes: Record<string, number> = {};
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    for (const { name, search, expected } of searches) {
      let outcome: string;
      try {
        const index = search();
        outcome = index === expected ? `${name}: right index` : `${name}: WRONG index ${index}`;
      } catch (error) {
        outcome = `${name}: ${(error as Error).constructor.name}`;
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  }
  await truncator.finished;
  file.close();
  const kinds = Object.keys(outcomes).sort();
  expect(kinds.filter((kind) => !/: (right index|MappedFileTruncated)$/.test(kind))).toEqual([]);
  expect(outcomes['present: MappedFileTruncated']).toBeGreaterThan(0);
  expect(outcomes['absent: MappedFileTruncated']).toBeGreaterThan(0);
  expect((outcomes['present: right index'] ?? 0) + (outcomes['absent: right index'] ?? 0)).toBeGreaterThan(0);
});
