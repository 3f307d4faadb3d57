// Files that grow: refresh() remaps to the current size, views keep working
// across it, { grow: 'auto' } remaps on demand, and a reader can follow a
// file another process appends to.
import { spawn } from 'node:child_process';
import { appendFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MappedFileTruncated, open } from '../../src';
import { PAGE, patternBuffer } from '../support/files';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();

test('refresh() maps the new size; existing views keep working; a view past the new end throws', () => {
  const path = dir.patternFile('refresh', PAGE);
  const file = open(path);
  const head = file.view(0, 100);
  expect(file.size).toBe(PAGE);
  appendFileSync(path, patternBuffer(PAGE, 3 * PAGE));
  expect(file.size).toBe(PAGE);  // not remapped yet
  expect(file.refresh()).toBe(4 * PAGE);
  expect(file.size).toBe(4 * PAGE);
  expect(head.snapshot()).toEqual(patternBuffer(0, 100));
  const tail = file.view(3 * PAGE, PAGE);
  expect(tail.snapshot()).toEqual(patternBuffer(3 * PAGE, PAGE));

  truncateSync(path, 2 * PAGE);
  expect(file.refresh()).toBe(2 * PAGE);
  expect(() => tail.readUInt8(0)).toThrow(MappedFileTruncated);
  expect(head.readUInt8(5)).toBe(patternBuffer(5, 1)[0]);
  file.close();
});

test('an empty file grows into a mapping', () => {
  const path = dir.file('from-empty');
  const file = open(path);
  expect(file.size).toBe(0);
  writeFileSync(path, 'hello');
  expect(file.refresh()).toBe(5);
  expect(file.view().toString()).toBe('hello');
  file.close();
});

test("{ grow: 'auto' }: a view past the mapping but inside the file remaps instead of throwing", () => {
  const path = dir.patternFile('auto', PAGE);
  const file = open(path, { grow: 'auto' });
  appendFileSync(path, patternBuffer(PAGE, PAGE));
  const grown = file.view(PAGE, PAGE);  // past the mapping: remapped on demand
  expect(file.size).toBe(2 * PAGE);
  expect(grown.snapshot()).toEqual(patternBuffer(PAGE, PAGE));
  expect(() => file.view(0, 3 * PAGE)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  const plain = open(path);
  appendFileSync(path, 'more');
  expect(() => plain.view(0, 2 * PAGE + 4)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  plain.close();
  file.close();
});

test('following a file that another process appends to: every record read exactly once, correctly', async () => {
  const path = dir.file('log');
  const COUNT = 3000;
  const appender = spawn(process.execPath, [join(__dirname, '..', 'support', 'appender.js'), path, String(COUNT)],
    { stdio: 'inherit' });
  const appenderDone = new Promise<number | null>((resolve) => appender.on('exit', resolve));
  const file = open(path, { grow: 'auto' });
  const records: string[] = [];
  let consumed = 0;
  let partial = '';
  let finished = false;
  appenderDone.then(() => { finished = true; });
  for (;;) {
    const end = file.fileSize();
    if (end > consumed) {
      partial += file.view(consumed, end - consumed).toString('latin1');
      consumed = end;
      const lines = partial.split('\n');
      partial = lines.pop() as string;
      records.push(...lines);
    } else if (finished && file.fileSize() === consumed) {
      break;
    } else {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  expect(await appenderDone).toBe(0);
  expect(partial).toBe('');
  expect(records).toHaveLength(COUNT);
  records.forEach((record, index) => {
    if (record !== `${index}:${'x'.repeat(index % 97)}`) throw new Error(`record ${index} is ${JSON.stringify(record)}`);
  });
  file.close();
});
