// The glibc floor, checked the way auditwheel checks manylinux wheels: no
// built addon (build/Release, prebuilds/, and both prebuilds built afresh from
// these sources) needs a symbol version above the floor (test/support/elf-floor.ts
// says why 2.28), nor a library a glibc system lacks. native/glibc_floor.h is
// what holds the floor; a probe that calls what future native code plausibly
// will shows that it holds for code not written yet, and the same probe built
// without the header shows that this test fails when the floor is broken.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aboveFloor, ALLOWED_LIBRARIES, GLIBC_FLOOR, machine, neededLibraries, neededVersions,
} from '../support/elf-floor';

const ROOT = join(__dirname, '..', '..');
const HEADER = join(ROOT, 'native', 'glibc_floor.h');
const PROBE = join(__dirname, '..', 'support', 'glibc-floor-probe.cc');

// The two targets: compiler, its libc (to check the pins against), the ELF machine, the base version.
const TARGETS = [
  { arch: 'x64', cxx: 'g++', libc: '/lib/x86_64-linux-gnu/libc.so.6', machine: 'Advanced Micro Devices X86-64', base: 'GLIBC_2.2.5', timers: 'GLIBC_2.3.3' },
  { arch: 'arm64', cxx: 'aarch64-linux-gnu-g++', libc: '/usr/aarch64-linux-gnu/lib/libc.so.6', machine: 'AArch64', base: 'GLIBC_2.17', timers: 'GLIBC_2.17' },
];
// Pins whose old version is not the same code as the new default, each with
// why it is still right (native/glibc_floor.h says the same where it pins it).
const NOT_ALIASES: Record<string, string> = {
  pthread_kill: 'the old version keeps the pre-2.34 behaviour for an exited thread, as every glibc at the floor has it',
};
// What binding.gyp links on Linux (checked below to stay the same).
const LINK_FLAGS = ['-Wl,--no-as-needed', '-l:libpthread.so.0', '-l:libdl.so.2', '-l:librt.so.1'];

let work: string;
beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'safe-mmap-floor-')); });
afterAll(() => { if (work) rmSync(work, { recursive: true, force: true }); });

function expectWithinFloor(file: string, expectedMachine?: string): void {
  expect({ file, above: aboveFloor(file) }).toEqual({ file, above: [] });
  expect(neededVersions(file).some((v) => v.startsWith('GLIBC_'))).toBe(true);  // read something at all
  for (const library of neededLibraries(file)) expect({ file, library, allowed: ALLOWED_LIBRARIES.includes(library) }).toEqual({ file, library, allowed: true });
  if (expectedMachine) expect(machine(file)).toBe(expectedMachine);
}

function nodeGypEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (/^npm_(lifecycle_|package_)/.test(key)) delete env[key];
  // The installed headers, when they are this Node's: there is no network for node-gyp to fetch them.
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node_version.h')) {
    const header = readFileSync('/usr/include/node/node_version.h', 'utf8');
    const version = ['MAJOR', 'MINOR', 'PATCH'].map((part) => new RegExp(`#define NODE_${part}_VERSION (\\d+)`).exec(header)?.[1]).join('.');
    if (`v${version}` === process.version) env.npm_config_nodedir = '/usr';
  }
  return env;
}

test('the floor is glibc 2.28', () => {
  expect(GLIBC_FLOOR).toBe('2.28');
});

test('binding.gyp force-includes the floor header and links the pre-2.34 stubs on Linux', () => {
  const gyp = readFileSync(join(ROOT, 'binding.gyp'), 'utf8');
  expect(gyp).toContain('"cflags": ["-include", "<(module_root_dir)/native/glibc_floor.h"]');
  for (const flag of LINK_FLAGS) expect(gyp).toContain(`"${flag}"`);
});

test('build/Release and every prebuild in prebuilds/ are within the floor', () => {
  const files = [join(ROOT, 'build', 'Release', 'safe_mmap.node')];
  const prebuilds = join(ROOT, 'prebuilds');
  for (const dir of readdirSync(prebuilds).filter((name) => name.startsWith('linux-'))) {
    for (const name of readdirSync(join(prebuilds, dir)).filter((n) => n.endsWith('.node'))) files.push(join(prebuilds, dir, name));
  }
  for (const file of files) expectWithinFloor(file);
});

test('npm run prebuild makes linux-x64 and linux-arm64 prebuilds within the floor', () => {
  // In a copy: prebuildify moves build/Release's addon away, under this checkout's other tests.
  const copy = join(work, 'package');
  for (const entry of ['binding.gyp', 'package.json', 'native', 'scripts']) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const result = spawnSync('bash', ['scripts/prebuild.sh'], { cwd: copy, env: nodeGypEnv(), encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0) throw new Error(`prebuild failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  for (const target of TARGETS) {
    const dir = join(copy, 'prebuilds', `linux-${target.arch}`);
    const files = readdirSync(dir).filter((name) => name.endsWith('.node'));
    expect(files).toEqual(['safe-mmap.glibc.node']);
    expectWithinFloor(join(dir, files[0]), target.machine);
  }
}, 300_000);

describe.each(TARGETS)('the floor header, $arch', (target) => {
  function buildProbe(name: string, withHeader: boolean): string {
    const output = join(work, `${name}-${target.arch}.so`);
    execFileSync(target.cxx, [
      '-std=c++17', '-O2', '-fPIC', '-shared', '-fvisibility=hidden',
      ...(withHeader ? ['-include', HEADER] : []), PROBE, '-o', output, ...LINK_FLAGS,
    ], { encoding: 'utf8', stdio: 'pipe' });
    return output;
  }

  test('holds for a probe of threads, signals, semaphores, timers, dlopen, call_once, shared_ptr, the stat family', () => {
    expectWithinFloor(buildProbe('probe', true), target.machine);
  });

  test('without it the same probe needs versions above the floor (the test can fail)', () => {
    const above = aboveFloor(buildProbe('probe-unpinned', false)).join('; ');
    expect(above).toMatch(/GLIBC_2\.34 \([^)]*pthread_create/);
    expect(above).toMatch(/GLIBC_2\.32 \([^)]*__libc_single_threaded/);
    expect(above).toMatch(/GLIBC_2\.33 \([^)]*fstat/);
  });

  test('each pinned function has its old version in glibc, the same code as its new default', () => {
    const pinned = [...readFileSync(HEADER, 'utf8').matchAll(/^SAFE_MMAP_PIN(?:_TO)?\((\w+)(?:, SAFE_MMAP_GLIBC_(\w+))?\);/gm)]
      .map((m) => ({ name: m[1], version: m[2] === 'TIMERS' ? target.timers : target.base }));
    expect(pinned.length).toBeGreaterThan(40);
    const table = execFileSync('readelf', ['--dyn-syms', '-W', target.libc], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const versions = new Map<string, { address: string; version: string; isDefault: boolean }[]>();
    for (const line of table.split('\n')) {
      const m = /^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+\w+\s+\w+\s+\w+\s+(\d+)\s+([\w.]+)@(@?)([\w.]+)/.exec(line);
      if (!m) continue;
      const list = versions.get(m[3]) ?? [];
      list.push({ address: m[1], version: m[5], isDefault: m[4] === '@' });
      versions.set(m[3], list);
    }
    for (const { name, version } of pinned) {
      const list = versions.get(name) ?? [];
      const old = list.find((v) => v.version === version);
      const current = list.find((v) => v.isDefault);
      if (name in NOT_ALIASES) {
        expect({ name, old: old?.version }).toEqual({ name, old: version });
      } else {
        expect({ name, old: old?.address, current: current?.address }).toEqual({ name, old: current?.address, current: expect.any(String) });
      }
      // A pin is only needed, and only made, where the default is above the floor.
      expect({ name, defaultAboveFloor: Number((current?.version ?? '').split('.')[1]) > 28 }).toEqual({ name, defaultAboveFloor: true });
    }
  });
});
