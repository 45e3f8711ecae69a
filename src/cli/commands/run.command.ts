import { type CliCommand, type CliIo, ExitCode, FlagError, UsageError } from '../command';
import { overlayLines } from './catalogue.commands';
import { flagValue, outputFormatFlag } from '../simple-flags';
import {
  compareReports,
  createEngineRun,
  type EngineReport,
  type KernelEntry,
  kernelProfileIds,
  kernelProfileProblem,
  type MatrixColumn,
  type NormalizedOverlay,
  type NormalizedScenario,
  parseKernelEntry as parseKernelText,
  parseOverlayText,
  renderMatrixMarkdown,
  renderReportMarkdown,
  type FindingGate,
  findingMeetsGate,
  parseFindingGate,
  summaryMeetsGate,
  validateScenario,
} from '../../engine/index';
import { createProgressBar } from '../progress';
import { renderMatrixText, renderReportText } from '../report-text';
import { loadSpecFile, printSpecErrors } from '../spec-file';

const usage = `usage: dmasim run <spec.yaml|spec.json>... [--profile P] [--overlay O]... [--json|--md] [--seed N]
       dmasim run <spec>... --matrix K1,K2,... [--json|--md] [--seed N]

Runs the DMA emulation engine locally (no services) on each spec and prints the report: verdict,
violations (class, severity, device, bytes, first op, rule), failures and headline metrics.

  --profile P       kernel to run instead of the spec's: a release (v6.12, v7.2, v7.3) or a
                    profile id (${kernelProfileIds.join(', ')})
  --overlay O       apply an unmerged proposal instead of the spec's overlays; repeatable;
                    name or name:variant (the overlays below); a variant may switch
                    hunks: device-cc-accepted:posted+force-bounce-off; --overlay none runs
                    without overlays
  --matrix LIST     run under several kernels and compare side by side; each entry is
                    profile[+overlay[:variant]]..., e.g. la-phys,lb,lb+device-cc-accepted:dan
                    (an entry names the whole kernel: the spec's overlays are not added)
  --json            the exact engine report (docs/engine-contract.md §9), one JSON document per line
                    (with --matrix: {file, columns, comparison, reports})
  --md              Markdown
  --seed N          workload seed instead of the spec's (0..4294967295)
  --operations N    cap generated workloads at N operations (explicit lists run whole)
  --fail-on LIST    CI gate: exit 1 when any report has a finding at or above a severity
                    (critical, high, info), of a class (V0-V9, F1-F16) or a verdict level
                    (exposes-secrets, exposes-data, failing, degraded); comma-separated,
                    e.g. --fail-on high or --fail-on critical,F5 (with --matrix: any column)

A progress bar is drawn on stderr when it is a terminal (not with --json). Ctrl-C stops the run.
Verdict levels, worst first: exposes-secrets (critical violation), exposes-data (high violation),
failing (failure above info), degraded (info failures only), clean; the report lists every level
that applies.
Exit codes: 0 done (and no finding met --fail-on), 1 a finding met --fail-on (the matches are
printed on stderr), 2 bad flag or invalid spec, 130 interrupted.

Overlays (dmasim overlays shows what each variant changes):
${overlayLines(false).join('\n')}

What the rule ids and classes in a report mean: dmasim explain <id>, docs/rules-and-classes.md.`;

type OutputFormat = 'text' | 'json' | 'md';

/** One kernel to run a spec under: a profile or release and the complete overlay list. */
export type KernelChoice = KernelEntry;

/** Parses `name` or `name:variant` (docs/kernel-dma.md §9.2 variants); `flag` names the option for messages. */
export function parseOverlay(text: string, flag: string): NormalizedOverlay {
  const parsed = parseOverlayText(text);
  if (!parsed.ok) throw new FlagError(`${flag}: ${parsed.problem}`);
  return parsed.overlay;
}

function checkProfile(profile: string, flag: string): string {
  const problem = kernelProfileProblem(profile);
  if (problem !== undefined) throw new FlagError(`${flag}: ${problem}`);
  return profile;
}

/** Parses a `--matrix` list: `profile[+overlay[:variant]]...` entries separated by commas. */
export function parseMatrix(text: string): KernelChoice[] {
  const entries = text.split(',').map((e) => e.trim());
  if (entries.length < 1 || entries.some((e) => e === ''))
    throw new FlagError(
      `--matrix: give kernels separated by commas, e.g. la-phys,lb,lb+device-cc-accepted (got '${text}')`,
    );
  const labels = new Set<string>();
  return entries.map((entry) => {
    if (labels.has(entry)) throw new FlagError(`--matrix: '${entry}' is listed twice`);
    labels.add(entry);
    return parseKernelEntry(entry, `--matrix entry '${entry}'`);
  });
}

/** Parses one kernel entry `profile[+overlay[:variant][+hunk|-hunk]...]...` (a `--matrix` entry, `dmasim review --base`). */
export function parseKernelEntry(entry: string, flag: string): KernelChoice {
  const parsed = parseKernelText(entry);
  if (!parsed.ok) throw new FlagError(`${flag}: ${parsed.problem}`);
  return parsed.kernel;
}

interface RunOptions {
  readonly files: readonly string[];
  readonly format: OutputFormat;
  readonly seed: number | undefined;
  readonly operationsCap: number | undefined;
  readonly profile: string | undefined;
  /** undefined: keep the spec's overlays; [] after `--overlay none`. */
  readonly overlays: readonly NormalizedOverlay[] | undefined;
  readonly matrix: readonly KernelChoice[] | undefined;
  readonly failOn: { readonly gate: FindingGate; readonly text: string } | undefined;
}

function parseArgs(args: readonly string[]): RunOptions {
  const files: string[] = [];
  let format: OutputFormat = 'text';
  let seed: number | undefined;
  let operationsCap: number | undefined;
  let profile: string | undefined;
  let overlays: NormalizedOverlay[] | undefined;
  let matrix: KernelChoice[] | undefined;
  let clearOverlays = false;
  let failOn: RunOptions['failOn'];
  const value = (i: number, flag: string): string => flagValue(args, i, flag);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--json' || arg === '--md') {
      format = outputFormatFlag(format, arg);
    } else if (arg === '--seed') {
      const text = value(++i, '--seed');
      const n = Number(text);
      if (!/^\d+$/.test(text) || n > 2 ** 32 - 1)
        throw new FlagError(`--seed: '${text}' is not an integer from 0 to 4294967295`);
      seed = n;
    } else if (arg === '--operations') {
      const text = value(++i, '--operations');
      if (!/^[1-9]\d*$/.test(text)) throw new FlagError(`--operations: '${text}' is not a positive integer`);
      operationsCap = Number(text);
    } else if (arg === '--profile') {
      if (profile !== undefined) throw new UsageError('--profile given twice');
      profile = checkProfile(value(++i, '--profile'), '--profile');
    } else if (arg === '--overlay') {
      const text = value(++i, '--overlay');
      overlays ??= [];
      if (text === 'none') clearOverlays = true;
      else {
        const overlay = parseOverlay(text, '--overlay');
        if (overlays.some((o) => o.name === overlay.name))
          throw new FlagError(`--overlay: ${overlay.name} given twice`);
        overlays.push(overlay);
      }
      if (clearOverlays && overlays.length > 0)
        throw new FlagError('--overlay none clears the overlays: do not combine it with other --overlay flags');
    } else if (arg === '--fail-on') {
      if (failOn !== undefined) throw new UsageError('--fail-on given twice');
      const text = value(++i, '--fail-on');
      const parsed = parseFindingGate(text);
      if (!parsed.ok) throw new FlagError(`--fail-on: ${parsed.error}`);
      failOn = { gate: parsed.gate, text };
    } else if (arg === '--matrix') {
      if (matrix !== undefined) throw new UsageError('--matrix given twice');
      matrix = parseMatrix(value(++i, '--matrix'));
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else files.push(arg);
  }
  if (files.length === 0) throw new UsageError('give at least one spec file');
  if (matrix !== undefined && (profile !== undefined || overlays !== undefined))
    throw new UsageError('--matrix names the kernels itself: drop --profile and --overlay');
  return { files, format, seed, operationsCap, profile, overlays, matrix, failOn };
}

/** The spec with the kernel replaced (re-validated: the overlay and profile rules still apply). */
export function withKernel(
  spec: NormalizedScenario,
  profile: string | undefined,
  overlays: readonly NormalizedOverlay[] | undefined,
): ReturnType<typeof validateScenario> {
  if (profile === undefined && overlays === undefined) return { ok: true, spec };
  return validateScenario({
    ...spec,
    kernel: {
      ...spec.kernel,
      ...(profile === undefined ? {} : { profile }),
      ...(overlays === undefined ? {} : { overlays }),
    },
  });
}

export function capOperations(spec: NormalizedScenario, cap: number | undefined): NormalizedScenario {
  if (cap === undefined || spec.workload.explicit.length > 0) return spec;
  return { ...spec, workload: { ...spec.workload, operations: Math.min(spec.workload.operations, cap) } };
}

/** Set while a SIGINT arrived during a run; reset by each command invocation. */
interface Interrupt {
  requested: boolean;
}

/** Operations per engine slice between event-loop turns (progress, Ctrl-C). */
const sliceOps = 10_000;

/**
 * Runs one spec through the engine's incremental API (createEngineRun/step), yielding to the event
 * loop between slices so the progress bar redraws and Ctrl-C is noticed. Null when interrupted.
 */
async function executeRun(
  spec: NormalizedScenario,
  seed: number | undefined,
  io: CliIo,
  showProgress: boolean,
  label: string,
  interrupt: Interrupt,
): Promise<EngineReport | null> {
  const run = createEngineRun(spec, seed === undefined ? {} : { seed });
  const bar = showProgress ? createProgressBar(io.stderr, label) : null;
  for (;;) {
    const done = run.step(sliceOps);
    bar?.update(run.operationsDone, run.operationsTotal);
    if (done) break;
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (interrupt.requested) {
      bar?.clear();
      io.stderr.write(
        `dmasim run: interrupted after ${run.operationsDone.toLocaleString('en-US')} of ${run.operationsTotal.toLocaleString('en-US')} operations (${label})\n`,
      );
      return null;
    }
  }
  bar?.clear();
  return run.finish();
}

/** True (and the matches printed on stderr) when a report meets the --fail-on gate. */
function failsGate(options: RunOptions, io: CliIo, label: string, report: EngineReport): boolean {
  if (options.failOn === undefined) return false;
  const { gate, text } = options.failOn;
  const findings = [...report.violations, ...report.failures];
  if (!summaryMeetsGate(gate, report.summary.levels, findings)) return false;
  const matched = findings.filter((f) => findingMeetsGate(gate, f));
  const levels = report.summary.levels.filter((l) => gate.levels.includes(l));
  io.stderr.write(
    `dmasim run: ${label} fails --fail-on ${text}: ${[
      ...levels.map((l) => `verdict ${l}`),
      ...matched.map((f) => `${f.class} ${f.severity} ${f.deviceId} ×${f.count} (${f.rule})`),
    ].join(', ')}\n`,
  );
  return true;
}

async function runFiles(options: RunOptions, io: CliIo, interrupt: Interrupt): Promise<number> {
  const showProgress = options.format !== 'json' && (io.stderr as { isTTY?: boolean }).isTTY === true;
  let code: number = ExitCode.ok;
  const gateFailed = (label: string, report: EngineReport): void => {
    if (failsGate(options, io, label, report) && code === ExitCode.ok) code = ExitCode.failure;
  };
  for (const file of options.files) {
    const loaded = await loadSpecFile(file, io);
    if (loaded === null) {
      code = ExitCode.badInput;
      continue;
    }
    if (options.matrix === undefined) {
      const kernel = withKernel(loaded, options.profile, options.overlays);
      if (!kernel.ok) {
        printSpecErrors(io, file, 'with the kernel from --profile/--overlay', kernel.errors);
        code = ExitCode.badInput;
        continue;
      }
      const report = await executeRun(
        capOperations(kernel.spec, options.operationsCap),
        options.seed,
        io,
        showProgress,
        file,
        interrupt,
      );
      if (report === null) return ExitCode.interrupted;
      io.stdout.write(
        options.format === 'json'
          ? `${JSON.stringify(report)}\n`
          : options.format === 'md'
            ? `${renderReportMarkdown(report, file)}\n`
            : renderReportText(file, report),
      );
      gateFailed(file, report);
      continue;
    }
    const columns: MatrixColumn[] = [];
    let specOk = true;
    for (const choice of options.matrix) {
      const kernel = withKernel(loaded, choice.profile, choice.overlays);
      if (!kernel.ok) {
        printSpecErrors(io, file, `under --matrix entry '${choice.label}'`, kernel.errors);
        specOk = false;
        continue;
      }
      const report = await executeRun(
        capOperations(kernel.spec, options.operationsCap),
        options.seed,
        io,
        showProgress,
        `${file} [${choice.label}]`,
        interrupt,
      );
      if (report === null) return ExitCode.interrupted;
      columns.push({ label: choice.label, report });
    }
    if (!specOk) {
      code = ExitCode.badInput;
      continue;
    }
    for (const column of columns) gateFailed(`${file} [${column.label}]`, column.report);
    const comparison = compareReports(columns);
    if (options.format === 'json')
      io.stdout.write(
        `${JSON.stringify({ file, columns: comparison.columns, comparison, reports: columns.map((c) => c.report) })}\n`,
      );
    else if (options.format === 'md') io.stdout.write(`${renderMatrixMarkdown(comparison, file)}\n`);
    else
      io.stdout.write(
        renderMatrixText(
          file,
          comparison,
          columns.map((c) => c.report),
        ),
      );
  }
  return code;
}

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'run the engine on scenario specs (or compare kernels with --matrix) and print the reports',
  usage,
  async run(args, io) {
    const options = parseArgs(args);
    const interrupt: Interrupt = { requested: false };
    const onSigint = (): void => {
      interrupt.requested = true;
    };
    process.on('SIGINT', onSigint);
    try {
      return await runFiles(options, io, interrupt);
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};
