// Every public entry point, given bad input, throws the documented error (the
// class and `code` that fs or Buffer would give, or a MappedFileError) and
// never crashes or hangs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { pathToFileURL } from 'node:url';
import {
  open, MappedFile, MappedView, MappedFileError, MappedFileClosed, MappedFileTruncated, MappedFileIOError,
} from '../../src';
import {
  AWKWARD_BIGINTS, AWKWARD_NUMBERS, NON_STRING_ENCODINGS, NOT_NUMBERS, NUMBER_STRINGS, UNKNOWN_ENCODING_NAMES,
} from '../support/awkward-values';
import { NON_BYTE_TARGETS } from '../support/buffer-args';
import { onWindows, systemErrno, testCuttingMappedFile, testPosixOnly } from '../support/platforms';
import { READS, WIDTH } from '../support/reads';

const PAGE = 4096;

// Node >= 18.18 defines Symbol.dispose as this registered symbol; jest's
// sandbox realm may lack Symbol.dispose itself.
const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('nodejs.dispose');

// ---------------------------------------------------------------------------
// Helpers

type Method = (...args: unknown[]) => unknown;
function call(target: object, method: string, args: readonly unknown[]): unknown {
  return (target as Record<string, Method>)[method](...args);
}

function caught(action: () => unknown): Error & Record<string, unknown> {
  let result: unknown;
  try {
    result = action();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error(`expected a throw, but it returned ${inspect(result, { maxStringLength: 40 })}`);
}

/**
 * The call throws an error whose class is named `type` (by name: fs's and
 * Buffer's errors come from Node's realm, not jest's) with these properties.
 */
function expectThrows(action: () => unknown, type: string, properties: Record<string, unknown>): Error {
  const error = caught(action);
  expect(error).toBeTruthy();
  expect({ type: error.constructor?.name, ...pick(error, Object.keys(properties)) })
    .toEqual({ type, ...properties });
  return error;
}

function pick(object: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((key) => [key, object[key]]));
}

// What a call did: its return value, or the class name and `code` of its error.
function outcomeOf(action: () => unknown): Record<string, unknown> {
  try {
    const value = action();
    return { returned: Buffer.isBuffer(value) ? value.toString('hex') : value };
  } catch (error) {
    return { threw: (error as Error)?.constructor?.name, code: (error as { code?: unknown })?.code };
  }
}

/** Both calls do the same: return equal values, or throw the same class with the same `code`. */
function expectSameOutcome(bufferCall: () => unknown, viewCall: () => unknown, label: string): Record<string, unknown> {
  const expected = outcomeOf(bufferCall);
  expect({ label, ...outcomeOf(viewCall) }).toEqual({ label, ...expected });
  return expected;
}

/** Both calls throw, with the same class name and `code`. */
function expectThrowsLikeBuffer(bufferCall: () => unknown, viewCall: () => unknown, label: string): void {
  const expected = expectSameOutcome(bufferCall, viewCall, label);
  expect({ label, threw: typeof expected.threw }).toEqual({ label, threw: 'string' });
}

// The awkward values by what they are wrong as, for an offset or a length.
/** Not a number (undefined excepted: it stands for the default). */
const NOT_A_NUMBER: readonly unknown[] = [...NUMBER_STRINGS, ...NOT_NUMBERS.filter((value) => value !== undefined),
  ...AWKWARD_BIGINTS];
/** A number, but negative, fractional, not finite or huge (-0 excepted: it is 0). */
const BAD_NUMBER: readonly number[] = AWKWARD_NUMBERS.filter((value) => !Object.is(value, -0));

// The open descriptors, where the system lists them; Windows has no such list (undefined).
const openDescriptors = (): number | undefined =>
  onWindows ? undefined : fs.readdirSync(fs.existsSync('/proc/self/fd') ? '/proc/self/fd' : '/dev/fd').length;
const oneFewer = (count: number | undefined) => (count === undefined ? undefined : count - 1);

// ---------------------------------------------------------------------------
// Fixtures

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-bad-input-'));
const dataPath = path.join(dir, 'data.bin');
const emptyPath = path.join(dir, 'empty.bin');
const content = randomBytes(2 * PAGE + 3);
fs.writeFileSync(dataPath, content);
fs.writeFileSync(emptyPath, '');

const opened: MappedFile[] = [];
function track(file: MappedFile): MappedFile {
  opened.push(file);
  return file;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const file of opened) file.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------

describe('open(path, options)', () => {
  test.each([
    ['a number', 5], ['an object', {}], ['null', null], ['undefined', undefined], ['a Symbol', Symbol('path')],
    ['a boolean', true], ['an array', [dataPath]], ['a function', () => dataPath], ['a bigint', 1n],
  ])('path that is %s: TypeError ERR_INVALID_ARG_TYPE', (_, bad) => {
    expectThrows(() => open(bad as string), 'TypeError', { code: 'ERR_INVALID_ARG_TYPE' });
  });

  test.each([
    ['string', `${dataPath}\0.txt`],
    ['Buffer', Buffer.from(`${dataPath}\0`)],
  ])('%s path with a NUL byte: TypeError ERR_INVALID_ARG_VALUE', (_, bad) => {
    expectThrows(() => open(bad), 'TypeError', { code: 'ERR_INVALID_ARG_VALUE' });
  });

  test('a URL that is not file: is rejected as fs rejects it', () => {
    expectThrows(() => open(new URL('https://example.com/data.bin')), 'TypeError', { code: 'ERR_INVALID_URL_SCHEME' });
  });

  test('a nonexistent path: ENOENT from open, with the path', () => {
    const missing = path.join(dir, 'missing', 'file.bin');
    const error = expectThrows(() => open(missing), 'Error',
      { code: 'ENOENT', syscall: 'open', path: missing, errno: systemErrno('ENOENT') });
    expect(error.message).toContain(missing);
    expectThrows(() => open(pathToFileURL(missing)), 'Error', { code: 'ENOENT', syscall: 'open', path: missing });
  });

  test('a directory: EISDIR, with the path', () => {
    const error = expectThrows(() => open(dir), 'Error', { code: 'EISDIR', path: dir, errno: systemErrno('EISDIR') });
    expect(error.message).toContain(dir);
  });

  testPosixOnly('/dev/null (a character device): ENODEV, with the path', () => {
    expectThrows(() => open('/dev/null'), 'Error', { code: 'ENODEV', path: '/dev/null', errno: systemErrno('ENODEV') });
    expectThrows(() => open('/dev/null', { validate: 'fault' }), 'Error', { code: 'ENODEV' });
  });

  testPosixOnly('a FIFO: ENODEV at once, without waiting for a writer', () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // Watchdog: should open() ever block waiting for a writer, this child
    // opens the FIFO for writing after a few seconds, which unblocks it, and
    // the elapsed-time assertion fails instead of the test run hanging. When
    // open() does not block, the child is still waiting for a reader and is
    // killed below.
    const watchdog = spawn(process.execPath,
      ['-e', 'setTimeout(() => require("fs").openSync(process.argv[1], "w"), 4000)', fifo],
      { stdio: 'ignore' });
    children.push(watchdog);
    const started = Date.now();
    try {
      expectThrows(() => open(fifo), 'Error', { code: 'ENODEV', path: fifo, errno: systemErrno('ENODEV') });
      expectThrows(() => open(fifo, { validate: 'fault' }), 'Error', { code: 'ENODEV', path: fifo });
      expectThrows(() => open(fifo, { mode: 'r+' }), 'Error', { code: 'ENODEV', path: fifo });
    } finally {
      watchdog.kill('SIGKILL');
    }
    expect(Date.now() - started).toBeLessThan(3000);
  });

  testPosixOnly('failed opens leave no descriptor open', () => {
    const fifo = path.join(dir, 'fifo-2');
    execFileSync('mkfifo', [fifo]);
    const before = openDescriptors();
    for (let i = 0; i < 50; i++) {
      for (const bad of [dir, '/dev/null', fifo, path.join(dir, 'missing')]) {
        expect(() => open(bad)).toThrow();
      }
    }
    expect(openDescriptors()).toBe(before);
  });

  test.each([
    ['a string', 'fault'], ['a number', 5], ['a boolean', true], ['null', null], ['a function', () => ({})],
  ])('options that are %s: TypeError ERR_INVALID_ARG_TYPE', (_, bad) => {
    expectThrows(() => open(dataPath, bad as object), 'TypeError', { code: 'ERR_INVALID_ARG_TYPE' });
  });

  test.each([
    ['sometimes'], [1], [null], [true], ['ALWAYS'], ['Fault'], [''], ['toString'], ['__proto__'], [{}],
  ])('options.validate %p: TypeError ERR_INVALID_ARG_VALUE', (bad) => {
    expectThrows(() => open(dataPath, { validate: bad as 'always' }), 'TypeError', { code: 'ERR_INVALID_ARG_VALUE' });
  });

  test('valid options: default, explicit undefined, always and fault', () => {
    expect(track(open(dataPath)).validate).toBe('always');
    expect(track(open(dataPath, {})).validate).toBe('always');
    expect(track(open(dataPath, { validate: undefined })).validate).toBe('always');
    expect(track(open(dataPath, { validate: 'always' })).validate).toBe('always');
    expect(track(open(dataPath, { validate: 'fault' })).validate).toBe('fault');
  });

  test.each([
    ['a file: URL', () => pathToFileURL(dataPath)],
    ['a Buffer', () => Buffer.from(dataPath)],
    ['a string', () => dataPath],
  ])('path given as %s works', (_, makePath) => {
    const file = track(open(makePath()));
    expect(file.path).toBe(dataPath);
    expect(file.size).toBe(content.length);
    expect(file.view().snapshot().equals(content)).toBe(true);
    expect(file.view(PAGE - 2, 4).readUInt32LE(0)).toBe(content.readUInt32LE(PAGE - 2));
  });
});

describe('file.view(offset, length)', () => {
  let file: MappedFile;
  beforeAll(() => { file = track(open(dataPath)); });

  const wrongTypes = NOT_A_NUMBER;
  const outOfRange = (size: number): unknown[] => [...BAD_NUMBER, size + 1, size + 0.5];

  test('an offset or length of the wrong type: TypeError ERR_INVALID_ARG_TYPE', () => {
    for (const bad of wrongTypes) {
      expectThrows(() => file.view(bad as number), 'TypeError', { code: 'ERR_INVALID_ARG_TYPE' });
      expectThrows(() => file.view(0, bad as number), 'TypeError', { code: 'ERR_INVALID_ARG_TYPE' });
      expectThrows(() => file.view(bad as number, 1), 'TypeError', { code: 'ERR_INVALID_ARG_TYPE' });
    }
  });

  test('negative, NaN, fractional, infinite, huge or past the file: RangeError ERR_OUT_OF_RANGE', () => {
    const size = file.size;
    for (const bad of outOfRange(size)) {
      expectThrows(() => file.view(bad as number), 'RangeError', { code: 'ERR_OUT_OF_RANGE' });
      expectThrows(() => file.view(0, bad as number), 'RangeError', { code: 'ERR_OUT_OF_RANGE' });
    }
    // Ranges that start inside the file but end past it.
    for (const [offset, length] of [[0, size + 1], [1, size], [size, 1], [size - 1, 2], [PAGE, size - PAGE + 1]]) {
      expectThrows(() => file.view(offset, length), 'RangeError', { code: 'ERR_OUT_OF_RANGE' });
    }
  });

  test('the edges of the valid range are accepted', () => {
    const size = file.size;
    expect(file.view(size).length).toBe(0);
    expect(file.view(size, 0).length).toBe(0);
    expect(file.view(0, size).length).toBe(size);
    expect(file.view(undefined, 3).snapshot().equals(content.subarray(0, 3))).toBe(true);
    expect(file.view(size - 1).snapshot().equals(content.subarray(size - 1))).toBe(true);
    // -0 is accepted as 0, and reported as 0, as Buffer#subarray(-0) does.
    expect(file.view(-0, 2).byteOffset).toBe(0);
    expect(file.view(2, -0).length).toBe(0);
    expect(file.view().subarray(-0).byteOffset).toBe(0);
  });
});

describe('view methods with bad arguments fail as Buffer does', () => {
  let file: MappedFile;
  let views: Array<{ label: string; view: MappedView; buf: Buffer }>;
  beforeAll(() => {
    file = track(open(dataPath));
    views = [
      { label: 'view()', view: file.view(), buf: content },
      { label: `view(${PAGE - 1}, 7)`, view: file.view(PAGE - 1, 7), buf: content.subarray(PAGE - 1, PAGE + 6) },
      { label: 'view(5, 3)', view: file.view(5, 3), buf: content.subarray(5, 8) },  // shorter than most values
      { label: 'view(9).subarray(1, 2)', view: file.view(9).subarray(1, 2), buf: content.subarray(10, 11) },
    ];
  });

  test('every read method: wrong type, negative, NaN, fraction, huge, past the end', () => {
    for (const { label, view, buf } of views) {
      for (const method of READS) {
        const width = WIDTH[method];
        const bad: unknown[] = [
          ...NOT_A_NUMBER,  // wrong type
          ...BAD_NUMBER,  // negative, not an integer, huge
          buf.length - 0.5, buf.length, buf.length + 1, buf.length - width + 1,  // past the end
        ];
        for (const offset of bad) {
          expectThrowsLikeBuffer(() => call(buf, method, [offset]), () => call(view, method, [offset]),
            `${label}.${method}(${inspect(offset)})`);
        }
      }
    }
  });

  test('a read wider than the view: ERR_BUFFER_OUT_OF_BOUNDS, as Buffer', () => {
    const narrow = file.view(5, 3);
    for (const method of ['readUInt32LE', 'readFloatBE', 'readDoubleLE', 'readBigInt64BE'] as const) {
      expectThrows(() => narrow[method](0), 'RangeError', { code: 'ERR_BUFFER_OUT_OF_BOUNDS' });
      expectThrows(() => narrow[method](), 'RangeError', { code: 'ERR_BUFFER_OUT_OF_BOUNDS' });
    }
  });

  test('copy: a target that is not a Uint8Array, bad positions', () => {
    for (const { label, view, buf } of views) {
      for (const { label: what, make } of NON_BYTE_TARGETS) {
        expectThrowsLikeBuffer(() => buf.copy(make(4) as Uint8Array), () => view.copy(make(4) as Uint8Array),
          `${label}.copy(${what})`);
      }
      const positions: Array<[unknown, unknown, unknown]> = [
        [-1, 0, 1], [0, -1, 1], [0, 0, -1], [0, buf.length + 1, undefined], [-0.5, 0, 1], [0, -0.5, 1],
        [0, 0, -0.5], ['-1', 0, 1], [0, '-2', 1], [0, 0, '-3'], [0, Symbol('s'), 1], [0, 1n, 2], [0, 0, 2n],
        [0, 2 ** 53 - 1, 1],
      ];
      for (const args of positions) {
        expectThrowsLikeBuffer(() => buf.copy(Buffer.alloc(4), ...(args as number[])),
          () => view.copy(Buffer.alloc(4), ...(args as number[])), `${label}.copy(target, ${inspect(args)})`);
      }
    }
  });

  test('toString: unknown encodings and uncoercible positions', () => {
    for (const { label, view, buf } of views) {
      for (const encoding of [...UNKNOWN_ENCODING_NAMES, ...NON_STRING_ENCODINGS]) {
        expectThrowsLikeBuffer(() => buf.toString(encoding as BufferEncoding), () => view.toString(encoding as BufferEncoding),
          `${label}.toString(${inspect(encoding)})`);
      }
      // These throw, or return '' when the comparisons alone already show an empty range.
      for (const args of [['hex', Symbol('start')], ['hex', 0, Symbol('end')], ['hex', 1n], ['hex', 0, 1n]]) {
        expectSameOutcome(() => call(buf, 'toString', args), () => call(view, 'toString', args),
          `${label}.toString(${inspect(args)})`);
      }
    }
  });

  test('subarray/slice: uncoercible positions', () => {
    for (const { label, view, buf } of views) {
      for (const method of ['subarray', 'slice']) {
        for (const args of [[Symbol('start')], [0, Symbol('end')], [1n], [0, 1n], [{ valueOf: () => 1n }]]) {
          expectThrowsLikeBuffer(() => call(buf, method, args), () => call(view, method, args),
            `${label}.${method}(${inspect(args)})`);
        }
      }
    }
  });
});

describe('a closed file', () => {
  // Calls that work on a MappedView and on a Buffer alike (a Buffer's
  // "snapshot" is a copy), so that an open Buffer of the same length tells
  // whether the arguments alone are bad.
  type Subject = MappedView | Buffer;
  const snapshotOf = (subject: Subject): Buffer =>
    (subject instanceof MappedView ? subject.snapshot() : Buffer.from(subject));
  const CALLS: Array<[string, (subject: Subject) => unknown]> = [
    ...READS.map((method): [string, (subject: Subject) => unknown] => [`${method}(0)`, (s) => s[method](0)]),
    ...READS.map((method): [string, (subject: Subject) => unknown] => [`${method}(1)`, (s) => s[method](1)]),
    ...READS.map((method): [string, (subject: Subject) => unknown] => [`${method}()`, (s) => s[method]()]),
    ['subarray()', (s) => s.subarray()],
    ['subarray(1, 2)', (s) => s.subarray(1, 2)],
    ['subarray(5, 1)', (s) => s.subarray(5, 1)],
    ['slice()', (s) => s.slice()],
    ['slice(-1)', (s) => s.slice(-1)],
    ['snapshot()', snapshotOf],
    ['toString()', (s) => s.toString()],
    ['toString("hex")', (s) => s.toString('hex')],
    ['toString("hex", 1, 3)', (s) => s.toString('hex', 1, 3)],
    ['toString("hex", 2, 2)', (s) => s.toString('hex', 2, 2)],
    ['toString("utf8", 10 ** 9)', (s) => s.toString('utf8', 10 ** 9)],
    ['toString("bogus", 2, 2)', (s) => s.toString('bogus' as BufferEncoding, 2, 2)],
    ['copy(Buffer(8))', (s) => s.copy(Buffer.alloc(8))],
    ['copy(Buffer(8), 0, 1, 3)', (s) => s.copy(Buffer.alloc(8), 0, 1, 3)],
    ['copy(Buffer(0))', (s) => s.copy(Buffer.alloc(0))],
    ['copy(Buffer(8), 0, 2, 2)', (s) => s.copy(Buffer.alloc(8), 0, 2, 2)],
    ['copy(Buffer(8), 8)', (s) => s.copy(Buffer.alloc(8), 8)],
  ];

  let file: MappedFile;
  let views: Array<[string, MappedView]>;
  beforeEach(() => {
    file = open(dataPath);
    views = [
      ['view()', file.view()],
      ['view(100, 50)', file.view(100, 50)],
      ['view(10).subarray(3, 40).slice(1)', file.view(10).subarray(3, 40).slice(1)],
      ['view(size - 1) (1 byte)', file.view(file.size - 1)],
      ['view(size) (empty)', file.view(file.size)],
    ];
    file.close();
  });

  test('every method of views made before close() throws MappedFileClosed, unless its arguments are bad', () => {
    const seen = { closed: 0, argumentError: 0 };
    for (const [label, view] of views) {
      for (const [name, access] of CALLS) {
        const where = `${label}.${name}`;
        // The same call on an open Buffer of the same length: if the
        // arguments alone make it fail, that error comes first.
        const open = outcomeOf(() => access(Buffer.alloc(view.length)));
        if (open.threw !== undefined) {
          expectSameOutcome(() => access(Buffer.alloc(view.length)), () => access(view), where);
          seen.argumentError++;
          continue;
        }
        const error = caught(() => access(view));
        expect({ where, closed: error instanceof MappedFileClosed, code: error.code, path: error.path })
          .toEqual({ where, closed: true, code: 'ERR_MAPPED_FILE_CLOSED', path: dataPath });
        seen.closed++;
      }
    }
    // Both branches ran: most calls are fine by their arguments, some are not.
    expect(seen.closed).toBeGreaterThan(views.length * 10);
    expect(seen.argumentError).toBeGreaterThan(READS.length);
  });

  test('every method of the file throws MappedFileClosed, except close()', () => {
    expect(file.closed).toBe(true);
    for (const access of [() => file.fileSize(), () => file.view(), () => file.view(0, 1), () => file.view(file.size)]) {
      expect(access).toThrow(MappedFileClosed);
    }
    expect(() => file.close()).not.toThrow();
    expect(() => file[DISPOSE as typeof Symbol.dispose]()).not.toThrow();
    expect(file.closed).toBe(true);
    // What was fixed at open() stays readable.
    expect(file.path).toBe(dataPath);
    expect(file.size).toBe(content.length);
  });

  test('argument errors still take priority over MappedFileClosed', () => {
    const view = views[0][1];
    expectThrows(() => view.readUInt8('0' as unknown as number), 'TypeError', { code: 'ERR_INVALID_ARG_TYPE' });
    expectThrows(() => view.readUInt32LE(-1), 'RangeError', { code: 'ERR_OUT_OF_RANGE' });
    expectThrows(() => view.readDoubleLE(0.5), 'RangeError', { code: 'ERR_OUT_OF_RANGE' });
    for (const method of READS) {
      expectThrows(() => views[4][1][method](0), 'RangeError', { code: 'ERR_BUFFER_OUT_OF_BOUNDS' });
    }
    expectThrows(() => view.copy('target' as unknown as Uint8Array), 'TypeError', { code: 'ERR_INVALID_ARG_TYPE' });
    expectThrows(() => view.copy(Buffer.alloc(1), -1), 'RangeError', { code: 'ERR_OUT_OF_RANGE' });
    expectThrows(() => view.toString('bogus' as BufferEncoding, 0, 2), 'TypeError', { code: 'ERR_UNKNOWN_ENCODING' });
    expectThrows(() => view.subarray(1n as unknown as number), 'TypeError', {});
    expectThrows(() => file.view(-1), 'RangeError', { code: 'ERR_OUT_OF_RANGE' });
    expectThrows(() => file.view('0' as unknown as number), 'TypeError', { code: 'ERR_INVALID_ARG_TYPE' });
    expectThrows(() => file.view(0, file.size + 1), 'RangeError', { code: 'ERR_OUT_OF_RANGE' });
  });

  test('close() is idempotent and leaves other files on the same path open', () => {
    const first = open(dataPath);
    const second = track(open(dataPath));
    const view = first.view();
    const before = openDescriptors();
    first.close();
    expect(openDescriptors()).toBe(oneFewer(before));
    first.close();
    first.close();
    expect(openDescriptors()).toBe(oneFewer(before));
    expect(first.closed).toBe(true);
    expect(() => view.readUInt8(0)).toThrow(MappedFileClosed);
    expect(second.closed).toBe(false);
    expect(second.view().readUInt8(1)).toBe(content[1]);
  });

  test('file[Symbol.dispose]() closes the file', () => {
    const disposable = open(dataPath);
    const view = disposable.view(1, 10);
    expect(typeof disposable[DISPOSE as typeof Symbol.dispose]).toBe('function');
    disposable[DISPOSE as typeof Symbol.dispose]();
    expect(disposable.closed).toBe(true);
    expect(() => view.snapshot()).toThrow(MappedFileClosed);
    expect(() => disposable.fileSize()).toThrow(MappedFileClosed);
    expect(() => disposable.close()).not.toThrow();
  });
});

describe('an empty file', () => {
  let file: MappedFile;
  beforeAll(() => { file = track(open(emptyPath)); });

  test('opens with size 0 and a zero-length view', () => {
    expect(file.size).toBe(0);
    expect(file.fileSize()).toBe(0);
    const view = file.view();
    expect(view.length).toBe(0);
    expect(view.byteOffset).toBe(0);
    expect(file.view(0, 0).length).toBe(0);
    expect(view.subarray(1, 5).length).toBe(0);
    expect(view.slice(-3).length).toBe(0);
  });

  test('snapshot() is an empty Buffer; toString() and copy() do nothing', () => {
    const view = file.view();
    const snapshot = view.snapshot();
    expect(Buffer.isBuffer(snapshot)).toBe(true);
    expect(snapshot.length).toBe(0);
    expect(view.toString()).toBe('');
    expect(view.toString('hex', 0, 10)).toBe('');
    const target = Buffer.alloc(4, 7);
    expect(view.copy(target)).toBe(0);
    expect(target).toEqual(Buffer.alloc(4, 7));
  });

  test('reads throw what an empty Buffer throws', () => {
    const view = file.view();
    const empty = Buffer.alloc(0);
    for (const method of READS) {
      for (const offset of [undefined, 0, 1, -1, 0.5, NaN, '0']) {
        expectThrowsLikeBuffer(() => call(empty, method, offset === undefined ? [] : [offset]),
          () => call(view, method, offset === undefined ? [] : [offset]), `empty.${method}(${inspect(offset)})`);
      }
      // An empty Buffer has no valid offset: even readUInt8(0) is out of bounds.
      expectThrows(() => call(view, method, [0]), 'RangeError', { code: 'ERR_BUFFER_OUT_OF_BOUNDS' });
      expectThrows(() => call(view, method, [0.5]), 'RangeError', { code: 'ERR_OUT_OF_RANGE' });
    }
  });

  test('view() past the end is out of range', () => {
    expectThrows(() => file.view(1), 'RangeError', { code: 'ERR_OUT_OF_RANGE' });
    expectThrows(() => file.view(0, 1), 'RangeError', { code: 'ERR_OUT_OF_RANGE' });
  });
});

describe('MappedFileError objects', () => {
  type MappedErrorClass = (abstract new (...args: never[]) => MappedFileError) & { name: string };
  function expectMappedError(error: unknown, type: MappedErrorClass, properties: Record<string, unknown>): void {
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(MappedFileError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: type.name, ...properties });
    expect(Object.prototype.toString.call(error)).toBe('[object Error]');
    expect(String((error as Error).stack)).toContain(type.name);
  }

  test('MappedFileClosed from a read carries the path and the absolute range', () => {
    const file = open(dataPath);
    const view = file.view(100).subarray(20);
    file.close();
    const error = caught(() => view.readUInt32BE(8));
    expectMappedError(error, MappedFileClosed,
      { code: 'ERR_MAPPED_FILE_CLOSED', path: dataPath, offset: 128, length: 4, fileSize: undefined });
    expect(error.message).toContain(dataPath);
    expectMappedError(caught(() => view.snapshot()), MappedFileClosed,
      { code: 'ERR_MAPPED_FILE_CLOSED', path: dataPath, offset: 120, length: content.length - 120 });
    expectMappedError(caught(() => file.view(7, 9)), MappedFileClosed,
      { code: 'ERR_MAPPED_FILE_CLOSED', path: dataPath, offset: 7, length: 9 });
  });

  testCuttingMappedFile.each(['always', 'fault'] as const)(
    "MappedFileTruncated (validate: '%s') carries the range and the new file size", (validate) => {
      const truncated = path.join(dir, `truncated-${validate}.bin`);
      fs.writeFileSync(truncated, content);
      const file = track(open(truncated, { validate }));
      const view = file.view(PAGE);
      fs.truncateSync(truncated, 100);
      // A whole page past the new end: the mapping faults there.
      const error = caught(() => view.readUInt16LE(8));
      expectMappedError(error, MappedFileTruncated, {
        code: 'ERR_MAPPED_FILE_TRUNCATED', path: truncated, offset: PAGE + 8, length: 2, fileSize: 100,
      });
      expect(error.message).toContain(truncated);
      expectMappedError(caught(() => view.snapshot()), MappedFileTruncated,
        { path: truncated, offset: PAGE, length: content.length - PAGE, fileSize: 100 });
      // Still inside the file: unaffected.
      expect(file.view(0, 100).snapshot().equals(content.subarray(0, 100))).toBe(true);
      expect(file.fileSize()).toBe(100);
    });

  test('the error classes can be made directly, with their codes and messages', () => {
    const io = new MappedFileIOError({ path: '/x', offset: 1, length: 2, fileSize: 3, errno: systemErrno('EIO') });
    expectMappedError(io, MappedFileIOError,
      { code: 'ERR_MAPPED_FILE_IO', path: '/x', offset: 1, length: 2, fileSize: 3, errno: systemErrno('EIO') });
    expect(io.message).toContain('EIO');
    const truncated = new MappedFileTruncated({ path: '/y', offset: 10, length: 4, fileSize: 12 });
    expectMappedError(truncated, MappedFileTruncated, { code: 'ERR_MAPPED_FILE_TRUNCATED', fileSize: 12 });
    expect(truncated.message).toContain('12');
    const closed = new MappedFileClosed({ path: '/z' });
    expectMappedError(closed, MappedFileClosed,
      { code: 'ERR_MAPPED_FILE_CLOSED', path: '/z', offset: undefined, length: undefined });
  });
});

// Below the API: the addon's functions name a mapping by its slot number and
// take the numeric read's arguments from memory. Forged or stale values must
// be refused before any memory is touched.
describe('the binding, called directly', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { binding } = require('../../src/binding') as typeof import('../../src/binding');

  test('an unknown slot is refused by every slot function', () => {
    const target = Buffer.alloc(8);
    for (const slot of [2 ** 31, 2 ** 32 - 1, 123_456]) {
      expectThrows(() => binding.copyTo(slot, target, 0, 0, 4), 'TypeError', { message: 'not a live mapping slot' });
      expectThrows(() => binding.snapshot(slot, 0, 4), 'TypeError', { message: 'not a live mapping slot' });
      expectThrows(() => binding.writeFrom(slot, target, 0, 0, 4), 'TypeError', { message: 'not a live mapping slot' });
    }
  });

  test('read() refuses a bad slot, offset or length in readArguments', () => {
    const file = open(dataPath);
    opened.push(file);
    const { slot } = file.native;
    const bad: [number, number, number][] = [
      [-1, 0, 4], [2 ** 32, 0, 4], [123_456, 0, 4], [NaN, 0, 4],
      [slot, -1, 4], [slot, 0.5, 4], [slot, NaN, 4], [slot, Infinity, 4], [slot, 2 ** 60, 4],
      [slot, 0, 9], [slot, 0, -1], [slot, 0, 1.5], [slot, 0, NaN],
    ];
    for (const value of bad) {
      binding.readArguments.set(value);
      expectThrows(() => binding.read(), 'RangeError', { message: 'bad read arguments' });
    }
    // Inside the file but past the mapping: the mapping's own bounds apply.
    binding.readArguments.set([slot, content.length - 2, 4]);
    expectThrows(() => binding.read(), 'MappedFileTruncated', { code: 'ERR_MAPPED_FILE_TRUNCATED' });
    binding.readArguments.set([slot, 8, 4]);
    binding.read();
    expect(binding.scratch.subarray(0, 4)).toEqual(content.subarray(8, 12));
  });
});
