// dmasim --help/--version/help <x>, explain, profiles, overlays, schema, and the generated docs pages.
// In-process through runCli, the function bin/dmasim.js calls.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { platformsAndKernelsPage, rulesAndClassesPage } from '../../../src/cli/docs-pages';
import { explainId, legendEntries } from '../../../src/engine/index';
import { commands } from '../../../src/cli/commands/index';
import { memoryIo } from '../../support/memory-io';
import type { CliCommand } from '../../../src/cli/command';
import { migrateCommand } from '../../../src/cli/commands/migrate.command';
import { serveCommand } from '../../../src/cli/commands/serve.command';
import { teamCommand } from '../../../src/cli/commands/team.command';
import { workerCommand } from '../../../src/cli/commands/worker.command';

const repoRoot = path.join(__dirname, '..', '..', '..');

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

describe('help and version', () => {
  it.each(commands.map((c) => c.name))(
    'dmasim %s --help and -h print the usage and exit 0 (never run the command)',
    async (name) => {
      for (const flag of ['--help', '-h']) {
        const result = await cli([name, flag]);
        expect(result).toMatchObject({ code: 0, err: '' });
        expect(result.out).toMatch(/^usage: dmasim /);
        expect(result.out).toBe(`${commands.find((c) => c.name === name)!.usage}\n`);
      }
    },
  );

  it('--help after other arguments still shows the usage (dmasim run spec.yaml --help)', async () => {
    const result = await cli(['run', 'does-not-exist.yaml', '--help']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^usage: dmasim run/);
  });

  it('--version prints the package version and the engine version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const result = await cli(['--version']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(
      new RegExp(`^dmasim ${version.replace(/\./g, '\\.')} \\(engine \\d+\\.\\d+\\.\\d+\\)\\n$`),
    );
  });

  it('help <unknown command> is an error naming it, exit 2', async () => {
    const result = await cli(['help', 'frobnicate']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/unknown command 'frobnicate'/);
    expect(result.out).toBe('');
  });

  it('run --help lists every overlay and each variant of device-cc-accepted', async () => {
    const { out } = await cli(['run', '--help']);
    for (const name of [
      'device-cc-accepted',
      'dual-swiotlb-pools',
      'confidential-vmbus-no-swiotlb',
      'storvsc-bypass',
      ':aneesh (default)',
      ':alexey',
      ':dan',
    ])
      expect(out).toContain(name);
  });
});

describe('dmasim explain', () => {
  it('explains a class with its kernel function and docs section (V1: swiotlb_tbl_map_single, §10.1)', async () => {
    const result = await cli(['explain', 'v1']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^V1 \(confidentiality violation\): Trusted device bounced through shared SWIOTLB/);
    expect(result.out).toContain('kernel: swiotlb_tbl_map_single');
    expect(result.out).toContain('docs: docs/kernel-dma.md §10.1');
  });

  it('explains rule ids of both streaming tables and the coherent table (A4 L-A, B5 L-B, C9 decrypt)', async () => {
    const result = await cli(['explain', 'A4', 'B5', 'C9']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/A4 \(rule\): forced bounce/);
    expect(result.out).toMatch(/B5 \(rule\).*\n.*\n {2}kernel: dma_direct_map_phys \(L-B\)/);
    expect(result.out).toMatch(/C9 \(rule\): page decrypted in place/);
  });

  it('an unknown id exits 2 with the nearest id suggested', async () => {
    const result = await cli(['explain', 'F99']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/unknown id 'F99' — did you mean F9\?/);
  });

  it('the legend covers every violation and failure class exactly once, with text', () => {
    const classes = legendEntries.filter((e) => e.kind !== 'rule').map((e) => e.id);
    expect(classes).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `V${i}`),
      ...Array.from({ length: 16 }, (_, i) => `F${i + 1}`),
    ]);
    for (const entry of legendEntries) expect(entry.description.length).toBeGreaterThan(10);
    expect(explainId('netvsc-gpadl')?.kind).toBe('rule');
    expect(explainId('nope')).toBeNull();
  });
});

describe('profiles, overlays, schema', () => {
  it('profiles: one line per profile with its releases, then the platforms', async () => {
    const { code, out } = await cli(['profiles']);
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}la-phys +v6\.18–v7\.2 +L-A phys/m);
    expect(out).toMatch(/^ {2}lb +v7\.3\+/m);
    expect(out).toMatch(/^ {2}hyperv-snp-paravisor +Hyper-V SEV-SNP CVM/m);
  });

  it('overlays: every overlay on one line, variants below, the default marked', async () => {
    const { code, out } = await cli(['overlays']);
    expect(code).toBe(0);
    expect(
      out
        .split('\n')
        .filter((l) => /^ {2}\S/.test(l))
        .map((l) => l.trim().split(/\s+/)[0]),
    ).toEqual(['device-cc-accepted', 'dual-swiotlb-pools', 'confidential-vmbus-no-swiotlb', 'storvsc-bypass']);
    expect(out).toContain('      :aneesh (default)');
  });

  it('schema prints exactly the committed schema/scenario.v1.json', async () => {
    const { code, out } = await cli(['schema']);
    expect(code).toBe(0);
    expect(out).toBe(readFileSync(path.join(repoRoot, 'schema', 'scenario.v1.json'), 'utf8'));
  });

  it('extra arguments are a usage error (exit 2)', async () => {
    expect((await cli(['profiles', 'x'])).code).toBe(2);
  });
});

describe('generated docs pages', () => {
  it('docs/rules-and-classes.md and docs/platforms-and-kernels.md match the engine (run npm run docs:pages)', () => {
    expect(readFileSync(path.join(repoRoot, 'docs', 'rules-and-classes.md'), 'utf8')).toBe(rulesAndClassesPage());
    expect(readFileSync(path.join(repoRoot, 'docs', 'platforms-and-kernels.md'), 'utf8')).toBe(
      platformsAndKernelsPage(),
    );
  });
});

describe('lazily loaded service commands', () => {
  const modules: Record<string, CliCommand> = {
    serve: serveCommand,
    worker: workerCommand,
    migrate: migrateCommand,
    team: teamCommand,
  };
  it.each(Object.keys(modules))(
    '%s: the summary and usage in the registry are the ones its module declares',
    (name) => {
      const registered = commands.find((c) => c.name === name)!;
      expect(registered.summary).toBe(modules[name]!.summary);
      expect(registered.usage).toBe(modules[name]!.usage);
    },
  );
});
