// The package the tools exercise: lib/, the build a user gets, required from
// the checkout's root. The tools run compiled (lib-scripts/scripts/...) and,
// under jest, as sources (scripts/...): the root is found from either.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type SafeMmap = typeof import('../src');
export type { MappedFile, MappedView } from '../src';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(__dirname);

/** A path inside the checkout, e.g. repoPath('test', 'support', 'lease-writer.js'). */
export function repoPath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}

/** require('safe-mmap'), as a user's program loads it. */
export function loadPackage(): SafeMmap {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require(PACKAGE_ROOT) as SafeMmap;
}
