// The bad-input fuzz's runner: makes each case's call, awaits what it
// returns, has the oracle judge the outcome, and tallies the report.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import * as util from 'node:util';
import * as fc from 'fast-check';
import type { SafeMmap } from '../package';
import { arbCase, describeCase, type Case, type Method } from './cases';
import { makeContext, makeFixtures, type Context, type Fixtures } from './fixtures';
import { CASE_TIMEOUT_MS, classify, errorText, type Outcome, type Verdict } from './oracle';
import { confinePath, materialize } from './values';

const MAX_SAMPLES = 20;
const BATCH = 1000;  // cases per fc.sample call; case i is element i % BATCH of batch i / BATCH
// Node >= 18.18 defines Symbol.dispose as this registered symbol; jest's
// sandbox realm may lack Symbol.dispose itself.
const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('nodejs.dispose');

export interface FuzzOptions {
  runs?: number;
  seed?: number;
  /** Where the fixture files go (a directory of theirs is made in it and removed). */
  dir: string;
  /** Only these case numbers (as in an unexpected call's '#n'). */
  only?: number[];
}

export interface FuzzReport {
  seed: number;
  cases: number;
  /** Documented outcomes by key: 'returned', 'TypeError ERR_INVALID_ARG_TYPE', ... */
  outcomes: Record<string, number>;
  unexpectedCount: number;
  /** The first MAX_SAMPLES unexpected outcomes. */
  unexpected: Array<{ call: string; error: string }>;
  /** Calls per function, as in METHOD_NAMES. */
  methods: Record<string, number>;
  seconds: number;
  /** No read-only fixture changed on disk. */
  readOnlyUnchanged: boolean;
}

type RecordUnexpected = (call: string, error: string) => void;
type AnyFunction = (...args: unknown[]) => unknown;

/** Makes the call; resolves to { returned } or { threw, sync } or { hang }. */
async function invoke(lib: SafeMmap, testCase: Case, ctx: Context, args: unknown[]): Promise<Outcome> {
  const { method } = testCase;
  let result: unknown;
  try {
    result = callMethod(lib, method, ctx, args);
  } catch (error) {
    return { threw: error, sync: true };
  } finally {
    for (const action of ctx.afterCall) action();
    if (testCase.subject.closeDuring && method.kind === 'async') ctx.file?.close();
  }
  if (method.kind === 'async') {
    if (!result || typeof (result as Promise<unknown>).then !== 'function') return { returned: result, notAPromise: true };
    return settle(result as Promise<unknown>);
  }
  if (method.kind === 'stream') return consumeStream(result as Readable, testCase, ctx);
  if (method.kind === 'iterator') {
    try {
      // A few chunks only: chunks(1) of a large view would take long, and
      // the iteration's reads are what can fail.
      let taken = 0;
      for (const chunk of result as Iterable<unknown>) {
        if (!Buffer.isBuffer(chunk)) return { threw: new Error('chunks() yielded a non-Buffer'), sync: true };
        if (++taken === 2 && testCase.subject.closeDuring) ctx.file?.close();
        if (taken >= 4) break;
      }
    } catch (error) {
      return { threw: error, sync: true };
    }
  }
  return { returned: result };
}

function callMethod(lib: SafeMmap, method: Method, ctx: Context, args: unknown[]): unknown {
  const call = (target: object, name: string | symbol): unknown =>
    ((target as Record<string | symbol, AnyFunction>)[name]).apply(target, args);
  switch (method.on) {
    case 'module': {
      if (method.over === 'view') {
        const makeSource = lib[method.name as 'arrayBufferSource' | 'asyncArrayBufferSource'];
        return call(makeSource(ctx.view!), 'slice');
      }
      if (method.name === 'fsReader') return call(lib.fsReader(ctx.file!), 'read');
      if (method.name === 'fsReader.readAsync') return call(lib.fsReader(ctx.file!), 'readAsync');
      if (method.name === 'checkSnapshot') return (lib.checkSnapshot as AnyFunction)(...args);
      return (lib.open as AnyFunction)(confinePath(args[0], ctx), ...args.slice(1));
    }
    case 'file': {
      const file = ctx.file!;
      if (method.name === 'dispose') return call(file, DISPOSE);
      if (method.name === 'fileProperties') {
        return [file.path, file.size, file.closed, file.validate, file.mode, file.writable];
      }
      return call(file, method.name);
    }
    default: {
      const view = ctx.view!;
      if (method.name === 'inspect') return util.inspect(view);
      if (method.name === 'viewProperties') return [view.path, view.length, view.byteOffset, view.byteLength];
      if (method.name.startsWith('atomics.')) {
        const operation = method.name.slice('atomics.'.length);
        let words: Record<string, AnyFunction>;
        try {
          words = view.atomics(args[0] as 'int32') as unknown as Record<string, AnyFunction>;
        } catch (error) {
          // Making the words is the harness's step, synchronous by design (the
          // 'atomics' case fuzzes it): for waitAsync it is the case's rejection.
          if (method.kind === 'async') return Promise.reject(error);
          throw error;
        }
        const rest = args.slice(1);
        if (operation === 'wait') return words.wait(rest[0], rest[1], 0);
        if (operation === 'waitAsync') return words.waitAsync(rest[0], rest[1], 1, rest[2]);
        return words[operation](...rest);
      }
      return call(view, method.name);
    }
  }
}

function settle(promise: Promise<unknown>): Promise<Outcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ hang: true }), CASE_TIMEOUT_MS);
    promise.then((value) => { clearTimeout(timer); resolve({ returned: value }); },
      (error) => { clearTimeout(timer); resolve({ threw: error, sync: false }); });
  });
}

function consumeStream(stream: Readable, testCase: Case, ctx: Context): Promise<Outcome> {
  return new Promise((resolve) => {
    let chunks = 0;
    const done = (outcome: Outcome): void => { clearTimeout(timer); resolve(outcome); };
    const timer = setTimeout(() => { stream.destroy(); done({ hang: true }); }, CASE_TIMEOUT_MS);
    stream.on('data', () => {
      if (++chunks === 1 && testCase.subject.closeDuring) ctx.file?.close();
    });
    stream.on('end', () => done({ returned: stream }));
    stream.on('error', (error) => done({ threw: error, sync: false }));
  });
}

// Descriptors on the files the fuzz opens (/dev/null may be the host's own too:
// the caller compares before and after).
function countFixtureDescriptors({ paths }: Fixtures): number {
  try {
    const special = new Set(['/dev/null', '/dev/zero', paths.fifo]);
    return fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
        return target.startsWith(paths.dir) || special.has(target) || /^\/proc\/\d+\/stat$/.test(target);
      } catch {
        return false;  // closed meanwhile (readdir's own descriptor)
      }
    }).length;
  } catch {
    return 0;  // no /proc
  }
}

/** Runs `runs` generated cases against `lib` (the package's exports) and reports their outcomes. */
export async function runBadInputFuzz(lib: SafeMmap, { runs = 1000, seed = 1, dir, only }: FuzzOptions): Promise<FuzzReport> {
  if (!dir) throw new Error('runBadInputFuzz: dir is required');
  const started = Date.now();
  const fixtures = makeFixtures(dir, seed);
  const report: FuzzReport = {
    seed, cases: 0, outcomes: {}, unexpectedCount: 0, unexpected: [], methods: {}, seconds: 0, readOnlyUnchanged: true,
  };
  const record: RecordUnexpected = (call, error) => {
    report.unexpectedCount++;
    if (report.unexpected.length < MAX_SAMPLES) report.unexpected.push({ call, error });
  };
  const wanted = only ? [...new Set(only)].sort((a, b) => a - b) : null;
  const descriptorsBefore = countFixtureDescriptors(fixtures);
  try {
    for (let batchStart = 0; batchStart < runs; batchStart += BATCH) {
      const batch = Math.floor(batchStart / BATCH);
      const size = Math.min(BATCH, runs - batchStart);
      if (wanted && !wanted.some((i) => i >= batchStart && i < batchStart + size)) continue;
      const cases = fc.sample(arbCase, { seed: (seed + batch * 0x9e3779b1) | 0, numRuns: size });
      for (let i = 0; i < cases.length; i++) {
        const index = batchStart + i;
        if (wanted && !wanted.includes(index)) continue;
        await runOne(lib, fixtures, cases[i], index, report, record);
      }
    }
  } finally {
    report.readOnlyUnchanged = checkReadOnlyFiles(fixtures, record);
    // Every case closes what it opened, and failed opens must not leak either.
    const leaked = countFixtureDescriptors(fixtures) - descriptorsBefore;
    if (leaked > 0) record('after all cases: open descriptors', `${leaked} more open on the fuzz's files than before`);
    report.seconds = (Date.now() - started) / 1000;
    fs.rmSync(fixtures.paths.dir, { recursive: true, force: true });
  }
  return report;
}

async function runOne(lib: SafeMmap, fixtures: Fixtures, testCase: Case, index: number, report: FuzzReport,
  record: RecordUnexpected): Promise<void> {
  const { method } = testCase;
  report.cases++;
  const name = `${method.on}.${method.name}`;
  report.methods[name] = (report.methods[name] || 0) + 1;
  let ctx: Context;
  try {
    ctx = makeContext(lib, fixtures, testCase);
  } catch (error) {
    record(describeCase(testCase, index), `setting up the case failed: ${errorText(error)}`);
    return;
  }
  try {
    const args = [...testCase.args, testCase.extra].slice(0, testCase.count).map((token) => materialize(token, ctx));
    const started = performance.now();
    const outcome = await invoke(lib, testCase, ctx, args);
    const elapsed = performance.now() - started;
    const verdict: Verdict = elapsed > CASE_TIMEOUT_MS && !('hang' in outcome) ? { unexpected: `took ${Math.round(elapsed)} ms` }
      : classify(testCase, ctx, args, outcome);
    if ('key' in verdict) report.outcomes[verdict.key] = (report.outcomes[verdict.key] || 0) + 1;
    else record(describeCase(testCase, index), verdict.unexpected);
    if (method.name === 'open' && 'returned' in outcome && outcome.returned) {
      (outcome.returned as { close(): void }).close();
    }
  } catch (error) {
    record(describeCase(testCase, index), `the fuzz harness failed: ${errorText(error)}`);
  } finally {
    ctx.close();
  }
}

function checkReadOnlyFiles({ content, paths }: Fixtures, record: RecordUnexpected): boolean {
  let unchanged = true;
  for (const [file, expected] of [[paths.ro, content], [paths.empty, Buffer.alloc(0)]] as const) {
    const actual = fs.readFileSync(file);
    if (!actual.equals(expected)) {
      unchanged = false;
      record(`after all cases: ${path.basename(file)} on disk`,
        `a read-only file changed: ${actual.length} bytes, expected ${expected.length} unchanged bytes`);
    }
  }
  // Writes never extend a file: the r+ fixture keeps its size.
  if (fs.statSync(paths.rw).size !== content.length) {
    unchanged = false;
    record('after all cases: rw.bin on disk', `size ${fs.statSync(paths.rw).size}, expected ${content.length}`);
  }
  return unchanged;
}
