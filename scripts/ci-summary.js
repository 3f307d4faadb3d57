// Sums every jest-style results file (*.json) in a directory, one per CI stage
// (scripts/ci-lib.sh describes the protocol), and prints the one closing line
// "N passed, N failed" (", N skipped" after it when jest skipped any). Exits 1 when something failed or nothing ran.
// Each failed test is named, with the first lines of its message, just above
// the closing lines: CI keeps only the tail of its output, and a failure that
// does not recur must still be diagnosable from it.
//   node scripts/ci-summary.js RESULTS_DIR
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;  // jest's pending tests: the PKU case on a CPU without PKU, for one
const failures = [];

// failureLines(stage, results): a line per failed test or failed file, with
// the first lines of jest's message (ANSI colours removed).
function failureLines(stage, results) {
  const lines = [];
  const excerpt = (text) => String(text || '').replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 6).map((l) => `ci:     ${l.slice(0, 200)}`);
  for (const file of results.testResults || []) {
    const where = (/(?:^|[\\/])(test[\\/].*)$/.exec(file.name || '') || [, file.name || '?'])[1];
    const failedTests = (file.assertionResults || []).filter((t) => t.status === 'failed');
    for (const test of failedTests) {
      lines.push(`ci: FAILED ${stage}: ${where} > ${test.fullName}`, ...excerpt((test.failureMessages || []).join('\n')));
    }
    if (failedTests.length === 0 && file.status === 'failed') {
      lines.push(`ci: FAILED ${stage}: ${where} (the file did not run)`, ...excerpt(file.message));
    }
  }
  return lines;
}
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
  for (const line of failureLines(path.basename(name, '.json'), results)) failures.push(line);
  passed += stagePassed;
  failed += stageFailed;
  skipped += results.numPendingTests || 0;
}
for (const line of failures) console.error(line);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed + failed === 0 ? 1 : 0);
