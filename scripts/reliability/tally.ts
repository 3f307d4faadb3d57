// What a fault kind's child counts, and how it is kept: in a status file
// rewritten as it goes, so that a child killed by a signal still leaves its
// counts behind.
import * as fs from 'node:fs';

export interface Tally {
  injected: number;
  /** Calls by outcome: 'returned', or the error's class (see outcomeName). */
  outcomes: Record<string, number>;
  /** null where bytes are not compared (the bad-input fuzz judges outcomes only). */
  wrongBytes: number | null;
  bytesChecked: number;
  unexpected: number;
  unexpectedSamples: string[];
  firstWrong: string | null;
  /** Set once the child has finished: a tally without it was cut short. */
  final: boolean;
}

/** A fresh tally, with a kind's own counters. */
export function newTally<Extra extends object>(extra: Extra = {} as Extra): Tally & Extra {
  return { injected: 0, outcomes: {}, wrongBytes: 0, bytesChecked: 0, unexpected: 0, unexpectedSamples: [],
    firstWrong: null, final: false, ...extra };
}

/** The outcome of a call: 'returned', or the error's class (with its code when it is not a MappedFile… error). */
export function outcomeName(error: unknown): string {
  if (error === undefined) return 'returned';
  const name = (error && (error as object).constructor && (error as object).constructor.name) || typeof error;
  const { code } = (error ?? {}) as { code?: unknown };
  return error && code && !String(name).startsWith('Mapped') ? `${name} ${code}` : name;
}

/** Counts an outcome; `expected` is the outcome wanted, or a list of those allowed. */
export function record(tally: Tally, outcome: string, expected: string | string[], error?: unknown): void {
  tally.outcomes[outcome] = (tally.outcomes[outcome] || 0) + 1;
  if (Array.isArray(expected) ? !expected.includes(outcome) : outcome !== expected) {
    tally.unexpected++;
    if (tally.unexpectedSamples.length < 5) {
      tally.unexpectedSamples.push(`expected ${expected}, got ${outcome}${error ? `: ${(error as Error).message}` : ''}`);
    }
  }
}

/** The bytes of a file: a function of the offset, or the file's contents. */
export type FileBytes = ((offset: number) => number) | Uint8Array;

/** Counts the bytes of `bytes` (read at file offset `at`) that differ from what the file holds. */
export function checkBytes(tally: Tally, bytes: Uint8Array, at: number, expected: FileBytes): void {
  tally.bytesChecked += bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    const want = typeof expected === 'function' ? expected(at + i) : expected[at + i];
    if (bytes[i] !== want) {
      tally.wrongBytes = (tally.wrongBytes ?? 0) + 1;
      if (!tally.firstWrong) tally.firstWrong = `offset ${at + i}: got ${bytes[i]}, the file holds ${want}`;
    }
  }
}

/** Where a child keeps its tally. */
export interface Status {
  save(tally: Tally): void;
  /** Marks the tally final and saves it: the child is done. */
  finish(tally: Tally): void;
}

/** A status file rewritten in place: the last tally written survives a crash. */
export function statusWriter(file: string): Status {
  const fd = fs.openSync(file, 'w');
  let written = 0;
  const save = (tally: Tally): void => {
    const text = JSON.stringify(tally);
    const buffer = Buffer.alloc(Math.max(written, text.length + 1), ' ');
    buffer.write(text);
    fs.writeSync(fd, buffer, 0, buffer.length, 0);
    written = buffer.length;
  };
  return { save, finish: (tally) => { tally.final = true; save(tally); } };
}
