// What a built addon needs from the system, read from its ELF dynamic section
// the way Python's auditwheel checks manylinux wheels: the versions it needs
// (readelf -V, .gnu.version_r), the symbols that need them (objdump -T) and
// the libraries it links (readelf -d). Works on x86-64 and aarch64 files alike.
import { execFileSync } from 'node:child_process';

/**
 * The glibc floor: 2.28. It is the oldest glibc that official Node 18+
 * binaries run on (they are built on RHEL 8), and it is what RHEL/Rocky/Alma 8
 * (supported until 2029), Debian 10 and Ubuntu 20.04 (2.31) have or exceed;
 * so a prebuild at 2.28 loads wherever Node itself does. It is also the
 * manylinux_2_28 line in Python's world. fcntl64 is 2.28 exactly.
 */
export const GLIBC_FLOOR = '2.28';
/**
 * libstdc++ and libgcc_s of GCC 8, the compiler of RHEL 8 and Debian 10: the
 * oldest C++ runtime on a glibc-2.28 system. (Ubuntu 20.04 has GCC 10's.)
 */
export const GLIBCXX_FLOOR = '3.4.25';
export const CXXABI_FLOOR = '1.3.11';
export const LIBGCC_FLOOR = '7.0.0';  // libgcc_s's newest version in GCC 8 is GCC_7.0.0

/** Libraries that every glibc system has; anything else would be a missing dependency. */
export const ALLOWED_LIBRARIES = [
  'libc.so.6', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2', 'librt.so.1',
  'libstdc++.so.6', 'libgcc_s.so.1', 'ld-linux-x86-64.so.2', 'ld-linux-aarch64.so.1',
];

function compare(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The limit for a version name (GLIBC_2.17, GLIBCXX_3.4.21, ...), or null when it is not one we cap. */
function limitFor(versionName: string): { prefix: string; floor: string } | null {
  for (const [prefix, floor] of [['GLIBC_', GLIBC_FLOOR], ['GLIBCXX_', GLIBCXX_FLOOR], ['CXXABI_', CXXABI_FLOOR],
    ['GCC_', LIBGCC_FLOOR]] as const) {
    if (versionName.startsWith(prefix) && /^\d+(\.\d+)*$/.test(versionName.slice(prefix.length))) return { prefix, floor };
  }
  return null;
}

/** Version names in the file's version-needs section (.gnu.version_r). */
export function neededVersions(file: string): string[] {
  const text = execFileSync('readelf', ['-V', '-W', file], { encoding: 'utf8' });
  const section = text.slice(text.indexOf('Version needs section'));
  return [...section.matchAll(/Name: (\S+)\s+Flags/g)].map((m) => m[1]);
}

/** Undefined dynamic symbols with the version they need, as objdump -T prints them. */
export function undefinedSymbols(file: string): { symbol: string; version: string }[] {
  const text = execFileSync('objdump', ['-T', file], { encoding: 'utf8' });
  const symbols = [];
  for (const line of text.split('\n')) {
    const m = /\*UND\*\s+[0-9a-f]+\s+\(?([A-Za-z_]+[\d.]*|Base)\)?\s+(\S+)$/.exec(line);
    if (m) symbols.push({ version: m[1], symbol: m[2] });
  }
  return symbols;
}

export function neededLibraries(file: string): string[] {
  const text = execFileSync('readelf', ['-d', '-W', file], { encoding: 'utf8' });
  return [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

export function machine(file: string): string {
  const text = execFileSync('readelf', ['-h', '-W', file], { encoding: 'utf8' });
  return (/Machine:\s+(.+)/.exec(text) as RegExpExecArray)[1].trim();
}

/** Every needed version above its floor, each with the symbols that need it: empty when the file is within the floor. */
export function aboveFloor(file: string): string[] {
  const symbols = undefinedSymbols(file);
  const offenders: string[] = [];
  for (const version of neededVersions(file)) {
    const limit = limitFor(version);
    if (limit && compare(version.slice(limit.prefix.length), limit.floor) > 0) {
      const users = symbols.filter((s) => s.version === version).map((s) => s.symbol);
      offenders.push(`${version} (${users.join(', ') || 'no symbol named'})`);
    }
  }
  return offenders;
}
