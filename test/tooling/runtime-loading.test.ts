// The package loaded the ways a user of this runtime loads it, from a project
// that has it installed in node_modules: require('safe-mmap') and
// `import ... from 'safe-mmap'` everywhere; under Deno also the `npm:`
// specifier and createRequire. Each way takes a truncation fault in both
// validate modes and must get MappedFileTruncated, the file's bytes below the
// new end, and a clean exit. Runs under Node in `npm test` and under Bun and
// Deno through test/runtimes/run.sh (the runtime is the one running jest).
//
// The installed copy has the files an npm install of the tarball has (lib/,
// package.json, the addon built here, node-gyp-build): package.test.ts covers
// `npm pack` itself. A copy, not a symlink: Deno treats a symlinked local
// package (npm link, file: dependencies) as local ES modules, and then
// lib/index.mjs cannot take a default export from the CommonJS lib/index.js.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { patternByte } from '../support/files';

const ROOT = join(__dirname, '..', '..');
const runtime = 'Deno' in globalThis ? 'deno' : 'bun' in process.versions ? 'bun' : 'node';
let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'safe-mmap-loading-'));
  const installed = join(project, 'node_modules', 'safe-mmap');
  mkdirSync(join(installed, 'build', 'Release'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
  cpSync(join(ROOT, 'lib'), join(installed, 'lib'), { recursive: true });
  for (const name of readdirSync(join(ROOT, 'build', 'Release')).filter((entry) => entry.endsWith('.node'))) {
    cpSync(join(ROOT, 'build', 'Release', name), join(installed, 'build', 'Release', name));
  }
  cpSync(join(ROOT, 'node_modules', 'node-gyp-build'), join(project, 'node_modules', 'node-gyp-build'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({
    name: 'safe-mmap-consumer', private: true, dependencies: { 'safe-mmap': '*' },
  }));
});
afterAll(() => { if (project) rmSync(project, { recursive: true, force: true }); });

// The body every loader runs, with `open` and `MappedFileTruncated` in scope.
// It carries patternByte's own source: the consumer project has no test/support.
const TRUNCATION_CHECK = `
const fs = require('node:fs');
const PAGE = 4096;
${patternByte}
const pattern = (start, length) => Uint8Array.from({ length }, (_, i) => patternByte(start + i));
const result = {};
for (const validate of ['always', 'fault']) {
  const path = 'file-' + validate;
  fs.writeFileSync(path, pattern(0, 4 * PAGE));
  const file = open(path, { validate });
  const view = file.view();
  const newSize = PAGE + 100;
  fs.truncateSync(path, newSize);
  const below = view.subarray(0, newSize).snapshot();
  const caught = [];
  for (const read of [() => view.readUInt32LE(3 * PAGE), () => view.snapshot()]) {
    try { read(); caught.push('no error'); } catch (error) {
      caught.push(error instanceof MappedFileTruncated ? error.code : String(error));
    }
  }
  file.close();
  result[validate] = { belowIsFileBytes: Buffer.from(below).equals(Buffer.from(pattern(0, newSize))), caught };
}
console.log(JSON.stringify(result));
`;

// Sources per loader. ESM has no require: createRequire gives node:fs.
const ESM_PRELUDE = "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n";
const loaders: Record<string, { file: string; source: string }> = {
  require: {
    file: 'require.cjs',
    source: `const { open, MappedFileTruncated } = require('safe-mmap');\n${TRUNCATION_CHECK}`,
  },
  'ESM import': {
    file: 'import.mjs',
    source: `import { open, MappedFileTruncated } from 'safe-mmap';\n${ESM_PRELUDE}
if (require('safe-mmap').MappedFileTruncated !== MappedFileTruncated) throw new Error('two copies of the classes');
${TRUNCATION_CHECK}`,
  },
};
if (runtime === 'deno') {
  loaders['npm: specifier'] = {
    file: 'npm-specifier.mjs',
    source: `import { open, MappedFileTruncated } from 'npm:safe-mmap';\n${ESM_PRELUDE}${TRUNCATION_CHECK}`,
  };
  loaders.createRequire = {
    file: 'create-require.mjs',
    source: `${ESM_PRELUDE}const { open, MappedFileTruncated } = require('safe-mmap');\n${TRUNCATION_CHECK}`,
  };
}

test(`runs under the runtime it is meant for (${runtime})`, () => {
  // test/runtimes/run.sh sets this, so that a jest that silently ran under Node fails here.
  expect(runtime).toBe(process.env.SAFE_MMAP_EXPECTED_RUNTIME ?? 'node');
});

test.each(Object.keys(loaders))(`${runtime}: loaded by %s, a truncation fault is MappedFileTruncated in both modes`, (loader) => {
  const { file, source } = loaders[loader];
  writeFileSync(join(project, file), source);
  const args = runtime === 'deno' ? ['run', '--allow-all', file] : [file];
  const child = spawnSync(process.execPath, args, {
    cwd: project, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' },
  });
  const context = `exit ${child.status ?? child.signal}\n${child.stdout}\n${child.stderr}`;
  expect({ status: child.status, signal: child.signal, context }).toMatchObject({ status: 0, signal: null });
  const expected = { belowIsFileBytes: true, caught: ['ERR_MAPPED_FILE_TRUNCATED', 'ERR_MAPPED_FILE_TRUNCATED'] };
  expect(JSON.parse(child.stdout)).toEqual({ always: expected, fault: expected });
});
