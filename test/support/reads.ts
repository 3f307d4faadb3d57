// The numeric read methods that MappedView shares with Buffer, and their widths.
export const READS = [
  'readUInt8', 'readInt8',
  'readUInt16LE', 'readUInt16BE', 'readInt16LE', 'readInt16BE',
  'readUInt32LE', 'readUInt32BE', 'readInt32LE', 'readInt32BE',
  'readFloatLE', 'readFloatBE', 'readDoubleLE', 'readDoubleBE',
  'readBigUInt64LE', 'readBigUInt64BE', 'readBigInt64LE', 'readBigInt64BE',
] as const;

export type ReadMethod = (typeof READS)[number];

export const WIDTH: Record<ReadMethod, number> = {
  readUInt8: 1, readInt8: 1, readUInt16LE: 2, readUInt16BE: 2, readInt16LE: 2, readInt16BE: 2,
  readUInt32LE: 4, readUInt32BE: 4, readInt32LE: 4, readInt32BE: 4, readFloatLE: 4, readFloatBE: 4,
  readDoubleLE: 8, readDoubleBE: 8, readBigUInt64LE: 8, readBigUInt64BE: 8, readBigInt64LE: 8, readBigInt64BE: 8,
};
