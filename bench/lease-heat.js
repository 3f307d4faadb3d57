// Heating a file until it holds its read lease. The lease is taken once the
// file is hot (native/lease_policy.h: 32 owner accesses within about 10 ms),
// so a benchmark or a test that needs one reads first, as a hot loop would.
// Shared with the tests through test/support/lease-heat.cjs.
'use strict';

/**
 * Reads the first byte of `file` in a tight loop, at most `maxReads` times,
 * until file.validationMethod says 'lease'. Returns the method it ended with:
 * the caller asserts it (a file that cannot take a lease stays 'fstat').
 * @param {{ validationMethod: string, size: number, view(): { readUInt8(offset: number): number } }} file
 */
function heatUntilLeased(file, maxReads = 10000) {
  if (file.size === 0) return file.validationMethod;
  const view = file.view();
  for (let reads = 0; reads < maxReads && file.validationMethod !== 'lease'; reads++) view.readUInt8(0);
  return file.validationMethod;
}

module.exports = { heatUntilLeased };
