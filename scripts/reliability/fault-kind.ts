// What a fault kind is to the runner, and the row of the report it fills.

/** What the runner hands a kind's child process. */
export interface ChildOptions {
  /** How many faults to inject (already scaled). */
  count: number;
  seed: number;
  /** The kind's own temporary directory. */
  dir: string;
  /** Where the child keeps its tally (tally.ts, statusWriter). */
  statusFile: string;
  /** The compiled faultfs, for the kinds that mount it. */
  faultfs?: string;
}

/** One row of the report. */
export interface Row {
  kind: string;
  label: string;
  raw: boolean;
  injected: number;
  unit: string;
  outcomes: Record<string, number>;
  wrongBytes: number | null;
  bytesChecked: number;
  crashes: number;
  unexpected: number;
  unexpectedSamples: string[];
  exit: { code: number | null; signal: NodeJS.Signals | null; timedOut?: boolean } | null;
  error: string | null;
  firstWrong?: string | null;
  /** The kind's own counters (its tally's other fields, or the soak's summary). */
  details?: Record<string, unknown>;
  wrongBytesNote?: string;
  seconds?: number;
  ok?: boolean;
}

interface KindBase {
  kind: string;
  /** The row's label in the table. */
  label: string;
  /** What `injected` counts. */
  unit: string;
  /** Seconds the kind may take at scale 1 (scaled up with --scale). */
  timeout: number;
}

/** A kind that runs in a child process of its own (child.ts), so that a crash is counted, not fatal. */
export interface ChildKind extends KindBase {
  /** Faults to inject at scale 1. */
  count: number;
  /** The fewest faults to inject, whatever the scale. */
  minimumCount?: number;
  /** Needs faultfs compiled (runner.ts does it once). */
  fuse?: boolean;
  /** The comparison row: the guard off; the child must die by SIGBUS, and the count is not scaled. */
  raw?: boolean;
  /** Node options of the child. */
  execArgv?: string[];
  child(options: ChildOptions): Promise<void>;
}

/** A kind whose load runs in processes of its own already (the soak): the runner only reads its summary. */
export interface RunnerKind extends KindBase {
  /** Seconds of load at scale 1. */
  seconds: number;
  run(row: Row, seconds: number, timeoutSeconds: number, dir: string): Promise<void>;
}

export type FaultKind = ChildKind | RunnerKind;
