import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { type CliCommand, type CliIo, ExitCode, UsageError } from '../command';
import { platformIds, type PlatformId } from '../../engine/index';
import { kernelProfileProblem } from '../../engine/index';
import { specLimits } from '../../engine/index';
import {
  type DataRule,
  type DeviceMapping,
  importedSpecFrame,
  importHeaderYaml,
  type ImportedVmOptions,
  opYamlLine,
  parseDataRules,
  parseDeviceMap,
  specFrameYaml,
  TraceImporter,
  type TraceImportSummary,
} from '../../engine/index';
import { createByteProgress } from '../byte-progress';
import { intFlag, parseSimpleFlags } from '../simple-flags';

const usage = `usage: dmasim import-trace TRACE -o SPEC.yaml [--devices MAP]... [--data RULE]... [options]

Turns the text of the kernel's DMA tracepoints (events dma:* and swiotlb:swiotlb_bounced, as
/sys/kernel/tracing/trace or \`trace-cmd report\` print them) into a scenario spec whose
workload.explicit replays the calls. The file is streamed (constant memory); a progress bar is drawn
on stderr when it is a terminal. Lines that are not ftrace events are counted and reported;
malformed event lines are reported as FILE:LINE:COLUMN.

  -o, --output FILE   the spec to write (- for stdout)
  --devices MAP       NAME=KIND[,trust=T][,id=ID][,mask=BITS]; ';'-separated or repeated, e.g.
                      --devices 'f8b3781b-1e82-4818-a1c3-63d806ec15bb=vmbus-storvsc,trust=confidential-vmbus,id=storvsc0'
                      (unmapped names are inferred: PCI address → passthrough-nic, VMBus GUID →
                      vmbus-storvsc, "nvme" → nvme; each inference is listed)
  --data RULE         [DEVICE][:DIRECTION]=CLASS, the data class of the mapped bytes; the last
                      matching rule wins; DIRECTION is to-device, from-device, bidirectional or
                      coherent; CLASS is secret, sensitive, public or unknown; e.g.
                      --data 'storvsc0:to-device=secret'. Bytes no rule classifies are written as
                      unknown: kept private like sensitive, and named unknown in every finding
  --platform P        vm.platform (default sev-snp): ${platformIds.join(', ')}
  --profile K         kernel.profile (default v7.2)
  --memory-mib N      vm.memoryMiB (default: the smallest RAM holding every traced buffer)
  --vcpus N           vm.vcpus (default: highest traced CPU + 1)
  --name NAME         spec name (default imported-trace)
  --max-ops N         write at most N ops (default ${specLimits.maxExplicitOps}, the spec's limit); later calls are counted
  --deferred-every N  insert run_deferred every N ops (default 64, like generated workloads; 0 = never)

Exit codes: 0 written, 1 written but some lines were malformed, 2 bad flag or unreadable trace.`;

interface ImportFlags {
  readonly file: string;
  readonly output: string;
  readonly devices: DeviceMapping[];
  readonly data: DataRule[];
  readonly vm: ImportedVmOptions;
  readonly maxOps: number;
  readonly deferredEvery: number;
}

function parseImportFlags(args: readonly string[]): ImportFlags {
  const flags = parseSimpleFlags(args, {
    '-o': 'value',
    '--output': 'value',
    '--devices': 'list',
    '--data': 'list',
    '--platform': 'value',
    '--profile': 'value',
    '--memory-mib': 'value',
    '--vcpus': 'value',
    '--name': 'value',
    '--max-ops': 'value',
    '--deferred-every': 'value',
  });
  if (flags.positional.length !== 1) throw new UsageError('give exactly one trace file');
  const output = flags.values.get('-o') ?? flags.values.get('--output');
  if (output === undefined) throw new UsageError('give the spec to write with -o SPEC.yaml (or -o - for stdout)');
  const devices: DeviceMapping[] = [];
  for (const text of flags.lists.get('--devices') ?? []) {
    const parsed = parseDeviceMap(text);
    if (!parsed.ok) throw new UsageError(`--devices: ${parsed.error}`);
    devices.push(...parsed.value);
  }
  const data: DataRule[] = [];
  for (const text of flags.lists.get('--data') ?? []) {
    const parsed = parseDataRules(text);
    if (!parsed.ok) throw new UsageError(`--data: ${parsed.error}`);
    data.push(...parsed.value);
  }
  const platformText = flags.values.get('--platform');
  const platform = platformText === undefined ? undefined : platformIds.find((p) => p === platformText);
  if (platformText !== undefined && platform === undefined)
    throw new UsageError(`--platform: unknown platform '${platformText}'; valid: ${platformIds.join(', ')}`);
  const profile = flags.values.get('--profile');
  const profileProblem = profile === undefined ? undefined : kernelProfileProblem(profile);
  if (profileProblem !== undefined) throw new UsageError(`--profile: ${profileProblem}`);
  const memoryMiB = flags.values.has('--memory-mib')
    ? intFlag(flags, '--memory-mib', 0, 256, specLimits.maxMemoryMiB)
    : undefined;
  const vcpus = flags.values.has('--vcpus') ? intFlag(flags, '--vcpus', 0, 1, 8192) : undefined;
  const vm: ImportedVmOptions = {
    name: flags.values.get('--name'),
    platform: platform as PlatformId | undefined,
    profile,
    memoryMiB,
    vcpus,
  };
  return {
    file: flags.positional[0]!,
    output,
    devices,
    data,
    vm,
    maxOps: intFlag(flags, '--max-ops', specLimits.maxExplicitOps, 1, specLimits.maxExplicitOps),
    deferredEvery: intFlag(flags, '--deferred-every', 64, 0),
  };
}

/** Streams the trace through the importer, spooling op lines to `opsFile`; returns the summary. */
async function importFile(flags: ImportFlags, opsFile: string, io: CliIo): Promise<TraceImportSummary> {
  const totalBytes = (await stat(flags.file)).size;
  const input = createReadStream(flags.file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const spool = createWriteStream(opsFile, { encoding: 'utf8' });
  const bar =
    (io.stderr as { isTTY?: boolean }).isTTY === true ? createByteProgress(io.stderr, totalBytes, flags.file) : null;
  let chunk: string[] = [];
  const importer = new TraceImporter(
    { devices: flags.devices, data: flags.data, maxOps: flags.maxOps, deferredEveryOps: flags.deferredEvery },
    (op) => chunk.push(opYamlLine(op)),
  );
  let lines = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    importer.pushLine(line);
    if (chunk.length >= 2048) {
      if (!spool.write(chunk.join(''))) await once(spool, 'drain');
      chunk = [];
    }
    if (bar && ++lines % 8192 === 0) bar.update(input.bytesRead);
  }
  spool.end(chunk.join(''));
  await once(spool, 'finish');
  bar?.clear();
  return importer.finish();
}

/** Writes header, frame and the spooled op list to the output (streamed copy: constant memory). */
async function writeSpec(flags: ImportFlags, summary: TraceImportSummary, opsFile: string, io: CliIo): Promise<void> {
  const out = flags.output === '-' ? io.stdout : createWriteStream(flags.output, { encoding: 'utf8' });
  const head = `${importHeaderYaml(summary, flags.file)}${specFrameYaml(importedSpecFrame(summary, flags.vm))}workload:\n  seed: 1\n  explicit:${summary.opsWritten === 0 ? ' []' : ''}\n`;
  if (!out.write(head)) await once(out, 'drain');
  for await (const piece of createReadStream(opsFile, { encoding: 'utf8' }))
    if (!out.write(piece)) await once(out, 'drain');
  if (out !== io.stdout) {
    out.end();
    await once(out, 'finish');
  }
}

function report(summary: TraceImportSummary, flags: ImportFlags, io: CliIo): void {
  const w = (s: string): boolean => io.stderr.write(`${s}\n`);
  for (const e of summary.errors) w(`${flags.file}:${e.line}:${e.column}: ${e.message}`);
  if (summary.errorCount > summary.errors.length)
    w(`… ${summary.errorCount - summary.errors.length} more malformed lines`);
  w(
    `${flags.file}: ${summary.linesRead} lines, ${summary.eventsDecoded} DMA events → ${summary.opsWritten} ops (${summary.liveAtEnd} mappings live at the end)`,
  );
  if (summary.unknownLines.count > 0)
    w(
      `  ${summary.unknownLines.count} lines are not ftrace event lines (first at line ${summary.unknownLines.firstLines.join(', ')})`,
    );
  const others = Object.entries(summary.otherEvents);
  if (others.length > 0) w(`  other events ignored: ${others.map(([e, n]) => `${e} ×${n}`).join(', ')}`);
  for (const [e, n] of Object.entries(summary.unsupportedEvents)) w(`  ${e} ×${n}: not replayed (no spec op for it)`);
  for (const [reason, n] of Object.entries(summary.warnings)) w(`  ${n} × ${reason}`);
  if (summary.unclassifiedOps > 0)
    w(
      `  ${summary.unclassifiedOps} ops carry data of class unknown (no --data rule matched): findings on them say "unknown" until you classify them with --data`,
    );
  if (summary.opsNotWritten > 0) w(`  ${summary.opsNotWritten} calls after --max-ops ${flags.maxOps} not written`);
  for (const d of summary.devices) w(`  device ${d.id} = ${d.traceName}: ${d.kind}, trust ${d.trust} (${d.source})`);
  if (flags.output !== '-') w(`wrote ${flags.output}; run it with: dmasim run ${flags.output}`);
}

export const importTraceCommand: CliCommand = {
  name: 'import-trace',
  summary: 'turn a kernel DMA trace (ftrace dma:* / swiotlb events) into a replayable scenario spec',
  usage,
  async run(args, io) {
    const flags = parseImportFlags(args);
    try {
      await stat(flags.file);
    } catch (error: unknown) {
      io.stderr.write(
        `dmasim import-trace: cannot read ${flags.file} (${(error as NodeJS.ErrnoException).code ?? String(error)})\n`,
      );
      return ExitCode.badInput;
    }
    // The op list is spooled to a private temporary directory: the trace's directory may be read-only.
    const spoolDir = await mkdtemp(path.join(tmpdir(), 'dmasim-import-'));
    const opsFile = path.join(spoolDir, 'ops.yaml');
    try {
      const summary = await importFile(flags, opsFile, io);
      await writeSpec(flags, summary, opsFile, io);
      report(summary, flags, io);
      return summary.errorCount > 0 ? ExitCode.failure : ExitCode.ok;
    } finally {
      await rm(spoolDir, { recursive: true, force: true });
    }
  },
};
