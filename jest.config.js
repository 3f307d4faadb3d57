/** @type {import('jest').Config} */
module.exports = {
  transform: {
    // Tests compile to CommonJS, as the package's main entry does.
    '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node' } }],
    // The cookbook's ESM-only devDependencies (hyparquet, hyparquet-writer), compiled
    // to CommonJS like the tests; their sources are plain ES2022 with JSDoc types.
    '/node_modules/hyparquet[^/]*/.+\\.js$': ['ts-jest', {
      tsconfig: { module: 'commonjs', moduleResolution: 'node', allowJs: true, checkJs: false }, isolatedModules: true,
    }],
  },
  transformIgnorePatterns: ['/node_modules/(?!hyparquet)'],
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 120000,
  // Fault tests spawn processes and race truncations: one file at a time keeps
  // them from starving each other on a 2-core machine.
  maxWorkers: 1,
};
