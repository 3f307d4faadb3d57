// Where `{ lazy: true }` must not share the file's pages, it makes an ordinary
// copy: no lease ('fstat': { lease: false }, SAFE_MMAP_LEASE=0, a writer that
// holds the file open), a writable
// mapping, validate 'fault', and a range below LAZY_MINIMUM_BYTES. Each gives
// 'copied' and the right bytes; the positive case ('mapped') shows that the
// check can tell. Also what checkSnapshot says of eager snapshots, and its
// errors and snapshot()'s for bad arguments.
// FUSE, which needs root, is test/faults/lazy-fallback-fuse.
// This file also runs under Bun and Deno (test/runtimes/run.sh).
import { closeSync, openSync } from 'node:fs';
import { checkSnapshot, LAZY_MINIMUM_BYTES, MappedFile, open as openFile, OpenOptions } from '../../src';
import { PAGE, patternBuffer } from '../support/files';
import { runNodeScript } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
const FILE_LENGTH = 4 << 20;  // room for a snapshot of LAZY_MINIMUM_BYTES and more
const LENGTH = LAZY_MINIMUM_BYTES + 2 * PAGE;
const OFFSET = 100;

/** A lazy snapshot of [OFFSET, OFFSET + length) of `file`: what checkSnapshot says, and whether its bytes are right. */
function lazyOf(file: MappedFile, length = LENGTH) {
  const snapshot = file.view(OFFSET, length).snapshot({ lazy: true });
  return { state: checkSnapshot(snapshot), intact: snapshot.equals(patternBuffer(OFFSET, length)),
    exactBuffer: snapshot.byteOffset === 0 && snapshot.buffer.byteLength === length };
}
const MAPPED = { state: 'mapped', intact: true, exactBuffer: true };
const COPIED = { state: 'copied', intact: true, exactBuffer: true };

let path: string;
beforeAll(() => { path = dir.patternFile('fallbacks', FILE_LENGTH); });
// Every file is closed after its test, failed or not: a file left open
// would hold its lease, and safe-mmap's own non-blocking open for writing
// ('r+') in a later test would meet it (EAGAIN).
const opened: MappedFile[] = [];
const open = (at: string, options?: OpenOptions) => {
  const file = openFile(at, options);
  opened.push(file);
  return file;
};
afterEach(() => { for (const file of opened.splice(0)) file.close(); });

test('the positive case: mode r, validate always, a lease filesystem, LAZY_MINIMUM_BYTES and more: mapped', () => {
  const file = open(path);
  expect(lazyOf(file)).toEqual(MAPPED);
  expect(lazyOf(file, LAZY_MINIMUM_BYTES)).toEqual(MAPPED);  // the threshold itself is lazy
  expect(file.validationMethod).toBe('lease');  // the lazy snapshot took the lease at once
  file.close();
});

test('below LAZY_MINIMUM_BYTES (1 MiB): copied', () => {
  expect(LAZY_MINIMUM_BYTES).toBe(1 << 20);
  const file = open(path);
  expect(lazyOf(file, LAZY_MINIMUM_BYTES - 1)).toEqual(COPIED);
  expect(lazyOf(file, PAGE)).toEqual(COPIED);
  expect(lazyOf(file, 0)).toEqual(COPIED);
  file.close();
});

test("validationMethod 'fstat', by open(path, { lease: false }): copied", () => {
  const file = open(path, { lease: false });
  expect(lazyOf(file)).toEqual(COPIED);
  expect(file.validationMethod).toBe('fstat');
  file.close();
});

test("validationMethod 'fstat', by SAFE_MMAP_LEASE=0 in the environment (a child): copied", () => {
  const script = (env: string) => `
    const { open, checkSnapshot } = require('.');
    const file = open(${JSON.stringify(path)});
    const snapshot = file.view(${OFFSET}, ${LENGTH}).snapshot({ lazy: true });
    const expected = require('./test/support/pattern.cjs').patternBuffer(${OFFSET}, ${LENGTH});
    console.log(JSON.stringify({ env: ${JSON.stringify(env)}, state: checkSnapshot(snapshot),
      intact: snapshot.equals(expected), method: file.validationMethod }));`;
  const report = (env: NodeJS.ProcessEnv) => {
    const child = runNodeScript(script(env.SAFE_MMAP_LEASE ?? ''), env);
    if (child.status !== 0) throw new Error(`child ended with ${child.status ?? child.signal}: ${child.stderr}`);
    return JSON.parse(child.stdout.trim());
  };
  expect(report({ SAFE_MMAP_LEASE: '0' })).toEqual({ env: '0', state: 'copied', intact: true, method: 'fstat' });
  // The same child without the switch maps: the switch is what made the copy.
  expect(report({ SAFE_MMAP_LEASE: '1' })).toEqual({ env: '1', state: 'mapped', intact: true, method: 'lease' });
});

test('a writer that holds the file open (no lease can be taken): copied; mapped again once it closes', async () => {
  const file = open(path);
  const writer = openSync(path, 'r+');
  try {
    expect(lazyOf(file)).toEqual(COPIED);
    expect(file.validationMethod).toBe('fstat');
  } finally {
    closeSync(writer);
  }
  // A failed take backs off before the next try (native/lease_policy.cc).
  let again = lazyOf(file);
  for (const deadline = Date.now() + 5000; again.state !== 'mapped' && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    again = lazyOf(file);
  }
  expect(again).toEqual(MAPPED);
  file.close();
});

test("a writable mapping ('r+'): copied", () => {
  const file = open(path, { mode: 'r+' });
  expect(lazyOf(file)).toEqual(COPIED);
  file.close();
});

test("validate 'fault': copied", () => {
  const file = open(path, { validate: 'fault' });
  expect(lazyOf(file)).toEqual(COPIED);
  expect(file.validationMethod).toBe('none');
  file.close();
});

test("checkSnapshot: eager snapshot() and snapshotAsync() are 'copied'; any view over a lazy one's memory is checked", async () => {
  const file = open(path);
  const view = file.view(OFFSET, LENGTH);
  expect(checkSnapshot(view.snapshot())).toBe('copied');
  expect(checkSnapshot(view.snapshot({ lazy: false }))).toBe('copied');
  expect(checkSnapshot(view.subarray(0, 10).snapshot())).toBe('copied');
  expect(checkSnapshot(await view.snapshotAsync())).toBe('copied');
  const lazy = view.snapshot({ lazy: true });
  expect(checkSnapshot(lazy)).toBe('mapped');
  expect(checkSnapshot(lazy.buffer)).toBe('mapped');
  expect(checkSnapshot(new Float64Array(lazy.buffer, 8, 4))).toBe('mapped');
  expect(checkSnapshot(new DataView(lazy.buffer))).toBe('mapped');
  expect(checkSnapshot(lazy.subarray(5))).toBe('mapped');
  file.close();
  expect(checkSnapshot(lazy)).toBe('copied');
});

test('checkSnapshot of what no snapshot made: TypeError with a Node-style code', () => {
  const notFromSnapshot = expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
  const wrongType = expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  const thrown = (value: unknown) => {
    try { checkSnapshot(value as Buffer); } catch (error) { return error; }
    return 'no error';
  };
  expect(thrown(Buffer.alloc(16))).toEqual(notFromSnapshot);
  expect(thrown(Buffer.allocUnsafeSlow(LENGTH))).toEqual(notFromSnapshot);
  expect(thrown(new ArrayBuffer(8))).toEqual(notFromSnapshot);
  expect(thrown(new Uint8Array(8))).toEqual(notFromSnapshot);
  expect(thrown(1)).toEqual(wrongType);
  expect(thrown('snapshot')).toEqual(wrongType);
  expect(thrown(undefined)).toEqual(wrongType);
  expect(thrown(null)).toEqual(wrongType);
  expect(thrown({ buffer: new ArrayBuffer(8) })).toEqual(wrongType);
  for (const error of [thrown(Buffer.alloc(1)), thrown(1)]) expect(error).toBeInstanceOf(TypeError);
});

test('snapshot(options) with options that are not an object: ERR_INVALID_ARG_TYPE', () => {
  const file = open(path);
  const view = file.view(OFFSET, LENGTH);
  for (const options of [1, 'x', true, null, Symbol('lazy')]) {
    expect(() => view.snapshot(options as unknown as { lazy: boolean }))
      .toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
  }
  expect(checkSnapshot(view.snapshot(undefined))).toBe('copied');
  expect(checkSnapshot(view.snapshot({}))).toBe('copied');
  file.close();
});
