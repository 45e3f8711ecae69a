import { type CliCommand, ExitCode, UsageError } from '../command';
import { explainId, legendEntries, type LegendEntry } from '../../engine/index';
import { overlays } from '../../engine/index';
import { platforms } from '../../engine/index';
import { kernelProfiles } from '../../engine/index';
import { scenarioJsonSchemaText } from '../../engine/index';
import { kernelProfileIds, overlayIds, overlayVariants, platformIds, type OverlayId } from '../../engine/index';
import { nearestKey } from '../../engine/index';

/** `dmasim explain`, `profiles`, `overlays`, `schema`: read-only views of the engine's registries. */

function noArgs(args: readonly string[]): void {
  if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`);
}

function entryText(entry: LegendEntry): string {
  const kind =
    entry.kind === 'rule' ? 'rule' : entry.kind === 'violation' ? 'confidentiality violation' : 'functional failure';
  return `${entry.id} (${kind}): ${entry.title}\n  ${entry.description}\n  kernel: ${entry.kernelFunction}\n  docs: ${entry.docs}\n`;
}

export const explainCommand: CliCommand = {
  name: 'explain',
  summary: 'say what a rule id (A4, B5, C9, …) or class (V0–V9, F1–F16) in a report means',
  usage: `usage: dmasim explain <id>...
       dmasim explain --all

Prints what each rule id (the kernel decision: A1–A8 streaming maps up to v7.2, B0–B6 from v7.3,
C1–C10 coherent allocations, unmap-*/sync-*/free-*) or class (V0–V9 violations, F1–F16 failures)
means, the kernel function it is about and where docs/kernel-dma.md explains it.
Exit code 2 for an unknown id.`,
  async run(args, io) {
    if (args.length === 0) throw new UsageError('give a rule id or class, e.g. dmasim explain V1');
    if (args.length === 1 && args[0] === '--all') {
      io.stdout.write(legendEntries.map((e) => `${e.id.padEnd(22)} ${e.title}`).join('\n') + '\n');
      return ExitCode.ok;
    }
    let ok = true;
    for (const id of args) {
      const entry = explainId(id);
      if (entry) {
        io.stdout.write(entryText(entry));
        continue;
      }
      ok = false;
      const suggestion = nearestKey(
        id,
        legendEntries.map((e) => e.id),
      );
      io.stderr.write(
        `dmasim explain: unknown id '${id}'${suggestion ? ` — did you mean ${suggestion}?` : ''} (dmasim explain --all lists them)\n`,
      );
    }
    return ok ? ExitCode.ok : ExitCode.badInput;
  },
};

export const profilesCommand: CliCommand = {
  name: 'profiles',
  summary: 'list the kernel profiles (and platforms) a spec can name, one line each',
  usage: `usage: dmasim profiles

Lists each kernel profile with the releases it covers (kernel.profile takes a profile id or a
release such as v6.12 or v7.3), then each platform (vm.platform). Details: docs/platforms-and-kernels.md.`,
  async run(args, io) {
    noArgs(args);
    const width = Math.max(...kernelProfileIds.map((id) => id.length));
    const profileLines = kernelProfileIds.map(
      (id) => `  ${id.padEnd(width)}  ${kernelProfiles[id].releases.padEnd(13)}  ${kernelProfiles[id].summary}`,
    );
    const platformWidth = Math.max(...platformIds.map((id) => id.length));
    const platformLines = platformIds.map((id) => `  ${id.padEnd(platformWidth)}  ${platforms[id].summary}`);
    io.stdout.write(
      ['kernel profiles (kernel.profile):', ...profileLines, '', 'platforms (vm.platform):', ...platformLines, ''].join(
        '\n',
      ),
    );
    return ExitCode.ok;
  },
};

/** A variant's description and hunks, when the overlay registry provides them (read defensively: optional data). */
interface VariantDetails {
  readonly description?: string;
  readonly hunks?: readonly { readonly id: string; readonly summary: string }[];
}

function variantDetails(id: OverlayId, variant: string): VariantDetails {
  const registry = (overlays[id] as unknown as { variants?: unknown }).variants;
  if (registry === null || typeof registry !== 'object') return {};
  const found = Array.isArray(registry)
    ? (registry as { id?: string; name?: string }[]).find(
        (v) => v !== null && typeof v === 'object' && (v.id ?? v.name) === variant,
      )
    : (registry as Record<string, unknown>)[variant];
  if (found === null || typeof found !== 'object') return {};
  const { description, hunks } = found as { description?: unknown; hunks?: unknown };
  return {
    ...(typeof description === 'string' ? { description } : {}),
    ...(Array.isArray(hunks)
      ? {
          hunks: hunks.filter(
            (h): h is { id: string; summary: string } => typeof h?.id === 'string' && typeof h?.summary === 'string',
          ),
        }
      : {}),
  };
}

/** Lines describing every overlay and its variants (also used by `dmasim run --help`). */
export function overlayLines(withHunks: boolean): string[] {
  return overlayIds.flatMap((id) => {
    const variants = overlayVariants[id];
    const head = `  ${id}  ${overlays[id].summary}`;
    const variantLines = variants.flatMap((variant, index) => {
      const details = variantDetails(id, variant);
      const line = `      :${variant}${index === 0 ? ' (default)' : ''}${details.description ? `  ${details.description}` : ''}`;
      const hunks = withHunks ? (details.hunks ?? []).map((h) => `          ${h.id}: ${h.summary}`) : [];
      return [line, ...hunks];
    });
    return [head, ...variantLines];
  });
}

export const overlaysCommand: CliCommand = {
  name: 'overlays',
  summary: 'list the unmerged kernel proposals (overlays) and their variants, one line each',
  usage: `usage: dmasim overlays

Lists each overlay (kernel.overlays, --overlay NAME[:VARIANT]) with its variants and, where the
engine records them, the kernel hunks each variant changes. Details: docs/platforms-and-kernels.md.`,
  async run(args, io) {
    noArgs(args);
    io.stdout.write(['overlays (kernel.overlays; --overlay NAME[:VARIANT]):', ...overlayLines(true), ''].join('\n'));
    return ExitCode.ok;
  },
};

export const schemaCommand: CliCommand = {
  name: 'schema',
  summary: 'print the JSON Schema of scenario specs (for editors and validators)',
  usage: `usage: dmasim schema

Prints the JSON Schema of the scenario spec (the same as schema/scenario.v1.json). Editors that
use yaml-language-server pick it up from a first line
  # yaml-language-server: $schema=<path to>/schema/scenario.v1.json`,
  async run(args, io) {
    noArgs(args);
    io.stdout.write(scenarioJsonSchemaText());
    return ExitCode.ok;
  },
};
