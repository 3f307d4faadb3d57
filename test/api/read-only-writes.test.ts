// Writes on mappings that cannot take them, and open() options for writing.
//
// A default open() maps PROT_READ: a store into it would be SIGSEGV, which
// the fault guard does not handle (Node's WebAssembly trap handler owns it on
// Linux), so it would kill the process. Every write method of MappedView
// must refuse first, with TypeError ERR_MAPPED_FILE_READ_ONLY, before it
// coerces an argument or touches the mapping, whatever its arguments (valid,
// invalid, or describing an empty write), and leave the file as it was. The
// same calls run in-process and in a child process (the built package, from
// lib/), where a crash would show as a signal instead of ending jest.
//
// Also: the open() options for writing (mode, size, populate, grow) are
// checked before the file is opened, so a bad one neither creates nor
// truncates anything; and writes through a file that was closed throw
// MappedFileClosed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import { open, MappedFile, MappedFileClosed, MappedView, ValidationMode } from '../../src';
import { PAGE, patternBuffer } from '../support/files';
import { useTempDir } from '../support/temp-dir';
import { PACKAGE_ROOT, runNodeScript } from '../support/processes';

const dir = useTempDir();

let fileCount = 0;
function patternFile(length: number): string {
  return dir.file(`${fileCount++}.bin`, patternBuffer(0, length));
}
function freshPath(): string {
  return path.join(dir.path, `${fileCount++}.bin`);
}

// Every write method of MappedView, Buffer's lower-case aliases included.
const NUMERIC_WRITES: Record<string, unknown> = {
  writeUInt8: 1, writeInt8: -1, writeUint8: 1,
  writeUInt16LE: 1, writeUInt16BE: 1, writeInt16LE: -1, writeInt16BE: -1, writeUint16LE: 1, writeUint16BE: 1,
  writeUInt32LE: 1, writeUInt32BE: 1, writeInt32LE: -1, writeInt32BE: -1, writeUint32LE: 1, writeUint32BE: 1,
  writeFloatLE: 1.5, writeFloatBE: 1.5, writeDoubleLE: 1.5, writeDoubleBE: 1.5,
  writeBigUInt64LE: 1n, writeBigUInt64BE: 1n, writeBigInt64LE: -1n, writeBigInt64BE: -1n,
  writeBigUint64LE: 1n, writeBigUint64BE: 1n,
};
const VARIABLE_WRITES = ['writeUIntLE', 'writeUIntBE', 'writeIntLE', 'writeIntBE', 'writeUintLE', 'writeUintBE'];
const WRITE_METHODS = [...Object.keys(NUMERIC_WRITES), ...VARIABLE_WRITES, 'write', 'fill', 'set'];

/** A value whose coercion is recorded: a write that refuses first never coerces it. */
function spy(log: string[], name: string): object {
  return {
    valueOf() { log.push(`${name}.valueOf`); return 1; },
    toString() { log.push(`${name}.toString`); return 'hex'; },
    get length() { log.push(`${name}.length`); return 1; },
  };
}

/**
 * Argument lists for a write method: valid ones, ones that write nothing
 * (an empty string, an empty range, an empty source), invalid ones, none,
 * and spies.
 */
function argumentLists(method: string, log: string[]): unknown[][] {
  const junk = [[], [Symbol('value'), Symbol('offset'), Symbol('third'), Symbol('fourth')], [undefined, -1],
    [NaN, 1e9, 99], [spy(log, 'a'), spy(log, 'b'), spy(log, 'c'), spy(log, 'd')]];
  if (method in NUMERIC_WRITES) {
    const value = NUMERIC_WRITES[method];
    return [[value], [value, 0], [value, 1], [typeof value === 'bigint' ? 2n ** 70n : 1e10, 0], [value, 1e6], ...junk];
  }
  if (VARIABLE_WRITES.includes(method)) return [[1, 0, 1], [1, 0, 6], [-1, 2, 3], [1, 0, 7], [1, 1e6, 2], ...junk];
  switch (method) {
    case 'write': return [['hi'], ['hi', 1], ['hi', 0, 2, 'latin1'], ['6162', 'hex'], [''], ['hi', 1e6], ['hi', 0, 0], ...junk];
    case 'fill': return [[0x41], ['ab'], ['ab', 1, 3, 'latin1'], [1, 0, 0], [1, 2, 1], [Buffer.alloc(0)], [1, 1e6], ...junk];
    case 'set': return [[[1, 2]], [Buffer.from('xy'), 1], [[]], [new Uint16Array([300])], [[1], 1e6], [null], ...junk];
    default: throw new Error(`no arguments for ${method}`);
  }
}

function callMethod(view: MappedView, method: string, args: readonly unknown[]): unknown {
  return (view as unknown as Record<string, (...a: unknown[]) => unknown>)[method](...args);
}

/** What `action` threw, or 'nothing'. */
function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return 'nothing';
}

function describeError(error: unknown): string {
  if (error === null || typeof error !== 'object') return `non-object: ${inspect(error)}`;
  return `${(error as object).constructor?.name} ${String((error as { code?: unknown }).code)}`;
}

/** The views a test writes through: whole file, at an offset, nested subarrays, empty. */
function viewsOf(file: MappedFile): { label: string; view: MappedView }[] {
  const size = file.size;
  return [
    { label: 'view()', view: file.view() },
    { label: 'view(3)', view: file.view(3) },
    { label: `view(${PAGE - 2}, 9)`, view: file.view(PAGE - 2, 9) },
    { label: 'view(1).subarray(2, -1).subarray(1)', view: file.view(1).subarray(2, -1).subarray(1) },
    { label: 'view(size) (empty)', view: file.view(size) },
    { label: 'view(5, 0) (empty)', view: file.view(5, 0) },
  ];
}

describe("on a read-only ('r') mapping every write throws ERR_MAPPED_FILE_READ_ONLY first", () => {
  test('the list of write methods is complete', () => {
    const prototypeWrites = Object.getOwnPropertyNames(MappedView.prototype)
      .filter((name) => /^write/.test(name) || name === 'fill' || name === 'set');
    expect(prototypeWrites.sort()).toEqual([...WRITE_METHODS].sort());
    expect(WRITE_METHODS).toHaveLength(34);
  });

  test.each<[ValidationMode]>([['always'], ['fault']])(
    "every write method, with any arguments, on every kind of view (validate: '%s')", (validate) => {
      const size = 2 * PAGE + 7;
      const filePath = patternFile(size);
      const before = fs.readFileSync(filePath);
      const file = open(filePath, { validate });
      let calls = 0;
      try {
        expect(file.mode).toBe('r');
        expect(file.writable).toBe(false);
        for (const { label, view } of viewsOf(file)) {
          for (const method of WRITE_METHODS) {
            const log: string[] = [];
            for (const args of argumentLists(method, log)) {
              const where = `${label}.${method}(${args.map((arg) => inspect(arg)).join(', ')})`;
              const thrown = thrownBy(() => callMethod(view, method, args));
              expect({ where, error: describeError(thrown) }).toEqual({ where, error: 'TypeError ERR_MAPPED_FILE_READ_ONLY' });
              expect(thrown).toBeInstanceOf(TypeError);
              expect((thrown as Error).message).toContain(filePath);
              calls++;
            }
            // No argument was coerced: the check came before Buffer's argument handling.
            expect({ method, log }).toEqual({ method, log: [] });
          }
        }
        // The mapping still reads the file's bytes, and fs sees them unchanged.
        expect(file.view().snapshot().equals(before)).toBe(true);
        file.flush();
      } finally {
        file.close();
      }
      expect(fs.readFileSync(filePath).equals(before)).toBe(true);
      const perView = WRITE_METHODS.reduce((sum, method) => sum + argumentLists(method, []).length, 0);
      expect(calls).toBe(6 * perView);
    });

  test('flush() and flushAsync() on a read-only mapping are harmless no-ops', async () => {
    const filePath = patternFile(PAGE + 1);
    const before = fs.readFileSync(filePath);
    const file = open(filePath);
    try {
      file.flush();
      file.view(1, 10).flush();
      await file.flushAsync();
      await file.view(PAGE).flushAsync();
    } finally {
      file.close();
    }
    expect(fs.readFileSync(filePath).equals(before)).toBe(true);
  });

  test('in a child process (the built package): every call refuses, nothing crashes, the file is unchanged', () => {
    expect(fs.existsSync(path.join(PACKAGE_ROOT, 'lib', 'index.js'))).toBe(true);  // `npm run build:ts` makes it
    const size = 2 * PAGE + 7;
    const filePath = patternFile(size);
    const before = fs.readFileSync(filePath);
    // Argument lists without spies or symbols, which JSON cannot carry: the
    // child builds its own from these descriptions.
    const script = `
      const fs = require('node:fs');
      const { open } = require('.');
      const methods = ${JSON.stringify(WRITE_METHODS)};
      const results = {};
      let calls = 0;
      const record = (key, fn) => {
        let outcome = 'returned';
        try { fn(); } catch (error) { outcome = error.constructor.name + ' ' + error.code; }
        results[outcome] = (results[outcome] || 0) + 1;
        if (outcome !== 'TypeError ERR_MAPPED_FILE_READ_ONLY') results['odd: ' + key + ' -> ' + outcome] = 1;
        calls++;
      };
      for (const validate of ['always', 'fault']) {
        const file = open(${JSON.stringify(filePath)}, { validate });
        const views = [file.view(), file.view(3), file.view(${PAGE - 2}, 9), file.view(1).subarray(2, -1), file.view(${size})];
        const lists = [[], [1], [1, 0], [1n, 0], [1, 0, 2], [-1, 1, 6], ['hi'], ['hi', 1, 2, 'latin1'], [''], [[1, 2]],
          [Buffer.from('xy'), 1], [[]], [1, 0, 0], [1, 1e6], [Symbol('v'), Symbol('o')], [1.5, ${size}], [2n ** 64n, 0]];
        views.forEach((view, v) => {
          for (const method of methods) {
            for (const args of lists) record(validate + ' view ' + v + ' ' + method, () => view[method](...args));
          }
        });
        // Below the public API: the native mapping itself refuses a store into a read-only mapping.
        const { binding } = require('./lib/binding');
        record(validate + ' native.writeFrom', () => binding.writeFrom(file.native.slot, Buffer.from('xy'), 0, 0, 2));
        record(validate + ' native.fill', () => binding.fill(file.native.slot, 0, 8, Buffer.from([1])));
        file.close();
      }
      const same = fs.readFileSync(${JSON.stringify(filePath)}).equals(Buffer.from(${JSON.stringify(before.toString('base64'))}, 'base64'));
      console.log(JSON.stringify({ calls, results, same }));`;
    for (const env of [{}, { SAFE_MMAP_TEST_DISABLE_GUARD: '1' }]) {
      const child = runNodeScript(script, env);
      const summary = `${inspect(env)}: status ${child.status}, signal ${child.signal}\n${child.stdout}\n${child.stderr}`;
      expect({ summary, status: child.status, signal: child.signal }).toEqual({ summary, status: 0, signal: null });
      const { calls, results, same } = JSON.parse(child.stdout);
      const expectedCalls = 2 * (5 * WRITE_METHODS.length * 17 + 2);
      expect(results).toEqual({ 'TypeError ERR_MAPPED_FILE_READ_ONLY': expectedCalls });
      expect(calls).toBe(expectedCalls);
      expect(same).toBe(true);
    }
    expect(fs.readFileSync(filePath).equals(before)).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// open() options for writing

function expectThrows(call: () => unknown, errorClass: 'TypeError' | 'RangeError', code: string, label: string): void {
  let thrown: unknown = 'nothing';
  try {
    const result = call();
    if (result instanceof MappedFile) result.close();
  } catch (error) {
    thrown = error;
  }
  expect({ label, error: describeError(thrown) }).toEqual({ label, error: `${errorClass} ${code}` });
}

/** open() with `options` throws as expected, and neither creates `fresh` nor changes `existing`. */
function expectBadOptions(options: unknown, errorClass: 'TypeError' | 'RangeError', code: string): void {
  const existing = patternFile(100);
  const before = fs.readFileSync(existing);
  const fresh = freshPath();
  const label = `open(path, ${inspect(options)})`;
  expectThrows(() => open(existing, options as never), errorClass, code, `${label} on an existing file`);
  expectThrows(() => open(fresh, options as never), errorClass, code, `${label} on a missing file`);
  expect({ label, existingUnchanged: fs.readFileSync(existing).equals(before), freshCreated: fs.existsSync(fresh) })
    .toEqual({ label, existingUnchanged: true, freshCreated: false });
}

describe('open() options for writing', () => {
  test.each<[unknown]>([['w'], ['a'], [1], ['R+'], ['W+'], ['rw'], [''], [null], [true], [{}], ['r+ ']])(
    'unknown mode %p: TypeError ERR_INVALID_ARG_VALUE', (mode) => {
      expectBadOptions({ mode }, 'TypeError', 'ERR_INVALID_ARG_VALUE');
      expectBadOptions({ mode, size: 10 }, 'TypeError', 'ERR_INVALID_ARG_VALUE');
    });

  test.each<[string, Record<string, unknown>, 'TypeError' | 'RangeError', string]>([
    ['without size', { mode: 'w+' }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['size undefined', { mode: 'w+', size: undefined }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['size null', { mode: 'w+', size: null }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ["size '10'", { mode: 'w+', size: '10' }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['size 10n', { mode: 'w+', size: 10n }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['size {}', { mode: 'w+', size: {} }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['size new Number(10)', { mode: 'w+', size: new Number(10) }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['size true', { mode: 'w+', size: true }, 'TypeError', 'ERR_INVALID_ARG_TYPE'],
    ['size -1', { mode: 'w+', size: -1 }, 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['size -4096', { mode: 'w+', size: -PAGE }, 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['size 1.5', { mode: 'w+', size: 1.5 }, 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['size 0.1', { mode: 'w+', size: 0.1 }, 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['size NaN', { mode: 'w+', size: NaN }, 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['size Infinity', { mode: 'w+', size: Infinity }, 'RangeError', 'ERR_OUT_OF_RANGE'],
    ['size 2 ** 53', { mode: 'w+', size: 2 ** 53 }, 'RangeError', 'ERR_OUT_OF_RANGE'],
  ])("mode 'w+' %s", (_label, options, errorClass, code) => {
    expectBadOptions(options, errorClass, code);
  });

  test.each<[Record<string, unknown>]>([
    [{ size: 10 }], [{ mode: 'r', size: 10 }], [{ mode: 'r', size: 0 }], [{ mode: 'r+', size: 10 }],
    [{ mode: 'r', size: -1 }], [{ mode: 'r+', size: 'x' }], [{ mode: 'r', size: null }],
  ])('size with a mode other than w+ %p: TypeError ERR_INVALID_ARG_VALUE', (options) => {
    expectBadOptions(options, 'TypeError', 'ERR_INVALID_ARG_VALUE');
  });

  test.each<[unknown]>([['yes'], [1], [0], [null], ['true'], [{}], [1n]])(
    'populate %p: TypeError ERR_INVALID_ARG_TYPE', (populate) => {
      expectBadOptions({ populate }, 'TypeError', 'ERR_INVALID_ARG_TYPE');
      expectBadOptions({ mode: 'w+', size: 10, populate }, 'TypeError', 'ERR_INVALID_ARG_TYPE');
    });

  test.each<[unknown]>([['always'], ['AUTO'], ['Never'], [''], [true], [false], [null], [0], ['auto ']])(
    'grow %p: TypeError ERR_INVALID_ARG_VALUE', (grow) => {
      expectBadOptions({ grow }, 'TypeError', 'ERR_INVALID_ARG_VALUE');
      expectBadOptions({ mode: 'w+', size: 10, grow }, 'TypeError', 'ERR_INVALID_ARG_VALUE');
    });

  test('the valid forms open', () => {
    const filePath = patternFile(PAGE + 3);
    for (const options of [
      undefined, {}, { mode: 'r' }, { mode: 'r+' }, { mode: 'r', size: undefined }, { populate: true },
      { populate: false }, { grow: 'never' }, { grow: 'auto' }, { mode: 'r+', populate: true, grow: 'auto' },
    ] as const) {
      const file = open(filePath, options as never);
      expect({ options, size: file.size, mode: file.mode })
        .toEqual({ options, size: PAGE + 3, mode: (options as { mode?: string } | undefined)?.mode ?? 'r' });
      file.close();
    }
    const created = open(freshPath(), { mode: 'w+', size: 0, populate: true, grow: 'auto' });
    expect(created.size).toBe(0);
    created.close();
  });
});

// ---------------------------------------------------------------------------
// Writes after close()

describe('writes after close() throw MappedFileClosed', () => {
  const VALID_ARGS: Record<string, unknown[][]> = {
    write: [['hi'], ['hi', 1, 1, 'latin1'], ['']],
    fill: [[0x41], ['ab', 1, 3], [1, 2, 2]],
    set: [[[1, 2]], [Buffer.from('x'), 1], [[]]],
  };
  for (const method of VARIABLE_WRITES) VALID_ARGS[method] = [[1, 0, 2]];
  for (const [method, value] of Object.entries(NUMERIC_WRITES)) VALID_ARGS[method] = [[value, 0], [value]];
  const EMPTY_WRITES: [string, unknown[]][] = [
    ['write', ['']], ['write', ['hi']], ['write', ['hi', 0]], ['fill', [1]], ['fill', ['ab', 0, 0]], ['set', [[]]],
    ['set', [Buffer.alloc(0), 0]],
  ];

  test.each<['r+' | 'w+']>([['r+'], ['w+']])('mode %s: every write method, through views made before close()', async (mode) => {
    const size = 2 * PAGE + 7;
    const filePath = mode === 'r+' ? patternFile(size) : freshPath();
    const file = mode === 'r+' ? open(filePath, { mode }) : open(filePath, { mode, size });
    const before = fs.readFileSync(filePath);
    const views = viewsOf(file).filter(({ view }) => view.length >= 8);
    const empty = file.view(size);
    file.close();
    expect(file.closed).toBe(true);
    let calls = 0;
    const expectClosed = (label: string, view: MappedView, method: string, args: readonly unknown[]): void => {
      const where = `${label}.${method}(${args.map((arg) => inspect(arg)).join(', ')}) after close()`;
      const thrown = thrownBy(() => callMethod(view, method, args));
      expect({ where, error: describeError(thrown) }).toEqual({ where, error: 'MappedFileClosed ERR_MAPPED_FILE_CLOSED' });
      expect(thrown).toBeInstanceOf(MappedFileClosed);
      calls++;
    };
    for (const { label, view } of views) {
      for (const method of WRITE_METHODS) {
        for (const args of VALID_ARGS[method]) expectClosed(label, view, method, args);
      }
      expect(() => view.flush()).toThrow(MappedFileClosed);
      await expect(view.flushAsync()).rejects.toBeInstanceOf(MappedFileClosed);
    }
    // Writes of nothing, which never reach the mapping, still throw.
    for (const [method, args] of EMPTY_WRITES) expectClosed('view(size) (empty)', empty, method, args);
    expect(() => empty.flush()).toThrow(MappedFileClosed);
    expect(calls).toBeGreaterThan(views.length * WRITE_METHODS.length);
    expect(() => file.flush()).toThrow(MappedFileClosed);
    await expect(file.flushAsync()).rejects.toBeInstanceOf(MappedFileClosed);
    expect(() => file.view()).toThrow(MappedFileClosed);
    expect(fs.readFileSync(filePath).equals(before)).toBe(true);
  });
});
