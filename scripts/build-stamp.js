// Decides what `npm start` must build: the server (tsc → dist/src, dist/workers and the run-time
// copies) and the dashboard (vite → dist/web) are each rebuilt only when one of their input files
// changed since their last successful build. A build's stamp (dist/.build-stamps.json) records the
// SHA-256 of its inputs' paths and contents, so a checkout, `git stash` or editor save that leaves
// the content as it was rebuilds nothing, while any real change rebuilds exactly the part it feeds.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

/** The inputs of each build (files or directories, relative to the checkout) and the output that must exist. */
const buildParts = {
  server: {
    script: 'build',
    inputs: [
      'src',
      'workers',
      'graphql',
      'examples',
      'schema',
      path.join('prisma', 'migrations'),
      'tsconfig.json',
      'tsconfig.build.json',
      'package-lock.json',
      path.join('scripts', 'copy-build-assets.js'),
    ],
    output: path.join('dist', 'src', 'cli', 'main.js'),
  },
  web: {
    script: 'build:web',
    inputs: ['web', 'graphql', 'package-lock.json'],
    output: path.join('dist', 'web', 'index.html'),
  },
};

const stampFile = path.join('dist', '.build-stamps.json');

function listFiles(root, relative, into) {
  const full = path.join(root, relative);
  if (!fs.existsSync(full)) return;
  const stat = fs.statSync(full);
  if (stat.isFile()) {
    into.push(relative);
    return;
  }
  for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === '.git') continue;
    listFiles(root, path.join(relative, entry.name), into);
  }
}

/** SHA-256 over the sorted paths and contents of every file under the inputs. */
function sourceDigest(root, inputs) {
  const files = [];
  for (const input of inputs) listFiles(root, input, files);
  const hash = crypto.createHash('sha256');
  for (const file of [...new Set(files)].sort()) {
    hash.update(file.split(path.sep).join('/'));
    hash.update('\0');
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function readStamps(root) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, stampFile), 'utf8'));
  } catch {
    return {}; // no stamp yet (first build) or an unreadable one: everything counts as stale
  }
}

/** The parts whose output is missing or whose inputs changed since their stamp, with the digest to stamp after building. */
function staleParts(root, parts = buildParts) {
  const stamps = readStamps(root);
  return Object.entries(parts)
    .map(([name, part]) => ({
      name,
      script: part.script,
      digest: sourceDigest(root, part.inputs),
      output: part.output,
    }))
    .filter((part) => !fs.existsSync(path.join(root, part.output)) || stamps[part.name] !== part.digest);
}

/** Records a successful build of one part. */
function writeStamp(root, name, digest) {
  const stamps = readStamps(root);
  stamps[name] = digest;
  fs.mkdirSync(path.join(root, path.dirname(stampFile)), { recursive: true });
  fs.writeFileSync(path.join(root, stampFile), `${JSON.stringify(stamps, null, 2)}\n`);
}

module.exports = { buildParts, sourceDigest, staleParts, writeStamp, stampFile };
