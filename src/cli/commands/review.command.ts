import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { type CliCommand, type CliIo, ExitCode, FlagError, UsageError } from '../command';
import {
  createEngineRun,
  type EngineReport,
  formatBytes,
  formatCount,
  formatMetric,
  formatReviewDelta,
  type NormalizedScenario,
  renderReviewMarkdown,
  type ReviewCost,
  type ReviewProbe,
  reviewProbeKernels,
  reviewScenario,
  type ReviewSkipped,
  reviewTotals,
  type ReviewTotals,
  type ScenarioReview,
} from '../../engine/index';
import { packageRoot } from '../package-root';
import { loadSpecFile, printSpecErrors } from '../spec-file';
import { flagValue, outputFormatFlag } from '../simple-flags';
import { capOperations, type KernelChoice, parseKernelEntry, withKernel } from './run.command';

const usage = `usage: dmasim review <spec.yaml|spec.json>... --base KERNEL --patched KERNEL [--json|--md] [--operations N]
       dmasim review --examples --base KERNEL --patched KERNEL [--json|--md] [--operations N]

The reviewer's answer for a proposed kernel change: runs each scenario under the base kernel and
under the patched kernel and prints, per scenario and in total, the exposures the patch fixes, the
exposures it leaves (class, device, bytes, the kernel path and rule that still leaks, and the hunk
that would remove it when switching one more hunk on does), new failures (class, device, operations,
first kernel log line), the memory cost (decrypted memory, extra pools, slot metadata, low memory),
the modelled time cost (cost.totalNs) and a one-sentence verdict.

  --base KERNEL     the kernel without the patch; KERNEL is a --matrix entry of dmasim run:
                    profile[+overlay[:variant][+hunk|-hunk]...]..., e.g. v7.2 or lb
  --patched KERNEL  the kernel with the patch, e.g. v7.2+device-cc-accepted:posted
                    (an entry names the whole kernel: the spec's overlays are not added)
  --examples        review the bundled examples (instead of spec files); those the kernels do not
                    accept (an overlay that does not apply to the platform) are listed as skipped
  --json            one JSON document: {base, patched, scenarios, skipped, total}
  --md              Markdown, ready to paste into a mailing-list reply
  --operations N    cap generated workloads at N operations (explicit lists run whole)

Exit codes: 0 done, 2 bad flag, bad kernel entry or invalid spec.`;

type OutputFormat = 'text' | 'json' | 'md';

interface ReviewOptions {
  readonly files: readonly string[];
  readonly examples: boolean;
  readonly base: KernelChoice;
  readonly patched: KernelChoice;
  readonly format: OutputFormat;
  readonly operationsCap: number | undefined;
}

function parseArgs(args: readonly string[]): ReviewOptions {
  const files: string[] = [];
  let examples = false;
  let base: KernelChoice | undefined;
  let patched: KernelChoice | undefined;
  let format: OutputFormat = 'text';
  let operationsCap: number | undefined;
  const value = (i: number, flag: string): string => flagValue(args, i, flag);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--json' || arg === '--md') {
      format = outputFormatFlag(format, arg);
    } else if (arg === '--examples') examples = true;
    else if (arg === '--base') {
      if (base !== undefined) throw new UsageError('--base given twice');
      base = parseKernelEntry(value(++i, '--base'), '--base');
    } else if (arg === '--patched') {
      if (patched !== undefined) throw new UsageError('--patched given twice');
      patched = parseKernelEntry(value(++i, '--patched'), '--patched');
    } else if (arg === '--operations') {
      const text = value(++i, '--operations');
      if (!/^[1-9]\d*$/.test(text)) throw new FlagError(`--operations: '${text}' is not a positive integer`);
      operationsCap = Number(text);
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else files.push(arg);
  }
  if (files.length === 0 && !examples) throw new UsageError('give spec files or --examples');
  if (files.length > 0 && examples) throw new UsageError('give spec files or --examples, not both');
  if (base === undefined) throw new UsageError('--base KERNEL is required');
  if (patched === undefined) throw new UsageError('--patched KERNEL is required');
  return { files, examples, base, patched, format, operationsCap };
}

function runToEnd(spec: NormalizedScenario): EngineReport {
  const run = createEngineRun(spec, {});
  while (!run.step(1_000_000)) {
    // run to completion: the CLI review has no progress bar
  }
  return run.finish();
}

async function exampleFiles(): Promise<string[]> {
  const dir = join(packageRoot(), 'examples');
  const names = (await readdir(dir)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
  return names.map((n) => join(dir, n));
}

const costLine = (c: ReviewCost): string =>
  `${c.key} ${formatMetric(c.key, c.base)} → ${formatMetric(c.key, c.patched)} (${formatReviewDelta(c.key, c.delta)})`;

function renderText(
  options: ReviewOptions,
  reviews: readonly ScenarioReview[],
  skipped: readonly ReviewSkipped[],
  total: ReviewTotals,
): string {
  const out: string[] = [`review: ${options.patched.label} against ${options.base.label}`];
  for (const r of reviews) {
    if (!r.affected) {
      const persisting = r.left.length > 0 ? ` (${r.left.length} exposure(s) persist, ${r.baseVerdict})` : '';
      out.push('', `${r.scenario}: unaffected by the patch${persisting}`);
      continue;
    }
    out.push('', `${r.scenario}: ${r.baseVerdict} → ${r.patchedVerdict}`);
    out.push(`  verdict: ${r.verdict}`);
    out.push(
      `  exposures fixed ${r.fixed.length}, left ${r.left.length}, new ${r.newExposures.length}; new failures ${r.newFailures.length}`,
    );
    for (const e of r.fixed)
      out.push(
        `  fixed ${e.class} ${e.severity} ${e.deviceId} ${e.dataClass} ${formatBytes(e.bytesExposed)} (${e.rule})`,
      );
    for (const e of r.left) {
      out.push(
        `  left  ${e.class} ${e.severity} ${e.deviceId} ${e.dataClass} ${formatBytes(e.bytesExposed)} ×${formatCount(e.count)} (${e.rule}): ${e.path}`,
      );
      out.push(
        `        ${e.hunksNeeded.length > 0 ? `removed by switching on: ${e.hunksNeeded.join(', ')}` : 'no single extra hunk removes it'}`,
      );
    }
    for (const e of r.newExposures)
      out.push(
        `  new   ${e.class} ${e.severity} ${e.deviceId} ${e.dataClass} ${formatBytes(e.bytesExposed)} (${e.rule}): ${e.path}`,
      );
    for (const f of r.newFailures)
      out.push(
        `  fails ${f.class} ${f.severity} ${f.deviceId} ×${formatCount(f.count)}${f.kernelLogLine ? `: ${f.kernelLogLine}` : ''}`,
      );
    out.push(`  memory: ${r.memory.map(costLine).join('; ')}`);
    out.push(`  time: ${costLine(r.time)}`);
  }
  for (const s of skipped) out.push('', `${s.scenario}: skipped (${s.reason})`);
  out.push('', `total over ${total.scenarios} scenario(s): ${total.verdict}`);
  out.push(
    `  exposures fixed ${total.fixed}, left ${total.left}, new ${total.newExposures}; newly failing operations ${formatCount(total.newFailedOperations)}`,
  );
  out.push(`  memory: ${total.memory.map((c) => `${c.key} ${formatReviewDelta(c.key, c.delta)}`).join('; ')}`);
  out.push(`  time: cost.totalNs ${formatReviewDelta('cost.totalNs', total.time.delta)}`);
  return `${out.join('\n')}\n`;
}

async function review(options: ReviewOptions, io: CliIo): Promise<number> {
  const files = options.examples ? await exampleFiles() : options.files;
  const root = packageRoot();
  const reviews: ScenarioReview[] = [];
  const skipped: ReviewSkipped[] = [];
  let code: number = ExitCode.ok;
  for (const file of files) {
    const name = options.examples ? relative(root, file) : file;
    const loaded = await loadSpecFile(file, io);
    if (loaded === null) {
      code = ExitCode.badInput;
      continue;
    }
    const base = withKernel(loaded, options.base.profile, options.base.overlays);
    const patched = withKernel(loaded, options.patched.profile, options.patched.overlays);
    if (!base.ok || !patched.ok) {
      const [what, errors] = !base.ok ? ['--base', base.errors] : ['--patched', patched.ok ? [] : patched.errors];
      if (options.examples) {
        skipped.push({ scenario: name, reason: `${what}: ${errors.map((e) => e.message).join('; ')}` });
        continue;
      }
      printSpecErrors(io, file, `under ${what} '${options[what === '--base' ? 'base' : 'patched'].label}'`, errors);
      code = ExitCode.badInput;
      continue;
    }
    const baseReport = runToEnd(capOperations(base.spec, options.operationsCap));
    const patchedReport = runToEnd(capOperations(patched.spec, options.operationsCap));
    const probes: ReviewProbe[] = [];
    // Only when something is left: which single extra hunk of the patched overlays would remove it.
    if (patchedReport.violations.length > 0)
      for (const probe of reviewProbeKernels(options.patched)) {
        const spec = withKernel(loaded, options.patched.profile, probe.overlays);
        if (spec.ok)
          probes.push({ hunk: probe.hunk, report: runToEnd(capOperations(spec.spec, options.operationsCap)) });
      }
    reviews.push(reviewScenario(name, baseReport, patchedReport, probes));
  }
  if (code !== ExitCode.ok && reviews.length === 0) return code;
  const total = reviewTotals(reviews);
  if (options.format === 'json')
    io.stdout.write(
      `${JSON.stringify({ base: options.base.label, patched: options.patched.label, scenarios: reviews, skipped, total })}\n`,
    );
  else if (options.format === 'md')
    io.stdout.write(
      renderReviewMarkdown({
        base: options.base.label,
        patched: options.patched.label,
        scenarios: reviews,
        skipped,
        total,
      }),
    );
  else io.stdout.write(renderText(options, reviews, skipped, total));
  return code;
}

export const reviewCommand: CliCommand = {
  name: 'review',
  summary: 'review a kernel patch: exposures fixed and left, new failures, memory and time cost, one verdict',
  usage,
  async run(args, io) {
    return review(parseArgs(args), io);
  },
};
