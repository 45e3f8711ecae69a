#!/usr/bin/env node
'use strict';
// Runs the compiled CLI (dist/, from `npm run build`) when it is at least as new as every source
// file: compiled JS starts in a fraction of the CPU time tsx needs to transpile the sources on each
// call. In a checkout without a build, or after a source changed since the last build, it runs the
// TypeScript sources through tsx (a runtime dependency), so `npm ci && npm run demo` needs no build
// step and never runs a stale build. Images that ship only dist/ (see Dockerfile) run the build.
// DMASIM_FROM_SOURCE=1 forces the sources.
const path = require('node:path');
const fs = require('node:fs');

const root = path.join(__dirname, '..');
const built = path.join(root, 'dist', 'src', 'cli', 'main.js');
const source = path.join(root, 'src', 'cli', 'main.ts');

/** Newest modification time (ms) of the files under the given directories that `accept`s; 0 when none. */
function newestMs(dirs, accept) {
  let newest = 0;
  const stack = dirs.filter((dir) => fs.existsSync(dir));
  while (stack.length > 0) {
    const dir = stack.pop();
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) stack.push(full);
      else if (accept(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  }
  return newest;
}

function useBuild() {
  if (!fs.existsSync(built)) return false;
  if (!fs.existsSync(source)) return true;
  if (process.env.DMASIM_FROM_SOURCE === '1') return false;
  // `npm run build` compiles src/ and workers/ and copies the run-time files below into dist/; a
  // copy older than its source (or missing: a bare tsc run) means the build is not to be trusted.
  const sources = newestMs([path.join(root, 'src'), path.join(root, 'workers')], (name) => name.endsWith('.ts'));
  if (fs.statSync(built).mtimeMs < sources) return false;
  return ['graphql', 'examples', path.join('prisma', 'migrations')].every((dir) => {
    const copy = path.join(root, 'dist', dir);
    return fs.existsSync(copy) && newestMs([copy], () => true) >= newestMs([path.join(root, dir)], () => true);
  });
}

let entry = built;
if (!useBuild()) {
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
