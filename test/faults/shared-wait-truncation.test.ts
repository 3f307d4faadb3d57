// A truncation under a shared word: the atomic operation that meets it is
// MappedFileTruncated, never a SIGBUS, and a waiter sleeping on the word is
// woken with MappedFileTruncated, synchronously or not, and the process lives.
import { spawn } from 'node:child_process';
import { truncateSync } from 'node:fs';
import { MappedFileTruncated, open } from '../../src';
import { PAGE } from '../support/files';
import { PACKAGE_ROOT, rewriteInAnotherProcess, runNodeScript } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
// Long enough that a waiter no truncation woke (SAFE_MMAP_TEST_DISABLE_WAIT_SIZE_CHECK)
// times out instead, which fails the test.
const WAIT_MS = 20_000;

function truncateInAnotherProcess(path: string, size: number): void {
  const child = runNodeScript(`require('node:fs').truncateSync(${JSON.stringify(path)}, ${size})`);
  if (child.status !== 0) throw new Error(`the truncator ended with ${child.status ?? child.signal}: ${child.stderr}`);
}

describe.each([['r', 'always'], ['r+', 'always'], ['r+', 'fault']] as const)("mode '%s', validate '%s'", (mode, validate) => {
  test.each([['a whole page', PAGE], ['inside the word\'s page', PAGE + 8]] as const)(
    'a waitAsync on a word that another process truncates away (%s) rejects with MappedFileTruncated', async (_, newSize) => {
      const path = dir.file(`async-${mode}-${validate}-${newSize}`, Buffer.alloc(2 * PAGE));
      const file = open(path, { mode, validate });
      const words = file.view().atomics('int32');
      const index = (PAGE + 64) / 4;  // past newSize either way
      const waiting = words.waitAsync(index, 0, WAIT_MS).then((result) => result, (error) => error);
      await new Promise((resolve) => setTimeout(resolve, 50));
      truncateInAnotherProcess(path, newSize);
      const outcome = await waiting;
      expect(outcome).toBeInstanceOf(MappedFileTruncated);
      expect(outcome).toMatchObject({ fileSize: newSize, offset: PAGE + 64, length: 4 });
      // A word still in the file keeps working.
      expect(words.load(0)).toBe(0);
      file.close();
    }, WAIT_MS + 10_000);
});

test('a synchronous wait in another process is woken with MappedFileTruncated when the file is cut under it', async () => {
  const path = dir.file('sync', Buffer.alloc(2 * PAGE));
  // This process truncates, not a child of the waiter: a child's exit would
  // interrupt the wait with SIGCHLD, and the test would pass without the
  // size check (SAFE_MMAP_TEST_DISABLE_WAIT_SIZE_CHECK).
  const child = spawn(process.execPath, ['-e', `
    const { open } = require('./lib');
    const words = open(${JSON.stringify(path)}, { mode: 'r+' }).view().atomics('int32');
    console.log('waiting');
    try { console.log(words.wait(${PAGE / 4 + 1}, 0, ${WAIT_MS})); } catch (error) { console.log(error.code); }`],
  { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
    if (output === 'waiting\n') setTimeout(() => truncateSync(path, 100), 300);
  });
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (...end) => resolve(end)));
  expect([code, signal, output]).toEqual([0, null, 'waiting\nERR_MAPPED_FILE_TRUNCATED\n']);
}, WAIT_MS + 10_000);

test.each(['always', 'fault'] as const)("validate '%s': every atomic operation on a truncated word throws MappedFileTruncated, and a wait or notify there too", (validate) => {
  const path = dir.file(`ops-${validate}`, Buffer.alloc(2 * PAGE));
  const file = open(path, { mode: 'r+', validate });
  const words = file.view().atomics('int32');
  const big = file.view().atomics('bigint64');
  const gone = PAGE / 4 + 2;
  truncateSync(path, PAGE);  // 'fault' mode has no size check: the guard catches the SIGBUS
  for (const run of [() => words.load(gone), () => words.store(gone, 1), () => words.add(gone, 1),
    () => words.compareExchange(gone, 0, 1), () => big.xor(gone / 2, 1n), () => words.wait(gone, 0, 10), () => words.notify(gone)]) {
    expect(run).toThrow(MappedFileTruncated);
  }
  expect(words.add(1, 5)).toBe(0);  // the page still in the file
  rewriteInAnotherProcess(path, 0, 2 * PAGE);  // back to full size: the words work again
  expect(words.add(gone, 7)).toBe(0);
  expect(words.load(gone)).toBe(7);
  file.close();
});
