// The Buffer-parity rule, shared by the property tests: a MappedView method,
// called with the same arguments as the same method of a Buffer holding the
// same bytes, must return an equal value or throw an error of the same class
// with the same `code`. Used by test/api/buffer-parity.test.ts and
// test/api/view-properties.test.ts.
import { inspect } from 'node:util';
import { isUint8Array } from 'node:util/types';
import * as fc from 'fast-check';

export type Outcome = { threw: false; value: unknown } | { threw: true; error: unknown };

export function outcomeOf(call: () => unknown): Outcome {
  try {
    return { threw: false, value: call() };
  } catch (error) {
    return { threw: true, error };
  }
}

/**
 * Deep equality of results. Bytes compare by content (and both must be
 * Buffers or both not), arrays element by element, anything else with
 * Object.is, so NaN equals NaN, -0 differs from 0 and bigints compare by value.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (isUint8Array(a) || isUint8Array(b)) {
    return isUint8Array(a) && isUint8Array(b) && Buffer.isBuffer(a) === Buffer.isBuffer(b) &&
      a.length === b.length && Buffer.compare(a, b) === 0;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length &&
      a.every((item, i) => sameValue(item, b[i]));
  }
  return Object.is(a, b);
}

// Buffer's errors come from Node's own realm and the view's from jest's
// sandbox, so the classes are compared by name rather than by identity.
export function errorShape(error: unknown): string {
  if (error === null || typeof error !== 'object') return `non-object thrown: ${inspect(error)}`;
  const constructorName = (error as object).constructor?.name;
  return `${constructorName} code=${String((error as { code?: unknown }).code)}`;
}

function showValue(value: unknown): string {
  if (isUint8Array(value)) {
    const hex = Buffer.from(value.buffer, value.byteOffset, value.length).toString('hex');
    return `${Buffer.isBuffer(value) ? 'Buffer' : 'Uint8Array'}(${value.length}) ${hex.slice(0, 80)}`;
  }
  if (Array.isArray(value)) {
    const shown = value.slice(0, 4).map(showValue).join(', ');
    return `[${shown}${value.length > 4 ? `, ... ${value.length - 4} more` : ''}]`;
  }
  return inspect(value, { maxStringLength: 80 });
}

export function show(outcome: Outcome): string {
  if (!outcome.threw) return `returned ${showValue(outcome.value)}`;
  const message = (outcome.error as { message?: unknown })?.message;
  return `threw ${errorShape(outcome.error)} (${String(message)})`;
}

let comparisons = 0;

/** How many comparisons expectSameOutcome has made so far in this test file. */
export function comparisonCount(): number {
  return comparisons;
}

/** Runs both calls; both must return equal values, or both throw alike. Returns Buffer's outcome. */
export function expectSameOutcome(bufferCall: () => unknown, viewCall: () => unknown,
  label: string | (() => string) = ''): Outcome {
  comparisons++;
  const expected = outcomeOf(bufferCall);
  const actual = outcomeOf(viewCall);
  const same = expected.threw
    ? actual.threw && errorShape(expected.error) === errorShape(actual.error)
    : !actual.threw && sameValue(expected.value, actual.value);
  if (!same) {
    const where = typeof label === 'function' ? label() : label;
    throw new Error(`${where}\n  Buffer: ${show(expected)}\n  view:   ${show(actual)}`);
  }
  return expected;
}

type Method = (...args: unknown[]) => unknown;
export function call(target: object, method: string, args: readonly unknown[]): unknown {
  return (target as Record<string, Method>)[method](...args);
}

export function describeCall(label: string, method: string, args: readonly unknown[]): string {
  return `${label}.${method}(${args.map((arg) => inspect(arg, { maxArrayLength: 8, maxStringLength: 40 })).join(', ')})`;
}

/**
 * fc.assert, then proof that the property compared something: at least
 * `minimum` comparisons in all (default: one per run).
 */
export function assertProperty<T>(property: fc.IProperty<T>, numRuns: number, minimum = numRuns): number {
  const before = comparisons;
  fc.assert(property, { numRuns });
  const made = comparisons - before;
  expect(made).toBeGreaterThanOrEqual(minimum);
  return made;
}
