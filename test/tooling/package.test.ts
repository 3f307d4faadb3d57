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
import { aboveFloor, machine } from '../support/elf-floor';

const ROOT = join(__dirname, '..', '..');
const TIMEOUT = 180_000;
const PLATFORM_DIR = `${process.platform}-${process.arch}`;

// Left out of the copy: what the build makes, what git ignores, and the deps.
const NOT_COPIED = new Set(['node_modules', 'build', 'lib', 'lib-scripts', '.git', 'coverage', 'tmp']);

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

// The scripts that scripts/ci-tarball.sh runs on every Node version and arch.
const CHECK_SCRIPTS = join(ROOT, 'scripts', 'tarball-check');

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
  // Both Linux prebuilds, each for its machine and within the glibc floor (test/tooling/glibc-floor.test.ts).
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
    // The Windows prebuild (cross-built with mingw-w64): a PE x64 DLL that needs
    // nothing a Windows machine lacks, node.exe's exports and system DLLs only.
    run('tar', ['-xzf', tarball, '-C', unpacked, 'package/prebuilds/win32-x64'], { cwd: work });
    const windows = join(unpacked, 'package', 'prebuilds', 'win32-x64', 'safe-mmap.node');
    expect(entries).toContain('package/prebuilds/win32-x64/safe-mmap.node');
    const headers = run('x86_64-w64-mingw32-objdump', ['-p', windows], { cwd: work });
    expect(headers).toContain('file format pei-x86-64');
    expect(headers).toMatch(/\] napi_register_module_v1/);
    const imports = [...headers.matchAll(/DLL Name: (\S+)/g)].map((match) => match[1].toLowerCase()).sort();
    expect(imports).toEqual(['kernel32.dll', 'msvcrt.dll', 'node.exe', 'ntdll.dll']);
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
  const installed = realpathSync(join(project, 'node_modules', 'safe-mmap'));
  for (const script of ['check.cjs', 'check.mjs']) {
    cpSync(join(CHECK_SCRIPTS, script), join(project, script));
    const output = run(process.execPath, [script], { cwd: project, env: childEnv({ PREBUILDS_ONLY: '1' }) });
    const report = JSON.parse(output.trim().split('\n').pop() as string);
    expect(report).toMatchObject({ ok: true, code: 'ERR_MAPPED_FILE_TRUNCATED' });
    expect(realpathSync(report.resolved).startsWith(installed + sep)).toBe(true);
    expect(report.addon.startsWith(`prebuilds/${PLATFORM_DIR}/`)).toBe(true);  // the prebuild, not a build/
  }

  // 5. The bench command, as a user runs it on their own file.
  writeFileSync(join(project, 'data.bin'), Buffer.alloc(2 << 20, 7));
  const bench = JSON.parse(run('npx', ['safe-mmap', 'bench', 'data.bin', '--rounds', '1', '--chunk', '64k', '--json'],
    { cwd: project, env: childEnv({ PREBUILDS_ONLY: '1' }) }));
  expect(bench.file).toEqual({ path: 'data.bin', size: 2 << 20 });
  expect(bench.groups.length).toBeGreaterThan(5);
}, TIMEOUT);
