// Lint: the module boundaries of the monorepo (Nx's rule, on the tags in each project.json) and a few
// rules the compiler does not check. `npm run lint`; CI runs it.
/* eslint-disable @typescript-eslint/no-require-imports -- this file is CommonJS, as the repo is */
const nx = require('@nx/eslint-plugin');
const tseslint = require('typescript-eslint');

/** Who may import whom, by tag: contracts import nothing of ours; no context imports another. */
const depConstraints = [
  { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:none'] },
  // Infrastructure's tests use the test helpers (its source may not: see the no-restricted-imports rule below).
  { sourceTag: 'type:infrastructure', onlyDependOnLibsWithTags: ['type:contracts', 'type:infrastructure', 'type:testing'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:infrastructure'] },
  { sourceTag: 'type:context', onlyDependOnLibsWithTags: ['type:contracts', 'type:infrastructure', 'type:testing'] },
  { sourceTag: 'type:composition', onlyDependOnLibsWithTags: ['type:contracts', 'type:infrastructure', 'type:context', 'type:testing'] },
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:infrastructure', 'type:context', 'type:composition'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['*'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['*'] },
];

/** Inside a context, a sub-domain is used by its neighbours only through its index.ts. */
const publicFilesOnly = (folder, neighbours) => ({
  files: [`libs/coordinator/src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: neighbours.map((n) => ({ group: [`../${n}/*`], message: `use ../${n} (its index.ts), not its inner files` })) },
    ],
  },
});

module.exports = [
  { ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  { plugins: { '@nx': nx } },
  {
    files: ['**/*.ts'],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@nx/enforce-module-boundaries': ['error', { enforceBuildableLibDependency: false, allow: [], depConstraints }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Decorated Nest classes and zod schemas carry types the rule cannot see through.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      'no-console': 'error',
    },
  },
  {
    // Source may not import the test helpers; only tests may.
    files: ['libs/*/src/**/*.ts', 'apps/autocoder/src/**/*.ts', 'apps/coordinator/src/**/*.ts', 'apps/gateway/src/**/*.ts'],
    ignores: ['libs/testing/src/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: '@autocoder/testing', message: 'test helpers belong in tests' }] }] },
  },
  publicFilesOnly('chat', ['planning']),
  publicFilesOnly('planning', ['chat']),
  {
    // Apps are bootstraps: a main.ts that starts what the libs hold.
    files: ['apps/autocoder/src/**/*.ts', 'apps/coordinator/src/**/*.ts', 'apps/gateway/src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 40, skipComments: true, skipBlankLines: true }] },
  },
  {
    // Programs whose output is for people: the CLI, scripts, benchmarks, test fixtures.
    files: ['tools/**/*.ts', 'apps/*/src/main.ts', '**/test/**/*.ts', 'apps/tests/**/*.ts', 'libs/testing/src/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
];
