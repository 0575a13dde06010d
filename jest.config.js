// One jest run for the whole monorepo: unit and integration suites alike.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/tools'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    // Tools packages first: the catch-all below maps only libs/*.
    '^@autocoder/fake-anthropic$': '<rootDir>/tools/fake-anthropic/src/index.ts',
    '^@autocoder/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
  },
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  testTimeout: 60000,
  // One suite at a time: suites start real servers and dozens of processes (the claim race runs 50),
  // and on two cores two such suites side by side starve each other into time-outs.
  maxWorkers: 1,
};
