import type { z } from 'zod';
import { type DeviceKind, overlayVariants, type PlatformId } from './names';
import { resolveKernel } from './release';
import { type ExplicitOp, type ParsedScenario, scenarioSchema } from './scenario.schema';

/** One problem with a spec: a path into it (`devices[1].minAlignMask`) and what is wrong. */
export interface SpecIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * A normalised spec: every default filled in, masks as hex strings, overlays as `{name, variant}`,
 * `operations` equal to the explicit list's length when one is given. Normalising is idempotent:
 * a normalised spec validates to itself.
 */
export type NormalizedScenario = ParsedScenario & {
  readonly kernel: ParsedScenario['kernel'] & { readonly overlays: ReadonlyArray<{ name: string; variant?: string }> };
  readonly devices: ReadonlyArray<NormalizedDevice>;
};

export type NormalizedDevice = ParsedScenario['devices'][number] & {
  readonly dmaMaskBits: number;
  readonly coherentMaskBits: number;
  readonly minAlignMask: string;
  readonly segBoundaryMask: string;
  readonly maxSegmentBytes: number;
};

export type ScenarioValidation = { readonly ok: true; readonly spec: NormalizedScenario } | { readonly ok: false; readonly errors: readonly SpecIssue[] };

const pciKinds: ReadonlySet<DeviceKind> = new Set(['virtio-net', 'virtio-blk', 'nvme', 'passthrough-nic', 'tdisp-nvme']);
const vmbusKinds: ReadonlySet<DeviceKind> = new Set(['vmbus-storvsc', 'vmbus-netvsc']);

/** Device defaults by kind (engine.md §2.2): PCI 32-bit coherent mask, 64 KiB segments, 4 GiB boundary; VMBus 64-bit. */
function deviceDefaults(kind: DeviceKind): { dmaMaskBits: number; coherentMaskBits: number; minAlignMask: bigint; segBoundaryMask: bigint; maxSegmentBytes: number } {
  const nvme = kind === 'nvme' || kind === 'tdisp-nvme';
  if (pciKinds.has(kind)) return { dmaMaskBits: 64, coherentMaskBits: 32, minAlignMask: nvme ? 0xfffn : 0n, segBoundaryMask: 0xffffffffn, maxSegmentBytes: 65536 };
  if (vmbusKinds.has(kind)) return { dmaMaskBits: 64, coherentMaskBits: 64, minAlignMask: 0n, segBoundaryMask: 0xffffffffffffffffn, maxSegmentBytes: 65536 };
  return { dmaMaskBits: 64, coherentMaskBits: 64, minAlignMask: 0n, segBoundaryMask: 0xffffffffffffffffn, maxSegmentBytes: 65536 };
}

/** Platform defaults for the optional vm fields (engine.md §2). */
function platformDefaults(platform: PlatformId): { cBit?: number; ipaBits?: number; layout: 'x86' | 'arm-virt' | 'flat' } {
  if (platform === 'cca-realm') return { ipaBits: 48, layout: 'arm-virt' };
  if (platform === 's390-pv' || platform === 'ppc-svm') return { layout: 'flat' };
  if (platform === 'sev' || platform === 'sev-snp' || platform === 'sme-host') return { cBit: 51, layout: 'x86' };
  return { layout: 'x86' };
}

const toBigInt = (value: string | number): bigint => (typeof value === 'number' ? BigInt(value) : BigInt(value));
const toHex = (value: bigint): string => `0x${value.toString(16)}`;
const isPowerOfTwoMinusOne = (value: bigint): boolean => (value & (value + 1n)) === 0n;

/** Formats a zod path like the kernel people read it: `devices[1].minAlignMask`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

/** Validates and normalises a parsed spec object; every problem is reported, not just the first. */
export function validateScenario(input: unknown): ScenarioValidation {
  const parsed = scenarioSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map(toIssue) };
  const spec = parsed.data;
  const errors: SpecIssue[] = [];

  if (!resolveKernel(spec.kernel.profile)) {
    errors.push({ path: 'kernel.profile', message: `unknown kernel '${spec.kernel.profile}': use a release from v6.6 on (e.g. v6.12, v7.2, v7.3) or a profile id (v6.6, la-classic, la-phys, lb)` });
  }
  const overlays = spec.kernel.overlays.map((overlay, index) => {
    const name = typeof overlay === 'string' ? overlay : overlay.name;
    const variants = overlayVariants[name];
    const variant = typeof overlay === 'string' ? variants[0] : (overlay.variant ?? variants[0]);
    if (variant !== undefined && !variants.includes(variant)) {
      errors.push({ path: `kernel.overlays[${index}].variant`, message: variants.length ? `variant must be one of ${variants.join(', ')}` : `overlay ${name} has no variants` });
    }
    return variant === undefined ? { name } : { name, variant };
  });
  overlays.forEach((overlay, index) => {
    if (overlays.findIndex((other) => other.name === overlay.name) !== index) errors.push({ path: `kernel.overlays[${index}]`, message: `overlay ${overlay.name} is listed twice` });
  });

  const deviceIds = new Set<string>();
  const devices = spec.devices.map((device, index): NormalizedDevice => {
    if (deviceIds.has(device.id)) errors.push({ path: `devices[${index}].id`, message: `duplicate device id '${device.id}'` });
    deviceIds.add(device.id);
    const defaults = deviceDefaults(device.kind);
    const minAlignMask = device.minAlignMask === undefined ? defaults.minAlignMask : toBigInt(device.minAlignMask);
    const segBoundaryMask = device.segBoundaryMask === undefined ? defaults.segBoundaryMask : toBigInt(device.segBoundaryMask);
    if (!isPowerOfTwoMinusOne(minAlignMask) || minAlignMask > 0xffffn) errors.push({ path: `devices[${index}].minAlignMask`, message: 'must be 2^n - 1 and at most 0xffff (e.g. 0xfff for NVMe)' });
    if (!isPowerOfTwoMinusOne(segBoundaryMask) || segBoundaryMask < 0xfffn || segBoundaryMask > 0xffffffffffffffffn) {
      errors.push({ path: `devices[${index}].segBoundaryMask`, message: 'must be 2^n - 1 between 0xfff and 0xffffffffffffffff' });
    }
    return {
      ...device,
      dmaMaskBits: device.dmaMaskBits ?? defaults.dmaMaskBits,
      coherentMaskBits: device.coherentMaskBits ?? defaults.coherentMaskBits,
      minAlignMask: toHex(minAlignMask),
      segBoundaryMask: toHex(segBoundaryMask),
      maxSegmentBytes: device.maxSegmentBytes ?? defaults.maxSegmentBytes,
    };
  });

  spec.workload.streams.forEach((stream, index) => {
    const path = `workload.streams[${index}]`;
    if (!deviceIds.has(stream.device)) errors.push({ path: `${path}.device`, message: `no device with id '${stream.device}'` });
    if (stream.sizes.dist === 'choice' && stream.sizes.weights && stream.sizes.weights.length !== stream.sizes.values.length) {
      errors.push({ path: `${path}.sizes.weights`, message: `give one weight per value (${stream.sizes.values.length})` });
    }
    if (stream.sizes.dist === 'uniform' && stream.sizes.min > stream.sizes.max) errors.push({ path: `${path}.sizes.min`, message: 'min must not exceed max' });
  });
  if (spec.workload.explicit.length > 0 && spec.workload.streams.length > 0) {
    errors.push({ path: 'workload.streams', message: 'give either streams or an explicit op list, not both' });
  }
  errors.push(...explicitOpIssues(spec.workload.explicit, deviceIds));
  const operations = spec.workload.explicit.length > 0 ? spec.workload.explicit.length : spec.workload.operations;
  if (operations > spec.limits.maxOperations) errors.push({ path: 'workload.operations', message: `exceeds limits.maxOperations (${spec.limits.maxOperations})` });

  if (errors.length > 0) return { ok: false, errors };
  const platform = platformDefaults(spec.vm.platform);
  const vm = {
    ...spec.vm,
    layout: spec.vm.layout ?? platform.layout,
    ...(spec.vm.cBit === undefined && platform.cBit !== undefined ? { cBit: platform.cBit } : {}),
    ...(spec.vm.ipaBits === undefined && platform.ipaBits !== undefined ? { ipaBits: platform.ipaBits } : {}),
  };
  return { ok: true, spec: { ...spec, vm, kernel: { ...spec.kernel, overlays }, devices, workload: { ...spec.workload, operations } } };
}

type IdKind = 'map' | 'map_sg' | 'coherent';
const refersTo: Partial<Record<ExplicitOp['op'], readonly IdKind[]>> = {
  unmap: ['map'],
  unmap_sg: ['map_sg'],
  sync_for_device: ['map', 'map_sg'],
  sync_for_cpu: ['map', 'map_sg'],
  device_write: ['map', 'map_sg', 'coherent'],
  device_read: ['map', 'map_sg', 'coherent'],
  cpu_write: ['map', 'map_sg', 'coherent'],
  free_coherent: ['coherent'],
};

/** Ids must be defined before use, refer to the right kind of object, and not be redefined while live. */
function explicitOpIssues(ops: readonly ExplicitOp[], deviceIds: ReadonlySet<string>): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const live = new Map<string, IdKind>();
  ops.forEach((op, index) => {
    const path = `workload.explicit[${index}]`;
    if ('device' in op && !deviceIds.has(op.device)) issues.push({ path: `${path}.device`, message: `no device with id '${op.device}'` });
    const defines: IdKind | undefined = op.op === 'map' ? 'map' : op.op === 'map_sg' ? 'map_sg' : op.op === 'alloc_coherent' ? 'coherent' : undefined;
    if (defines && 'id' in op) {
      if (live.has(op.id)) issues.push({ path: `${path}.id`, message: `id '${op.id}' is still live (unmap or free it first)` });
      live.set(op.id, defines);
      return;
    }
    const allowed = refersTo[op.op];
    if (!allowed || !('id' in op)) return;
    const kind = live.get(op.id);
    if (kind === undefined) issues.push({ path: `${path}.id`, message: `unknown id '${op.id}': no live mapping or coherent region has it` });
    else if (!allowed.includes(kind)) issues.push({ path: `${path}.id`, message: `'${op.op}' cannot refer to '${op.id}', which is a ${kind === 'coherent' ? 'coherent region' : `${kind} mapping`}` });
    if (op.op === 'unmap' || op.op === 'unmap_sg' || op.op === 'free_coherent') live.delete(op.id);
  });
  return issues;
}

function toIssue(issue: z.core.$ZodIssue): SpecIssue {
  if (issue.code === 'unrecognized_keys') {
    const base = formatPath(issue.path);
    return { path: base, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}` };
  }
  return { path: formatPath(issue.path) || '(root)', message: issue.message };
}
