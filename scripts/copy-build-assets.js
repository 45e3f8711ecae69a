// Copies the non-TypeScript files the server and CLI read at run time into dist/, so the build
// finds them at the same relative places as the sources do (dist/src/api/schema.js reads
// dist/graphql, dist/src/platform/migrate.js dist/prisma/migrations, the demo team dist/examples, the dashboard's /schema route dist/schema).
// Run by `npm run build` after tsc.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
for (const dir of ['graphql', 'examples', 'schema', path.join('prisma', 'migrations')]) {
  const target = path.join(root, 'dist', dir);
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(path.join(root, dir), target, { recursive: true });
}
