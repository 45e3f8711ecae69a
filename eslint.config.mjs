// Lint zones of architecture.md §6. Each rule below keeps a dependency pointing inwards:
// the engine is pure; only repositories reach Prisma; only queue files and workers reach BullMQ;
// only src/platform/config.ts reads the environment; no import cycles anywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const prismaImports = ['@prisma/*', '**/generated/prisma', '**/generated/prisma/*'];
const bullmqImports = ['bullmq', 'bullmq/*'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      'src/generated/',
      'web/dist/',
      'web/src/api/generated/',
      'test/fixtures/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: prismaImports, message: 'Only *.repository.ts files (and src/platform/db.ts) may use Prisma.' },
            {
              group: bullmqImports,
              message: 'Only *.queue.ts files, src/platform/redis.ts and workers/ may use BullMQ.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'workers/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read settings through src/platform/config.ts (the only reader of the environment).',
        },
      ],
    },
  },
  { files: ['src/platform/config.ts'], rules: { 'no-restricted-properties': 'off' } },
  {
    files: ['**/*.repository.ts', 'src/platform/db.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: bullmqImports, message: 'Repositories do not touch BullMQ.' }] },
      ],
    },
  },
  {
    files: ['**/*.queue.ts', 'src/platform/redis.ts', 'workers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: prismaImports, message: 'Queue code does not touch Prisma; call a service.' }] },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // The engine: pure, synchronous, deterministic (engine.md §1). Only relative imports inside
    // src/engine and zod (pure schema code) are allowed.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!zod$|\\.{1,2}/)',
              message: 'src/engine imports only its own files and zod: no node:*, no packages with I/O.',
            },
          ],
        },
      ],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/engine',
              from: './',
              except: ['./src/engine', './node_modules'],
              message: 'src/engine imports nothing outside itself.',
            },
          ],
        },
      ],
      'import-x/no-nodejs-modules': 'error',
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'The engine has no clock: use the virtual clock.' },
        { name: 'process', message: 'The engine does no I/O and reads no environment.' },
        { name: 'setTimeout', message: 'The engine is synchronous.' },
        { name: 'setInterval', message: 'The engine is synchronous.' },
        { name: 'setImmediate', message: 'The engine is synchronous.' },
        { name: 'require', message: 'The engine imports statically.' },
        { name: 'fetch', message: 'The engine does no I/O.' },
        { name: 'performance', message: 'The engine has no clock.' },
        { name: 'crypto', message: 'Randomness comes from the seeded PRNG passed in.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the seeded PRNG passed in (determinism).' },
        { object: 'process', property: 'env', message: 'The engine reads no environment.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TryStatement',
          message: 'The engine never catches (style.md E7): return outcomes as data, assert invariants.',
        },
        { selector: 'ImportExpression', message: 'The engine imports statically.' },
      ],
    },
  },
  {
    // Layers outside the engine. Arrows: cli → main → api → modules → platform, and everything → the
    // engine's face. Modules hold no transport (no express, no src/api: resolvers import only the
    // generated resolver types); platform knows no feature; only src/engine/index.ts is importable.
    files: ['src/**/*.ts', 'workers/**/*.ts'],
    ignores: ['src/engine/**'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/modules',
              from: './src/api',
              except: ['./generated'],
              message:
                'Modules hold no transport: only the generated resolver types of src/api/generated may be imported.',
            },
            {
              target: './src/modules',
              from: './node_modules/express',
              message: 'Modules hold no transport: HTTP routes live in src/api.',
            },
            { target: './src/platform', from: './src/modules', message: 'src/platform knows no feature module.' },
            {
              target: ['./src/api', './src/cli', './src/main', './src/modules', './src/platform', './workers'],
              from: './src/engine',
              except: ['./index.ts'],
              message: 'Import the engine only through its face, src/engine/index.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // The dashboard (web/) talks to the server only through GraphQL: it imports its own files, npm
    // packages and its generated operation types, never src/, workers/ or test code, and no Node
    // built-ins (it runs in the browser). Its build config (vite.config.mts) may use Node.
    files: ['web/**/*.ts', 'web/**/*.tsx', 'web/**/*.mts', 'test/web/**/*.ts', 'test/web/**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.tsx', '.js'] } } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(src|workers|test|bin|scripts|prisma)(/|$)',
              message:
                'web/ talks to the server through GraphQL only: import web/ files and web/src/api/generated types, not server code.',
            },
            { group: [...prismaImports, ...bullmqImports], message: 'web/ runs in the browser: no Prisma, no BullMQ.' },
          ],
        },
      ],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './web',
              from: ['./src', './workers', './test', './bin', './scripts', './prisma'],
              message: 'web/ imports only web/ (and its generated types), never server or test code.',
            },
          ],
        },
      ],
      'import-x/no-nodejs-modules': 'error',
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js', 'jest.config.js', 'test/web/support/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
