// Reliability report: injects each kind of fault for real, counts what came
// out, and prints one markdown table (or JSON with --json).
//
//   npm run reliability [-- --scale N] [--json] [--seed S] [--only kind,kind]
//
// Each fault kind runs in a child process of its own (runner.ts), so a crash
// is counted as a crash (the child's signal) and never takes the runner down.
// A child keeps its tally in a status file, rewritten as it goes, so a child
// killed by a signal still leaves its counts behind.
//
// Kinds, one module each (the counts are for --scale 1; N scales them):
//   truncation  same-process truncation: ftruncate at random unaligned sizes,
//               then reads across the cut (sync and async), below it, and past it
//   race        cross-process truncation race: scripts/soak.ts, its summary
//   eio         reads of pages that fail with EIO (test/support/faultfs/faultfs.c, FUSE)
//   vanish      the FUSE daemon killed while a loop reads (a yanked disk)
//   full-disk   writes into the holes of a sparse file on a full tmpfs
//   bad-input   scripts/fuzz/ (random bad arguments)
//   leak        open/view/snapshot/close cycles: descriptors, mappings, RSS
//   lease-race  lease mode against a writer process that opens the file for
//               writing (a break), truncates it and writes it back, each cycle
//   lease-otrunc  the same with open(O_RDONLY|O_TRUNC) first: a truncation to 0
//               with no break (the lease's hole 1)
//   lease-stopped a reader stopped (SIGSTOP) past lease-break-time (lowered to
//               1 s, then restored) while a writer truncates into a page and
//               writes it back: the kernel revokes the lease (hole 2)
//   raw         the truncation kind with the guard off (a raw mapping): it must
//               die by SIGBUS; the comparison row
//
// Every byte a read returns is checked against what the file holds (the
// pattern of test/support/pattern.cjs, never 0, or the bytes written). Exit
// status 0 only when every safe-mmap row injected faults and has no wrong
// byte, no crash and no unexpected outcome, and the raw row died by SIGBUS.
// Needs root (tmpfs and FUSE mounts), gcc, pkg-config and libfuse3-dev.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Row } from './fault-kind';
import { KINDS } from './kinds';
import { machine, outcomeCell, table } from './report';
import { log, runKind, unmountLeftovers, type Shared } from './runner';

interface Options { scale: number; json: boolean; seed: number; only: string[] | null }

function parseArguments(argv: string[]): Options {
  const options: Options = { scale: 1, json: false, seed: Math.floor(Math.random() * 2 ** 31), only: null };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split('=', 2);
    const value = (): string => (inline !== undefined ? inline : argv[++i]);
    if (name === '--json') options.json = true;
    else if (name === '--scale') options.scale = Number(value());
    else if (name === '--seed') options.seed = Number(value());
    else if (name === '--only') options.only = value().split(',');
    else if (name === '--help' || name === '-h') {
      console.log('usage: npm run reliability [-- --scale N] [--json] [--seed S] [--only kind,kind]');
      console.log(`kinds: ${KINDS.map((k) => k.kind).join(', ')}`);
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!(options.scale > 0)) throw new Error('--scale needs a positive number');
  if (!Number.isInteger(options.seed)) throw new Error('--seed needs an integer');
  for (const kind of options.only || []) if (!KINDS.some((k) => k.kind === kind)) throw new Error(`unknown kind ${kind}`);
  return options;
}

async function main(): Promise<number> {
  const options = parseArguments(process.argv.slice(2));
  const started = Date.now();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-reliability-'));
  const shared: Shared = {};
  const cleanUp = (): void => {
    unmountLeftovers(workDir);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { cleanUp(); process.exit(130); });
  }
  const rows: Row[] = [];
  try {
    log(`scale ${options.scale}, seed ${options.seed}`);
    for (const spec of KINDS) {
      if (options.only && !options.only.includes(spec.kind)) continue;
      log(`${spec.kind}: running`);
      const row = await runKind(spec, options, workDir, shared);
      log(`${spec.kind}: ${row.ok ? 'ok' : 'FAILED'} in ${row.seconds} s: ${outcomeCell(row)}`);
      if (!row.ok && row.unexpectedSamples && row.unexpectedSamples.length) log(`  e.g. ${row.unexpectedSamples.join(' | ')}`);
      if (row.firstWrong) log(`  first wrong byte: ${row.firstWrong}`);
      rows.push(row);
    }
  } finally {
    cleanUp();
  }
  const report = { scale: options.scale, seed: options.seed, machine: machine(), seconds: Math.round((Date.now() - started) / 1000),
    ok: rows.every((row) => row.ok), rows, table: table(rows) };
  if (options.json) console.log(JSON.stringify(report));
  else {
    console.log(report.table);
    console.log(`\n${report.ok ? 'PASS' : 'FAIL'}: ${rows.length} kinds in ${report.seconds} s (scale ${options.scale}, seed ${options.seed}; ` +
      `${report.machine.nproc} CPUs, ${report.machine.cpu}, Linux ${report.machine.kernel}, Node ${report.machine.node})`);
  }
  return report.ok ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (error) => {
  log(String((error && error.message) || error));
  process.exitCode = 2;
});
