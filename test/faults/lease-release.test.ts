// A lease is given back promptly, whatever ends its mapping, so a writer
// never waits for a reader that is gone. Also: the same process as writer,
// and children.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { open } from '../../src';
import { PACKAGE_ROOT, runNodeScript } from '../support/processes';
import { PAGE } from '../support/files';
import { useTempDir } from '../support/temp-dir';
import { heatUntilLeased } from '../support/lease-heat.cjs';

const dir = useTempDir();

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
  expect(heatUntilLeased(file)).toBe('lease');
  const started = process.hrtime.bigint();
  const fd = openSync(path, 'r+');  // breaks our own lease; the watcher thread releases it
  const openMs = Number(process.hrtime.bigint() - started) / 1e6;
  closeSync(fd);
  expect(openMs).toBeLessThan(1000);
  expect(file.validationMethod).toBe('fstat');
  file.close();
});

test('close(), the garbage collector, a worker that exits and process exit release a lease a writer is waiting on', async () => {
  const path = dir.patternFile('ends', 4 * PAGE);
  // Each end runs in a child whose watcher thread is held back first (a
  // test hook), so that only the end itself can release the lease: the
  // writer, started meanwhile, waits until it does. Left to the kernel it
  // would wait lease-break-time (45 s), far past the bound here.
  const ends: Record<string, string> = {
    close: 'file.close();',
    gc: 'file = undefined; global.gc(); await new Promise((resolve) => setImmediate(resolve)); global.gc();',
    'process exit': 'process.exit(0);',
  };
  const setUp: Record<string, string> = {
    default: `let file = open(path); require(root + '/test/support/lease-heat.cjs').heatUntilLeased(file);`,
  };
  for (const [end, code] of Object.entries(ends)) {
    const child = spawn(process.execPath, ['--expose-gc', '-e', `(async () => {
        const root = ${JSON.stringify(PACKAGE_ROOT)}; const path = ${JSON.stringify(path)};
        const { open } = require(root);
        const { binding } = require(root + '/lib/binding');
        ${setUp.default}
        binding.testing.setLeaseWatcherPaused(true);
        console.log(file.validationMethod);
        require('node:fs').readSync(0, Buffer.alloc(1));  // the writer is waiting now
        ${code}
        setTimeout(() => {}, 20000);
      })();`], { stdio: ['pipe', 'pipe', 'inherit'] });
    const method = await new Promise<string>((resolve) => child.stdout.on('data', (chunk) => resolve(String(chunk).trim())));
    expect([end, method]).toEqual([end, 'lease']);
    const writer = spawn(process.execPath, ['-e', `
      const started = process.hrtime.bigint();
      require('node:fs').closeSync(require('node:fs').openSync(${JSON.stringify(path)}, 'r+'));
      console.log(Number(process.hrtime.bigint() - started) / 1e6);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let waited = '';
    writer.stdout.on('data', (chunk) => { waited += chunk; });
    const writerDone = new Promise((resolve) => writer.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([end, waited]).toEqual([end, '']);  // still blocked on the lease
    child.stdin.end('go\n');
    const timer = setTimeout(() => writer.kill('SIGKILL'), 5000);
    await writerDone;
    clearTimeout(timer);
    expect([end, Number(waited.trim()) < 5000]).toEqual([end, true]);
    child.kill('SIGKILL');
  }

  // A worker that exits: its environment's finalizers release the lease.
  const worker = runNodeScript(`
    const { Worker } = require('node:worker_threads');
    const { spawnSync } = require('node:child_process');
    const root = process.cwd(); const path = ${JSON.stringify(path)};
    new Worker(\`const { open } = require(\${JSON.stringify(root)});
      const file = open(\${JSON.stringify(path)});
      require(\${JSON.stringify(root)} + '/test/support/lease-heat.cjs').heatUntilLeased(file);
      require(\${JSON.stringify(root)} + '/lib/binding').binding.testing.setLeaseWatcherPaused(true);
      require('node:worker_threads').parentPort.postMessage(file.validationMethod);\`, { eval: true })
      .on('message', (method) => console.log(method))
      .on('exit', () => {
        const started = Date.now();
        const writer = spawnSync(process.execPath, ['-e', 'require("node:fs").closeSync(require("node:fs").openSync(' +
          JSON.stringify(path) + ', "r+"))'], { timeout: 5000 });
        console.log(writer.status === 0 && Date.now() - started < 5000 ? 'writer through' : 'writer blocked');
        process.exit(0);
      });`);
  expect(worker.stdout.trim().split('\n')).toEqual(['lease', 'writer through']);
});

test('child processes do not inherit the lease (the descriptor is close-on-exec)', () => {
  const path = dir.patternFile('children', 4 * PAGE);
  const file = open(path);
  expect(heatUntilLeased(file)).toBe('lease');
  const listDescriptors = 'for fd in /proc/$$/fd/*; do readlink "$fd" || :; done';  // the glob's own directory descriptor is gone by then
  // Control: the same listing does show the file when the child holds it open itself.
  const control = spawnSync('sh', ['-c', `exec 7<"$1"; ${listDescriptors}`, 'sh', path], { encoding: 'utf8' });
  expect(control.stdout).toContain(path);
  const child = spawnSync('sh', ['-c', listDescriptors], { encoding: 'utf8' });
  expect(child.status).toBe(0);
  expect(child.stdout).not.toContain(path);
  file.close();
});
