// A lease is given back promptly, whatever ends its mapping, so a writer
// never waits for a reader that is gone. Each end runs in a child that is
// then stopped (SIGSTOP), so its watcher thread cannot release anything any
// more: a lease left behind would make the writer wait lease-break-time
// (45 s) and fail the 5 s bound here. Also: the same process as writer, and
// children.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { open } from '../src';
import { PACKAGE_ROOT, runNodeScript } from './support/processes';
import { TempDir, PAGE } from './support/files';

let dir: TempDir;
beforeAll(() => { dir = new TempDir(); });
afterAll(() => dir.remove());

/** Milliseconds an open for write of `path` takes from another process. */
function writerOpenMs(path: string): number {
  const child = spawnSync(process.execPath, ['-e', `
    const started = process.hrtime.bigint();
    require('node:fs').closeSync(require('node:fs').openSync(${JSON.stringify(path)}, 'r+'));
    console.log(Number(process.hrtime.bigint() - started) / 1e6);`], { encoding: 'utf8', timeout: 5000 });
  return child.stdout.trim() === '' ? Infinity : Number(child.stdout.trim());
}

test('a writer in this same process, through another descriptor: no deadlock, back within milliseconds', () => {
  const path = dir.patternFile('same', 4 * PAGE);
  const file = open(path);
  expect(file.validationMethod).toBe('lease');
  const started = process.hrtime.bigint();
  const fd = openSync(path, 'r+');  // breaks our own lease; the watcher thread releases it
  const openMs = Number(process.hrtime.bigint() - started) / 1e6;
  closeSync(fd);
  expect(openMs).toBeLessThan(1000);
  expect(file.validationMethod).toBe('fstat');
  file.close();
});

test('close(), the garbage collector, a worker that exits and process exit all give the lease back', async () => {
  const path = dir.patternFile('ends', 4 * PAGE);
  const ends = {
    close: `const file = open(path); file.view().readUInt8(0); file.close();`,
    gc: `(() => { open(path).view().readUInt8(0); })(); global.gc();
         await new Promise((resolve) => setImmediate(resolve)); global.gc();`,
    worker: `const { Worker } = require('node:worker_threads');
         await new Promise((resolve, reject) => new Worker(
           'require(' + JSON.stringify(root) + ').open(' + JSON.stringify(path) + ').view().readUInt8(0)',
           { eval: true }).on('exit', resolve).on('error', reject));`,
  };
  for (const [end, code] of Object.entries(ends)) {
    // Each in a child that then stays alive: only the end itself can release.
    const child = spawn(process.execPath, ['--expose-gc', '-e', `(async () => {
        const root = ${JSON.stringify(PACKAGE_ROOT)}; const path = ${JSON.stringify(path)};
        const { open } = require(root);
        ${code}
        console.log('ended');
        setTimeout(() => {}, 20000);
      })();`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', () => resolve()));
    child.kill('SIGSTOP');
    expect([end, writerOpenMs(path)]).toEqual([end, expect.any(Number)]);
    expect(writerOpenMs(path)).toBeLessThan(1000);
    child.kill('SIGKILL');
  }
  // Process exit, with the lease held to the end.
  const exited = runNodeScript(`const f = require('.').open(${JSON.stringify(path)}); f.view().readUInt8(0);
    console.log(f.validationMethod); process.exit(0);`);
  expect(exited.stdout.trim()).toBe('lease');
  expect(writerOpenMs(path)).toBeLessThan(1000);
});

test('child processes do not inherit the lease (the descriptor is close-on-exec)', () => {
  const path = dir.patternFile('children', 4 * PAGE);
  const file = open(path);
  expect(file.validationMethod).toBe('lease');
  const child = spawnSync('sh', ['-c', 'for fd in /proc/$$/fd/*; do readlink "$fd"; done'], { encoding: 'utf8' });
  expect(child.stdout).toContain('pipe:[');  // it did list its descriptors (stdout is a pipe)
  expect(child.stdout).not.toContain(path);
  file.close();
});
