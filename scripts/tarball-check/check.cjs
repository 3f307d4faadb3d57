// Run in an empty project where the packed tarball is installed, by
// scripts/ci-tarball.sh (each Node version and arch) and test/tooling/package.test.ts:
// require() it, read a mapped file, truncate it, expect MappedFileTruncated
// (on Windows: expect the truncation to be refused); print which entry point
// and which addon file were loaded.
'use strict';
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const safeMmap = require('safe-mmap');
const { open, MappedFileError, MappedFileTruncated } = safeMmap;

const file = path.join(__dirname, 'data-cjs.bin');
const bytes = Buffer.alloc(3 * 4096 + 100);
for (let i = 0; i < bytes.length; i++) bytes[i] = 1 + (i % 251);
fs.writeFileSync(file, bytes);

const mapped = open(file);
const view = mapped.view();
assert.strictEqual(view.length, bytes.length);
assert.ok(view.snapshot().equals(bytes));
assert.strictEqual(view.readUInt32LE(5000), bytes.readUInt32LE(5000));

let caught;
if (process.platform === 'win32') {
  // Windows refuses to truncate a mapped file (ERROR_USER_MAPPED_FILE, which
  // libuv calls UNKNOWN), and the bytes stay.
  try { fs.truncateSync(file, 100); } catch (error) { caught = error; }
  assert.strictEqual(caught && caught.code, 'UNKNOWN', 'expected the truncation to be refused, got ' + caught);
  assert.ok(view.snapshot().equals(bytes));
} else {
  fs.truncateSync(file, 100);
  try { view.readUInt8(2 * 4096 + 1); } catch (error) { caught = error; }
  assert.ok(caught instanceof MappedFileTruncated, 'expected MappedFileTruncated, got ' + caught);
  assert.ok(caught instanceof MappedFileError);
  assert.strictEqual(caught.code, 'ERR_MAPPED_FILE_TRUNCATED');
  assert.strictEqual(view.readUInt8(99), bytes[99]);  // what is still in the file still reads
}
mapped.close();

const packageDir = path.dirname(require.resolve('safe-mmap/package.json'));
const addon = require('node-gyp-build').path(packageDir);
console.log(JSON.stringify({
  ok: true, code: caught.code, resolved: require.resolve('safe-mmap'),
  arch: process.arch, node: process.version, addon: path.relative(packageDir, addon),
}));
