// Soak: readers on the main thread, in worker threads and through async
// operations, against writer processes that keep truncating, extending,
// rewriting and replacing the file. Bounded in time; prints a summary.
// Then the bad-input fuzz (scripts/fuzz/) runs N cases in a child process of
// its own, so that a crash in it is counted, not fatal.
//   npm run test:soak -- [--seconds N] [--fuzz-runs N (default 100000; 0 skips)] [--fuzz-seed S] [--json]
//
// The file only ever holds the bytes of some generation's pattern (writers
// extend and rewrite with pattern bytes, never with zeros), so the oracle is
// strict: every byte a reader gets must be pattern(offset, g) for one of the
// generations, and a zero is always wrong. Exit status 0 only when wrong
// bytes, crashes, unexpected error classes and unexpected fuzz outcomes are all 0.
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parentPort, Worker } from 'node:worker_threads';
import { patternBuffer, patternByte } from '../test/support/files';
import { runBadInputFuzz, type FuzzReport } from './fuzz';
import { loadPackage } from './package';

const GENERATIONS = 4;
const FILE_LENGTH = 4 << 20;
const EXPECTED_ERRORS = new Set(['MappedFileTruncated', 'MappedFileIOError']);

type WriterActions = { truncate: number; extend: number; rewrite: number; replace: number };
interface ReaderTally { reads: number; faults: number; errors: Record<string, number>; wrongBytes: number; firstWrong: string | null }
/** The fuzz part of the summary: the fuzz's report, or what became of its process. */
type FuzzSummary = Omit<FuzzReport, 'methods'> & { runs: number; methods?: FuzzReport['methods']; crash?: string | number | null };

function argument(name: string, fallback?: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

// ------------------------------------------------------------------ writer
// Writers take turns (a mkdir lock), so that one writer's truncate never
// lands between another's stat and extend: an extension by truncate(2) would
// put zeros in the file, and the oracle counts a zero as wrong.
function withWriterLock(file: string, action: () => void): void {
  const lock = `${file}.lock`;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  try {
    action();
  } finally {
    fs.rmdirSync(lock);
  }
}

function writerMain(file: string, seconds: number): void {
  const generations = Array.from({ length: GENERATIONS }, (_, g) => patternBuffer(0, FILE_LENGTH, g));
  const deadline = Date.now() + seconds * 1000;
  const next = (limit: number): number => Math.floor(Math.random() * limit);
  const actions: WriterActions = { truncate: 0, extend: 0, rewrite: 0, replace: 0 };
  while (Date.now() < deadline) withWriterLock(file, () => {
    const generation = next(GENERATIONS);
    try {
      switch (next(4)) {
        case 0: { // shrink to a random size, usually not page-aligned
          const size = fs.statSync(file).size;
          fs.truncateSync(file, next(size + 1));
          actions.truncate++;
          break;
        }
        case 1: { // extend with pattern bytes (never zeros)
          const size = fs.statSync(file).size;
          if (size < FILE_LENGTH) {
            fs.appendFileSync(file, generations[generation].subarray(size, size + 1 + next(256 * 1024)));
          }
          actions.extend++;
          break;
        }
        case 2: // rewrite the whole file with a new generation
          fs.writeFileSync(file, generations[generation]);
          actions.rewrite++;
          break;
        default: { // replace the file by rename
          const temporary = `${file}.${process.pid}.tmp`;
          fs.writeFileSync(temporary, generations[generation]);
          fs.renameSync(temporary, file);
          actions.replace++;
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  });
  process.send!({ actions });
}

// ------------------------------------------------------------------ readers
function readerLoop(file: string, milliseconds: number, useAsync: boolean): Promise<ReaderTally> {
  const { open } = loadPackage();
  const tally: ReaderTally = { reads: 0, faults: 0, errors: {}, wrongBytes: 0, firstWrong: null };
  const check = (bytes: Uint8Array, start: number): void => {
    for (let i = 0; i < bytes.length; i++) {
      let ok = false;
      for (let g = 0; g < GENERATIONS && !ok; g++) ok = bytes[i] === patternByte(start + i, g);
      if (!ok) {
        tally.wrongBytes++;
        if (!tally.firstWrong) tally.firstWrong = `offset ${start + i}: ${bytes[i]}`;
      }
    }
  };
  const count = (error: unknown): void => {
    const name = error && (error as object).constructor ? (error as object).constructor.name : String(error);
    tally.errors[name] = (tally.errors[name] || 0) + 1;
    if (EXPECTED_ERRORS.has(name)) tally.faults++;
  };
  const deadline = Date.now() + milliseconds;
  const step = async (): Promise<void> => {
    let mapped;
    try { mapped = open(file); } catch (error) { if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; throw error; }
    const view = mapped.view();
    const reopenAt = Date.now() + 50;  // pick up replaced files now and then
    while (Date.now() < Math.min(reopenAt, deadline) && view.length > 0) {
      const at = Math.floor(Math.random() * view.length);
      const length = Math.min(1 + Math.floor(Math.random() * 65536), view.length - at);
      try {
        switch (Math.floor(Math.random() * (useAsync ? 2 : 4))) {
          case 0: check(useAsync ? await view.subarray(at, at + length).snapshotAsync()
            : view.subarray(at, at + length).snapshot(), at); break;
          case 1: {
            const target = Buffer.alloc(length);
            if (useAsync) await view.copyAsync(target, 0, at, at + length);
            else view.copy(target, 0, at, at + length);
            check(target, at);
            break;
          }
          case 2: {
            const value = view.readUInt8(at);
            check(Uint8Array.of(value), at);
            break;
          }
          default:
            if (view.subarray(at, at + length).indexOf(0) !== -1) { tally.wrongBytes++; tally.firstWrong ??= 'a zero found by indexOf'; }
        }
        tally.reads++;
      } catch (error) {
        count(error);
      }
    }
    mapped.close();
  };
  return (async () => {
    while (Date.now() < deadline) await step();
    return tally;
  })();
}

async function readerProcessMain(file: string, seconds: number): Promise<void> {
  const milliseconds = seconds * 1000;
  const workers = [0, 1].map(() => new Promise<ReaderTally>((resolve, reject) => {
    const worker = new Worker(__filename, { argv: ['--role', 'worker', file, String(seconds)] });
    worker.once('message', resolve);
    worker.once('error', reject);
  }));
  const tallies = await Promise.all([readerLoop(file, milliseconds, false), readerLoop(file, milliseconds, true), ...workers]);
  process.send!({ tallies });
}

// ------------------------------------------------------------------ bad-input fuzz
async function fuzzMain(runs: number, seed: number, dir: string): Promise<void> {
  const report = await runBadInputFuzz(loadPackage(), { runs, seed, dir });
  process.send!({ report }, () => process.exit(0));
}

// Runs the fuzz in a child; a crash, a hang past the deadline or a missing
// report counts as one unexpected outcome.
function runFuzz(runs: number, seed: number, dir: string): Promise<FuzzSummary> {
  const fuzz: FuzzSummary = {
    runs, seed, cases: 0, seconds: 0, outcomes: {}, unexpectedCount: 0, unexpected: [], readOnlyUnchanged: true,
  };
  if (runs === 0) return Promise.resolve(fuzz);
  // Cases take well under 1 ms each; one that hangs is cut off by the fuzz after 5 s.
  const deadline = Math.max(120, runs / 100) * 1000;
  return new Promise((resolve) => {
    const child = fork(__filename, ['--role', 'fuzz', String(runs), String(seed), dir], { stdio: 'inherit' });
    let report: FuzzReport | null = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), deadline);
    child.on('message', (message: { report: FuzzReport }) => { report = message.report; });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (report) Object.assign(fuzz, report);
      delete fuzz.methods;  // calls per method: the fuzz's own test checks them; too long for the summary
      if (code !== 0 || signal || !report) {
        fuzz.unexpectedCount++;
        fuzz.unexpected.push({ call: 'the fuzz process', error: `ended with ${signal || `code ${code}`}${report ? '' : ' and no report'}` });
        fuzz.crash = signal || code;
      }
      resolve(fuzz);
    });
  });
}

// ------------------------------------------------------------------ parent
interface ChildResult {
  role: string; code: number | null; signal: NodeJS.Signals | null;
  report: { actions?: WriterActions; tallies?: ReaderTally[] } | null;
}

async function main(): Promise<void> {
  const seconds = Number(argument('--seconds', '10'));
  const fuzzRuns = Number(argument('--fuzz-runs', '100000'));
  // A new seed each soak explores new cases; it is printed, so a failure replays.
  const fuzzSeed = Number(argument('--fuzz-seed', String(Math.floor(Math.random() * 2 ** 31))));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-soak-'));
  const file = path.join(dir, 'soak.bin');
  fs.writeFileSync(file, patternBuffer(0, FILE_LENGTH, 0));
  const run = (role: string, extra: string[]): Promise<ChildResult> => new Promise((resolve) => {
    const child = fork(__filename, ['--role', role, file, String(seconds), ...extra], { stdio: 'inherit' });
    let report: ChildResult['report'] = null;
    child.on('message', (message: ChildResult['report']) => { report = message; });
    child.on('exit', (code, signal) => resolve({ role, code, signal, report }));
  });
  process.stderr.write(`soak: ${seconds} s, 2 writer processes, 1 reader process (main thread sync + async, 2 workers)\n`);
  const results = await Promise.all([run('writer', ['1']), run('writer', ['2']), run('reader', [])]);
  // After the soak, so that the two do not compete for the CPU.
  if (fuzzRuns > 0) process.stderr.write(`soak: bad-input fuzz, ${fuzzRuns} cases, seed ${fuzzSeed}\n`);
  const fuzz = await runFuzz(fuzzRuns, fuzzSeed, dir);
  fs.rmSync(dir, { recursive: true, force: true });

  const summary = { seconds, reads: 0, faultsCaught: 0, errorsByClass: {} as Record<string, number>, wrongBytes: 0, crashes: 0,
    unexpectedErrors: 0, writerActions: { truncate: 0, extend: 0, rewrite: 0, replace: 0 } as WriterActions,
    firstWrong: null as string | null, fuzz };
  for (const { role, code, signal, report } of results) {
    if (code !== 0 || signal || !report) { summary.crashes++; process.stderr.write(`soak: ${role} ended with ${signal || code}\n`); continue; }
    if (role === 'writer') {
      for (const [k, v] of Object.entries(report.actions!)) summary.writerActions[k as keyof WriterActions] += v;
    }
    for (const tally of report.tallies || []) {
      summary.reads += tally.reads;
      summary.faultsCaught += tally.faults;
      summary.wrongBytes += tally.wrongBytes;
      summary.firstWrong ??= tally.firstWrong;
      for (const [name, n] of Object.entries(tally.errors)) {
        summary.errorsByClass[name] = (summary.errorsByClass[name] || 0) + n;
        if (!EXPECTED_ERRORS.has(name)) summary.unexpectedErrors += n;
      }
    }
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(summary));
  else {
    console.log(`reads done: ${summary.reads}`);
    console.log(`faults caught: ${summary.faultsCaught}`);
    console.log(`errors by class: ${JSON.stringify(summary.errorsByClass)}`);
    console.log(`writer actions: ${JSON.stringify(summary.writerActions)}`);
    console.log(`wrong bytes: ${summary.wrongBytes}${summary.firstWrong ? ` (first: ${summary.firstWrong})` : ''}`);
    console.log(`unexpected error classes: ${summary.unexpectedErrors}`);
    console.log(`crashes: ${summary.crashes}`);
    console.log(`bad-input fuzz: ${fuzz.cases} of ${fuzz.runs} cases (seed ${fuzz.seed}, ${fuzz.seconds} s), ` +
      `read-only files unchanged: ${fuzz.readOnlyUnchanged ? 'yes' : 'NO'}`);
    console.log(`fuzz outcomes: ${JSON.stringify(fuzz.outcomes)}`);
    console.log(`unexpected fuzz outcomes: ${fuzz.unexpectedCount}`);
    for (const { call, error } of fuzz.unexpected.slice(0, 5)) console.log(`  ${call}\n    => ${error}`);
  }
  const fuzzOk = fuzz.unexpectedCount === 0 && fuzz.cases === fuzz.runs && fuzz.readOnlyUnchanged;
  process.exit(summary.wrongBytes === 0 && summary.crashes === 0 && summary.unexpectedErrors === 0 && summary.reads > 0 &&
    fuzzOk ? 0 : 1);
}

// One file, five roles: the parent (no --role), its writers, its reader
// process, that process's worker threads, and the fuzz's child.
const role = argument('--role');
const roleArgs = role ? process.argv.slice(process.argv.indexOf('--role') + 2) : [];
if (role === 'writer') writerMain(roleArgs[0], Number(roleArgs[1]));
else if (role === 'fuzz') fuzzMain(Number(roleArgs[0]), Number(roleArgs[1]), roleArgs[2]);
else if (role === 'reader') readerProcessMain(roleArgs[0], Number(roleArgs[1]));
else if (role === 'worker') {
  readerLoop(roleArgs[0], Number(roleArgs[1]) * 1000, false).then((tally) => parentPort!.postMessage(tally));
} else main();
