// `npm start` (and `npm run worker`): builds what is stale, then runs `dmasim serve` (or the
// command given, e.g. `worker`) in this process. The server and the dashboard are built only when
// their sources changed since the last build (scripts/build-stamp.js), so a second start takes a
// second instead of a full tsc + vite build. A worker needs no dashboard, so it builds only the server.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { staleParts, writeStamp } = require('./build-stamp');

const root = path.join(__dirname, '..');
const command = process.argv[2] ?? 'serve';
const needed = command === 'serve' ? ['server', 'web'] : ['server'];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const stale = staleParts(root).filter((part) => needed.includes(part.name));
const fresh = needed.filter((name) => !stale.some((part) => part.name === name));
if (fresh.length > 0) process.stdout.write(`build is current (${fresh.join(', ')}): nothing to rebuild\n`);
for (const part of stale) {
  process.stdout.write(`building ${part.name} (npm run ${part.script}): its sources changed since the last build\n`);
  const result = spawnSync(npm, ['run', '--silent', part.script], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`npm run ${part.script} failed (exit ${result.status ?? result.signal}); not starting\n`);
    process.exit(result.status || 1);
  }
  writeStamp(root, part.name, part.digest);
}

process.argv = [process.argv[0], path.join(root, 'bin', 'dmasim.js'), command, ...process.argv.slice(3)];
require('../bin/dmasim.js');
