import { swiotlbFromCmdline } from '../swiotlb/boot-sizing';
import { describeRam, isRamRange, ramEnd } from '../platforms/memory-layout';
import { platforms } from '../platforms/index';
import { fls64, isPowerOfTwoMinusOne, U64_MAX } from './address';
import { hunkListProblem, parseOverlayVariant } from './overlay-hunks';
import { type DmaAttr, type DeviceKind, pciDeviceKinds, vmbusDeviceKinds, virtioDeviceKinds } from './names';
import { kernelProfileProblem, resolveKernel } from './release';
import type { BufferSpec, ExplicitOp, ParsedScenario } from './scenario.schema';

/** One problem with a spec: a path into it (`devices[1].minAlignMask`) and what is wrong. */
export interface SpecIssue {
  readonly path: string;
  readonly message: string;
}

/** Largest `swiotlb=` slot count the engine accepts: 2^23 slots = 16 GiB of bounce buffer (engine memory bound). */
export const maxSwiotlbCmdlineSlots = 1 << 23;
/** min_align_mask limit: swiotlb_max_mapping_size() = 256 KiB - roundup(mask, 2 KiB) must stay positive. */
export const maxMinAlignMask = 0x1ffffn;
/** Segment boundaries below a page make no sense to the block layer (blk_validate_limits()). */
export const minSegBoundaryMask = 0xfffn;

const cBitPlatforms = new Set(['sev', 'sev-snp', 'sme-host']);
const MiB = 1n << 20n;

export const defaultCBit = 51;
export const defaultIpaBits = 48;

const toBigInt = (value: string | number): bigint => BigInt(value);
const hex = (value: bigint): string => `0x${value.toString(16)}`;

/** Parses a memparse() size (`2M`, `512K`, `1G`, `4096`) as coherent_pool= takes it. */
export function parseMemSize(text: string): number | undefined {
  const match = /^(\d+)([KkMmGg]?)$/.exec(text);
  if (!match) return undefined;
  const shift = { '': 0, k: 10, m: 20, g: 30 }[(match[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * 2 ** shift;
}

/** `coherent_pool=` from a command line (last one wins), in bytes. */
export function coherentPoolFromCmdline(cmdline: string): number | undefined {
  const values = cmdline
    .split(/\s+/)
    .filter((word) => word.startsWith('coherent_pool='))
    .map((word) => word.slice('coherent_pool='.length));
  const last = values.at(-1);
  return last === undefined ? undefined : parseMemSize(last);
}

/**
 * The cross-field rules of docs/engine-contract.md §2 that the schema alone cannot express. Runs on a
 * schema-valid spec and reports every problem, each with its exact path.
 */
export function checkScenarioRules(spec: ParsedScenario): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const add = (path: string, message: string): void => {
    issues.push({ path, message });
  };
  const platform = platforms[spec.vm.platform];
  const layout = spec.vm.layout ?? platform.defaultLayout;
  const memoryBytes = BigInt(spec.vm.memoryMiB) * MiB;
  const topOfRam = ramEnd(layout, memoryBytes);

  // kernel
  const profileProblem = kernelProfileProblem(spec.kernel.profile);
  if (profileProblem) add('kernel.profile', profileProblem);
  const kernel = resolveKernel(spec.kernel.profile);
  const seenOverlays = new Set<string>();
  spec.kernel.overlays.forEach((overlay, index) => {
    const name = typeof overlay === 'string' ? overlay : overlay.name;
    const variant = typeof overlay === 'string' ? undefined : overlay.variant;
    if (variant !== undefined && variant !== null) {
      const parsed = parseOverlayVariant(name, variant);
      if ('problem' in parsed) add(`kernel.overlays[${index}].variant`, parsed.problem);
    }
    const hunks = typeof overlay === 'string' ? undefined : overlay.hunks;
    const hunkProblem = hunks === undefined ? null : hunkListProblem(name, hunks);
    if (hunkProblem !== null) add(`kernel.overlays[${index}].hunks`, hunkProblem);
    if (seenOverlays.has(name)) add(`kernel.overlays[${index}]`, `overlay ${name} is listed twice`);
    seenOverlays.add(name);
  });
  checkCmdline(spec.kernel.cmdline, add);

  // vm
  if (spec.vm.reservedMiB >= spec.vm.memoryMiB)
    add('vm.reservedMiB', `must be less than vm.memoryMiB (${spec.vm.memoryMiB})`);
  if (spec.vm.cBit !== undefined) {
    if (!cBitPlatforms.has(spec.vm.platform))
      add('vm.cBit', `the C-bit exists only on sev, sev-snp and sme-host, not ${spec.vm.platform}`);
    else if (topOfRam > 1n << BigInt(spec.vm.cBit))
      add(
        'vm.cBit',
        `RAM ends at ${hex(topOfRam)}, above the C-bit (bit ${spec.vm.cBit}): physical addresses must stay below it`,
      );
  } else if (cBitPlatforms.has(spec.vm.platform) && topOfRam > 1n << BigInt(defaultCBit)) {
    add('vm.memoryMiB', `RAM ends at ${hex(topOfRam)}, above the default C-bit (bit ${defaultCBit})`);
  }
  if (spec.vm.ipaBits !== undefined) {
    if (spec.vm.platform !== 'cca-realm')
      add('vm.ipaBits', `the IPA width applies only to cca-realm, not ${spec.vm.platform}`);
    else if (topOfRam > 1n << BigInt(spec.vm.ipaBits - 1)) {
      add(
        'vm.ipaBits',
        `RAM ends at ${hex(topOfRam)}: the protected IPA space of a ${spec.vm.ipaBits}-bit Realm ends at ${hex(1n << BigInt(spec.vm.ipaBits - 1))} (the top bit is the shared alias)`,
      );
    }
  } else if (spec.vm.platform === 'cca-realm' && topOfRam > 1n << BigInt(defaultIpaBits - 1)) {
    add(
      'vm.memoryMiB',
      `RAM ends at ${hex(topOfRam)}, above the protected IPA space of the default ${defaultIpaBits}-bit Realm`,
    );
  }

  // devices
  const deviceKinds = new Map<string, DeviceKind>();
  spec.devices.forEach((device, index) => {
    const path = `devices[${index}]`;
    if (deviceKinds.has(device.id)) add(`${path}.id`, `duplicate device id '${device.id}'`);
    deviceKinds.set(device.id, device.kind);
    if (device.minAlignMask !== undefined) {
      const value = toBigInt(device.minAlignMask);
      if (!isPowerOfTwoMinusOne(value) || value > maxMinAlignMask) {
        add(
          `${path}.minAlignMask`,
          `must be 2^n - 1 and at most ${hex(maxMinAlignMask)} (dma_set_min_align_mask(); NVMe uses 0xfff), got ${hex(value)}`,
        );
      }
    }
    if (device.segBoundaryMask !== undefined) {
      const value = toBigInt(device.segBoundaryMask);
      if (!isPowerOfTwoMinusOne(value) || value < minSegBoundaryMask || value > U64_MAX) {
        add(
          `${path}.segBoundaryMask`,
          `must be 2^n - 1 between 0xfff and 0xffffffffffffffff (dma_set_seg_boundary()), got ${hex(value)}`,
        );
      }
    }
    for (const field of ['dmaMaskBits', 'coherentMaskBits'] as const) {
      const bits = device[field];
      if (bits === undefined || bits >= 32) continue;
      // dma_direct_supported(): masks below 32 bits must still cover min(ZONE_DMA, top of RAM).
      const minMask = (1n << BigInt(Math.min(platform.zoneDmaBits, fls64(topOfRam - 1n)))) - 1n;
      if ((1n << BigInt(bits)) - 1n < minMask)
        add(
          `${path}.${field}`,
          `dma_set_mask() would fail: a ${bits}-bit mask does not cover ZONE_DMA (${platform.zoneDmaBits} bits) on ${spec.vm.platform}`,
        );
    }
    if (device.coherent === false && !platform.supportsNonCoherentDma)
      add(
        `${path}.coherent`,
        `${spec.vm.platform} (${platform.arch}) DMA is always cache-coherent; non-coherent devices exist only on arm64 (cca-realm)`,
      );
    if (device.trust === 'confidential-vmbus') {
      if (!vmbusDeviceKinds.includes(device.kind))
        add(
          `${path}.trust`,
          `confidential-vmbus applies to VMBus devices (vmbus-storvsc, vmbus-netvsc), not ${device.kind}`,
        );
      else if (!platform.hasParavisor)
        add(
          `${path}.trust`,
          `Confidential VMBus needs a paravisor: use hyperv-snp-paravisor or hyperv-tdx-paravisor, not ${spec.vm.platform}`,
        );
    }
    if (device.trust === 'tdisp-accepted' && !pciDeviceKinds.includes(device.kind) && device.kind !== 'platform') {
      add(`${path}.trust`, `tdisp-accepted applies to PCI (TDISP) devices, not ${device.kind}`);
    }
    if (device.accessPlatform === false && !virtioDeviceKinds.includes(device.kind))
      add(`${path}.accessPlatform`, `only virtio devices negotiate VIRTIO_F_ACCESS_PLATFORM, not ${device.kind}`);
    if (
      device.restrictedPoolMiB !== undefined &&
      device.restrictedPoolMiB !== null &&
      device.restrictedPoolMiB >= spec.vm.memoryMiB
    ) {
      add(`${path}.restrictedPoolMiB`, `must be less than vm.memoryMiB (${spec.vm.memoryMiB})`);
    }
  });

  // workload
  const { workload } = spec;
  spec.workload.streams.forEach((stream, index) => {
    const path = `workload.streams[${index}]`;
    if (!deviceKinds.has(stream.device)) add(`${path}.device`, `no device with id '${stream.device}'`);
    if (
      stream.sizes.dist === 'choice' &&
      stream.sizes.weights &&
      stream.sizes.weights.length !== stream.sizes.values.length
    ) {
      add(`${path}.sizes.weights`, `give one weight per value (${stream.sizes.values.length})`);
    }
    if (stream.sizes.dist === 'uniform') {
      if (stream.sizes.min > stream.sizes.max)
        add(`${path}.sizes.min`, `must not exceed sizes.max (${stream.sizes.max})`);
      const align = stream.sizes.alignBytes;
      if (align !== undefined && (align & (align - 1)) !== 0) add(`${path}.sizes.alignBytes`, 'must be a power of two');
    }
  });
  if (workload.explicit.length > 0 && workload.streams.length > 0)
    add(
      'workload.streams',
      'must be empty when workload.explicit is given (give either streams or an explicit op list)',
    );
  if (workload.explicit.length === 0 && workload.streams.length === 0 && workload.operations > 0) {
    add('workload', 'nothing to run: give streams or an explicit op list (or operations: 0 for a boot-only scenario)');
  }
  const operations = workload.explicit.length > 0 ? workload.explicit.length : workload.operations;
  if (operations > spec.limits.maxOperations) {
    add(
      workload.explicit.length > 0 ? 'workload.explicit' : 'workload.operations',
      `${operations} operations exceed limits.maxOperations (${spec.limits.maxOperations})`,
    );
  }
  const hasAcceptOverlay = seenOverlays.has('device-cc-accepted');
  issues.push(
    ...explicitOpIssues(workload.explicit, {
      deviceIds: new Set(deviceKinds.keys()),
      vcpus: spec.vm.vcpus,
      hasAcceptOverlay,
      attrAvailable: (attr) => attrAvailability(attr, kernel),
      isRam: (phys, size) => isRamRange(layout, memoryBytes, phys, size),
      ramText: `${describeRam(layout, memoryBytes)} (${layout} layout, ${spec.vm.memoryMiB} MiB)`,
    }),
  );
  return issues;
}

function checkCmdline(cmdline: string, add: (path: string, message: string) => void): void {
  for (const word of cmdline.split(/\s+/).filter((w) => w.length > 0)) {
    if (word.startsWith('swiotlb=')) {
      const value = word.slice('swiotlb='.length);
      // setup_io_tlb_npages() accepts any value (what it does not understand it ignores; the report
      // notes that), so only what the model cannot size is refused.
      const parsed = swiotlbFromCmdline(word);
      if (parsed.nslabs !== undefined && parsed.nslabs > maxSwiotlbCmdlineSlots)
        add('kernel.cmdline', `swiotlb=${value}: at most ${maxSwiotlbCmdlineSlots} slots (16 GiB) are modelled`);
      if (parsed.nareas !== undefined && parsed.nareas > 8192)
        add('kernel.cmdline', `swiotlb=${value}: at most 8192 areas`);
    } else if (word.startsWith('coherent_pool=')) {
      const bytes = parseMemSize(word.slice('coherent_pool='.length));
      if (bytes === undefined) add('kernel.cmdline', `${word}: expected a size such as coherent_pool=2M`);
      else if (bytes < 4096 || bytes > 1024 ** 3) add('kernel.cmdline', `${word}: must be between 4K and 1G`);
    }
  }
}

/** Why an attribute cannot be used with the resolved kernel, or undefined. */
function attrAvailability(attr: DmaAttr, kernel: ReturnType<typeof resolveKernel>): string | undefined {
  if (kernel === undefined) return undefined;
  if (attr === 'MMIO' && !kernel.hasMmioAttr)
    return `DMA_ATTR_MMIO exists from v6.18 on, not in ${kernel.releaseLabel}`;
  if ((attr === 'REQUIRE_COHERENT' || attr === 'CC_SHARED') && !kernel.hasCcSharedAttrs)
    return `DMA_ATTR_${attr} exists from v7.1 on, not in ${kernel.releaseLabel}`;
  return undefined;
}

interface ExplicitContext {
  readonly deviceIds: ReadonlySet<string>;
  readonly vcpus: number;
  readonly hasAcceptOverlay: boolean;
  attrAvailable(attr: DmaAttr): string | undefined;
  isRam(phys: bigint, size: bigint): boolean;
  readonly ramText: string;
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
const kindText = (kind: IdKind): string =>
  kind === 'coherent' ? 'a coherent region' : kind === 'map' ? 'a map mapping' : 'a map_sg mapping';

/**
 * Explicit op lists (docs/engine-contract.md §2.1): ids defined before use, of the right kind, not redefined
 * while live; devices exist; CPUs exist; attributes exist in the release; buffers are guest RAM
 * (MMIO maps excepted); offsets stay inside the mapping.
 */
function explicitOpIssues(ops: readonly ExplicitOp[], ctx: ExplicitContext): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const add = (path: string, message: string): void => {
    issues.push({ path, message });
  };
  const live = new Map<string, { kind: IdKind; sizeBytes: number }>();
  const checkBuffer = (buffer: BufferSpec, path: string, isMmio: boolean): void => {
    const phys = BigInt(buffer.phys);
    const size = BigInt(buffer.size);
    if (phys + size - 1n > U64_MAX) add(`${path}.phys`, 'buffer runs past the end of the 64-bit address space');
    else if (!isMmio && !ctx.isRam(phys, size))
      add(`${path}.phys`, `buffer ${hex(phys)}+${buffer.size} is not inside guest RAM: ${ctx.ramText}`);
  };
  ops.forEach((op, index) => {
    const path = `workload.explicit[${index}]`;
    if ('device' in op && !ctx.deviceIds.has(op.device)) add(`${path}.device`, `no device with id '${op.device}'`);
    if ('cpu' in op && op.cpu >= ctx.vcpus)
      add(`${path}.cpu`, `CPU ${op.cpu} does not exist (vm.vcpus is ${ctx.vcpus})`);
    if (op.op === 'map' || op.op === 'map_sg') {
      const seen = new Set<DmaAttr>();
      op.attrs.forEach((attr, attrIndex) => {
        const problem = ctx.attrAvailable(attr);
        if (problem) add(`${path}.attrs[${attrIndex}]`, problem);
        if (seen.has(attr)) add(`${path}.attrs[${attrIndex}]`, `${attr} is listed twice`);
        seen.add(attr);
      });
      const isMmio = op.attrs.includes('MMIO');
      if (op.op === 'map') checkBuffer(op.buffer, `${path}.buffer`, isMmio);
      else
        op.segments.forEach((segment, segmentIndex) =>
          checkBuffer(segment, `${path}.segments[${segmentIndex}]`, isMmio),
        );
    }
    if (op.op === 'alloc_coherent') {
      const seen = new Set<string>();
      op.attrs.forEach((attr, attrIndex) => {
        if (seen.has(attr)) add(`${path}.attrs[${attrIndex}]`, `${attr} is listed twice`);
        seen.add(attr);
      });
    }
    if ((op.op === 'accept_device' || op.op === 'reject_device') && !ctx.hasAcceptOverlay) {
      add(
        `${path}.op`,
        `${op.op} needs the device-cc-accepted overlay (kernel.overlays): mainline has no device_cc_accept()`,
      );
    }
    const defines: IdKind | undefined =
      op.op === 'map' ? 'map' : op.op === 'map_sg' ? 'map_sg' : op.op === 'alloc_coherent' ? 'coherent' : undefined;
    if (defines !== undefined && 'id' in op) {
      if (live.has(op.id)) add(`${path}.id`, `id '${op.id}' is still live (unmap or free it first)`);
      const sizeBytes =
        op.op === 'map'
          ? op.buffer.size
          : op.op === 'map_sg'
            ? op.segments.reduce((sum, s) => sum + s.size, 0)
            : op.op === 'alloc_coherent'
              ? op.size
              : 0;
      live.set(op.id, { kind: defines, sizeBytes });
      return;
    }
    const allowed = refersTo[op.op];
    if (allowed === undefined || !('id' in op)) return;
    const target = live.get(op.id);
    if (target === undefined) {
      add(`${path}.id`, `unknown id '${op.id}': no earlier op defines a live mapping or coherent region with it`);
      return;
    }
    if (!allowed.includes(target.kind)) {
      add(`${path}.id`, `'${op.op}' cannot refer to '${op.id}', which is ${kindText(target.kind)}`);
      return;
    }
    if (op.op === 'device_write' || op.op === 'device_read' || op.op === 'cpu_write') {
      if (op.offset + op.bytes > target.sizeBytes)
        add(
          `${path}.bytes`,
          `offset ${op.offset} + ${op.bytes} bytes runs past the end of '${op.id}' (${target.sizeBytes} bytes)`,
        );
    }
    if (op.op === 'sync_for_device' || op.op === 'sync_for_cpu') {
      if (op.offset >= target.sizeBytes)
        add(`${path}.offset`, `offset ${op.offset} is past the end of '${op.id}' (${target.sizeBytes} bytes)`);
      else if (op.length !== undefined && op.offset + op.length > target.sizeBytes)
        add(
          `${path}.length`,
          `offset ${op.offset} + ${op.length} bytes runs past the end of '${op.id}' (${target.sizeBytes} bytes)`,
        );
    }
    if (op.op === 'unmap' || op.op === 'unmap_sg' || op.op === 'free_coherent') live.delete(op.id);
  });
  return issues;
}
