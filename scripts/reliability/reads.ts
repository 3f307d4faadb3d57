// Reads: one helper for every way of getting bytes out of a view, with the
// outcome recorded and every byte it returns checked against the file.
import { patternByte } from '../../test/support/files';
import type { Random } from '../../test/support/random';
import type { MappedView } from '../package';
import { checkBytes, outcomeName, record, type FileBytes, type Tally } from './tally';

export const READ_METHODS = ['snapshot', 'copy', 'number', 'toString', 'indexOf', 'snapshotAsync', 'copyAsync',
  'indexOfAsync'] as const;
export type ReadMethod = (typeof READ_METHODS)[number];
/** The numeric read of each width ('number' reads). */
export const NUMBER_READS: Record<number, 'readUInt8' | 'readUInt16LE' | 'readUInt32LE' | 'readBigUInt64LE'> =
  { 1: 'readUInt8', 2: 'readUInt16LE', 4: 'readUInt32LE', 8: 'readBigUInt64LE' };

/** A width for a number read (1, 2, 4 or 8 bytes). */
export const numberWidth = (random: Random): number => random.pick([1, 2, 4, 8]);

/** The bytes a read got and where they start in the file, or for a search for a zero byte (the pattern holds none), where it found one. */
type ReadResult = { bytes: Uint8Array; at: number } | { zeroAt: number };

async function readWith(view: MappedView, method: ReadMethod, start: number, end: number): Promise<ReadResult> {
  switch (method) {
    case 'snapshot': return { bytes: view.subarray(start, end).snapshot(), at: start };
    case 'snapshotAsync': return { bytes: await view.subarray(start, end).snapshotAsync(), at: start };
    case 'copy': {
      const target = Buffer.alloc(end - start);
      return { bytes: target.subarray(0, view.copy(target, 0, start, end)), at: start };
    }
    case 'copyAsync': {
      const target = Buffer.alloc(end - start);
      return { bytes: target.subarray(0, await view.copyAsync(target, 0, start, end)), at: start };
    }
    case 'toString': return { bytes: Buffer.from(view.toString('latin1', start, end), 'latin1'), at: start };
    case 'indexOf': {
      const found = view.subarray(start, end).indexOf(0);
      return { zeroAt: found < 0 ? -1 : start + found };
    }
    case 'indexOfAsync': {
      const found = await view.subarray(start, end).indexOfAsync(0);
      return { zeroAt: found < 0 ? -1 : start + found };
    }
    case 'number': {  // end - start is 1, 2, 4 or 8
      const width = end - start;
      const value = view[NUMBER_READS[width]](start);
      const bytes = Buffer.alloc(width);
      if (width === 8) bytes.writeBigUInt64LE(value as bigint);
      else bytes.writeUIntLE(value as number, 0, width);
      return { bytes, at: start };
    }
    default: throw new Error(`unknown read ${method as string}`);
  }
}

/** Reads [start, end) with `method`, records the outcome against `expected`, and checks any bytes returned. */
export async function tryRead(tally: Tally, view: MappedView, method: ReadMethod, start: number, end: number,
  expected: string | string[], fileBytes: FileBytes = patternByte): Promise<void> {
  let result: ReadResult | undefined;
  let error: unknown;
  try {
    result = await readWith(view, method, start, end);
  } catch (caught) {
    error = caught;
  }
  record(tally, outcomeName(error), expected, error);
  if (!result) return;
  if ('bytes' in result) checkBytes(tally, result.bytes, result.at, fileBytes);
  else if (result.zeroAt >= 0) {
    tally.wrongBytes = (tally.wrongBytes ?? 0) + 1;  // a zero found where the file holds none
    tally.firstWrong ??= `offset ${result.zeroAt}: a search found a zero, the file holds none`;
  }
}
