// Real I/O errors under a mapping, from a FUSE filesystem of our own
// (test/support/faultfs/faultfs.c, compiled here against libfuse3): pages that fail
// with EIO, and a daemon killed mid-read, as a yanked disk or a dead network
// mount. Needs root, /dev/fuse, gcc and libfuse3-dev (.ci/run installs them);
// without them these tests fail, they do not skip.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MappedFileIOError, open } from '../../src';
import { patternBuffer } from '../support/files';

const PAGE = 4096;
let workDir: string;
let binary: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'safe-mmap-faultfs-'));
  binary = join(workDir, 'faultfs');
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'fuse3'], { encoding: 'utf8' }).trim().split(/\s+/);
  execFileSync('gcc', ['-O2', '-Wall', '-o', binary, join(__dirname, '..', 'support', 'faultfs', 'faultfs.c'), ...flags]);
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Mounts faultfs; resolves once /data is visible. */
async function mountFaultfs(size: number, badStart: number, badEnd: number) {
  const mountPoint = mkdtempSync(join(workDir, 'mnt-'));
  const daemon: ChildProcess = spawn(binary, [mountPoint, String(size), String(badStart), String(badEnd)],
    { stdio: 'ignore' });  // holds none of the test's pipes
  const path = join(mountPoint, 'data');
  for (let i = 0; i < 200; i++) {
    try {
      execFileSync('stat', [path], { stdio: 'ignore' });
      return { daemon, mountPoint, path };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  daemon.kill('SIGKILL');
  throw new Error('faultfs did not mount');
}

function unmount(mountPoint: string): void {
  try { execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' }); } catch { /* already gone (auto_unmount) */ }
}

test('a mapped read of a page that fails with EIO throws MappedFileIOError; the rest reads right', async () => {
  const SIZE = 1 << 20;
  const BAD = 512 * 1024;
  const { daemon, mountPoint, path } = await mountFaultfs(SIZE, BAD, BAD + PAGE);
  try {
    for (const validate of ['always', 'fault'] as const) {
      const file = open(path, { validate });
      // FUSE is off the lease allowlist (its daemon can change the data
      // behind the inode): 'always' falls back to fstat there.
      expect(file.validationMethod).toBe(validate === 'always' ? 'fstat' : 'none');
      const view = file.view();
      expect(() => view.readUInt8(BAD + 10)).toThrow(MappedFileIOError);
      expect(() => view.subarray(BAD - 100, BAD + 100).snapshot()).toThrow(MappedFileIOError);
      await expect(view.subarray(BAD, BAD + PAGE).snapshotAsync()).rejects.toBeInstanceOf(MappedFileIOError);
      const error = (() => { try { view.indexOf('absent'); } catch (e) { return e; } })();
      expect(error).toMatchObject({ code: 'ERR_MAPPED_FILE_IO', path, fileSize: SIZE });
      expect(view.subarray(0, 64 * 1024).snapshot().equals(patternBuffer(0, 64 * 1024))).toBe(true);
      expect(view.subarray(BAD + 2 * PAGE, BAD + 3 * PAGE).snapshot().equals(patternBuffer(BAD + 2 * PAGE, PAGE))).toBe(true);
      file.close();
    }
  } finally {
    daemon.kill('SIGKILL');
    unmount(mountPoint);
  }
});

test('a snapshot of 32 MiB or more reads with pread: a page that fails is MappedFileIOError there too', async () => {
  const SIZE = 40 << 20;
  const BAD = 36 << 20;
  const { daemon, mountPoint, path } = await mountFaultfs(SIZE, BAD, BAD + PAGE);
  try {
    const file = open(path);
    const view = file.view();
    expect(() => view.snapshot()).toThrow(MappedFileIOError);
    expect(view.subarray(0, 32 << 20).snapshot().equals(patternBuffer(0, 32 << 20))).toBe(true);
    file.close();
  } finally {
    daemon.kill('SIGKILL');
    unmount(mountPoint);
  }
});

test('the daemon killed while a loop reads: only MappedFileIOError, right bytes, no crash, no hang', async () => {
  const SIZE = 64 << 20;
  const { daemon, mountPoint, path } = await mountFaultfs(SIZE, SIZE, SIZE);  // no bad pages: the kill is the fault
  try {
    const file = open(path);
    const view = file.view();
    // The kill comes from another process while this thread is busy reading.
    spawn('sh', ['-c', `sleep 0.5; kill -9 ${daemon.pid}`], { stdio: 'ignore' });
    const tally: Record<string, number> = {};
    let wrongBytes = 0;
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline) {
      const at = Math.floor(Math.random() * (SIZE / PAGE)) * PAGE;
      try {
        const bytes = view.subarray(at, at + PAGE).snapshot();
        if (!bytes.equals(patternBuffer(at, PAGE))) wrongBytes++;
        tally.ok = (tally.ok ?? 0) + 1;
      } catch (error) {
        const name = (error as Error).constructor.name;
        tally[name] = (tally[name] ?? 0) + 1;
      }
    }
    file.close();
    expect(wrongBytes).toBe(0);
    expect(Object.keys(tally).sort()).toEqual(['MappedFileIOError', 'ok']);
  } finally {
    daemon.kill('SIGKILL');
    unmount(mountPoint);
  }
});
