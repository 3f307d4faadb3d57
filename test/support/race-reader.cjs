// The reader side of the race tests, usable on the main thread or in a
// worker: reads random ranges of a pattern file in a loop for a bounded time
// and tallies what came back. Requires the compiled package (lib/).
// .cjs: Deno loads a worker's .js file as an ES module, where require and
// __dirname do not exist.
'use strict';
const { join } = require('node:path');
const { open } = require(join(__dirname, '..', '..'));
const { patternByte } = require('./pattern.cjs');

/**
 * Maps `path`, calls onMapped(mappedLength), then reads for `milliseconds`.
 * @returns {{ mappedLength: number, reads: number, bytesChecked: number, wrongBytes: number,
 *            errors: Record<string, number>, firstWrong: string | null }}
 */
function readUnderRace(path, milliseconds, { validate = 'always', stopAtFirstWrong = false, onMapped = () => {} } = {}) {
  const file = open(path, { validate });
  const view = file.view();
  onMapped(file.size, file);
  const target = Buffer.alloc(64 * 1024);
  const tally = {
    mappedLength: file.size, reads: 0, bytesChecked: 0, wrongBytes: 0, errors: {}, firstWrong: null,
    methods: {},  // file.validationMethod, sampled every 64 reads
  };
  const check = (bytes, start) => {
    tally.bytesChecked += bytes.length;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== patternByte(start + i)) {
        tally.wrongBytes++;
        if (!tally.firstWrong) tally.firstWrong = `offset ${start + i}: ${bytes[i]} != ${patternByte(start + i)}`;
      }
    }
  };
  const deadline = Date.now() + milliseconds;
  let round = 0;
  while (Date.now() < deadline && !(stopAtFirstWrong && tally.wrongBytes > 0)) {
    if (round % 64 === 0) tally.methods[file.validationMethod] = (tally.methods[file.validationMethod] || 0) + 1;
    const offset = Math.floor(Math.random() * view.length);
    const length = Math.min(1 + Math.floor(Math.random() * target.length), view.length - offset);
    try {
      switch (round++ % 3) {
        case 0: {
          const copied = view.copy(target, 0, offset, offset + length);
          check(target.subarray(0, copied), offset);
          break;
        }
        case 1:
          check(view.subarray(offset, offset + length).snapshot(), offset);
          break;
        default: {
          const at = Math.min(offset, view.length - 4);
          const value = view.readUInt32LE(at);
          const bytes = Buffer.alloc(4);
          bytes.writeUInt32LE(value);
          check(bytes, at);
        }
      }
      tally.reads++;
    } catch (error) {
      const name = error && error.constructor ? error.constructor.name : String(error);
      tally.errors[name] = (tally.errors[name] || 0) + 1;
    }
  }
  file.close();
  return tally;
}

module.exports = { readUnderRace };

// As a worker: workerData = { raceReader: true, path, milliseconds, validate }.
// Posts { mapped: length } once the file is mapped, then { tally }.
const { isMainThread, parentPort, workerData } = require('node:worker_threads');
if (!isMainThread && workerData && workerData.raceReader) {
  const tally = readUnderRace(workerData.path, workerData.milliseconds, {
    validate: workerData.validate,
    onMapped: (length) => parentPort.postMessage({ mapped: length }),
  });
  parentPort.postMessage({ tally });
}
