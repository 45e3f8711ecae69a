import { readFile } from 'node:fs/promises';
import { type CliCommand, ExitCode, UsageError } from '../command';
import { formatCount, resolveKernel } from '../../engine/index';
import { parseSpecText } from '../../modules/scenario/spec-text';

const usage = `usage: dmasim validate <spec.yaml|spec.json>...

Checks scenario specs (docs/engine-contract.md §2) and prints, per file, either a summary of the normalised spec
or every problem as "path: message". Exit code 2 when any file is invalid or unreadable.`;

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'check scenario specs and print every error as path: message',
  usage,
  async run(args, io) {
    if (args.length === 0) throw new UsageError('give at least one spec file');
    let allValid = true;
    for (const file of args) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error: unknown) {
        io.stderr.write(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})\n`);
        allValid = false;
        continue;
      }
      const result = parseSpecText(text);
      if (!result.ok) {
        allValid = false;
        io.stdout.write(`${file}: invalid\n${result.errors.map((e) => `  ${e.path}: ${e.message}\n`).join('')}`);
        continue;
      }
      const { spec } = result;
      const kernel = resolveKernel(spec.kernel.profile)!;
      const overlays =
        spec.kernel.overlays.map((o) => (o.variant ? `${o.name}(${o.variant})` : o.name)).join(', ') || 'none';
      io.stdout.write(
        `${file}: ok — ${spec.name}: ${spec.vm.platform}, ${formatCount(spec.vm.memoryMiB)} MiB, ${spec.vm.vcpus} vCPUs; kernel ${spec.kernel.profile} → ${kernel.profileId} ` +
          `(allocator rules ${kernel.allocatorRules}); overlays ${overlays}; ${spec.devices.length} device(s); ${formatCount(spec.workload.operations)} operations\n`,
      );
    }
    return allValid ? ExitCode.ok : ExitCode.badInput;
  },
};
