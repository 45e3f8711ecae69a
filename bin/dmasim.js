#!/usr/bin/env node
'use strict';
// In a checkout (src/ present) runs the TypeScript sources through tsx, a runtime dependency, so
// `npm ci && npm run demo` needs no build step and never runs a stale build. Images that ship only
// dist/ (see Dockerfile) run the compiled CLI.
const path = require('node:path');
const fs = require('node:fs');

const built = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
const source = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
let entry = built;
if (fs.existsSync(source)) {
  require('tsx/cjs/api').register();
  entry = source;
}
const { runCli } = require(entry);
runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`dmasim: ${error && error.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
