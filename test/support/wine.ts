// What the Windows tests (test/windows/, run under Wine by scripts/ci-windows.sh)
// share: the Linux-side host that truncates files under a mapped view
// (wine-host.js), and the exit status of a process that an access violation
// killed.
import { existsSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

/** STATUS_ACCESS_VIOLATION: the exit status of a process killed by an unhandled access violation. */
export const ACCESS_VIOLATION_EXIT = 0xc0000005;

const HOST_TIMEOUT_MS = 10_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export interface WineHost {
  /** The host's directory, as a Windows path (Wine's Z: drive is the Linux root). Files the host must touch live here. */
  readonly dir: string;
  /** Truncates (or extends) a file under `dir` to `size` bytes from the Linux side, and waits until it is done. */
  truncate(windowsPath: string, size: number): void;
}

/**
 * The host that scripts/ci-windows.sh started (SAFE_MMAP_TEST_WINE_HOST, its
 * Linux path). Throws when there is none: these tests cannot run without it,
 * and must fail rather than pass vacuously.
 */
export function wineHost(): WineHost {
  const unixDir = process.env.SAFE_MMAP_TEST_WINE_HOST;
  if (!unixDir) throw new Error('SAFE_MMAP_TEST_WINE_HOST is not set: run the Windows tests through scripts/ci-windows.sh');
  const dir = windowsPathOf(unixDir);
  return {
    dir,
    truncate(windowsPath, size) {
      const id = randomUUID();
      const request = `${dir}\\${id}`;
      writeFileSync(`${request}.tmp-request`, JSON.stringify({ op: 'truncate', path: unixPathOf(windowsPath), size }));
      renameSync(`${request}.tmp-request`, `${request}.request`);
      const deadline = Date.now() + HOST_TIMEOUT_MS;
      while (!existsSync(`${request}.done`)) {
        if (Date.now() > deadline) throw new Error(`the Wine host did not answer within ${HOST_TIMEOUT_MS} ms (is test/support/wine-host.js running on ${unixDir}?)`);
        Atomics.wait(sleeper, 0, 0, 2);
      }
      const answer = JSON.parse(readFileSync(`${request}.done`, 'utf8')) as { ok?: true; error?: string };
      rmSync(`${request}.done`);
      if (answer.error !== undefined) throw new Error(`the Wine host failed: ${answer.error}`);
    },
  };
}

/** Z:\tmp\x for /tmp/x. */
export function windowsPathOf(unixPath: string): string {
  return `Z:${unixPath.replace(/\//g, '\\')}`;
}

/** /tmp/x for Z:\tmp\x; only Z: paths have one. */
export function unixPathOf(windowsPath: string): string {
  if (!/^[zZ]:\\/.test(windowsPath)) throw new Error(`${windowsPath} is not on Wine's Z: drive`);
  return windowsPath.slice(2).replace(/\\/g, '/');
}
