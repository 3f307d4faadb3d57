// The same through import (see check.cjs), which also checks that import and
// require hand out the same classes.
import assert from 'node:assert';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import safeMmap, { open, MappedFileError, MappedFileTruncated } from 'safe-mmap';

const file = fileURLToPath(new URL('./data-esm.bin', import.meta.url));
const bytes = Buffer.alloc(3 * 4096 + 100);
for (let i = 0; i < bytes.length; i++) bytes[i] = 1 + (i % 251);
fs.writeFileSync(file, bytes);

const mapped = open(file);
const view = mapped.view();
assert.strictEqual(view.length, bytes.length);
assert.ok(view.snapshot().equals(bytes));

let caught;
if (process.platform === 'win32') {
  try { fs.truncateSync(file, 0); } catch (error) { caught = error; }
  assert.strictEqual(caught?.code, 'UNKNOWN', 'expected the truncation to be refused, got ' + caught);
  assert.ok(view.snapshot().equals(bytes));
} else {
  fs.truncateSync(file, 0);
  try { view.readUInt8(4096); } catch (error) { caught = error; }
  assert.ok(caught instanceof MappedFileTruncated, 'expected MappedFileTruncated, got ' + caught);
  assert.ok(caught instanceof MappedFileError);
  assert.strictEqual(caught.code, 'ERR_MAPPED_FILE_TRUNCATED');
}
mapped.close();

// import and require hand out the same classes, so instanceof agrees across them.
const require = createRequire(import.meta.url);
assert.strictEqual(require('safe-mmap').MappedFileTruncated, MappedFileTruncated);
assert.strictEqual(safeMmap.open, open);
const packageDir = path.dirname(require.resolve('safe-mmap/package.json'));
const addon = require('node-gyp-build').path(packageDir);
console.log(JSON.stringify({
  ok: true, code: caught.code, resolved: fileURLToPath(import.meta.resolve('safe-mmap')),
  arch: process.arch, node: process.version, addon: path.relative(packageDir, addon),
}));
