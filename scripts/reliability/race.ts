// Kind 'race': the cross-process truncation race of the soak (scripts/soak.ts)
// in a process of its own; the row is its summary.
import { spawn } from 'node:child_process';
import type { Row, RunnerKind } from './fault-kind';

function runSoak(row: Row, seconds: number, timeoutSeconds: number, dir: string): Promise<void> {
  // --fuzz-runs 0: the fuzz has a row of its own.
  const args = [require.resolve('../soak'), '--seconds', String(seconds), '--json', '--fuzz-runs', '0'];
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.SAFE_MMAP_TEST_DISABLE_GUARD;
    const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + timeoutSeconds) * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      row.exit = { code, signal };
      let summary = null;
      try { summary = JSON.parse(output.trim().split('\n').pop() as string); } catch { /* none */ }
      if (!summary) {
        if (signal) row.crashes = 1;
        row.error = `the soak ended with ${signal || code} and no summary`;
        return resolve();
      }
      const actions = summary.writerActions || {};
      // writeFileSync opens with O_TRUNC: a rewrite truncates to 0 first.
      row.injected = (actions.truncate || 0) + (actions.rewrite || 0);
      row.outcomes = { ...summary.errorsByClass, returned: summary.reads };
      row.wrongBytes = summary.wrongBytes;
      row.crashes = summary.crashes + (signal ? 1 : 0);
      row.unexpected = summary.unexpectedErrors;
      row.firstWrong = summary.firstWrong;
      const details: Record<string, unknown> = { seconds: summary.seconds, writerActions: actions, faultsCaught: summary.faultsCaught };
      for (const [key, value] of Object.entries(summary)) {
        if (!['seconds', 'reads', 'faultsCaught', 'errorsByClass', 'wrongBytes', 'crashes', 'unexpectedErrors',
          'writerActions', 'firstWrong', 'fuzz'].includes(key)) details[key] = value;  // fuzz: its own row
      }
      row.details = details;
      resolve();
    });
  });
}

export const race: RunnerKind = {
  kind: 'race', label: 'cross-process truncation race (`npm run test:soak`)', seconds: 60, unit: 'truncations',
  timeout: 240,
  run: runSoak,
};
