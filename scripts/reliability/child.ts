// The process a fault kind runs in (runner.ts forks it): node child.js KIND OPTIONS_JSON.
// An error ends it with status 1 and its first line in <statusFile>.error,
// for the row.
import * as fs from 'node:fs';
import type { ChildKind, ChildOptions } from './fault-kind';
import { KINDS } from './kinds';

const [kind, optionsJson] = process.argv.slice(2);
const options: ChildOptions = JSON.parse(optionsJson);
const spec = KINDS.find((k) => k.kind === kind) as ChildKind;
spec.child(options).then(() => process.exit(0), (error) => {
  process.stderr.write(`reliability ${kind}: ${(error && error.stack) || error}\n`);
  fs.writeFileSync(`${options.statusFile}.error`, String((error && error.message) || error).split('\n')[0]);
  process.exit(1);
});
