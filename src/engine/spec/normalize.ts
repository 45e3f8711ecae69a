import { type Platform, platforms, type PlatformContext, ramEnd } from '../platforms/index';
import { swiotlbFromCmdline, type SwiotlbCmdline } from '../swiotlb/boot-sizing';
import { type BitMask, dmaBitMask, formatHex, toBitMask } from './address';
import {
  type DeviceKind,
  type DeviceTrust,
  type MemoryLayout,
  type OverlayId,
  overlayVariants,
  type PlatformId,
  vmbusDeviceKinds,
  pciDeviceKinds,
} from './names';
import { orderHunks, parseOverlayVariant, variantHunks } from './overlay-hunks';
import { type ResolvedKernel, resolveKernel } from './release';
import { coherentPoolFromCmdline, defaultCBit, defaultIpaBits } from './rules';
import type { ParsedDevice, ParsedScenario } from './scenario.schema';
import { invariant } from '../invariant';

/**
 * An overlay after normalisation: name plus base variant (null for overlays without variants), and
 * `hunks` — the exact hunk list — only when it differs from the variant's own (spec/overlay-hunks.ts).
 */
export interface NormalizedOverlay {
  readonly name: OverlayId;
  readonly variant: string | null;
  readonly hunks?: readonly string[];
}

/** A device with every kind default filled in; masks as hex strings (JSON-safe). */
export interface NormalizedDevice {
  readonly id: string;
  readonly kind: DeviceKind;
  readonly dmaMaskBits: number;
  readonly coherentMaskBits: number;
  readonly busDmaLimitBits: number | null;
  readonly coherent: boolean;
  readonly minAlignMask: string;
  readonly segBoundaryMask: string;
  readonly maxSegmentBytes: number;
  readonly trust: DeviceTrust;
  readonly restrictedPoolMiB: number | null;
  readonly accessPlatform: boolean;
}

/**
 * A normalised spec: every default filled in, masks as hex strings, overlays as `{name, variant}`,
 * `operations` equal to the explicit list's length when one is given. It is plain JSON (the API
 * stores it) and normalising is idempotent: a normalised spec validates to itself. `kernel.profile`
 * keeps what the user wrote (`v7.2`); resolveScenario() turns it into a profile and switches.
 */
export type NormalizedScenario = Omit<ParsedScenario, 'vm' | 'kernel' | 'devices'> & {
  readonly vm: Omit<ParsedScenario['vm'], 'layout'> & { readonly layout: MemoryLayout };
  readonly kernel: Omit<ParsedScenario['kernel'], 'overlays'> & { readonly overlays: readonly NormalizedOverlay[] };
  readonly devices: readonly NormalizedDevice[];
};

/** Device defaults by kind (docs/engine-contract.md §2.2; docs/kernel-dma.md §3 "PCI defaults", drivers/pci/probe.c, vmbus_device_register()). */
export function deviceDefaults(
  kind: DeviceKind,
): Omit<
  NormalizedDevice,
  'id' | 'kind' | 'trust' | 'restrictedPoolMiB' | 'accessPlatform' | 'busDmaLimitBits' | 'coherent'
> {
  const isNvme = kind === 'nvme' || kind === 'tdisp-nvme';
  if (pciDeviceKinds.includes(kind)) {
    // pci_device_add(): coherent_dma_mask 0xffffffff, dma_set_max_seg_size(65536), dma_set_seg_boundary(0xffffffff).
    return {
      dmaMaskBits: 64,
      coherentMaskBits: 32,
      minAlignMask: isNvme ? '0xfff' : '0x0',
      segBoundaryMask: '0xffffffff',
      maxSegmentBytes: 65536,
    };
  }
  if (vmbusDeviceKinds.includes(kind)) {
    // vmbus_device_register(): 64-bit masks.
    return {
      dmaMaskBits: 64,
      coherentMaskBits: 64,
      minAlignMask: '0x0',
      segBoundaryMask: '0xffffffffffffffff',
      maxSegmentBytes: 65536,
    };
  }
  return {
    dmaMaskBits: 64,
    coherentMaskBits: 64,
    minAlignMask: '0x0',
    segBoundaryMask: '0xffffffffffffffff',
    maxSegmentBytes: 65536,
  };
}

function normalizeDevice(device: ParsedDevice): NormalizedDevice {
  const defaults = deviceDefaults(device.kind);
  return {
    id: device.id,
    kind: device.kind,
    dmaMaskBits: device.dmaMaskBits ?? defaults.dmaMaskBits,
    coherentMaskBits: device.coherentMaskBits ?? defaults.coherentMaskBits,
    busDmaLimitBits: device.busDmaLimitBits ?? null,
    coherent: device.coherent ?? true,
    minAlignMask: device.minAlignMask === undefined ? defaults.minAlignMask : formatHex(BigInt(device.minAlignMask)),
    segBoundaryMask:
      device.segBoundaryMask === undefined ? defaults.segBoundaryMask : formatHex(BigInt(device.segBoundaryMask)),
    maxSegmentBytes: device.maxSegmentBytes ?? defaults.maxSegmentBytes,
    trust: device.trust ?? 'untrusted',
    restrictedPoolMiB: device.restrictedPoolMiB ?? null,
    accessPlatform: device.accessPlatform ?? true,
  };
}

export function normalizeOverlay(overlay: ParsedScenario['kernel']['overlays'][number]): NormalizedOverlay {
  const name = typeof overlay === 'string' ? overlay : overlay.name;
  const written = typeof overlay === 'string' ? undefined : overlay.variant;
  const explicit = typeof overlay === 'string' ? undefined : overlay.hunks;
  const parsed =
    written === undefined || written === null
      ? { variant: overlayVariants[name][0] ?? null, hunks: null }
      : parseOverlayVariant(name, written);
  invariant(!('problem' in parsed), `overlay ${name}: ${'problem' in parsed ? parsed.problem : ''}`);
  const hunks = explicit === undefined ? parsed.hunks : orderHunks(name, explicit);
  const own = variantHunks(name, parsed.variant);
  const same = hunks === null || (hunks.length === own.length && hunks.every((h, i) => h === own[i]));
  return same ? { name, variant: parsed.variant } : { name, variant: parsed.variant, hunks };
}

/** vm defaults per platform (docs/engine-contract.md §2): cBit 51 (SEV family), ipaBits 48 (CCA), layout by platform. */
function normalizeVm(vm: ParsedScenario['vm']): NormalizedScenario['vm'] {
  const platform = platforms[vm.platform];
  const { layout, cBit, ipaBits, ...rest } = vm;
  const hasCBit = vm.platform === 'sev' || vm.platform === 'sev-snp' || vm.platform === 'sme-host';
  return {
    ...rest,
    ...(hasCBit ? { cBit: cBit ?? defaultCBit } : {}),
    ...(vm.platform === 'cca-realm' ? { ipaBits: ipaBits ?? defaultIpaBits } : {}),
    layout: layout ?? platform.defaultLayout,
  };
}

/** Fills in every default of a rule-checked spec (see validateScenario()). */
export function normalizeScenario(spec: ParsedScenario): NormalizedScenario {
  const operations = spec.workload.explicit.length > 0 ? spec.workload.explicit.length : spec.workload.operations;
  return {
    ...spec,
    vm: normalizeVm(spec.vm),
    kernel: { ...spec.kernel, overlays: spec.kernel.overlays.map(normalizeOverlay) },
    devices: spec.devices.map(normalizeDevice),
    workload: { ...spec.workload, operations },
  };
}

/** A device as dma-direct sees it: bigint masks. */
export interface ResolvedDevice {
  readonly spec: NormalizedDevice;
  readonly id: string;
  readonly kind: DeviceKind;
  readonly trust: DeviceTrust;
  readonly dmaMask: BitMask;
  readonly coherentMask: BitMask;
  /** bus_dma_limit; 0n when there is none. */
  readonly busDmaLimit: bigint;
  readonly coherent: boolean;
  readonly minAlignMask: BitMask;
  readonly segBoundaryMask: BitMask;
  readonly maxSegmentBytes: number;
  readonly restrictedPoolBytes: number | null;
  readonly accessPlatform: boolean;
}

/** Everything the engine derives from a normalised spec before the first op. */
export interface ResolvedScenario {
  readonly spec: NormalizedScenario;
  readonly platformId: PlatformId;
  readonly platform: Platform;
  readonly kernel: ResolvedKernel;
  readonly overlays: readonly NormalizedOverlay[];
  readonly platformContext: PlatformContext;
  readonly memoryBytes: bigint;
  /** totalram_pages() in bytes: memory minus reservedMiB. */
  readonly totalRamBytes: number;
  readonly swiotlbCmdline: SwiotlbCmdline;
  /** coherent_pool= in bytes, when given. */
  readonly coherentPoolBytes: number | null;
  readonly devices: readonly ResolvedDevice[];
}

const MiB = 1n << 20n;

/** Resolves a normalised spec: the kernel release, platform parameters, bigint masks, the command line. */
export function resolveScenario(spec: NormalizedScenario): ResolvedScenario {
  const kernel = resolveKernel(spec.kernel.profile);
  invariant(kernel !== undefined, `kernel.profile '${spec.kernel.profile}' passed validation but does not resolve`);
  const platform = platforms[spec.vm.platform];
  const memoryBytes = BigInt(spec.vm.memoryMiB) * MiB;
  return {
    spec,
    platformId: spec.vm.platform,
    platform,
    kernel,
    overlays: spec.kernel.overlays,
    platformContext: {
      profileId: kernel.profileId,
      cBit: spec.vm.cBit ?? defaultCBit,
      ipaBits: spec.vm.ipaBits ?? defaultIpaBits,
      ramEnd: ramEnd(spec.vm.layout, memoryBytes),
    },
    memoryBytes,
    totalRamBytes: (spec.vm.memoryMiB - spec.vm.reservedMiB) * 2 ** 20,
    swiotlbCmdline: swiotlbFromCmdline(spec.kernel.cmdline),
    coherentPoolBytes: coherentPoolFromCmdline(spec.kernel.cmdline) ?? null,
    devices: spec.devices.map((device) => ({
      spec: device,
      id: device.id,
      kind: device.kind,
      trust: device.trust,
      dmaMask: dmaBitMask(device.dmaMaskBits),
      coherentMask: dmaBitMask(device.coherentMaskBits),
      busDmaLimit: device.busDmaLimitBits === null ? 0n : dmaBitMask(device.busDmaLimitBits),
      coherent: device.coherent,
      minAlignMask: toBitMask(device.minAlignMask),
      segBoundaryMask: toBitMask(device.segBoundaryMask),
      maxSegmentBytes: device.maxSegmentBytes,
      restrictedPoolBytes: device.restrictedPoolMiB === null ? null : device.restrictedPoolMiB * 2 ** 20,
      accessPlatform: device.accessPlatform,
    })),
  };
}
