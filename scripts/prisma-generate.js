#!/usr/bin/env node
'use strict';
// `prisma generate` works offline, but the CLI insists on locating its schema engine first and
// tries to download it when missing. Pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file
// satisfies that check; generate itself never runs the engine. Only this script sets it.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const result = spawnSync(
  process.execPath,
  [require.resolve('prisma/build/index.js'), 'generate', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    cwd: path.join(__dirname, '..'),
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  },
);
process.exit(result.status ?? 1);
