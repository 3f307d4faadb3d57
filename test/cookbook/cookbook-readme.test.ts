// The cookbook's recipes (docs/cookbook.md) are the code the cookbook tests
// run: each test's block between "--- the cookbook recipe ---" and
// "--- end of recipe ---" must appear verbatim in docs/cookbook.md, so neither
// can drift from the other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const COOKBOOK = readFileSync(join(__dirname, '..', '..', 'docs', 'cookbook.md'), 'utf8');

test.each(['yauzl', 'hyparquet', 'pmtiles', 'records', 'arrow', 'ring-buffer'])('the %s recipe in docs/cookbook.md is the tested code', (name) => {
  const source = readFileSync(join(__dirname, `cookbook-${name}.test.ts`), 'utf8');
  const match = /\/\/ --- the cookbook recipe ---\n([\s\S]*?)\/\/ --- end of recipe ---\n/.exec(source);
  expect(match).not.toBeNull();
  const recipe = match![1];
  expect(recipe.split('\n').length).toBeGreaterThan(2);
  expect(COOKBOOK.includes(recipe)).toBe(true);
});
