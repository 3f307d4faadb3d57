// Searching scans the mapping in place: a search over a 1 GiB file allocates
// nothing near the file's size (no Buffer, no anonymous memory).
import { closeSync, openSync, readFileSync, ftruncateSync, writeSync } from 'node:fs';
import { open } from '../../src';
import { useTempDir } from '../support/temp-dir';

const GiB = 1 << 30;

function anonymousResidentBytes(): number {
  const match = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error('no RssAnon in /proc/self/status');
  return Number(match[1]) * 1024;
}

const dir = useTempDir();

test('indexOf of an absent needle over 1 GiB allocates no memory near the file size', () => {
  // Sparse: 1 GiB of zeros with a marker at the very end, so nothing is written to disk.
  const path = dir.file('one-gib.sparse');
  const fd = openSync(path, 'r+');
  ftruncateSync(fd, GiB);
  writeSync(fd, Buffer.from('END'), 0, 3, GiB - 3);
  closeSync(fd);

  const file = open(path);
  const view = file.view();
  const anonymousBefore = anonymousResidentBytes();
  const buffersBefore = process.memoryUsage().arrayBuffers;
  expect(view.indexOf('absent needle!')).toBe(-1);
  expect(view.indexOf('END')).toBe(GiB - 3);
  expect(view.lastIndexOf(Buffer.from([0x45, 0x4e]))).toBe(GiB - 3);
  const anonymousGrowth = anonymousResidentBytes() - anonymousBefore;
  const buffersGrowth = process.memoryUsage().arrayBuffers - buffersBefore;
  expect(anonymousGrowth).toBeLessThan(32 << 20);
  expect(buffersGrowth).toBeLessThan(1 << 20);
  file.close();
});
