import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fillReadme, renderReadmeTables } from '../../src/cli/readme-tables';

const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it('has current configuration and CLI tables (run npm run docs:readme after changing them)', () => {
    expect(fillReadme(readme, renderReadmeTables())).toBe(readme);
  });

  it('gives a new user exactly the two quick-start commands', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
  });
});
