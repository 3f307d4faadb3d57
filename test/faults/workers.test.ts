// The same race as truncation-race.test.ts, read by four worker_threads at
// once. The guard frame is thread-local and the addon context-aware, so every
// worker catches its own faults.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { runNodeScript, startTruncator } from '../support/processes';
import { useTempDir } from '../support/temp-dir';

const FILE_LENGTH = 1 << 20;
const RACE_MS = 3000;
const dir = useTempDir();

interface Tally {
  mappedLength: number; reads: number; wrongBytes: number; firstWrong: string | null; errors: Record<string, number>;
}

/** Starts a reader worker; `mapped` settles once it has mapped the file, `tally` when it is done. */
function startReaderWorker(path: string): { mapped: Promise<void>; tally: Promise<Tally> } {
  const worker = new Worker(join(__dirname, '..', 'support', 'race-reader.cjs'), {
    workerData: { raceReader: true, path, milliseconds: RACE_MS, validate: 'always' },
  });
  let onMapped: () => void;
  const mapped = new Promise<void>((resolve) => { onMapped = resolve; });
  const tally = new Promise<Tally>((resolve, reject) => {
    worker.on('message', (message) => {
      if ('mapped' in message) onMapped();
      else resolve(message.tally);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`worker exited with ${code}`)); });
  });
  return { mapped, tally };
}

test('four workers reading while another process truncates: only MappedFileTruncated, no wrong byte', async () => {
  const path = dir.patternFile('workers', FILE_LENGTH);
  const truncator = startTruncator(path, FILE_LENGTH, RACE_MS);
  await truncator.ready;  // the window starts when the truncator has booted
  const workers = [1, 2, 3, 4].map(() => startReaderWorker(path));
  await Promise.all(workers.map((worker) => worker.mapped));
  truncator.go();  // every worker has mapped the whole file
  const tallies = await Promise.all(workers.map((worker) => worker.tally));
  await truncator.finished;

  for (const tally of tallies) {
    expect(tally.mappedLength).toBe(FILE_LENGTH);
    expect(tally.wrongBytes).toBe(0);
    expect(Object.keys(tally.errors)).toEqual(['MappedFileTruncated']);
    expect(tally.reads).toBeGreaterThan(0);
  }
});

test('a worker can open, read and close its own MappedFile while the main thread uses another', async () => {
  const path = dir.patternFile('own', 3 * 4096);
  const { open } = await import('../../src');
  const mainFile = open(path);
  const result = await new Promise<number[]>((resolve, reject) => {
    const worker = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const { open } = require(workerData.root);
      const file = open(workerData.path);
      const view = file.view();
      parentPort.postMessage([view.readUInt8(0), view.readUInt32LE(4096), file.size]);
      file.close();
    `, { eval: true, workerData: { path, root: join(__dirname, '..', '..') } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const mainView = mainFile.view();
  expect(result).toEqual([mainView.readUInt8(0), mainView.readUInt32LE(4096), mainFile.size]);
  mainFile.close();
});

test('in a worker, open/close cycles leave Node\'s descriptor bookkeeping intact (no "unmanaged mode twice")', () => {
  // Node tracks the descriptors fs opens in a worker and closes leftovers at
  // exit. The mapping keeps a duplicate of its own, so fs's descriptor is
  // closed by fs and a reused number is never closed twice.
  const path = dir.patternFile('bookkeeping', 4096);
  const child = runNodeScript(`
    const { Worker } = require('node:worker_threads');
    const worker = new Worker(\`
      const fs = require('node:fs');
      const { open } = require(\${JSON.stringify(process.cwd())});
      for (let i = 0; i < 50; i++) {
        const file = open(\${JSON.stringify(${JSON.stringify(path)})});
        file.view().readUInt8(0);
        file.close();
        fs.closeSync(fs.openSync(\${JSON.stringify(${JSON.stringify(path)})}, 'r'));
      }
    \`, { eval: true });
    worker.on('exit', (code) => console.log('worker exit', code));`);
  expect(child.stderr).not.toMatch(/unmanaged mode twice/);
  expect(child.stdout).toContain('worker exit 0');
});

test('a worker that alone loaded the addon exits: the process lives on, and the SIGBUS handler and lease watcher it started still work', () => {
  // Node unloads (dlclose) an addon loaded only by a worker when that worker
  // exits. The SIGBUS handler and the lease watcher thread are process-wide
  // and outlive it, so the library must stay mapped (linked -z nodelete):
  // otherwise the watcher's next round, within 250 ms, runs unmapped code
  // and the whole process dies of SIGSEGV.
  const path = dir.patternFile('worker-only', 4 * 4096);
  const child = runNodeScript(`
    const { Worker } = require('node:worker_threads');
    const fs = require('node:fs');
    const path = ${JSON.stringify(path)};
    new Worker(\`
      const file = require(\${JSON.stringify(process.cwd())}).open(\${JSON.stringify(path)});
      const { heatUntilLeased } = require(\${JSON.stringify(process.cwd())} + '/test/support/lease-heat.cjs');
      require('node:worker_threads').parentPort.postMessage(heatUntilLeased(file));
      file.close();
    \`, { eval: true })
      .on('message', (method) => console.log('worker', method))
      .on('exit', () => setTimeout(() => {  // several watcher rounds
        const { open, MappedFileTruncated } = require(process.cwd());
        const file = open(path);
        console.log('main', require(process.cwd() + '/test/support/lease-heat.cjs').heatUntilLeased(file));
        fs.truncateSync(path, 4096);  // breaks the lease: only the watcher can let this through
        try { file.view().readUInt8(3 * 4096); console.log('read past the end'); }
        catch (error) { console.log(error instanceof MappedFileTruncated ? 'MappedFileTruncated' : String(error)); }
        file.close();
      }, 1000));`);
  expect([child.signal, child.status]).toEqual([null, 0]);
  expect(child.stdout.trim().split('\n')).toEqual(['worker lease', 'main lease', 'MappedFileTruncated']);
});
