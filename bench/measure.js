// How the benchmark measures: the rounds of the cases being compared are
// interleaved (A B C A B C ...), so that a noisy neighbour slows them alike,
// and each figure is the median over rounds. Ratios are against a baseline
// measured in the same rounds.
'use strict';

/** The value below which `fraction` of `values` lie (0.5: the median, 0.99: p99). */
function percentile(values, fraction) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

const median = (values) => percentile(values, 0.5);

/**
 * Runs each case once per round, interleaved. A case is a function that
 * returns (or resolves to) the number of operations it did, or
 * { before, run } where before() runs untimed ahead of each run(). Resolves to a group:
 * { title, baseline, bytesPerOperation, rows: [{ name, nsPerOperation, ratio }] },
 * where ratio is the baseline's time over the row's (above 1 is faster).
 */
async function compare({ title, baseline, bytesPerOperation, rounds, progress, cases, rotate = false }) {
  const samples = new Map(Object.keys(cases).map((name) => [name, []]));
  const entries = Object.entries(cases);
  for (let round = 0; round < rounds; round++) {
    // rotate: round r starts with case r (A B C, B C A, ...), so that no case
    // always runs right after the same other one.
    const order = rotate ? [...entries.slice(round % entries.length), ...entries.slice(0, round % entries.length)] : entries;
    for (const [name, testCase] of order) {
      const { before, run } = typeof testCase === 'function' ? { run: testCase } : testCase;
      if (before) await before();
      const start = process.hrtime.bigint();
      const operations = await run();
      samples.get(name).push(Number(process.hrtime.bigint() - start) / operations);
    }
    progress(`${title}: round ${round + 1}/${rounds}`);
  }
  const medians = new Map([...samples].map(([name, values]) => [name, median(values)]));
  const base = medians.get(baseline);
  return {
    title,
    baseline,
    bytesPerOperation,
    rows: [...medians].map(([name, nsPerOperation]) => ({ name, nsPerOperation, ratio: base / nsPerOperation })),
  };
}

module.exports = { compare, median, percentile };
