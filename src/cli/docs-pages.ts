import { legendEntries, type LegendEntry, type LegendKind } from '../engine/index';
import { overlays } from '../engine/index';
import { platforms } from '../engine/index';
import { kernelProfiles } from '../engine/index';
import { kernelProfileIds, overlayIds, overlayVariants, platformIds } from '../engine/index';

/**
 * The generated docs pages (docs/rules-and-classes.md, docs/platforms-and-kernels.md), rendered from
 * the engine's registries so they cannot drift: `npm run docs:pages` rewrites them, a test checks.
 */
const generatedNote = '<!-- generated from the engine by `npm run docs:pages`; edit src/engine, not this file -->';
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function legendTable(kind: LegendKind, entries: readonly LegendEntry[]): string[] {
  const rows = entries
    .filter((e) => e.kind === kind)
    .map(
      (e) =>
        `| \`${e.id}\` | ${cell(e.title)} | \`${cell(e.kernelFunction)}\` | ${cell(e.description)} | ${e.docs.replace('docs/', '')} |`,
    );
  return ['| id | what | kernel function | meaning | explained in |', '|---|---|---|---|---|', ...rows];
}

export function rulesAndClassesPage(): string {
  return [
    '# Rule ids and classes',
    '',
    generatedNote,
    '',
    'Every finding in a report names a **class** (what went wrong) and a **rule** (the kernel decision that',
    'did it). `dmasim explain <id>` prints one entry; the engine exports the same entries (`legendEntries`, `explainId`).',
    'The kernel behaviour behind each row is in [kernel-dma.md](kernel-dma.md).',
    '',
    '## Confidentiality violations (V0–V9)',
    '',
    'Severity: `critical` when secret bytes reached shared memory, `high` for sensitive ones and for `unknown` ones (bytes nobody classified, e.g. an imported trace without `--data` rules: the finding names the class `unknown` so you know to classify them), `info` for V0, V6, V7, V8 and V9.',
    '',
    ...legendTable('violation', legendEntries),
    '',
    '## Functional failures (F1–F16)',
    '',
    ...legendTable('failure', legendEntries),
    '',
    '## Rules: the kernel decisions',
    '',
    'A1–A8: streaming maps up to v7.2 (L-A); B0–B6: streaming maps from v7.3 (L-B); C1–C10: coherent',
    'allocations; unmap-*, sync-*, free-*: the other calls; storvsc-bypass and netvsc-gpadl: driver paths.',
    '',
    ...legendTable('rule', legendEntries),
    '',
  ].join('\n');
}

function variantLines(id: (typeof overlayIds)[number]): string[] {
  const variants = overlayVariants[id];
  if (variants.length === 0) return ['No variants.'];
  return [
    `Variants (the first is the default): ${variants.map((v) => `\`${v}\``).join(', ')}. What each changes: [kernel-dma.md](kernel-dma.md) §9.2; \`dmasim overlays\` lists the kernel hunks.`,
  ];
}

export function platformsAndKernelsPage(): string {
  const profileRows = kernelProfileIds.map(
    (id) => `| \`${id}\` | ${kernelProfiles[id].releases} | ${cell(kernelProfiles[id].summary)} |`,
  );
  const platformRows = platformIds.map((id) => `| \`${id}\` | ${cell(platforms[id].summary)} |`);
  const overlaySections = overlayIds.flatMap((id) => [
    `### \`${id}\``,
    '',
    `${overlays[id].summary}. Source: ${overlays[id].source}.`,
    '',
    ...variantLines(id),
    '',
  ]);
  return [
    '# Platforms, kernel profiles and overlays',
    '',
    generatedNote,
    '',
    'What a spec can name in `vm.platform`, `kernel.profile` and `kernel.overlays` (`dmasim profiles`,',
    '`dmasim overlays`). How each behaves: [kernel-dma.md](kernel-dma.md) §0 (profiles), §2 (platforms), §8–§9 (overlays).',
    '',
    '## Kernel profiles',
    '',
    '`kernel.profile` takes a profile id or a release (`v6.12`, `v7.2`, `v7.3`); a release also fixes the changes made inside its profile.',
    '',
    '| profile | releases | what it is |',
    '|---|---|---|',
    ...profileRows,
    '',
    '## Platforms',
    '',
    '| platform | what it is |',
    '|---|---|',
    ...platformRows,
    '',
    '## Overlays: unmerged proposals applied on top of a profile',
    '',
    'Written as a name (default variant) or `{ name, variant }`; applied in this order whatever order the spec lists them.',
    '',
    ...overlaySections,
  ].join('\n');
}
