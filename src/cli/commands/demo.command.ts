import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type CliCommand, ExitCode, UsageError } from '../command';
import { packageRoot } from '../package-root';
import { formatBytes, formatCount, kernelLabel, replayTrace, runScenario, type EngineReport } from '../../engine/index';
import { parseSpecText } from '../../modules/scenario/spec-text';

const repoRoot = packageRoot();
const defaultOperations = 20_000;

const usage = `usage: dmasim demo [--examples DIR] [--operations N] [--no-traces]

What \`npm run demo\` runs, with no services: the engine on every scenario spec in examples/ (or
DIR), one line each — scenario, kernel, verdict, top finding, engine speed — with generated workloads
capped at ${formatCount(defaultOperations)} operations (--operations N) so it takes seconds; then the
SWIOTLB allocator model on the bundled traces that the kernel's own kernel/dma/swiotlb.c produced,
compared slot for slot (--no-traces skips them). Full reports: dmasim run <spec>.
Exit codes: 0 all examples ran and every trace matched, 1 otherwise, 2 bad arguments.`;

const severityRank = { critical: 3, high: 2, info: 1 } as const;

/**
 * The finding a reader should see first, consistent with the verdict: the worst violation when the
 * run exposes secrets; the worst failure that makes it failing (F15 is a cost, never the reason);
 * otherwise a critical or high violation, then any failure, then an info-level violation. Worst is
 * by severity, then bytes exposed or count.
 */
export function topFinding(report: EngineReport): string {
  const violations = [...report.violations].sort(
    (a, b) => severityRank[b.severity] - severityRank[a.severity] || b.bytesExposed - a.bytesExposed,
  );
  const failures = [...report.failures].sort(
    (a, b) =>
      Number(a.class === 'F15') - Number(b.class === 'F15') ||
      severityRank[b.severity] - severityRank[a.severity] ||
      b.count - a.count,
  );
  const describeViolation = (v: (typeof violations)[number]): string =>
    `${v.class} ${v.severity} ${v.deviceId} ${formatBytes(v.bytesExposed)} ${v.dataClass} (${v.rule})`;
  const describeFailure = (f: (typeof failures)[number]): string =>
    `${f.class} ${f.deviceId} ×${formatCount(f.count)} (${f.rule})`;
  const worstViolation = violations[0];
  const worstFailure = failures[0];
  if (report.summary.verdict === 'failing' && worstFailure) return describeFailure(worstFailure);
  if (worstViolation && worstViolation.severity !== 'info') return describeViolation(worstViolation);
  if (worstFailure) return describeFailure(worstFailure);
  return worstViolation ? describeViolation(worstViolation) : '–';
}

/** Operations per second for people: "1.23 M", "45.6 k". */
export function formatRate(opsPerSecond: number): string {
  return opsPerSecond >= 1e6 ? `${(opsPerSecond / 1e6).toFixed(2)} M` : `${(opsPerSecond / 1e3).toFixed(1)} k`;
}

interface DemoOptions {
  readonly examplesDir: string;
  readonly operations: number;
  readonly traces: boolean;
}

function parseArgs(args: readonly string[]): DemoOptions {
  let examplesDir = path.join(repoRoot, 'examples');
  let operations = defaultOperations;
  let traces = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--examples') {
      const dir = args[++i];
      if (dir === undefined) throw new UsageError('--examples needs a directory');
      examplesDir = path.resolve(dir);
    } else if (arg === '--operations') {
      const text = args[++i] ?? '';
      if (!/^[1-9]\d*$/.test(text)) throw new UsageError(`--operations needs a positive integer (got '${text}')`);
      operations = Number(text);
    } else if (arg === '--no-traces') traces = false;
    else throw new UsageError(`unexpected argument '${arg ?? ''}'`);
  }
  return { examplesDir, operations, traces };
}

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'one line per bundled example (verdict, top finding, ops/s), then the kernel allocator traces',
  usage,
  async run(args, io) {
    const options = parseArgs(args);
    let files: string[];
    try {
      files = (await readdir(options.examplesDir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
    } catch (error: unknown) {
      io.stderr.write(
        `dmasim demo: --examples: cannot read ${options.examplesDir} (${(error as NodeJS.ErrnoException).code ?? String(error)})\n`,
      );
      return ExitCode.badInput;
    }
    if (files.length === 0) {
      io.stderr.write(`dmasim demo: no scenario specs (*.yaml, *.yml, *.json) in ${options.examplesDir}\n`);
      return ExitCode.badInput;
    }
    io.stdout.write(
      `== dmasim engine on ${files.length} example scenarios (${path.relative(process.cwd(), options.examplesDir) || '.'}; workloads capped at ${formatCount(options.operations)} operations) ==\n`,
    );
    // Each line is printed as its example finishes (a full demo takes seconds): fixed column widths
    // instead of widths measured over all rows; a longer cell only shifts the rest of its own line.
    const widths = [Math.max(8, ...files.map((f) => f.replace(/\.(ya?ml|json)$/, '').length)), 40, 15, 44, 9];
    const printRow = (cells: readonly string[]): void => {
      io.stdout.write(
        `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd() + '\n',
      );
    };
    printRow(['scenario', 'kernel', 'verdict', 'top finding', 'ops', 'ops/s']);
    const problems: string[] = [];
    let totalOps = 0;
    const startedMs = performance.now();
    for (const file of files) {
      const name = file.replace(/\.(ya?ml|json)$/, '');
      const parsed = parseSpecText(await readFile(path.join(options.examplesDir, file), 'utf8'), file);
      if (!parsed.ok) {
        printRow([
          name,
          '–',
          'INVALID',
          parsed.errors[0] ? `${parsed.errors[0].path}: ${parsed.errors[0].message}` : '',
          '–',
          '–',
        ]);
        problems.push(...parsed.errors.map((e) => `${file}: ${e.path}: ${e.message}`));
        continue;
      }
      const spec =
        parsed.spec.workload.explicit.length > 0
          ? parsed.spec
          : {
              ...parsed.spec,
              workload: {
                ...parsed.spec.workload,
                operations: Math.min(parsed.spec.workload.operations, options.operations),
              },
            };
      const t0 = performance.now();
      const report = runScenario(spec);
      const seconds = (performance.now() - t0) / 1000;
      totalOps += report.summary.operations;
      const rate = report.summary.operations / Math.max(seconds, 1e-6);
      printRow([
        name,
        kernelLabel(report),
        report.summary.levels.join('+'),
        topFinding(report),
        formatCount(report.summary.operations),
        formatRate(rate),
      ]);
    }
    const elapsed = (performance.now() - startedMs) / 1000;
    io.stdout.write(
      `  ${files.length} scenarios, ${formatCount(totalOps)} operations in ${elapsed.toFixed(2)} s (${formatRate(totalOps / Math.max(elapsed, 1e-6))} ops/s overall, boot sizing and pool set-up included)\n`,
    );
    for (const p of problems) io.stderr.write(`dmasim demo: ${p}\n`);

    let allMatch = true;
    if (options.traces) {
      const tracesDir = path.join(repoRoot, 'test', 'fixtures', 'swiotlb-traces');
      const traces = (await readdir(tracesDir)).filter((f) => f.endsWith('.trace.jsonl')).sort();
      io.stdout.write(`\n== SWIOTLB allocator vs the kernel's own swiotlb.c on ${traces.length} traces ==\n`);
      for (const trace of traces) {
        const lines = (await readFile(path.join(tracesDir, trace), 'utf8')).split('\n').filter((l) => l.trim() !== '');
        const expected = (
          await readFile(path.join(tracesDir, trace.replace('.trace.jsonl', '.expected.jsonl')), 'utf8')
        )
          .split('\n')
          .filter((l) => l.trim() !== '');
        const result = replayTrace(lines.map((l) => JSON.parse(l) as unknown));
        const matching = result.ok ? result.output.filter((line, i) => line === expected[i]).length : 0;
        const ok = result.ok && matching === expected.length && result.output.length === expected.length;
        allMatch &&= ok;
        io.stdout.write(
          `  ${ok ? 'MATCH' : 'DIFF '} ${trace.replace('.trace.jsonl', '').padEnd(42)} ${matching}/${expected.length} output lines identical (${lines.length - 1} ops)\n`,
        );
      }
    }
    io.stdout.write(
      `\nFull report of one example: dmasim run examples/<file> (--md, --json); compare kernels: dmasim run <file> --matrix la-phys,lb,lb+device-cc-accepted\n`,
    );
    return problems.length > 0 || !allMatch ? ExitCode.failure : ExitCode.ok;
  },
};
