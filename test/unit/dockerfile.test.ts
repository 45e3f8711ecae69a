import { readFileSync } from 'node:fs';
import path from 'node:path';

// Docker cannot run on the development machines, so the Dockerfile is kept correct by reading:
// `docker compose up` must serve the dashboard, so the image builds it into dist/web and ships dist.
const repoRoot = path.join(__dirname, '..', '..');
const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
const scripts = (
  JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

describe('Dockerfile', () => {
  it('builds the API and the dashboard before pruning dev dependencies (vite is one)', () => {
    const run = dockerfile.split('\n').find((line) => line.includes('npm run build:web')) ?? '';

    expect(scripts['build:web']).toContain('vite build');
    expect(run).toMatch(/npm run build && npm run build:web/);
    expect(run.indexOf('build:web')).toBeLessThan(run.indexOf('npm prune --omit=dev'));
  });

  it('copies dist (with dist/web) into the runtime image', () => {
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
  });

  it('installs npm 11 (the version package.json and the README require) before npm ci', () => {
    const lines = dockerfile.split('\n');
    const version = /ARG NPM_VERSION=(\d+)\.\d+\.\d+/.exec(dockerfile)?.[1];
    const install = lines.findIndex((l) => /RUN npm install -g npm@\$\{NPM_VERSION\}/.test(l));
    const ci = lines.findIndex((l) => /^RUN npm ci\b/.test(l));

    expect(version).toBe('11');
    expect(install).toBeGreaterThan(-1);
    expect(install).toBeLessThan(ci);
  });
});
