// Temp files with a known pattern, shared by the fault tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { patternBuffer, patternByte } from './pattern.cjs';

export const PAGE = 4096;

export { patternBuffer, patternByte } from './pattern.cjs';

/** Index of the first byte of `bytes` (read at file offset `start`) that is not the pattern, or -1. */
export function firstPatternMismatch(bytes: Uint8Array, start: number): number {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== patternByte(start + i)) return i;
  return -1;
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
