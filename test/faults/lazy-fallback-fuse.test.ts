// A file on FUSE (off the lease allowlist: the daemon can change its
// backing file behind the inode) gets an ordinary copy from
// `{ lazy: true }`, in both validate modes. It mounts the test filesystem
// faultfs: it needs root, /dev/fuse and libfuse3-dev (.ci/run installs them),
// and fails without them. The other fallbacks: test/api/lazy-fallbacks.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkSnapshot, LAZY_MINIMUM_BYTES, open } from '../../src';
import { compileFaultfs, mountFaultfs, unmountFaultfs } from '../../scripts/reliability/faultfs';
import { PAGE, patternBuffer } from '../support/files';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();
const FILE_LENGTH = 4 << 20;
const LENGTH = LAZY_MINIMUM_BYTES + 2 * PAGE;
const OFFSET = 100;
const COPIED = { state: 'copied', intact: true, exactBuffer: true };

test('a file on FUSE (faultfs, off the lease allowlist): copied, in both validate modes', async () => {
  const work = mkdtempSync(join(dir.path, 'faultfs-'));
  const binary = compileFaultfs(work);
  const mount = await mountFaultfs(binary, work, FILE_LENGTH, FILE_LENGTH, FILE_LENGTH);  // no bad pages
  try {
    for (const validate of ['always', 'fault'] as const) {
      const file = open(mount.file, { validate });
      try {
        const snapshot = file.view(OFFSET, LENGTH).snapshot({ lazy: true });
        const made = { state: checkSnapshot(snapshot), intact: snapshot.equals(patternBuffer(OFFSET, LENGTH)),
          exactBuffer: snapshot.byteOffset === 0 && snapshot.buffer.byteLength === LENGTH };
        expect([validate, made]).toEqual([validate, COPIED]);
        expect([validate, file.validationMethod]).toEqual([validate, validate === 'always' ? 'fstat' : 'none']);
      } finally {
        file.close();
      }
    }
  } finally {
    await unmountFaultfs(mount);
    rmSync(work, { recursive: true, force: true });
  }
});
