// Running program B (the truncator) and small node scripts as child processes.
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';

export const PACKAGE_ROOT = join(__dirname, '..', '..');

/** Starts the truncator on `path` for `milliseconds`; resolves with its cycle count. */
export function runTruncator(path: string, fileLength: number, milliseconds: number): Promise<{ cycles: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'truncator.js'), path, String(fileLength), String(milliseconds)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(JSON.parse(output));
      else reject(new Error(`truncator exited with ${code ?? signal}`));
    });
  });
}

/** Runs `node -e script` with the package loadable as require(PACKAGE_ROOT). */
export function runNodeScript(script: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['-e', script], {
    cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env },
  });
}
