// The bytes the fault and race tests' files hold, and the reliability and
// soak tools' too: one formula, so that any process can tell a byte that was
// in the file from one that was not. CommonJS, so that the child scripts
// (truncator.js, race-reader.cjs... run by Node, Bun and Deno) require it as
// it is; TypeScript imports it through files.ts. The FUSE test filesystem
// (faultfs.c) serves the same pattern from C.
'use strict';

/**
 * The pattern byte at a file offset. Never zero: a file written only with
 * this pattern never holds a zero byte, so any zero a reader returns is a
 * byte that was not in the file (e.g. the zero-filled tail of a truncated page).
 * Each `generation` is another pattern, for writers that rewrite a file with
 * new contents (the soak); generation 0 is the one every test file holds.
 * @param {number} offset
 * @param {number} [generation]
 * @returns {number}
 */
function patternByte(offset, generation = 0) {
  return 1 + ((offset * 31 + 7 + generation * 61) % 255);
}

/**
 * The pattern bytes of [start, start + length).
 * @param {number} start
 * @param {number} length
 * @param {number} [generation]
 * @returns {Buffer}
 */
function patternBuffer(start, length, generation = 0) {
  const buffer = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) buffer[i] = patternByte(start + i, generation);
  return buffer;
}

module.exports = { patternByte, patternBuffer };
