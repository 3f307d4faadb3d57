/** See lease-heat.cjs: reads until the file holds its lease; returns its validation method. */
export function heatUntilLeased(file: { validationMethod: string; size: number; view(): { readUInt8(offset: number): number } },
  maxReads?: number): string;
