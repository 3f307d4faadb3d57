// A reader process for the lease tests:
//   node lease-reader.js <path> <milliseconds> [validate] [stop-at-first-wrong]
// Maps the file, heats it until it holds its lease, prints "mapped
// <validationMethod>", reads random ranges
// with the strict pattern oracle for `milliseconds` (race-reader.cjs), or
// until the first wrong byte with 'stop-at-first-wrong' (a control's race),
// then prints the tally with the lease breaks this process handled.
'use strict';
const { join } = require('node:path');
const { readUnderRace } = require('./race-reader.cjs');
const { heatUntilLeased } = require('./lease-heat.cjs');
const { binding } = require(join(__dirname, '..', '..', 'lib', 'binding'));

const [path, milliseconds, validate = 'always', until] = process.argv.slice(2);
const tally = readUnderRace(path, Number(milliseconds), {
  validate,
  stopAtFirstWrong: until === 'stop-at-first-wrong',
  onMapped: (length, file) => process.stdout.write(`mapped ${heatUntilLeased(file)}\n`),
});
tally.breaks = binding.testing.leaseBreaksHandled();
process.stdout.write(`${JSON.stringify(tally)}\n`);
