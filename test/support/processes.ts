// Running program B (the truncator) and small node scripts as child processes.
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';

export const PACKAGE_ROOT = join(__dirname, '..', '..');

export interface Truncator {
  /** Resolves with the number of truncate-and-rewrite cycles once it ends by itself. */
  finished: Promise<{ cycles: number }>;
  /** Ends it early; `finished` then resolves with NaN cycles. */
  stop(): void;
}

/** Starts the truncator (program B) on `path` for `milliseconds`. */
export function startTruncator(path: string, fileLength: number, milliseconds: number): Truncator {
  const child = spawn(process.execPath, [join(__dirname, 'truncator.js'), path, String(fileLength), String(milliseconds)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let stopped = false;
  const finished = new Promise<{ cycles: number }>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(JSON.parse(output));
      else if (stopped) resolve({ cycles: NaN });
      else reject(new Error(`truncator exited with ${code ?? signal}`));
    });
  });
  return { finished, stop: () => { stopped = true; child.kill('SIGKILL'); } };
}

/** Starts the truncator and resolves with its cycle count when it ends by itself. */
export function runTruncator(path: string, fileLength: number, milliseconds: number): Promise<{ cycles: number }> {
  return startTruncator(path, fileLength, milliseconds).finished;
}

/** Runs `node -e script` with the package loadable as require(PACKAGE_ROOT). */
export function runNodeScript(script: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['-e', script], {
    cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env },
  });
}
