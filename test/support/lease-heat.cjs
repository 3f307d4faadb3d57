// The tests' way to heat a file until it holds its read lease: the same
// helper as the benchmarks' (bench/lease-heat.js, which ships with them).
'use strict';
module.exports = require('../../bench/lease-heat.js');
