// `npm start` rebuilds the server and the dashboard only when their sources changed.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const stamp = require('../../scripts/build-stamp.js') as {
  staleParts(root: string, parts?: Record<string, Part>): { name: string; digest: string }[];
  writeStamp(root: string, name: string, digest: string): void;
};

interface Part {
  script: string;
  inputs: string[];
  output: string;
}

const parts: Record<string, Part> = {
  server: { script: 'build', inputs: ['src', 'graphql'], output: 'dist/main.js' },
  web: { script: 'build:web', inputs: ['web', 'graphql'], output: 'dist/web/index.html' },
};

function checkout(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'dmasim-stamp-'));
  for (const dir of ['src', 'web', 'graphql', 'dist/web']) mkdirSync(path.join(root, dir), { recursive: true });
  writeFileSync(path.join(root, 'src', 'a.ts'), 'export const a = 1;\n');
  writeFileSync(path.join(root, 'web', 'app.tsx'), 'export {};\n');
  writeFileSync(path.join(root, 'graphql', 'schema.graphql'), 'type Query { a: Int }\n');
  return root;
}

/** What a successful build leaves behind: its output and its stamp. */
function build(root: string): void {
  for (const part of stamp.staleParts(root, parts)) {
    writeFileSync(path.join(root, parts[part.name]!.output), 'built');
    stamp.writeStamp(root, part.name, part.digest);
  }
}

const names = (root: string): string[] => stamp.staleParts(root, parts).map((part) => part.name);

describe('npm start build stamps', () => {
  it('builds everything the first time and nothing the second time', () => {
    const root = checkout();
    expect(names(root)).toEqual(['server', 'web']);
    build(root);
    expect(names(root)).toEqual([]);
  });

  it('a changed server source rebuilds only the server, a changed web source only the web', () => {
    const root = checkout();
    build(root);

    writeFileSync(path.join(root, 'src', 'a.ts'), 'export const a = 2;\n');
    expect(names(root)).toEqual(['server']);
    build(root);

    writeFileSync(path.join(root, 'web', 'new-page.tsx'), 'export {};\n');
    expect(names(root)).toEqual(['web']);
  });

  it('a shared input (graphql/) rebuilds both; touching a file without changing it rebuilds nothing', () => {
    const root = checkout();
    build(root);
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(root, 'src', 'a.ts'), later, later);
    expect(names(root)).toEqual([]);

    writeFileSync(path.join(root, 'graphql', 'schema.graphql'), 'type Query { a: Int, b: Int }\n');
    expect(names(root)).toEqual(['server', 'web']);
  });

  it('a missing output is rebuilt even when the stamp matches', () => {
    const root = checkout();
    build(root);
    writeFileSync(path.join(root, 'dist', 'web', 'index.html'), '');
    expect(names(root)).toEqual([]);
    // vite empties dist/web before building: a failed build leaves no index.html
    rmSync(path.join(root, 'dist', 'web'), { recursive: true });
    expect(names(root)).toEqual(['web']);
  });
});
