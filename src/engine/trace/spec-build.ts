import type { PlatformId } from '../spec/names';
import type { ScenarioSpec } from '../spec/scenario.schema';
import { unknownDataClass } from './device-map';
import type { ImportedOp, TraceImportSummary } from './trace-import';

/** What the trace cannot say about the VM; the importer's defaults when not given. */
export interface ImportedVmOptions {
  readonly name?: string;
  readonly platform?: PlatformId;
  readonly profile?: string;
  readonly memoryMiB?: number;
  readonly vcpus?: number;
  readonly cmdline?: string;
}

const GiB = 1n << 30n;

/**
 * Smallest RAM (in MiB, whole GiB) whose modelled layout holds every traced buffer: x86 RAM above
 * 2 GiB is remapped from 4 GiB (the PCI hole), arm-virt RAM starts at 1 GiB, flat at 0.
 */
export function memoryForPhysEnd(platform: PlatformId, physEndHex: string): number {
  const end = BigInt(physEndHex);
  const roundUp = (bytes: bigint): number => Number(((bytes + GiB - 1n) / GiB) * 1024n);
  if (platform === 'cca-realm') return Math.max(1024, roundUp(end > GiB ? end - GiB : 0n));
  if (platform === 's390-pv' || platform === 'ppc-svm') return Math.max(1024, roundUp(end));
  if (end <= 2n * GiB) return Math.max(1024, Math.min(2048, roundUp(end)));
  return roundUp(end - 4n * GiB + 2n * GiB);
}

/** The spec around the imported ops (everything but workload.explicit). */
export function importedSpecFrame(summary: TraceImportSummary, vm: ImportedVmOptions): Omit<ScenarioSpec, 'workload'> {
  const platform = vm.platform ?? 'sev-snp';
  return {
    apiVersion: 'dmasim/v1',
    name: vm.name ?? 'imported-trace',
    description: `Replay of a kernel DMA trace: ${summary.eventsDecoded} events, ${summary.opsWritten} ops, ${summary.liveAtEnd} mappings still live at the end.`,
    vm: {
      platform,
      memoryMiB: vm.memoryMiB ?? memoryForPhysEnd(platform, summary.physEnd),
      vcpus: vm.vcpus ?? summary.maxCpu + 1,
    },
    kernel: { profile: vm.profile ?? 'v7.2', ...(vm.cmdline ? { cmdline: vm.cmdline } : {}) },
    devices: summary.devices.map((d) => ({
      id: d.id,
      kind: d.kind,
      trust: d.trust,
      ...(d.dmaMaskBits === null ? {} : { dmaMaskBits: d.dmaMaskBits }),
    })),
  };
}

/** A complete spec object (for callers that hold the ops in memory, e.g. a service upload). */
export function buildImportedSpec(
  summary: TraceImportSummary,
  ops: readonly ImportedOp[],
  vm: ImportedVmOptions,
): ScenarioSpec {
  return { ...importedSpecFrame(summary, vm), workload: { seed: 1, explicit: [...ops] } };
}

/** A YAML flow scalar: plain when safe, else JSON-quoted (JSON strings are valid YAML). */
function scalar(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (
    typeof value === 'string' &&
    /^[A-Za-z][A-Za-z0-9_.-]*$/.test(value) &&
    !/^(true|false|null|yes|no|on|off|y|n)$/i.test(value)
  )
    return value;
  return JSON.stringify(value);
}

/** One value as single-line YAML flow: `{ op: map, id: m1, … }`. */
export function flowYaml(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flowYaml).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{ ${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${flowYaml(v)}`)
      .join(', ')} }`;
  }
  return scalar(value);
}

/** The line for one explicit op inside `workload.explicit`. */
export function opYamlLine(op: ImportedOp): string {
  return `    - ${flowYaml(op)}\n`;
}

/**
 * Everything after the op list, as YAML. The importer writes the op list first (streamed) and the
 * rest after it, because devices and CPUs are known only at the end; YAML key order is free.
 */
export function specFrameYaml(frame: Omit<ScenarioSpec, 'workload'>): string {
  return Object.entries(frame)
    .map(([key, value]) =>
      key === 'devices'
        ? `devices:\n${(value as unknown[]).map((d) => `  - ${flowYaml(d)}\n`).join('')}`
        : `${key}: ${flowYaml(value)}\n`,
    )
    .join('');
}

/** The comment header of an imported spec: where it came from and what was not replayed. */
export function importHeaderYaml(summary: TraceImportSummary, source: string): string {
  const lines = [
    `Imported by dmasim import-trace from ${source}.`,
    `${summary.linesRead} lines: ${summary.eventsDecoded} DMA events, ${summary.headerLines} header lines, ${summary.unknownLines.count} unknown lines, ${summary.errorCount} malformed lines.`,
    `${summary.opsWritten} ops written${summary.opsNotWritten > 0 ? `, ${summary.opsNotWritten} calls after the op limit not written` : ''}; ${summary.liveAtEnd} mappings live at the end.`,
    `Data no --data rule classifies is written as '${unknownDataClass}' (rated like sensitive; classify it with --data): ${summary.unclassifiedOps} ops.`,
    ...summary.devices.map((d) => `device ${d.id} = ${d.traceName}: ${d.kind}, trust ${d.trust} (${d.source})`),
    ...Object.entries(summary.warnings).map(([reason, n]) => `${n} × ${reason}`),
    ...Object.entries(summary.unsupportedEvents).map(
      ([event, n]) => `${n} × ${event} not replayed (the spec has no op for it)`,
    ),
    ...(summary.bouncedOnly
      ? [
          'Only swiotlb_bounced events: each bounce is replayed as a bidirectional map immediately unmapped (lifetimes unknown).',
        ]
      : []),
  ];
  return lines.map((l) => `# ${l}\n`).join('');
}
