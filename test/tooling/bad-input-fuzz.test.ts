// The bad-input fuzz (scripts/fuzz/) in CI: fast-check calls
// every public function and option with wrong types, extreme numbers, values
// near the bounds, closed files and views of closed files, on read-only and
// read-write mappings. Only documented errors may come out, and read-only
// files must be unchanged on disk. The soak runs 100,000 cases; CI runs
// SAFE_MMAP_FUZZ_RUNS (default 4,000) with a fixed seed (SAFE_MMAP_FUZZ_SEED).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fuzz from '../../scripts/fuzz';
import type { FuzzReport } from '../../scripts/fuzz';
import * as lib from '../../src';

const RUNS = Number(process.env.SAFE_MMAP_FUZZ_RUNS ?? 4000);
const SEED = Number(process.env.SAFE_MMAP_FUZZ_SEED ?? 20241123);

let dir: string;
let report: FuzzReport;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-fuzz-test-'));
  report = await fuzz.runBadInputFuzz(lib, { runs: RUNS, seed: SEED, dir });
  console.log(`bad-input fuzz: ${report.cases} cases, seed ${SEED}, ${report.seconds} s, ` +
    `unexpected ${report.unexpectedCount}\n${JSON.stringify(report.outcomes, null, 1)}`);
}, 300_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// The seed is in every test name and compared object, so a failure says how to replay it.
describe(`bad-input fuzz (${RUNS} cases, seed ${SEED}; replay with SAFE_MMAP_FUZZ_SEED=${SEED})`, () => {
  test('every outcome is a documented one, and read-only files are unchanged on disk', () => {
    expect({ seed: SEED, cases: report.cases, unexpectedCount: report.unexpectedCount, unexpected: report.unexpected,
      readOnlyUnchanged: report.readOnlyUnchanged })
      .toEqual({ seed: SEED, cases: RUNS, unexpectedCount: 0, unexpected: [], readOnlyUnchanged: true });
  });

  test('the run reached every kind of outcome, so that it can fail', () => {
    const { outcomes } = report;
    const seen = (key: string): boolean => (outcomes[key] ?? 0) > 0;
    const seenPrefix = (prefix: string): boolean => Object.keys(outcomes).some((key) => key.startsWith(prefix));
    expect({
      seed: SEED,
      // Calls that get through the checks to the mapping, not only rejections.
      manyReturned: (outcomes.returned ?? 0) > RUNS / 10,
      codes: ['TypeError ERR_INVALID_ARG_TYPE', 'TypeError ERR_INVALID_ARG_VALUE', 'RangeError ERR_OUT_OF_RANGE',
        'RangeError ERR_BUFFER_OUT_OF_BOUNDS', 'TypeError ERR_UNKNOWN_ENCODING', 'TypeError ERR_MAPPED_FILE_READ_ONLY']
        .filter((key) => !seen(key)),
      closed: seen('MappedFileClosed ERR_MAPPED_FILE_CLOSED'),
      truncated: seen('MappedFileTruncated ERR_MAPPED_FILE_TRUNCATED'),
      aborted: seen('AbortError ABORT_ERR'),
      systemError: seenPrefix('Error E'),
      coercionAsBuffer: seenPrefix('TypeError (no code, as Buffer)'),
      callersErrorPassedThrough: seen('FuzzSentinel (passed through)'),
    }).toEqual({
      seed: SEED, manyReturned: true, codes: [], closed: true, truncated: true, aborted: true, systemError: true,
      coercionAsBuffer: true, callersErrorPassedThrough: true,
    });
  });

  test('every public function was called, and the fuzz knows every public method', () => {
    const uncalled = fuzz.METHOD_NAMES.filter((name) => !report.methods[name]);
    // Methods added to the classes later must be added to the fuzz too.
    const methodsOf = (prototype: object, on: string): string[] => Object.getOwnPropertyNames(prototype)
      .filter((name) => name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(prototype, name)?.value === 'function')
      .map((name) => `${on}.${name}`);
    const exportedFunctions = Object.entries(lib)
      .filter(([, value]) => typeof value === 'function' && !/^class\b/.test(Function.prototype.toString.call(value)))
      .map(([name]) => `module.${name}`);
    const unknown = [...methodsOf(lib.MappedFile.prototype, 'file'), ...methodsOf(lib.MappedView.prototype, 'view'),
      ...exportedFunctions].filter((name) => !fuzz.METHOD_NAMES.includes(name));
    expect({ seed: SEED, uncalled, unknown }).toEqual({ seed: SEED, uncalled: [], unknown: [] });
    // The symbol-keyed ones: file[Symbol.dispose] and util.inspect(view).
    expect(fuzz.METHOD_NAMES).toEqual(expect.arrayContaining(['file.dispose', 'view.inspect']));
  });
});

// What the fuzz found, checked directly so that these stay fixed whatever the seed.
describe('bugs the fuzz found', () => {
  const outcome = (action: () => unknown): Record<string, unknown> => {
    try {
      action();
      return { returned: true };
    } catch (error) {
      const { constructor, code, message } = error as Error & { code?: string };
      return { name: constructor.name, code, message };
    }
  };
  const detached = (): Uint8Array => {
    const array = new Uint8Array(8);
    structuredClone(array.buffer, { transfer: [array.buffer] });
    return array;
  };
  let file: lib.MappedFile;
  let view: lib.MappedView;
  beforeAll(() => {
    fs.writeFileSync(path.join(dir, 'regressions.bin'), Buffer.alloc(9000, 1));
    file = lib.open(path.join(dir, 'regressions.bin'), { mode: 'r+' });
    view = file.view(0, 16);
  });
  afterAll(() => file.close());

  test('createReadStream({ highWaterMark: 0 }) ends with every byte instead of hanging', async () => {
    let bytes = 0;
    for await (const chunk of file.createReadStream({ highWaterMark: 0 })) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(9000);
  }, 10_000);

  test('set() and fill() fail as Uint8Array#set and Buffer#fill do, not with errors of their own', () => {
    const cases: Array<[string, (target: lib.MappedView | Buffer) => unknown, (target: Buffer) => unknown]> = [
      ['set(null)', (t) => t.set(null as unknown as Uint8Array), (b) => Uint8Array.prototype.set.call(b, null as unknown as Uint8Array)],
      ['set(detached)', (t) => t.set(detached()), (b) => Uint8Array.prototype.set.call(b, detached())],
      ['set(BigInt64Array)', (t) => t.set(new BigInt64Array(1) as unknown as Uint8Array),
        (b) => Uint8Array.prototype.set.call(b, new BigInt64Array(1) as unknown as Uint8Array)],
      ['fill(2n)', (t) => t.fill(2n as unknown as number), (b) => b.fill(2n as unknown as number)],
      ['fill(detached)', (t) => t.fill(detached()), (b) => b.fill(detached())],
    ];
    for (const [label, onView, onBuffer] of cases) {
      expect({ label, ...outcome(() => onView(view)) }).toEqual({ label, ...outcome(() => onBuffer(Buffer.alloc(16))) });
    }
  });

  test('options that are detached typed arrays: ERR_INVALID_ARG_VALUE, not a TypeError from util.inspect', () => {
    for (const key of ['validate', 'mode']) {
      expect(outcome(() => lib.open(path.join(dir, 'regressions.bin'), { [key]: detached() })))
        .toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    }
    const dataView = new DataView(new ArrayBuffer(4));
    structuredClone(dataView.buffer, { transfer: [dataView.buffer] });
    expect(outcome(() => file.createReadStream({ highWaterMark: dataView as unknown as number })))
      .toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
  });
});
