// file.watch() on FUSE (faultfs, off the lease allowlist): no lease, and a
// change made behind the kernel's back (faultfs grows its file on SIGUSR1,
// as another machine's write to a network filesystem) produces no inotify
// event: the fstat poll reports it, once FUSE's attribute cache (1 s by
// default) lets fstat see it. Needs root, /dev/fuse and libfuse3-dev.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { open } from '../../src';
import { compileFaultfs, mountFaultfs, unmountFaultfs } from '../../scripts/reliability/faultfs';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
const SIZE = 1 << 20;

test('on FUSE: no lease, and the poll reports a change inotify never sees', async () => {
  const work = mkdtempSync(join(dir.path, 'faultfs-'));
  const binary = compileFaultfs(work);
  const mount = await mountFaultfs(binary, work, SIZE, SIZE, SIZE);  // no bad pages
  try {
    const file = open(mount.file);
    try {
      const watcher = file.watch({ interval: 50 });
      expect(watcher.method).toBe('inotify');
      const next = watcher.next();
      mount.daemon.kill('SIGUSR1');
      const late = new Promise((resolve) => { setTimeout(() => resolve({ value: 'no event within 5 s' }), 5000).unref(); });
      const { value } = await Promise.race([next, late]) as IteratorResult<unknown>;
      expect(value).toEqual({ kind: 'change', size: SIZE + 4096, method: 'poll' });
      await watcher.return();
    } finally {
      file.close();
    }
  } finally {
    await unmountFaultfs(mount);
    rmSync(work, { recursive: true, force: true });
  }
});
