import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.join(__dirname, '..', '..', '..');

function newestMtimeMs(entry: string): number {
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(entry).reduce(
    (newest, name) => Math.max(newest, newestMtimeMs(path.join(entry, name))),
    stats.mtimeMs,
  );
}

/** True when dist/web is missing or older than any dashboard source, its build config or the lockfile. */
export function isWebBuildStale(root: string = repoRoot): boolean {
  const index = path.join(root, 'dist', 'web', 'index.html');
  if (!existsSync(index)) return true;
  const builtAt = statSync(index).mtimeMs;
  const inputs = [path.join(root, 'web'), path.join(root, 'package-lock.json')];
  return inputs.some((input) => existsSync(input) && newestMtimeMs(input) > builtAt);
}

/** Builds the dashboard (as npm run build:web does) when dist/web is missing or stale. */
export function ensureWebBuild(root: string = repoRoot): void {
  if (!isWebBuildStale(root)) return;
  execFileSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      path.join(root, 'web', 'vite.config.mts'),
      '--logLevel',
      'warn',
    ],
    {
      cwd: root,
      stdio: 'inherit',
      // A production build, as `npm run build:web` makes it: dist/web is what `npm start` serves from
      // this checkout afterwards, and jest's NODE_ENV=test would otherwise make Vite bundle React's
      // development build. (React's development warnings are checked by the jsdom tests in test/web.)
      env: { ...process.env, NODE_ENV: 'production', VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
    },
  );
}
