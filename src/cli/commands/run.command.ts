import { readFile } from 'node:fs/promises';
import { type CliCommand, ExitCode, UsageError } from '../command';
import { runScenario } from '../../engine/index';
import { parseSpecText } from '../../modules/scenario/spec-text';
import { renderReportText } from '../report-text';

const usage = `usage: dmasim run <spec.yaml|spec.json>... [--json] [--seed N] [--operations N]

Runs the DMA emulation engine locally (no services) on each spec and prints the report: verdict,
violations, failures and headline SWIOTLB metrics; --json prints the full report (engine.md §9).
--operations N caps each generated workload at N operations (quick looks; explicit lists run whole).
Exit code 2 for an invalid spec.`;

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'run the engine on scenario specs and print the reports',
  usage,
  async run(args, io) {
    const files: string[] = [];
    let json = false;
    let seed: number | undefined;
    let operationsCap: number | undefined;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '--json') json = true;
      else if (arg === '--seed') {
        const value = Number(args[++i]);
        if (!Number.isInteger(value) || value < 0 || value > 2 ** 32 - 1) throw new UsageError('--seed needs an integer from 0 to 4294967295');
        seed = value;
      } else if (arg === '--operations') {
        const value = Number(args[++i]);
        if (!Number.isInteger(value) || value < 1) throw new UsageError('--operations needs a positive integer');
        operationsCap = value;
      } else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
      else files.push(arg);
    }
    if (files.length === 0) throw new UsageError('give at least one spec file');
    let code: number = ExitCode.ok;
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error: unknown) {
        io.stderr.write(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})\n`);
        code = ExitCode.badInput;
        continue;
      }
      const parsed = parseSpecText(text);
      if (!parsed.ok) {
        io.stderr.write(`${file}: invalid\n${parsed.errors.map((e) => `  ${e.path}: ${e.message}\n`).join('')}`);
        code = ExitCode.badInput;
        continue;
      }
      const spec =
        operationsCap === undefined || parsed.spec.workload.explicit.length > 0
          ? parsed.spec
          : { ...parsed.spec, workload: { ...parsed.spec.workload, operations: Math.min(parsed.spec.workload.operations, operationsCap) } };
      const report = runScenario(spec, seed === undefined ? {} : { seed });
      io.stdout.write(json ? `${JSON.stringify(report)}\n` : renderReportText(file, report));
    }
    return code;
  },
};
