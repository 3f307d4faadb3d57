// FUSE: the test filesystem faultfs (test/support/faultfs/faultfs.c), compiled and
// mounted as test/faults/faultfs.test.ts does: its /data holds the pattern, with EIO
// on the pages asked for.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoPath } from '../package';

export interface FaultfsMount {
  daemon: ChildProcess;
  exited: Promise<unknown>;
  mountPoint: string;
  /** The mounted file. */
  file: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Compiles faultfs into `dir` and returns the binary's path. */
export function compileFaultfs(dir: string): string {
  const binary = path.join(dir, 'faultfs');
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'fuse3'], { encoding: 'utf8' }).trim().split(/\s+/);
  execFileSync('gcc', ['-O2', '-Wall', '-o', binary, repoPath('test', 'support', 'faultfs', 'faultfs.c'), ...flags]);
  return binary;
}

/** Mounts faultfs (its /data holds the pattern, EIO in [badStart, badEnd)); resolves once /data is visible. */
export async function mountFaultfs(binary: string, dir: string, size: number, badStart: number,
  badEnd: number): Promise<FaultfsMount> {
  const mountPoint = fs.mkdtempSync(path.join(dir, 'mnt-'));
  // The daemon dies with this process (PR_SET_PDEATHSIG) and unmounts itself (auto_unmount).
  const daemon = spawn(binary, [mountPoint, String(size), String(badStart), String(badEnd)], { stdio: 'ignore' });
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  const file = path.join(mountPoint, 'data');
  const mount = { daemon, exited, mountPoint, file };
  for (let i = 0; i < 400; i++) {
    if (daemon.exitCode !== null || daemon.signalCode !== null) {
      await unmountFaultfs(mount);
      throw new Error(`faultfs exited (${daemon.signalCode || `code ${daemon.exitCode}`}) before it mounted: it needs root, /dev/fuse and libfuse3`);
    }
    try {
      // stat in another process: a stuck mount cannot hang this one.
      execFileSync('stat', [file], { stdio: 'ignore', timeout: 5000 });
      return mount;
    } catch {
      await sleep(25);
    }
  }
  await unmountFaultfs(mount);
  throw new Error('faultfs did not mount');
}

export async function unmountFaultfs({ daemon, exited, mountPoint }: FaultfsMount): Promise<void> {
  if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  await exited;
  lazyUnmount(mountPoint);
  try { fs.rmdirSync(mountPoint); } catch { /* left for the runner's cleanup */ }
}

export function lazyUnmount(mountPoint: string): void {
  try { execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' }); } catch { /* not mounted (auto_unmount) */ }
}
