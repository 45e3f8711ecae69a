import { type CliCommand, ExitCode, UsageError } from '../command';
import { advisePools, type PoolAdvice, type ProfileAdvice } from '../../engine/index';
import { kernelProfileProblem } from '../../engine/index';
import { intFlag, parseSimpleFlags } from '../simple-flags';
import { loadSpecFile } from '../spec-file';

const usage = `usage: dmasim advise SPEC [--profile K]... [--json] [--max-seconds N]

Sizes the bounce and atomic pools for the spec's workload: per kernel profile, the smallest
swiotlb=<slots>,<areas> with no SWIOTLB exhaustion (F1) and the smallest coherent_pool= with no
atomic pool exhaustion (F7), found by running the engine (doubling, then bisection, then a check
of the next sizes above the boundary: the search says when larger sizes fail again). Prints the
value, the pool the kernel really sets up (it may round up), its memory cost (bytes shared with
the host) and the headroom at that size.

  --profile K       advise for this kernel (a release such as v6.18, v7.2 or a profile id);
                    repeatable; default: the spec's own
  --json            the result as JSON
  --max-seconds N   stop searching after N seconds (default 300); a cut-off search says so

Exit codes: 0 advice given, 1 no size removes the failure, 2 bad flag or invalid spec.`;

const MiB = 1024 * 1024;
const widths = [8, 5, 8, 28, 16, 12, 16, 11, 5];
const size = (bytes: number | null): string =>
  bytes === null ? '-' : bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;

function row(profile: string, advice: PoolAdvice): string {
  const unit = advice.param === 'swiotlb' ? 'slots' : 'bytes';
  const value =
    advice.value === null
      ? advice.failuresAsGiven === 0
        ? '(keep default)'
        : '(none found)'
      : `${advice.param}=${advice.value}`;
  const cells = [
    profile,
    advice.failureClass,
    String(advice.failuresAsGiven),
    value,
    advice.effectiveSize === null ? '-' : `${advice.effectiveSize} ${unit}`,
    size(advice.decryptedBytes),
    advice.headroom === null ? '-' : `${advice.headroom} ${unit}`,
    size(advice.lowMemoryBytes),
    String(advice.search.runs),
  ];
  return `${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}  ${advice.note}`;
}

function table(advice: readonly ProfileAdvice[]): string {
  const header = [
    'profile',
    'class',
    'as given',
    'advice',
    'pool set up',
    'shared cost',
    'headroom',
    'below 4 GiB',
    'runs',
  ]
    .map((c, i) => c.padEnd(widths[i]!))
    .join('  ');
  const lines = advice.flatMap((a) => [
    row(a.profile, a.swiotlb),
    row(a.profile, a.coherentPool),
    ...(a.privatePoolBytes === null
      ? []
      : [
          `${a.profile.padEnd(8)}  dual-swiotlb-pools: the private pool has the same size, ${size(a.privatePoolBytes)} (private, not shared)`,
        ]),
  ]);
  return `${header}\n${lines.join('\n')}\n`;
}

export const adviseCommand: CliCommand = {
  name: 'advise',
  summary: 'find the smallest swiotlb= and coherent_pool= with no pool exhaustion (F1/F7) for a spec',
  usage,
  async run(args, io) {
    const flags = parseSimpleFlags(args, { '--profile': 'list', '--json': 'switch', '--max-seconds': 'value' });
    if (flags.positional.length !== 1) throw new UsageError('give exactly one spec file');
    const profiles = flags.lists.get('--profile');
    for (const p of profiles ?? []) {
      const problem = kernelProfileProblem(p);
      if (problem !== undefined) throw new UsageError(`--profile: ${problem}`);
    }
    const maxSeconds = intFlag(flags, '--max-seconds', 300, 1, 86_400);
    const file = flags.positional[0]!;
    const spec = await loadSpecFile(file, io, { command: 'advise' });
    if (spec === null) return ExitCode.badInput;
    const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
    const started = performance.now();
    const result = advisePools(spec, {
      ...(profiles ? { profiles } : {}),
      now: () => performance.now(),
      deadlineMs: started + maxSeconds * 1000,
      onRun: tty ? (what) => io.stderr.write(`\r\u001b[Ktrying ${what}`) : undefined,
    });
    if (tty) io.stderr.write('\r\u001b[K');
    if (!result.ok) {
      io.stderr.write(`dmasim advise: ${result.error}\n`);
      return ExitCode.badInput;
    }
    io.stdout.write(
      flags.switches.has('--json')
        ? `${JSON.stringify({ file, advice: result.advice })}\n`
        : `${file}\n${table(result.advice)}`,
    );
    const unresolved = result.advice.some((a) =>
      [a.swiotlb, a.coherentPool].some((p) => p.failuresAsGiven > 0 && p.value === null),
    );
    return unresolved ? ExitCode.failure : ExitCode.ok;
  },
};
