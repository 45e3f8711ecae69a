// What a newcomer copies from the README must work as written: commands through npx (the package's
// bin is not on PATH), a curl walk-through that waits for the run and never reuses an idempotency
// key, where the demo token appears, and docs links that exist.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { commands } from '../../src/cli/commands/index';

const repoRoot = path.join(__dirname, '..', '..');
const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const shellBlocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
const shellLines = shellBlocks.flatMap((block) => block.split('\n'));

describe('README: the first hour', () => {
  it('never tells the user to run a bare `dmasim` command (it is not on PATH): npx dmasim', () => {
    const bare = shellLines.filter((line) => /^\s*dmasim\s/.test(line));
    expect(bare).toEqual([]);
    expect(shellLines.some((line) => line.startsWith('npx dmasim team create'))).toBe(true);
    expect(readme).toMatch(/npm link/);
  });

  it('every `npx dmasim <command>` in the README is a command the CLI has', () => {
    const names = new Set(commands.map((c) => c.name));
    const used = [...readme.matchAll(/npx dmasim ([a-z-]+)/g)].map((m) => m[1]!).filter((n) => !n.startsWith('-'));
    expect(used.filter((n) => !names.has(n))).toEqual([]);
  });

  it('says team create talks to the database (DATABASE_URL) and how to run it in the container', () => {
    expect(readme).toMatch(/`team create` does not go through the API[\s\S]{0,120}DATABASE_URL/);
    expect(readme).toContain('docker compose exec api node bin/dmasim.js team create');
    expect(readme).toContain('docker compose logs api');
  });

  it('the curl walk-through uses a unique idempotency key and polls the run status before reading violations', () => {
    const walkthrough = shellBlocks.find((block) => block.includes('submitRun')) ?? '';
    expect(walkthrough).not.toContain('build-1');
    expect(walkthrough).toMatch(/idempotencyKey: \$key/);
    expect(walkthrough).toMatch(/\$\(date \+%s\)/);
    const poll = walkthrough.indexOf('while :; do');
    expect(poll).toBeGreaterThan(walkthrough.indexOf('submitRun'));
    expect(walkthrough.indexOf('violations(filter: {runId: $r')).toBeGreaterThan(poll);
    expect(walkthrough).toMatch(/QUEUED\|RUNNING\) sleep/);
  });

  it('documents the JSON Schema and the docs it links exist', () => {
    expect(readme).toContain('# yaml-language-server: $schema=../schema/scenario.v1.json');
    expect(readme).toContain('npx dmasim schema');
    const docs = [...readme.matchAll(/`(docs\/[\w/.-]+)`/g)].map((m) => m[1]!);
    expect(docs.length).toBeGreaterThan(5);
    expect(docs.filter((doc) => !existsSync(path.join(repoRoot, doc)))).toEqual([]);
  });
});
