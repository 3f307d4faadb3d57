/** See pattern.cjs: the pattern byte at `offset` (never 0); `generation` picks another pattern (default 0). */
export function patternByte(offset: number, generation?: number): number;
/** See pattern.cjs: the pattern bytes of [start, start + length). */
export function patternBuffer(start: number, length: number, generation?: number): Buffer;
