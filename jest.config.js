// Three projects: `unit` needs no services; `integration` talks to the real PostgreSQL and Redis
// (a fresh database per run, created and dropped by test/support/global-setup.ts); `web` renders
// the dashboard's components in jsdom.
const swc = [
  '@swc/jest',
  { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
];
const swcTsx = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', tsx: true },
      transform: { react: { runtime: 'automatic' } },
    },
    module: { type: 'commonjs' },
  },
];
const shared = {
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The generated Prisma client imports its siblings with `.js` suffixes.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};
/** @type {import('jest').Config} */
module.exports = {
  // Integration tests start real services and CLI subprocesses: generous, so a loaded CI machine does not flake.
  testTimeout: 30_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/engine/**/*.test.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['<rootDir>/test/support/per-file-env.ts'],
      // Each file gets its own database copy (see the file for why).
      setupFilesAfterEnv: ['<rootDir>/test/support/per-file-database.ts'],
    },
    {
      displayName: 'web',
      testMatch: ['<rootDir>/test/web/**/*.test.ts', '<rootDir>/test/web/**/*.test.tsx'],
      testEnvironment: 'jsdom',
      transform: { '^.+\\.tsx?$': swcTsx, '^.+\\.m?js$': swc },
      moduleFileExtensions: ['tsx', 'ts', 'js', 'mjs', 'json'],
      moduleNameMapper: { '\\.css$': '<rootDir>/test/web/support/style-stub.js' },
      setupFiles: ['<rootDir>/test/web/support/setup.ts'],
    },
  ],
};
