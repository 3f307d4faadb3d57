// Run by scripts/ci-tarball.sh in an empty project where the packed tarball is
// installed: require() it, read a mapped file, truncate it, expect
// MappedFileTruncated; print which addon file node-gyp-build loads.
'use strict';
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { open, MappedFileError, MappedFileTruncated } = require('safe-mmap');

const file = path.join(__dirname, 'data-cjs.bin');
const bytes = Buffer.alloc(3 * 4096 + 100);
for (let i = 0; i < bytes.length; i++) bytes[i] = 1 + (i % 251);
fs.writeFileSync(file, bytes);

const mapped = open(file);
const view = mapped.view();
assert.ok(view.snapshot().equals(bytes));
fs.truncateSync(file, 100);
let caught;
try { view.readUInt8(2 * 4096 + 1); } catch (error) { caught = error; }
assert.ok(caught instanceof MappedFileTruncated, 'expected MappedFileTruncated, got ' + caught);
assert.ok(caught instanceof MappedFileError);
assert.strictEqual(view.readUInt8(99), bytes[99]);
mapped.close();

const packageDir = path.dirname(require.resolve('safe-mmap/package.json'));
const addon = require('node-gyp-build').path(packageDir);
console.log(JSON.stringify({ ok: true, code: caught.code, arch: process.arch, node: process.version, addon: path.relative(packageDir, addon) }));
