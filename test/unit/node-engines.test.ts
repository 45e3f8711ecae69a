// The README promises Node.js >= 20.19. Every package npm installs must accept that version (else
// `npm ci` prints EBADENGINE warnings and the package may not work); package.json `overrides` pin
// Node 20 versions of the transitive packages that dropped it. The one known exception is listed.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.join(__dirname, '..', '..');
const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  engines: { node: string };
};

/** Packages that need Node 22 and that dmasim never loads (named in the README's Quick start). */
const knownExceptions = new Set(['@prisma/streams-local']);

type Version = [number, number, number];

function parse(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return [major, minor, patch];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Whether `version` satisfies an engines range of the forms npm packages use (>=, ^, ||, x ranges, spaces as AND). */
function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((alternative) =>
    alternative
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .trim()
      .split(/\s+/)
      .filter((part) => part !== '' && part !== '*' && part !== 'x')
      .every((part) => {
        const match = /^(>=|>|<=|<|\^|~|=)?v?([\d.x*]+)$/.exec(part);
        if (!match) return true; // unknown syntax: not ours to judge
        const operator = match[1] ?? '=';
        const bound = parse(match[2]!.replace(/[x*]/g, '0'));
        const order = compare(version, bound);
        switch (operator) {
          case '>=':
            return order >= 0;
          case '>':
            return order > 0;
          case '<=':
            return order <= 0;
          case '<':
            return order < 0;
          case '^':
            return order >= 0 && version[0] === bound[0];
          case '~':
            return order >= 0 && version[0] === bound[0] && version[1] === bound[1];
          default:
            return match[2]!.includes('x') || match[2]!.split('.').length < 3 ? version[0] === bound[0] : order === 0;
        }
      }),
  );
}

describe('Node engines of the installed packages', () => {
  const minimum = parse(/>=\s*([\d.]+)/.exec(manifest.engines.node)![1]!);

  it('the range check understands the forms packages use', () => {
    expect(satisfies([20, 19, 0], '>=18.0.0')).toBe(true);
    expect(satisfies([20, 19, 0], '>=22.15.0')).toBe(false);
    expect(satisfies([20, 19, 0], '^18.18.0 || ^20.9.0 || >=21.1.0')).toBe(true);
    expect(satisfies([20, 19, 0], '^20.19.0 || ^22.12.0 || >=23')).toBe(true);
    expect(satisfies([20, 18, 0], '^20.19.0 || >=22.12.0')).toBe(false);
    expect(satisfies([20, 19, 0], '>= 16 < 21')).toBe(true);
    expect(satisfies([20, 19, 0], '>= 0.4')).toBe(true);
    expect(satisfies([20, 19, 0], '>= 22')).toBe(false);
  });

  it(`every package in package-lock.json accepts Node ${manifest.engines.node} (the stated minimum)`, () => {
    const refusing = Object.entries(lock.packages)
      .filter(([key, entry]) => key !== '' && !Array.isArray(entry.engines) && entry.engines?.node !== undefined)
      .filter(([, entry]) => !satisfies(minimum, (entry.engines as { node: string }).node))
      .map(
        ([key, entry]) =>
          `${key.replace(/^.*node_modules\//, '')}@${entry.version} (node ${JSON.stringify(entry.engines)})`,
      )
      .filter((line) => !knownExceptions.has(line.replace(/@[^@]*$/, '')));
    expect(refusing).toEqual([]);
  });
});
