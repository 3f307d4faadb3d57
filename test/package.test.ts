// The published artifact: `npm pack` makes a tarball (prepack compiles lib/ and
// runs prebuildify) that installs into an empty project and works both from
// require('safe-mmap') and from `import`.
//
// npm pack runs in a copy of the package (its node_modules linked, not
// copied): prebuildify does `node-gyp rebuild` in the directory it packs and
// moves the result to prebuilds/, which would pull the addon out from under
// anything using this checkout's build/ at the same time. The copy holds the
// same files, so the tarball is the one `npm pack` makes here.
import { spawnSync, SpawnSyncOptions } from 'node:child_process';
import {
  cpSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { aboveFloor, machine } from './support/elf-floor';

const ROOT = join(__dirname, '..');
const TIMEOUT = 180_000;
const PLATFORM_DIR = `${process.platform}-${process.arch}`;

// Left out of the copy: what the build makes, what git ignores, and the deps.
const NOT_COPIED = new Set(['node_modules', 'build', 'lib', '.git', 'coverage', 'tmp']);

let work: string;
beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'safe-mmap-pack-')); });
afterAll(() => { if (work) rmSync(work, { recursive: true, force: true }); });

/** The environment for nested npm runs: without the npm_* variables of the `npm test` running us. */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(lifecycle_|package_)/.test(key) || key === 'npm_command' || key === 'npm_config_local_prefix') {
      delete env[key];
    }
  }
  delete env.SAFE_MMAP_TEST_DISABLE_GUARD;
  return { ...env, ...extra };
}

function run(command: string, args: string[], options: SpawnSyncOptions & { cwd: string }): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: TIMEOUT, env: childEnv(), ...options });
  const output = `$ ${command} ${args.join(' ')}  (in ${options.cwd})\n${result.stdout}\n${result.stderr}`;
  if (result.error || result.status !== 0) {
    throw new Error(`${result.error ? result.error.message : `exit status ${result.status ?? result.signal}`}\n${output}`);
  }
  return String(result.stdout);
}

function copyPackage(to: string): void {
  cpSync(ROOT, to, {
    recursive: true,
    filter: (source) => {
      const parts = relative(ROOT, source).split(sep);
      if (NOT_COPIED.has(parts[0])) return false;
      if (parts[0] === 'prebuilds' && parts.length > 1 && parts[1] !== '.gitkeep') return false;
      return !source.endsWith('.tgz');
    },
  });
  symlinkSync(join(ROOT, 'node_modules'), join(to, 'node_modules'), 'dir');
}

const CJS_SCRIPT = String.raw`
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

fs.truncateSync(file, 100);
let caught;
try { view.readUInt8(2 * 4096 + 1); } catch (error) { caught = error; }
assert.ok(caught instanceof MappedFileTruncated, 'expected MappedFileTruncated, got ' + caught);
assert.ok(caught instanceof MappedFileError);
assert.strictEqual(caught.code, 'ERR_MAPPED_FILE_TRUNCATED');
assert.strictEqual(view.readUInt8(99), bytes[99]);  // what is still in the file still reads
mapped.close();
console.log(JSON.stringify({ ok: true, resolved: require.resolve('safe-mmap'), code: caught.code }));
`;

const ESM_SCRIPT = String.raw`
import assert from 'node:assert';
import fs from 'node:fs';
import { createRequire } from 'node:module';
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

fs.truncateSync(file, 0);
let caught;
try { view.readUInt8(4096); } catch (error) { caught = error; }
assert.ok(caught instanceof MappedFileTruncated, 'expected MappedFileTruncated, got ' + caught);
assert.ok(caught instanceof MappedFileError);
assert.strictEqual(caught.code, 'ERR_MAPPED_FILE_TRUNCATED');
mapped.close();

// import and require hand out the same classes, so instanceof agrees across them.
const required = createRequire(import.meta.url)('safe-mmap');
assert.strictEqual(required.MappedFileTruncated, MappedFileTruncated);
assert.strictEqual(safeMmap.open, open);
console.log(JSON.stringify({ ok: true, resolved: import.meta.resolve('safe-mmap'), code: caught.code }));
`;

test('npm pack makes a tarball that installs into an empty project and works from require and import', () => {
  // 1. Pack.
  const source = join(work, 'package');
  const packed = join(work, 'packed');
  mkdirSync(packed);
  copyPackage(source);
  run('npm', ['pack', '--pack-destination', packed], { cwd: source });
  const tarballs = readdirSync(packed).filter((name) => name.endsWith('.tgz'));
  expect(tarballs).toHaveLength(1);
  const tarball = join(packed, tarballs[0]);

  // 2. What is in it.
  const entries = run('tar', ['-tzf', tarball], { cwd: work }).split('\n').filter(Boolean);
  for (const required of ['lib/index.js', 'lib/index.mjs', 'lib/index.d.ts', 'binding.gyp', 'package.json',
    'bin/safe-mmap.js', 'bench/suite.js']) {
    expect(entries).toContain(`package/${required}`);
  }
  const prebuilds = entries.filter((entry) => entry.startsWith(`package/prebuilds/${PLATFORM_DIR}/`) && entry.endsWith('.node'));
  expect(prebuilds.length).toBeGreaterThan(0);
  // Both Linux prebuilds, each for its machine and within the glibc floor (test/glibc-floor.test.ts).
  if (process.platform === 'linux') {
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    run('tar', ['-xzf', tarball, '-C', unpacked, 'package/prebuilds'], { cwd: work });
    for (const [arch, elfMachine] of [['x64', 'Advanced Micro Devices X86-64'], ['arm64', 'AArch64']]) {
      const file = join(unpacked, 'package', 'prebuilds', `linux-${arch}`, 'safe-mmap.glibc.node');
      expect(entries).toContain(`package/prebuilds/linux-${arch}/safe-mmap.glibc.node`);
      expect(machine(file)).toBe(elfMachine);
      expect(aboveFloor(file)).toEqual([]);
    }
  }
  expect(entries.filter((entry) => /^package\/native\/[^/]+\.cc$/.test(entry)).length).toBeGreaterThan(0);
  expect(entries.filter((entry) => /^package\/(test|src|demo|node_modules|build)\//.test(entry))).toEqual([]);

  // 3. Install into an empty project (its dependencies come from the registry).
  const project = join(work, 'project');
  mkdirSync(project);
  run('npm', ['init', '-y'], { cwd: project });
  run('npm', ['install', tarball, '--no-audit', '--no-fund'], { cwd: project });

  // 4. Use it. PREBUILDS_ONLY: node-gyp-build must load the shipped prebuild,
  // not a build/ that an install script might have compiled.
  writeFileSync(join(project, 'check.cjs'), CJS_SCRIPT);
  writeFileSync(join(project, 'check.mjs'), ESM_SCRIPT);
  const installed = realpathSync(join(project, 'node_modules', 'safe-mmap'));
  for (const script of ['check.cjs', 'check.mjs']) {
    const output = run(process.execPath, [script], { cwd: project, env: childEnv({ PREBUILDS_ONLY: '1' }) });
    const report = JSON.parse(output.trim().split('\n').pop() as string);
    expect(report).toMatchObject({ ok: true, code: 'ERR_MAPPED_FILE_TRUNCATED' });
    const resolved = report.resolved.startsWith('file:') ? new URL(report.resolved).pathname : report.resolved;
    expect(realpathSync(resolved).startsWith(installed + sep)).toBe(true);
  }

  // 5. The bench command, as a user runs it on their own file.
  writeFileSync(join(project, 'data.bin'), Buffer.alloc(2 << 20, 7));
  const bench = JSON.parse(run('npx', ['safe-mmap', 'bench', 'data.bin', '--rounds', '1', '--chunk', '64k', '--json'],
    { cwd: project, env: childEnv({ PREBUILDS_ONLY: '1' }) }));
  expect(bench.file).toEqual({ path: 'data.bin', size: 2 << 20 });
  expect(bench.groups.length).toBeGreaterThan(5);
}, TIMEOUT);
