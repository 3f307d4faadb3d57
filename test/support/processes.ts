// Running program B (the truncator) and small node scripts as child processes.
import { ChildProcess, execFileSync, spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PACKAGE_ROOT = join(__dirname, '..', '..');

export interface Truncator {
  /**
   * Settles once the writer has booted. A race's window starts after it:
   * under qemu-user a writer boots slowly enough that a window started at
   * spawn could end before it truncates anything.
   */
  ready: Promise<void>;
  /** Starts the truncate-and-rewrite loop (the readers have mapped the file by now) by creating <path>.go. */
  go(): void;
  /** Resolves with the number of truncate-and-rewrite cycles once it ends by itself. */
  finished: Promise<{ cycles: number }>;
  /** Ends it early; `finished` then resolves with NaN cycles. */
  stop(): void;
}

/** Spawns the truncator (program B) on `path`; it runs for `milliseconds` after go(). */
export function startTruncator(path: string, fileLength: number, milliseconds: number): Truncator {
  return startWriter('truncator.js', path, [String(fileLength), String(milliseconds)]);
}

/**
 * Spawns the lease race's writer (lease-writer.js), which opens the file for
 * writing afresh each cycle, so that a reader's lease is taken and broken
 * again and again. `finished` also carries the longest open it saw.
 */
export function startLeaseWriter(path: string, fileLength: number, milliseconds: number,
  mode: 'rewrite' | 'otrunc' = 'rewrite'): Truncator & { finished: Promise<{ cycles: number; maxOpenMs: number }> } {
  return startWriter('lease-writer.js', path, [String(fileLength), String(milliseconds), mode]) as
    Truncator & { finished: Promise<{ cycles: number; maxOpenMs: number }> };
}

/**
 * Spawns the lazy snapshot races' writer (rewriter.js): each cycle it opens
 * the file for writing (a break), checks that it holds the last source's
 * bytes, truncates it and writes the next source. The file must hold
 * sources[0] when it starts. `finished` carries the longest open and the
 * cycles that found other bytes in the file (`foreign`).
 */
export function startRewriter(path: string, milliseconds: number, sources: string[]):
  Truncator & { finished: Promise<{ cycles: number; maxOpenMs: number; foreign: number }> } {
  return startWriter('rewriter.js', path, [String(milliseconds), ...sources]) as
    Truncator & { finished: Promise<{ cycles: number; maxOpenMs: number; foreign: number }> };
}

/**
 * A lazy-snapshot race (test/faults/lazy-*): runs test/support/<script> with
 * --expose-gc on `args`, starts `writer` once the child's output begins with
 * `marker` (its snapshots are made), and waits for the child's exit. A child
 * that failed stops the writer, as does `stopWriter`. Resolves with the exit,
 * the last line the child printed when it exited 0 (its tally, JSON), and
 * what the writer reported.
 */
export async function raceChildAgainstWriter<Tally, Written>(
  script: string, args: string[], marker: string, writer: Truncator & { finished: Promise<Written> },
  env: NodeJS.ProcessEnv = {}, stopWriter = false,
): Promise<{ exit: { code: number | null; signal: NodeJS.Signals | null }; tally: Tally | null; written: Written }> {
  const child = spawn(process.execPath, ['--expose-gc', join(__dirname, script), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let output = '';
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      if (output.startsWith(marker)) writer.go();
    });
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  if (exit.code !== 0 || stopWriter) writer.stop();
  const written = await writer.finished;
  const tally: Tally | null = exit.code === 0 ? JSON.parse(output.trim().split('\n').pop() as string) : null;
  return { exit, tally, written };
}

/** How a child ended, with its output. */
export interface ChildEnd { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs `node test/support/<script> ...args` without blocking, and settles when it exits. */
export function runSupportScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildEnd> {
  const child = spawn(process.execPath, [join(__dirname, script), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Spawns a race writer on `path`; go() creates <path>.go, which it waits for (wait-for-go.js). */
function startWriter(script: string, path: string, args: string[]): Truncator {
  const goFile = `${path}.go`;
  rmSync(goFile, { force: true });
  const child = spawn(process.execPath, [join(__dirname, script), path, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stopped = false;
  let onReady: () => void;
  const ready = new Promise<void>((resolve) => { onReady = resolve; });
  const finished = new Promise<{ cycles: number }>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.startsWith('ready\n')) onReady();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      onReady();  // never leave a waiter hanging; `finished` says what went wrong
      if (code === 0) resolve(JSON.parse(output.slice(output.indexOf('\n') + 1)));
      else if (stopped) resolve({ cycles: NaN });
      else reject(new Error(`${script} exited with ${code ?? signal}`));
    });
  });
  return {
    ready,
    finished,
    // Synchronous, so that it takes effect even when the caller reads without yielding.
    go: () => { writeFileSync(goFile, ''); },
    stop: () => { stopped = true; child.kill('SIGKILL'); },
  };
}

/** What test/support/lease-reader.js reports when it ends. */
export interface LeaseReaderTally {
  reads: number; wrongBytes: number; firstWrong: string | null; errors: Record<string, number>;
  methods: Record<string, number>; breaks: number;
}

/**
 * Starts a lease reader (test/support/lease-reader.js): it maps `path`, heats
 * it until it holds its lease, then reads random ranges with the strict
 * pattern oracle for `milliseconds` (a control's race: or until the first
 * wrong byte). `mapped` resolves with its validation method once heated,
 * `tally` with its report.
 */
export function startLeaseReader(path: string, milliseconds: number, env: NodeJS.ProcessEnv = {},
  { stopAtFirstWrong = false } = {}) {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'lease-reader.js'), path,
    String(milliseconds), 'always', ...(stopAtFirstWrong ? ['stop-at-first-wrong'] : [])],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let output = '';
  let onMapped: (method: string) => void;
  const mapped = new Promise<string>((resolve) => { onMapped = resolve; });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
    const match = /^mapped (\w+)\n/.exec(output);
    if (match) onMapped(match[1]);
  });
  const tally = new Promise<LeaseReaderTally>((resolve, reject) => child.on('exit', (code, signal) => {
    if (code !== 0) reject(new Error(`reader ended with ${code ?? signal}`));
    else resolve(JSON.parse(output.trim().split('\n').pop() as string));
  }));
  return { child, mapped, tally };
}

/** Runs `node -e script` with the package loadable as require(PACKAGE_ROOT). */
export function runNodeScript(script: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['-e', script], {
    cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env },
  });
}

/**
 * Rewrites `path` from another process with `length` bytes of `fill`
 * (fs.writeFileSync: a blocking open for writing with O_TRUNC, which breaks
 * any read lease on the file and waits for its release). `length` 0 leaves it
 * empty. For the lazy snapshot tests: a writer that comes.
 */
export function rewriteInAnotherProcess(path: string, fill: number, length: number): void {
  const child = runNodeScript(`require('node:fs').writeFileSync(${JSON.stringify(path)},
    Buffer.alloc(${length}, ${fill}));`);
  if (child.status !== 0) throw new Error(`the writer ended with ${child.status ?? child.signal}: ${child.stderr}`);
}

/**
 * A copy of the package's runtime (package.json, lib/, the built addon and
 * node-gyp-build) under `dir`, readable by every user, for a child that runs
 * as another user: the clone itself may sit in a directory only root may
 * enter (mktemp -d). Returns the copy's root, to require().
 */
export function packageCopyForOtherUsers(dir: string): string {
  const root = join(dir, 'safe-mmap');
  for (const part of ['package.json', 'lib', 'build/Release/safe_mmap.node', 'prebuilds',
    'node_modules/node-gyp-build']) {
    if (existsSync(join(PACKAGE_ROOT, part))) cpSync(join(PACKAGE_ROOT, part), join(root, part), { recursive: true });
  }
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  return root;
}

/** A lock-child.js process (test/api/locks.test.ts), and the lines it printed. */
export interface LockChild {
  /** Resolves when the child has printed `line` (now or earlier). */
  printed(line: string): Promise<void>;
  /** Every line so far. */
  lines(): string[];
  /** Ends a `hold` child's hold: closes its stdin. */
  release(): void;
  /** Resolves with the exit code once it exits (killed: null). */
  exited: Promise<number | null>;
  kill(): void;
}

/** Spawns test/support/lock-child.js with `args` (see its header). */
export function startLockChild(args: string[], env: NodeJS.ProcessEnv = {}): LockChild {
  const child = spawn(process.execPath, [join(__dirname, 'lock-child.js'), ...args],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let output = '';
  const watchers: Array<() => void> = [];
  child.stdout.on('data', (chunk) => {
    output += chunk;
    for (const watcher of watchers.splice(0)) watcher();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    for (const watcher of watchers.splice(0)) watcher();
    resolve(code);
  }));
  const lines = () => output.split('\n').filter((line) => line !== '');
  return {
    lines,
    printed: (line) => new Promise<void>((resolve, reject) => {
      const check = () => {
        if (lines().includes(line)) resolve();
        else if (child.exitCode !== null || child.signalCode !== null) {
          reject(new Error(`lock-child ${args[0]} exited (${child.exitCode ?? child.signalCode}) without "${line}": ${output}`));
        } else watchers.push(check);
      };
      check();
    }),
    release: () => child.stdin.end(),
    exited,
    kill: () => { child.kill('SIGKILL'); },
  };
}

/** What test/support/watch-writer.js reports: CLOCK_MONOTONIC times (ns) and the size it left. */
export interface WatchWriterReport { opened: bigint; firstWrite: bigint; lastWrite: bigint; size: number }

/**
 * Runs test/support/watch-writer.js: after `delayMs`, one open of `path` for
 * writing (O_APPEND) and `writes` appends of 16 bytes, timed.
 */
export function runWatchWriter(path: string, writes: number, delayMs = 0): Promise<WatchWriterReport> {
  const child = spawn(process.execPath, [join(__dirname, 'watch-writer.js'), path, String(writes), String(delayMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) { reject(new Error(`watch-writer.js exited with ${code ?? signal}`)); return; }
      const report = JSON.parse(output);
      resolve({ opened: BigInt(report.opened), firstWrite: BigInt(report.firstWrite),
        lastWrite: BigInt(report.lastWrite), size: report.size });
    });
  });
}
