// A temporary directory per test file (or describe block), for the tests
// that write files of their own.
import { TempDir } from './files';

/** A TempDir, made now and removed after the tests of the file or describe block that calls this. */
export function useTempDir(): TempDir {
  const dir = new TempDir();
  afterAll(() => dir.remove());
  return dir;
}
