// The report: one markdown table, a row per fault kind, and the machine it ran on.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Row } from './fault-kind';

const number = (n: number): string => Number(n).toLocaleString('en-US');

function mib(bytes: number): string {
  const value = bytes / (1 << 20);
  const text = Math.abs(value).toFixed(1);
  return `${value < 0 && text !== '0.0' ? '−' : '+'}${text} MiB`;
}

function injectedCell(row: Row): string {
  if (row.kind === 'race' && row.details) {
    return `${number(row.injected)} truncations by 2 writer processes in ${row.details.seconds} s`;
  }
  return `${number(row.injected)} ${row.injected === 1 ? row.unit.replace(/s$/, '') : row.unit}`;
}

/** The outcomes of a row, by class, and what else went wrong. */
export function outcomeCell(row: Row): string {
  if (row.raw) {
    const exit = row.exit || { code: null, signal: null };
    const how = exit.signal === 'SIGBUS' ? 'killed by SIGBUS (a shell shows exit 135, "Bus error")'
      : exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code} (expected SIGBUS)`;
    return `${how} at truncation ${number(row.injected)}, after ${number(row.outcomes.returned || 0)} reads returned`;
  }
  const parts = [];
  let outcomes = row.outcomes || {};
  if (row.kind === 'bad-input') {
    // By class only (the JSON keeps the codes): 'TypeError ERR_…' and 'TypeError (no code…' are TypeError.
    outcomes = {};
    for (const [key, n] of Object.entries(row.outcomes || {})) {
      const name = key.split(' ')[0];
      outcomes[name] = (outcomes[name] || 0) + n;
    }
  }
  const entries = Object.entries(outcomes).sort((a, b) => b[1] - a[1]);
  for (const [name, n] of entries) {
    if (row.kind === 'leak' && name === 'returned') continue;
    if (name === 'returned') {
      const what = row.kind === 'bad-input' ? 'returned normally'
        : row.wrongBytes === 0 ? 'reads returned the right bytes' : 'reads returned';
      parts.push(`${number(n)} ${what}`);
    } else parts.push(`${name} ${number(n)}`);
  }
  if (row.kind === 'leak' && row.details && row.details.leak) {
    const { fds, maps, rss } = row.details.leak as { fds: number; maps: number; rss: number };
    parts.unshift(`fds ${fds >= 0 ? '+' : ''}${fds}, maps +${maps}, RSS ${mib(rss)}`);
  }
  if (row.kind === 'vanish' && row.details) parts.push(`faults seen on ${row.details.mountsWithFault} of ${row.injected} mounts`);
  if (row.kind === 'full-disk' && row.details) parts.push(`earlier bytes checked after ${number(row.details.rounds as number)} fills`);
  if (row.unexpected) parts.push(`**${number(row.unexpected)} unexpected**`);
  if (row.exit && row.exit.signal && !row.exit.timedOut) parts.push(`**killed by ${row.exit.signal}**`);
  if (row.error) parts.push(`**error: ${row.error}**`);
  return parts.join('; ') || '—';
}

export function table(rows: Row[]): string {
  const lines = ['| fault kind | injected | outcome by class | wrong bytes | crashes |', '|---|---:|---|---:|---:|'];
  for (const row of rows) {
    const wrong = row.wrongBytes === null ? row.wrongBytesNote
      : row.bytesChecked ? `${number(row.wrongBytes)} of ${number(row.bytesChecked)} checked` : number(row.wrongBytes);
    lines.push(`| ${row.label} | ${injectedCell(row)} | ${outcomeCell(row)} | ${wrong} | ${number(row.crashes)} |`);
  }
  return lines.join('\n');
}

export interface Machine { nproc: number; cpu: string; kernel: string; node: string }

export function machine(): Machine {
  let cpu = 'unknown';
  try { cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) || [])[1] || cpu; } catch { /* no /proc */ }
  return { nproc: os.availableParallelism ? os.availableParallelism() : os.cpus().length, cpu, kernel: os.release(), node: process.version };
}
