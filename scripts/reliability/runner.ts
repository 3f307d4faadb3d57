// Runs one fault kind and makes its row: a child process of its own per kind
// (a crash is counted as a crash, the child's signal, and never takes the
// runner down), its tally read back from the status file it kept.
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChildKind, ChildOptions, FaultKind, Row } from './fault-kind';
import { compileFaultfs, lazyUnmount } from './faultfs';
import { KINDS } from './kinds';
import type { Tally } from './tally';

export interface RunOptions { scale: number; seed: number }
/** What the kinds of one run share: faultfs, compiled by the first kind that mounts it. */
export interface Shared { faultfs?: string }

export function log(message: string): void {
  process.stderr.write(`reliability: ${message}\n`);
}

const scaled = (count: number, scale: number, minimum = 1): number => Math.max(minimum, Math.round(count * scale));

function readStatus(file: string): (Tally & Record<string, unknown>) | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return null;
  }
}

/** Forks a kind's child and waits for it; a timeout kills it (SIGKILL). */
function runChild(spec: ChildKind, options: ChildOptions, env: NodeJS.ProcessEnv, timeoutSeconds: number,
  cwd: string): Promise<NonNullable<Row['exit']>> {
  return new Promise((resolve) => {
    // cwd: the kind's own temp dir, so that a core dump (if enabled) goes with it.
    const child = fork(require.resolve('./child'), [spec.kind, JSON.stringify(options)],
      { cwd, env, stdio: ['ignore', 2, 2, 'ipc'], execArgv: spec.execArgv ?? [] });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutSeconds * 1000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut });
    });
  });
}

/** Mount points under `dir` still mounted (a child that died mid-run): lazily unmounted. */
export function unmountLeftovers(dir: string): number {
  let mounts: string[] = [];
  try {
    mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1])
      .filter((point) => point && point.startsWith(`${dir}/`));
  } catch { /* no /proc */ }
  for (const point of mounts.reverse()) lazyUnmount(point.replace(/\\040/g, ' '));
  return mounts.length;
}

async function runInChild(spec: ChildKind, row: Row, options: RunOptions, seed: number, timeout: number, dir: string,
  workDir: string, shared: Shared): Promise<void> {
  if (spec.fuse) {
    shared.faultfs ??= compileFaultfs(workDir);
  }
  const count = spec.raw ? spec.count : scaled(spec.count, options.scale, spec.minimumCount);
  const statusFile = path.join(dir, 'status.json');
  const env = { ...process.env };
  delete env.SAFE_MMAP_TEST_DISABLE_GUARD;
  if (spec.raw) env.SAFE_MMAP_TEST_DISABLE_GUARD = '1';
  const exit = await runChild(spec, { count, seed, dir, statusFile, faultfs: shared.faultfs }, env, timeout, dir);
  row.exit = exit;
  const status = readStatus(statusFile);
  if (status) {
    row.injected = status.injected;
    row.outcomes = status.outcomes;
    row.wrongBytes = status.wrongBytes;
    row.bytesChecked = status.bytesChecked;
    row.unexpected = status.unexpected;
    row.unexpectedSamples = status.unexpectedSamples;
    row.firstWrong = status.firstWrong;
    row.details = Object.fromEntries(Object.entries(status).filter(([key]) => !(key in row) && key !== 'final'));
  }
  if (exit.signal && !exit.timedOut) row.crashes = 1;
  if (exit.timedOut) row.error = `timed out after ${timeout} s`;
  else if (!exit.signal && exit.code !== 0) {
    let reason = '';
    try { reason = `: ${fs.readFileSync(`${statusFile}.error`, 'utf8')}`; } catch { /* none written */ }
    row.error = `child exited with code ${exit.code}${reason}`;
  } else if (!exit.signal && !(status && status.final)) row.error = 'child left no final tally';
}

export async function runKind(spec: FaultKind, options: RunOptions, workDir: string, shared: Shared): Promise<Row> {
  const started = Date.now();
  const row: Row = { kind: spec.kind, label: spec.label, raw: 'raw' in spec && !!spec.raw, injected: 0, unit: spec.unit,
    outcomes: {}, wrongBytes: 0, bytesChecked: 0, crashes: 0, unexpected: 0, unexpectedSamples: [], exit: null, error: null };
  const dir = fs.mkdtempSync(path.join(workDir, `${spec.kind}-`));
  const seed = (options.seed + KINDS.indexOf(spec) * 7919) >>> 0;
  const timeout = spec.timeout * Math.max(1, options.scale);  // seconds
  try {
    if ('run' in spec) await spec.run(row, Math.max(3, Math.round(spec.seconds * options.scale)), timeout, dir);
    else await runInChild(spec, row, options, seed, timeout, dir, workDir, shared);
  } catch (error) {
    row.error = String((error && (error as Error).message) || error).split('\n')[0];
  } finally {
    const left = unmountLeftovers(dir);
    if (left) log(`${spec.kind}: unmounted ${left} mount(s) left behind`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  row.seconds = Math.round((Date.now() - started) / 100) / 10;
  row.ok = row.raw
    ? row.crashes === 1 && !!row.exit && row.exit.signal === 'SIGBUS'
    : !row.error && row.injected > 0 && !row.wrongBytes && row.crashes === 0 && row.unexpected === 0;
  if (row.kind === 'bad-input' && row.wrongBytes === null && row.details) {
    row.wrongBytesNote = `not compared (the fuzz checks outcomes); read-only files on disk ${row.details.readOnlyUnchanged ? 'unchanged' : '**changed**'}`;
  }
  return row;
}
