// Kind 'vanish': the faultfs daemon killed while a loop reads, as a yanked
// disk or a dead network mount: reads fail with MappedFileIOError or return
// the right bytes (pages still in the page cache).
import { spawn, type ChildProcess } from 'node:child_process';
import { PAGE } from '../../test/support/files';
import { prng } from '../../test/support/random';
import { loadPackage } from '../package';
import type { ChildKind, ChildOptions } from './fault-kind';
import { mountFaultfs, unmountFaultfs } from './faultfs';
import { numberWidth, READ_METHODS, tryRead } from './reads';
import { newTally, statusWriter } from './tally';

async function vanishChild({ count, seed, dir, statusFile, faultfs }: ChildOptions): Promise<void> {
  const { open } = loadPackage();
  const random = prng(seed);
  // 1 GiB (faultfs makes the bytes up as they are read): after the kill, most
  // pages the loop touches are not in the page cache, so they fault.
  const SIZE = 1 << 30;
  const tally = newTally({ reads: 0, mountsWithFault: 0 });
  const status = statusWriter(statusFile);
  status.save(tally);
  for (let i = 0; i < count; i++) {
    const mount = await mountFaultfs(faultfs!, dir, SIZE, SIZE, SIZE);  // no bad pages: the kill is the fault
    let killer: ChildProcess | undefined;
    try {
      const file = open(mount.file, { validate: i % 2 ? 'fault' : 'always' });
      const view = file.view();
      // The kill comes from another process, 20..300 ms in, while this one reads.
      const delay = 20 + random.int(280);
      killer = spawn('sh', ['-c', `sleep ${delay / 1000}; kill -9 ${mount.daemon.pid}`], { stdio: 'ignore' });
      const killerDone = new Promise((resolve) => killer!.once('exit', resolve));
      tally.injected++;
      const deadline = Date.now() + delay + 5000;
      let errorsSeen = 0;
      let readsSinceFirstError = 0;
      // Until 100 faults, or 2,000 reads since the first one.
      while (Date.now() < deadline && errorsSeen < 100 && readsSinceFirstError < 2000) {
        const method = random.pick(READ_METHODS);
        const width = method === 'number' ? numberWidth(random) : 1 + random.int(2 * PAGE);
        const at = random.int(SIZE - width);
        const before = tally.outcomes.MappedFileIOError || 0;
        // After the kill, pages still in the page cache read fine; the others fault.
        await tryRead(tally, view, method, at, at + width, ['returned', 'MappedFileIOError']);
        tally.reads++;
        if ((tally.outcomes.MappedFileIOError || 0) > before) errorsSeen++;
        if (errorsSeen) readsSinceFirstError++;
      }
      if (errorsSeen) tally.mountsWithFault++;
      file.close();
      await killerDone;
    } finally {
      if (killer && killer.exitCode === null && killer.signalCode === null) killer.kill('SIGKILL');
      await unmountFaultfs(mount);
    }
    status.save(tally);
  }
  status.finish(tally);
}

export const vanish: ChildKind = {
  kind: 'vanish', label: 'vanished mount (FUSE daemon killed mid-read)', count: 100, minimumCount: 2,
  unit: 'daemons killed', timeout: 300, fuse: true,
  child: vanishChild,
};
