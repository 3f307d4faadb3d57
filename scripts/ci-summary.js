// Sums every jest-style results file (*.json) in a directory, one per CI stage
// (scripts/ci-lib.sh describes the protocol), and prints the one closing line
// "N passed, N failed" (", N skipped" after it when jest skipped any). Exits 1 when something failed or nothing ran.
//   node scripts/ci-summary.js RESULTS_DIR
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;  // jest's pending tests: the PKU case on a CPU without PKU, for one
for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
  let results;
  try {
    results = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
  } catch (error) {
    console.error(`ci: ${name}: unreadable results (${error.message})`);
    failed += 1;
    continue;
  }
  const stagePassed = results.numPassedTests || 0;
  // Test files that failed to run (a syntax or type error, a throwing hook)
  // hold no failed test but are failures all the same.
  const stageFailed = (results.numFailedTests || 0) + (results.numRuntimeErrorTestSuites || 0);
  console.error(`ci: ${path.basename(name, '.json')}: ${stagePassed} passed, ${stageFailed} failed`);
  passed += stagePassed;
  failed += stageFailed;
  skipped += results.numPendingTests || 0;
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed + failed === 0 ? 1 : 0);
