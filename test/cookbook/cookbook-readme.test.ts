// The README's cookbook recipes are the code the cookbook tests run: each
// test's block between "--- the README recipe ---" and "--- end of recipe ---"
// must appear verbatim in README.md, so neither can drift from the other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

test.each(['yauzl', 'hyparquet', 'pmtiles', 'records'])('the %s recipe in README.md is the tested code', (name) => {
  const source = readFileSync(join(__dirname, `cookbook-${name}.test.ts`), 'utf8');
  const match = /\/\/ --- the README recipe ---\n([\s\S]*?)\/\/ --- end of recipe ---\n/.exec(source);
  expect(match).not.toBeNull();
  const recipe = match![1];
  expect(recipe.split('\n').length).toBeGreaterThan(2);
  expect(README.includes(recipe)).toBe(true);
});
