// An empty needle, at both levels. The view follows Buffer#indexOf (an empty
// needle is found at the start position, clamped to the length), the sync
// and async forms alike. Below it, the binding's indexOf and indexOfAsync
// share one argument parser and both answer -1: the view never sends an
// empty needle, and neither form may search for one.
import { binding } from '../../src/binding';
import { open } from '../../src';
import { patternBuffer } from '../support/files';
import { useTempDir } from '../support/temp-dir';

const dir = useTempDir();

test('view.indexOf and view.indexOfAsync answer an empty needle as Buffer does', async () => {
  const bytes = patternBuffer(0, 100);
  const file = open(dir.file('needle', bytes));
  try {
    const view = file.view();
    for (const [needle, start] of [['', 0], ['', 7], ['', 500], [Buffer.alloc(0), 3], ['', -5]] as const) {
      expect([needle, start, view.indexOf(needle, start)]).toEqual([needle, start, bytes.indexOf(needle, start)]);
      expect([needle, start, await view.indexOfAsync(needle, start)]).toEqual([needle, start, bytes.indexOf(needle, start)]);
      expect([needle, start, view.lastIndexOf(needle, start)]).toEqual([needle, start, bytes.lastIndexOf(needle, start)]);
      expect([needle, start, await view.lastIndexOfAsync(needle, start)])
        .toEqual([needle, start, bytes.lastIndexOf(needle, start)]);
    }
  } finally {
    file.close();
  }
});

test('the binding answers -1 to an empty needle, in both forms', async () => {
  const file = open(dir.file('binding-needle', patternBuffer(0, 100)));
  try {
    const { slot } = file.native;
    for (const forward of [true, false]) {
      expect(binding.indexOf(slot, 0, 100, new Uint8Array(0), 0, forward, 1)).toBe(-1);
      await expect(file.native.indexOfAsync(0, 100, new Uint8Array(0), 0, forward, 1, null)).resolves.toBe(-1);
    }
  } finally {
    file.close();
  }
});
