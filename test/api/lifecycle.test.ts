// Closing, disposal and garbage collection release the mapping and the
// descriptor; nothing leaks across many cycles.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MappedFileClosed, open } from '../../src';
import { runNodeScript } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
beforeAll(() => {
  // The first lease starts the process's watcher thread, which keeps one
  // descriptor of its own (/proc/sys/fs/lease-break-time) for good: let it
  // exist before anything is counted.
  open(dir.patternFile('warm-up', 100)).close();
});

const openDescriptors = () => readdirSync('/proc/self/fd').length;
const descriptorsOf = (path: string) => readdirSync('/proc/self/fd')
  .filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`) === path; } catch { return false; } }).length;
const mappingsOf = (path: string) => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line.endsWith(path)).length;

test('close() unmaps and closes the descriptor; it is idempotent; later access throws MappedFileClosed', () => {
  const path = dir.patternFile('close', 8192);
  const descriptorsBefore = openDescriptors();
  const file = open(path);
  const view = file.view(10, 100);
  const nested = view.subarray(5, 50);
  expect(openDescriptors()).toBe(descriptorsBefore + 1);
  expect(mappingsOf(path)).toBe(1);

  file.close();
  file.close();
  expect(file.closed).toBe(true);
  expect(openDescriptors()).toBe(descriptorsBefore);
  expect(mappingsOf(path)).toBe(0);
  for (const access of [
    () => view.readUInt8(0), () => nested.readDoubleLE(0), () => view.snapshot(), () => nested.toString('hex'),
    () => view.copy(Buffer.alloc(4)), () => file.fileSize(),
  ]) {
    expect(access).toThrow(MappedFileClosed);
  }
  try { view.readUInt32LE(0); } catch (error) {
    expect(error).toMatchObject({ code: 'ERR_MAPPED_FILE_CLOSED', path, offset: 10, length: 4 });
  }
});

test('Symbol.dispose closes the file', () => {
  const path = dir.patternFile('dispose', 100);
  // Jest's realm lacks Symbol.dispose before Node 24 (V8 13.6 has it built in);
  // Node 20 and 22 define it as this registered symbol.
  const dispose = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('nodejs.dispose');
  const file = open(path);
  const view = file.view();
  (file as unknown as Record<symbol, () => void>)[dispose]();
  expect(file.closed).toBe(true);
  expect(() => view.readUInt8(0)).toThrow(MappedFileClosed);
  const child = runNodeScript(`
    const file = require('.').open(${JSON.stringify(path)});
    file[Symbol.dispose]();
    console.log(file.closed);`);
  expect(child.stdout.trim()).toBe('true');
});

test('an empty file is a zero-length MappedFile with no mapping', () => {
  const path = dir.file('empty');
  const file = open(path);
  expect(file.size).toBe(0);
  expect(mappingsOf(path)).toBe(0);
  expect(file.view().length).toBe(0);
  expect(file.view().snapshot()).toEqual(Buffer.alloc(0));
  expect(file.view().toString()).toBe('');
  file.close();
});

// global.gc without --expose-gc on the command line.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

test('100,000 open/view/snapshot/close cycles: descriptors and mappings back at baseline, RSS bounded', async () => {
  const path = dir.patternFile('cycles', 3 * 4096 + 7);
  const cycle = () => {
    const file = open(path);
    file.view(4096).snapshot();
    file.view().readUInt32LE(5);
    file.close();
  };
  // Node runs N-API finalizers from the event loop, after a GC: a loop that
  // never yields keeps every collected wrapper's memory until it does (about
  // 350 bytes a cycle). Yield every 1,000 cycles, as a server would.
  const cycles = async (count: number) => {
    for (let done = 0; done < count; done += 1000) {
      for (let i = 0; i < 1000; i++) cycle();
      await new Promise(setImmediate);
    }
  };
  // Collect before each RSS reading, so that it measures what is kept, not
  // how much garbage V8 lets build up before a full collection.
  const settledRss = async () => {
    collectGarbage();
    await new Promise(setImmediate);  // the finalizers
    return process.memoryUsage().rss;
  };
  await cycles(10_000);  // warm up: JIT, allocator, heap
  const descriptorsBefore = openDescriptors();
  const rssBefore = await settledRss();
  await cycles(100_000);
  // Not toBe: a native thread of an earlier test file in this jest worker (a
  // waitAsync's, a watch's) may close its own descriptor meanwhile. A leak
  // here would be one per cycle, and a descriptor of this file.
  expect(openDescriptors()).toBeLessThanOrEqual(descriptorsBefore);
  expect(descriptorsOf(path)).toBe(0);
  expect(mappingsOf(path)).toBe(0);
  // A leak of even 100 bytes a cycle would add 10 MB.
  expect((await settledRss()) - rssBefore).toBeLessThan(10 << 20);
}, 120_000);

test('MappedFiles dropped without close() are unmapped and closed by the garbage collector', () => {
  const path = dir.patternFile('gc', 4096);
  const child = runNodeScript(`
    const fs = require('node:fs');
    const { open } = require('.');
    // --expose-gc without NODE_OPTIONS, which Node 18 refuses it in.
    require('node:v8').setFlagsFromString('--expose-gc');
    const gc = require('node:vm').runInNewContext('gc');
    const count = () => fs.readdirSync('/proc/self/fd').length;
    const maps = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.endsWith(${JSON.stringify(path)})).length;
    open(${JSON.stringify(path)}).close();  // the lease watcher's own descriptor, once per process
    const before = count();
    (() => { for (let i = 0; i < 200; i++) open(${JSON.stringify(path)}).view().readUInt8(0); })();
    const opened = count() - before;
    (async () => {
      for (let i = 0; i < 50 && (count() > before || maps() > 0); i++) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
      console.log(JSON.stringify({ opened, leftOpen: count() - before, leftMapped: maps() }));
    })();`);
  expect(child.status).toBe(0);
  expect(JSON.parse(child.stdout)).toEqual({ opened: 200, leftOpen: 0, leftMapped: 0 });
});
