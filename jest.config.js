// The tests, a jest project per tier (test/README.md says what each holds):
//   npx jest --selectProjects api        the API tier alone, without root
/** The settings every tier shares. */
const tier = (name) => ({
  displayName: name,
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
  testEnvironment: 'node',
  transform: {
    // Tests compile to CommonJS, as the package's main entry does.
    '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node' } }],
    // The cookbook's ESM-only devDependencies (hyparquet, hyparquet-writer), compiled
    // to CommonJS like the tests; their sources are plain ES2022 with JSDoc types.
    // Either separator: jest rewrites '/' for Windows in transformIgnorePatterns, not here.
    '[/\\\\]node_modules[/\\\\]hyparquet[^/\\\\]*[/\\\\].+\\.js$': ['ts-jest', {
      tsconfig: { module: 'commonjs', moduleResolution: 'node', allowJs: true, checkJs: false }, isolatedModules: true,
    }],
  },
  transformIgnorePatterns: ['/node_modules/(?!hyparquet)'],
});

/** @type {import('jest').Config} */
module.exports = {
  // test/windows: the Windows build's own tests, which run under Wine
  // (scripts/ci-windows.sh) beside the other tiers' portable files.
  projects: ['api', 'faults', 'tooling', 'cookbook', ...(process.platform === 'win32' ? ['windows'] : [])].map(tier),
  testTimeout: 120000,
  // Fault tests spawn processes and race truncations: one file at a time keeps
  // them from starving each other on a 2-core machine.
  maxWorkers: 1,
};
