// The product stands alone: shipped text (README, docs, help texts, comments, schema descriptions,
// example comments) must not cite design files that live outside this repository. Kernel behaviour
// is explained in docs/kernel-dma.md, the engine's contract in docs/engine-contract.md.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.join(__dirname, '..', '..');
const shippedRoots = [
  'README.md',
  'docs',
  'src',
  'workers',
  'web/src',
  'examples',
  'schema',
  'graphql',
  'bin',
  'prisma/schema.prisma',
];
const textFile = /\.(md|ts|tsx|js|mjs|json|graphql|yaml|yml|prisma)$/;

/** Citations of the design notes and the kernel reference kept outside the repository. */
const outsideCitations = [
  /engine\.md\s*§/,
  /\breference\s*§/i,
  /linux-dma-coco/,
  /\.\.\/shared\/(design|reference|data)\b/,
  /\/work\/shared\b/,
  /architecture\.md\s*§/,
  /style\.md\s*§/,
];

function filesUnder(relative: string): string[] {
  const absolute = path.join(repoRoot, relative);
  if (!statSync(absolute, { throwIfNoEntry: false })) return [];
  if (statSync(absolute).isFile()) return [relative];
  return readdirSync(absolute, { withFileTypes: true }).flatMap((entry) => {
    const child = path.join(relative, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesUnder(child);
    return textFile.test(entry.name) ? [child] : [];
  });
}

describe('shipped text', () => {
  const files = shippedRoots.flatMap(filesUnder);

  it('covers the README, docs, sources, schema and examples (the scan itself is not empty)', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/kernel-dma.md',
        'schema/scenario.v1.json',
        'src/engine/index.ts',
        'examples/s01-snp-virtio-net.yaml',
      ]),
    );
    expect(files.some((f) => f.startsWith('graphql/'))).toBe(true);
  });

  it('cites no file outside the repository ("engine.md §", "reference §", "../common/…")', () => {
    const offending = files.flatMap((file) =>
      readFileSync(path.join(repoRoot, file), 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          outsideCitations.some((pattern) => pattern.test(line))
            ? [`${file}:${index + 1}: ${line.trim().slice(0, 120)}`]
            : [],
        ),
    );
    expect(offending).toEqual([]);
  });

  it('points only at docs that exist: every docs/*.md named in shipped text is in the repository', () => {
    const named = new Set(
      files.flatMap((file) =>
        [...readFileSync(path.join(repoRoot, file), 'utf8').matchAll(/\bdocs\/[\w/-]+\.md\b/g)].map((m) => m[0]),
      ),
    );
    const missing = [...named].filter((doc) => !statSync(path.join(repoRoot, doc), { throwIfNoEntry: false }));
    expect(missing).toEqual([]);
    expect(named.has('docs/kernel-dma.md')).toBe(true);
  });

  it('the pattern catches a citation (guards the guard)', () => {
    expect(outsideCitations.some((p) => p.test('see engine.md §5'))).toBe(true);
    expect(outsideCitations.some((p) => p.test('(reference §3.1 row A4)'))).toBe(true);
    expect(outsideCitations.some((p) => p.test("import { x } from '../common/cursor';"))).toBe(false);
  });
});
