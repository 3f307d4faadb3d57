// Kind 'bad-input': the bad-input fuzz (scripts/fuzz/), its outcomes as the row's.
import { runBadInputFuzz } from '../fuzz';
import { loadPackage } from '../package';
import type { ChildKind, ChildOptions } from './fault-kind';
import { newTally, statusWriter } from './tally';

async function badInputChild({ count, seed, dir, statusFile }: ChildOptions): Promise<void> {
  const status = statusWriter(statusFile);
  status.save(newTally());
  const result = await runBadInputFuzz(loadPackage(), { runs: count, seed, dir });
  const tally = newTally({ cases: result.cases, readOnlyUnchanged: result.readOnlyUnchanged, fuzzSeconds: result.seconds });
  tally.injected = result.cases;
  tally.outcomes = result.outcomes;
  tally.unexpected = result.unexpectedCount;
  tally.unexpectedSamples = result.unexpected.slice(0, 5).map((u) => JSON.stringify(u));
  // The fuzz judges outcomes (errors against Buffer's and fs's), not the bytes
  // a read returns; what it checks of the data is that the read-only files on
  // disk are unchanged after every write attempt.
  tally.wrongBytes = null;
  status.finish(tally);
}

export const badInput: ChildKind = {
  kind: 'bad-input', label: 'bad input (`scripts/fuzz/`)', count: 100_000, unit: 'cases', timeout: 600,
  child: badInputChild,
};
