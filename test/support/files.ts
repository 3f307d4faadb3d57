// Temp files with a known pattern, shared by the fault tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PAGE = 4096;

/**
 * The pattern byte at a file offset. Never zero: a file written only with
 * this pattern never holds a zero byte, so any zero a reader returns is a
 * byte that was not in the file (e.g. the zero-filled tail of a truncated page).
 */
export function patternByte(offset: number): number {
  return 1 + ((offset * 31 + 7) % 255);
}

export function patternBuffer(start: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) buffer[i] = patternByte(start + i);
  return buffer;
}

/** Index of the first byte of `bytes` (read at file offset `start`) that is not the pattern, or -1. */
export function firstPatternMismatch(bytes: Uint8Array, start: number): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== patternByte(start + i)) return i;
  return -1;
}

/**
 * mulberry32, a seeded generator: a file's bytes follow from its seed, so a
 * fast-check counterexample replays.
 */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'safe-mmap-test-'));

  file(name: string, contents: Uint8Array = Buffer.alloc(0)): string {
    const path = join(this.path, name);
    writeFileSync(path, contents);
    return path;
  }

  patternFile(name: string, length: number): string {
    return this.file(name, patternBuffer(0, length));
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
