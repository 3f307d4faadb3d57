// close() racing in-flight async copies, as a standalone program for
// valgrind: `valgrind node test/support/close-race-script.js [rounds]`.
// Exits 0 when every operation either copied the right bytes or rejected
// with MappedFileClosed.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { open, MappedFileClosed } = require(path.join(__dirname, '..', '..'));
const { patternBuffer } = require('./pattern.cjs');

const rounds = Number(process.argv[2] ?? 5);
const FILE_LENGTH = 16 << 20;
const COPY_LENGTH = 4 << 20;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safe-mmap-valgrind-'));
const file = path.join(dir, 'data.bin');
const pattern = patternBuffer(0, FILE_LENGTH);
fs.writeFileSync(file, pattern);

(async () => {
  const tally = { right: 0, closed: 0, other: 0 };
  for (let round = 0; round < rounds; round++) {
    const mapped = open(file);
    const view = mapped.view();
    const copies = Array.from({ length: 12 }, (_, i) => {
      const offset = (i * 37 * 4096) % (FILE_LENGTH - COPY_LENGTH);
      const target = Buffer.alloc(COPY_LENGTH);
      return view.copyAsync(target, 0, offset, offset + COPY_LENGTH)
        .then(() => (target.equals(pattern.subarray(offset, offset + COPY_LENGTH)) ? 'right' : 'other'),
          (error) => (error instanceof MappedFileClosed ? 'closed' : 'other'));
    });
    // Close before, as and after the pool threads start copying.
    const delay = round % 4;
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay * delay));
    mapped.close();
    for (const outcome of await Promise.all(copies)) tally[outcome]++;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(tally));
  process.exit(tally.other === 0 ? 0 : 1);
})();
