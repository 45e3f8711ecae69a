import { writeFile } from 'node:fs/promises';
import { type CliCommand, ExitCode, UsageError } from '../command';
import { minimizeFinding, parseFindingSelector, renderReproducer } from '../../engine/index';
import { intFlag, parseSimpleFlags } from '../simple-flags';
import { loadSpecFile } from '../spec-file';

const usage = `usage: dmasim minimize SPEC --keep SELECTOR [-o OUT.yaml] [--max-seconds N]

Shrinks a spec to a minimal reproducer of one finding, by delta debugging (ddmin) with the engine
as the oracle: generated streams are first written out as explicit DMA calls (at most 100,000),
the list is cut after the finding's first op, whole mapping lifetimes are removed, then single
ops, then buffer sizes are halved; unused devices are dropped. The result is 1-minimal (removing
any one op loses the finding) unless --max-seconds cut it short, which the output says.
Deterministic: the same spec gives the same reproducer.

  --keep SELECTOR   the finding to keep: CLASS [on DEVICE] [critical|high|info], e.g.
                    'V1 on storvsc0', 'F1', 'V2 high'
  -o, --output FILE write the reproducer here (default: stdout)
  --max-seconds N   stop after N seconds with the smallest spec so far (default 120)

The reproducer is a self-contained spec with a comment header: what it reproduces, the kernel log
lines, and the dmasim run command. Progress is shown on stderr when it is a terminal.
Exit codes: 0 minimal, 1 stopped by --max-seconds (spec still written), 2 bad flag, invalid spec
or the spec does not show the finding.`;

export const minimizeCommand: CliCommand = {
  name: 'minimize',
  summary: 'shrink a spec to a minimal reproducer of one finding (ddmin), ready to paste into a reply',
  usage,
  async run(args, io) {
    const flags = parseSimpleFlags(args, {
      '--keep': 'value',
      '-o': 'value',
      '--output': 'value',
      '--max-seconds': 'value',
    });
    if (flags.positional.length !== 1) throw new UsageError('give exactly one spec file');
    const keep = flags.values.get('--keep');
    if (keep === undefined) throw new UsageError("give the finding to keep, e.g. --keep 'V1 on storvsc0'");
    const selector = parseFindingSelector(keep);
    if (!selector.ok) throw new UsageError(`--keep: ${selector.error}`);
    const maxSeconds = intFlag(flags, '--max-seconds', 120, 1, 86_400);
    const output = flags.values.get('-o') ?? flags.values.get('--output');
    const file = flags.positional[0]!;
    const spec = await loadSpecFile(file, io, { command: 'minimize' });
    if (spec === null) return ExitCode.badInput;
    const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
    const started = performance.now();
    let lastDraw = -Infinity;
    const result = minimizeFinding(spec, selector.selector, {
      now: () => performance.now(),
      deadlineMs: started + maxSeconds * 1000,
      onProgress: tty
        ? (p) => {
            if (performance.now() - lastDraw < 100) return;
            lastDraw = performance.now();
            io.stderr.write(
              `\r\u001b[Kminimize: ${p.phase}, ${p.ops} ops, ${p.runs} runs, ${((lastDraw - started) / 1000).toFixed(0)}/${maxSeconds} s`,
            );
          }
        : undefined,
    });
    if (tty) io.stderr.write('\r\u001b[K');
    if (!result.ok) {
      io.stderr.write(`dmasim minimize: ${result.error}\n`);
      return ExitCode.badInput;
    }
    const yaml = renderReproducer(result, selector.selector, output ?? 'reproducer.yaml', file);
    if (output === undefined) io.stdout.write(yaml);
    else await writeFile(output, yaml, 'utf8');
    io.stderr.write(
      `${file}: ${result.opsBefore} ops → ${result.spec.workload.explicit.length} op${result.spec.workload.explicit.length === 1 ? '' : 's'} still showing ${selector.selector.text} (${result.runs} runs${result.complete ? '' : ', stopped at --max-seconds'})${output ? `; wrote ${output}` : ''}\n`,
    );
    return result.complete ? ExitCode.ok : ExitCode.failure;
  },
};
