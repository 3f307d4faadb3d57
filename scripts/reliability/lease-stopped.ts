// Kind 'lease-stopped', the lease's hole 2, count times: a reader
// (test/support/lease-reader.js) holding a lease is stopped (SIGSTOP) past
// lease-break-time (lowered to 1 s, then restored); a writer's open waits for
// the kernel to revoke the lease, truncates into the middle of a page and
// keeps it so while the reader resumes, then writes the pattern back. The
// reader's tally is merged here.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PAGE, patternBuffer } from '../../test/support/files';
import { repoPath } from '../package';
import type { ChildKind, ChildOptions } from './fault-kind';
import { newTally, record, statusWriter } from './tally';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function leaseStoppedChild({ count, dir, statusFile }: ChildOptions): Promise<void> {
  const BREAK_TIME = '/proc/sys/fs/lease-break-time';
  const saved = fs.readFileSync(BREAK_TIME, 'utf8');
  const tally = newTally({ reads: 0 });
  const status = statusWriter(statusFile);
  const LENGTH = 8 * PAGE;
  const file = path.join(dir, 'stopped.bin');
  fs.writeFileSync(BREAK_TIME, '1');
  try {
    for (let i = 0; i < count; i++) {
      fs.writeFileSync(file, patternBuffer(0, LENGTH));
      const reader = spawn(process.execPath, [repoPath('test', 'support', 'lease-reader.js'), file, '2500'],
        { stdio: ['ignore', 'pipe', 2] });
      let output = '';
      const mapped = new Promise<string>((resolve) => reader.stdout!.on('data', (chunk) => {
        output += chunk;
        if (output.includes('\n')) resolve(output.split('\n')[0]);
      }));
      const readerExit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve) => reader.on('exit', (code, signal) => resolve({ code, signal })));
      if (await mapped !== 'mapped lease') record(tally, 'no lease', 'lease');
      await sleep(200);
      reader.kill('SIGSTOP');
      const started = Date.now();
      const fd = fs.openSync(file, 'r+');  // waits until the kernel revokes the stopped reader's lease
      if (Date.now() - started < 900) record(tally, 'lease released while stopped', 'revoked');
      fs.ftruncateSync(fd, LENGTH / 2 + 1);
      tally.injected++;
      reader.kill('SIGCONT');
      await sleep(300);
      fs.writeSync(fd, patternBuffer(0, LENGTH), 0, LENGTH, 0);
      fs.closeSync(fd);
      const { code, signal } = await readerExit;
      if (code !== 0) {
        record(tally, signal ? `reader died by ${signal}` : `reader exit ${code}`, 'reader ok');
        continue;
      }
      const result = JSON.parse(output.trim().split('\n').pop() as string);
      tally.reads += result.reads;
      tally.bytesChecked += result.bytesChecked;
      tally.wrongBytes! += result.wrongBytes;
      tally.firstWrong ??= result.firstWrong;
      for (let r = 0; r < result.reads; r++) record(tally, 'returned', 'returned');
      for (const [name, times] of Object.entries(result.errors as Record<string, number>)) {
        for (let r = 0; r < times; r++) record(tally, name, 'MappedFileTruncated');
      }
      status.save(tally);
    }
  } finally {
    fs.writeFileSync(BREAK_TIME, saved);
  }
  status.finish(tally);
}

export const leaseStopped: ChildKind = {
  kind: 'lease-stopped', label: 'lease mode: reader stopped past `lease-break-time` (kernel revokes)', count: 20,
  unit: 'revoked leases', timeout: 300,
  child: leaseStoppedChild,
};
