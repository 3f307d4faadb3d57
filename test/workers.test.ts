// The same race as truncation-race.test.ts, read by four worker_threads at
// once. The guard frame is thread-local and the addon context-aware, so every
// worker catches its own faults.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { runTruncator } from './support/processes';
import { TempDir } from './support/files';

const FILE_LENGTH = 1 << 20;
const RACE_MS = 3000;
let dir: TempDir;
beforeAll(() => { dir = new TempDir(); });
afterAll(() => dir.remove());

interface Tally { reads: number; wrongBytes: number; firstWrong: string | null; errors: Record<string, number> }

function runReaderWorker(path: string): Promise<Tally> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'support', 'race-reader.js'), {
      workerData: { raceReader: true, path, milliseconds: RACE_MS, validate: 'always' },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`worker exited with ${code}`)); });
  });
}

test('four workers reading while another process truncates: only MappedFileTruncated, no wrong byte', async () => {
  const path = dir.patternFile('workers', FILE_LENGTH);
  const truncator = runTruncator(path, FILE_LENGTH, RACE_MS + 1500);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const tallies = await Promise.all([1, 2, 3, 4].map(() => runReaderWorker(path)));
  await truncator;

  for (const tally of tallies) {
    expect(tally.wrongBytes).toBe(0);
    expect(Object.keys(tally.errors)).toEqual(['MappedFileTruncated']);
    expect(tally.reads).toBeGreaterThan(0);
  }
});

test('a worker can open, read and close its own MappedFile while the main thread uses another', async () => {
  const path = dir.patternFile('own', 3 * 4096);
  const { open } = await import('../src');
  const mainFile = open(path);
  const result = await new Promise<number[]>((resolve, reject) => {
    const worker = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const { open } = require(workerData.root);
      const file = open(workerData.path);
      const view = file.view();
      parentPort.postMessage([view.readUInt8(0), view.readUInt32LE(4096), file.size]);
      file.close();
    `, { eval: true, workerData: { path, root: join(__dirname, '..') } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const mainView = mainFile.view();
  expect(result).toEqual([mainView.readUInt8(0), mainView.readUInt32LE(4096), mainFile.size]);
  mainFile.close();
});
