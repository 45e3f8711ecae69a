import { z } from 'zod';
import {
  allocAttrs,
  dataClasses,
  deviceKinds,
  deviceTrusts,
  dmaAttrs,
  dmaDirections,
  gfpKinds,
  memoryLayouts,
  overlayIds,
  platformIds,
  streamDirections,
  streamTypes,
} from './names';

/**
 * Scenario spec v1 (docs/engine-contract.md §2): the single source of truth for what a spec may say. Objects are
 * strict (unknown keys are errors). Rules that need more than one field (device ids, id lifetimes,
 * release-dependent attributes, RAM ranges) live in rules.ts; defaults that depend on other fields
 * (device kind, platform) are filled in by normalize.ts. Every field carries a `.describe()` text:
 * it is what the JSON schema (schema/scenario.v1.json) and docs/engine/spec.md show.
 */

export const specLimits = {
  /** limits.maxOperations may not exceed this (docs/engine-contract.md §2). */
  maxOperationsCap: 100_000_000,
  /** Explicit op lists are stored and validated whole; longer workloads use streams. */
  maxExplicitOps: 100_000,
  maxDevices: 64,
  maxStreams: 64,
  /** 16 TiB of guest RAM. */
  maxMemoryMiB: 16 * 1024 * 1024,
  /** One buffer, segment, coherent region or generated request: 1 GiB. */
  maxBufferBytes: 1024 ** 3,
  maxSgSegments: 1024,
} as const;

const hexString = z.string().regex(/^0x[0-9a-fA-F]{1,16}$/, 'must be a hex string such as "0x100000000"');
const mask = z
  .union([hexString, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)])
  .describe('a mask 2^n - 1, as a hex string ("0xfff") or an integer (4095)');
const id = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/,
    'must start with a letter and use letters, digits, _ . - (at most 64 characters)',
  );
const sizeBytes = z
  .number()
  .int()
  .min(1, 'must be at least 1 byte')
  .max(specLimits.maxBufferBytes, 'must be at most 1 GiB');
const dataClass = z
  .enum(dataClasses)
  .describe(
    'what the bytes are: secret and sensitive must stay private, public may be shared, unknown (not classified yet) is kept private like sensitive (§2.2)',
  );

const overlayName = z.enum(overlayIds).describe('an unmerged proposal (docs/engine-contract.md §3.2)');
const overlay = z
  .union([
    overlayName,
    z.strictObject({
      name: overlayName,
      variant: z
        .string()
        .min(1)
        .nullable()
        .optional()
        .describe(
          'device-cc-accepted: aneesh (default) | alexey | dan | posted, optionally +hunk/-hunk (e.g. posted+force-bounce-off); other overlays take none',
        ),
      hunks: z
        .array(z.string().min(1))
        .max(16)
        .optional()
        .describe("device-cc-accepted: the exact hunk list, replacing the variant's own (see `dmasim overlays`)"),
    }),
  ])
  .describe('an overlay: its name (default variant) or { name, variant }');

const sizes = z
  .discriminatedUnion('dist', [
    z.strictObject({ dist: z.literal('fixed'), value: sizeBytes.describe('bytes per request') }),
    z.strictObject({
      dist: z.literal('choice'),
      values: z.array(sizeBytes).min(1).max(64).describe('request sizes in bytes'),
      weights: z
        .array(z.number().positive())
        .min(1)
        .max(64)
        .optional()
        .describe('relative weight of each value (default: equal)'),
    }),
    z.strictObject({
      dist: z.literal('uniform'),
      min: sizeBytes.describe('smallest request in bytes'),
      max: sizeBytes.describe('largest request in bytes'),
      alignBytes: z
        .number()
        .int()
        .min(1)
        .max(1024 ** 2)
        .optional()
        .describe('round sizes up to a multiple of this power of two'),
    }),
  ])
  .describe('request size distribution');

const stream = z
  .strictObject({
    device: id.describe('id of the device the stream uses'),
    type: z
      .enum(streamTypes)
      .describe(
        'block: dma_map_sg of block requests; net-rx/net-tx: skb maps; coherent-alloc: dma_alloc_coherent/free pairs',
      ),
    data: dataClass,
    sizes,
    direction: z
      .enum(streamDirections)
      .default('mixed')
      .describe('DMA direction; mixed picks to-device/from-device per request'),
    queueDepth: z
      .number()
      .int()
      .min(1)
      .max(65536)
      .default(32)
      .describe('mappings kept in flight (an NVMe queue holds up to 65536 entries)'),
    sgSegments: z.number().int().min(1).max(128).default(1).describe('segments per request, mapped with map_sg'),
    gfp: z.enum(gfpKinds).default('blocking').describe('coherent-alloc streams: GFP_KERNEL (blocking) or GFP_ATOMIC'),
    weight: z.number().positive().max(1_000_000).default(1).describe('share of the workload operations'),
  })
  .describe('a generated stream of DMA API calls');

const buffer = z
  .strictObject({
    size: sizeBytes.describe('bytes'),
    phys: hexString.describe('guest physical address of the buffer (hex)'),
    data: dataClass,
  })
  .describe('a buffer: size, physical address and data class');
/** Unmap-time attributes: DMA_ATTR_SKIP_CPU_SYNC skips the swiotlb_bounce() copy back to the buffer. */
const unmapAttrs = z
  .array(z.enum(['SKIP_CPU_SYNC']))
  .max(1)
  .optional()
  .describe('DMA_ATTR_SKIP_CPU_SYNC: no copy back from the bounce buffer at unmap');
const attrs = z
  .array(z.enum(dmaAttrs))
  .max(dmaAttrs.length)
  .default([])
  .describe('DMA_ATTR_* flags (MMIO from v6.18, REQUIRE_COHERENT and CC_SHARED from v7.1)');
const cpu = z.number().int().min(0).max(8191).default(0).describe('CPU issuing the call (selects the SWIOTLB area)');
const opId = id.describe('names the mapping or coherent region so later ops can refer to it');
const refId = id.describe('id of a live mapping or coherent region defined by an earlier op');
const deviceRef = id.describe('id of a device');
const offset = z
  .number()
  .int()
  .min(0)
  .max(specLimits.maxBufferBytes)
  .default(0)
  .describe('byte offset into the mapping or region');
const bytes = sizeBytes.describe('bytes touched');

const explicitOp = z
  .discriminatedUnion('op', [
    z
      .strictObject({
        op: z.literal('map'),
        id: opId,
        device: deviceRef,
        buffer,
        dir: z.enum(dmaDirections),
        attrs,
        cpu,
      })
      .describe('dma_map_phys/page (docs/kernel-dma.md §3.1/§3.2)'),
    z
      .strictObject({
        op: z.literal('map_sg'),
        id: opId,
        device: deviceRef,
        segments: z.array(buffer).min(1).max(specLimits.maxSgSegments),
        dir: z.enum(dmaDirections),
        attrs,
        cpu,
      })
      .describe('dma_map_sg: each segment mapped like a single buffer (docs/kernel-dma.md §3.3)'),
    z
      .strictObject({ op: z.literal('unmap'), id: refId, attrs: unmapAttrs })
      .describe('dma_unmap_phys/page (docs/kernel-dma.md §3.4)'),
    z
      .strictObject({ op: z.literal('unmap_sg'), id: refId, attrs: unmapAttrs })
      .describe('dma_unmap_sg (docs/kernel-dma.md §3.4)'),
    z
      .strictObject({
        op: z.literal('sync_for_device'),
        id: refId,
        offset,
        length: sizeBytes.optional().describe('bytes synced (default: to the end)'),
      })
      .describe('dma_sync_single_for_device: copies orig → bounce for to-device/bidirectional mappings'),
    z
      .strictObject({
        op: z.literal('sync_for_cpu'),
        id: refId,
        offset,
        length: sizeBytes.optional().describe('bytes synced (default: to the end)'),
      })
      .describe('dma_sync_single_for_cpu: copies bounce → orig for from-device/bidirectional mappings'),
    z
      .strictObject({ op: z.literal('device_write'), id: refId, offset, bytes, data: dataClass })
      .describe('the device writes into the memory it was given'),
    z
      .strictObject({ op: z.literal('device_read'), id: refId, offset, bytes })
      .describe('the device reads the memory it was given'),
    z
      .strictObject({ op: z.literal('cpu_write'), id: refId, offset, bytes, data: dataClass })
      .describe('the driver stores data (e.g. descriptors) into a buffer or coherent region'),
    z
      .strictObject({
        op: z.literal('alloc_coherent'),
        id: opId,
        device: deviceRef,
        size: sizeBytes,
        gfp: z.enum(gfpKinds).default('blocking').describe('blocking (GFP_KERNEL) or atomic (GFP_ATOMIC)'),
        attrs: z
          .array(z.enum(allocAttrs))
          .max(allocAttrs.length)
          .default([])
          .describe('DMA_ATTR_NO_WARN, DMA_ATTR_NO_KERNEL_MAPPING'),
      })
      .describe('dma_alloc_coherent → dma_direct_alloc (docs/kernel-dma.md §4)'),
    z.strictObject({ op: z.literal('free_coherent'), id: refId }).describe('dma_free_coherent → dma_direct_free'),
    z
      .strictObject({ op: z.literal('accept_device'), device: deviceRef })
      .describe('device_cc_accept(): needs the device-cc-accepted overlay; -EBUSY while mappings are live'),
    z
      .strictObject({ op: z.literal('reject_device'), device: deviceRef })
      .describe('device_cc_reject(): needs the device-cc-accepted overlay; -EBUSY while mappings are live'),
    z
      .strictObject({ op: z.literal('run_deferred') })
      .describe('let queued kernel work run: atomic-pool growth, the dynamic SWIOTLB grower, RCU frees'),
  ])
  .describe('one DMA API call (docs/engine-contract.md §2.1, §4)');

const device = z
  .strictObject({
    id: id.describe('device id, unique in the spec'),
    kind: z
      .enum(deviceKinds)
      .describe('selects driver behaviour where the kernel differs by driver (docs/engine-contract.md §2.2)'),
    dmaMaskBits: z.number().int().min(24).max(64).optional().describe('streaming DMA mask DMA_BIT_MASK(n); default 64'),
    coherentMaskBits: z
      .number()
      .int()
      .min(24)
      .max(64)
      .optional()
      .describe('coherent DMA mask; default per kind: PCI 32, VMBus and platform 64'),
    busDmaLimitBits: z
      .number()
      .int()
      .min(24)
      .max(64)
      .nullable()
      .optional()
      .describe('bus_dma_limit of an upstream bridge/root port (null: none)'),
    coherent: z.boolean().optional().describe('cache-coherent DMA (default true; false only on arm64: cca-realm)'),
    minAlignMask: mask
      .optional()
      .describe('dma_set_min_align_mask(): 2^n - 1, at most 0x1ffff; nvme and tdisp-nvme default 0xfff'),
    segBoundaryMask: mask
      .optional()
      .describe('dma_set_seg_boundary(): 2^n - 1, at least 0xfff; PCI default 0xffffffff, others 0xffffffffffffffff'),
    maxSegmentBytes: z
      .number()
      .int()
      .min(4096)
      .max(0xffffffff)
      .optional()
      .describe('dma_set_max_seg_size(): default 65536'),
    trust: z
      .enum(deviceTrusts)
      .optional()
      .describe(
        'untrusted (default) | confidential-vmbus (VSP in the paravisor) | tdisp-accepted (accepted before the first op)',
      ),
    restrictedPoolMiB: z
      .number()
      .int()
      .min(1)
      .max(4096)
      .nullable()
      .optional()
      .describe('size of a restricted-dma-pool reserved for this device (null: none)'),
    accessPlatform: z
      .boolean()
      .optional()
      .describe(
        'virtio only: VIRTIO_F_ACCESS_PLATFORM negotiated (default true; false is refused at probe in CoCo guests, F14)',
      ),
  })
  .describe('a DMA-capable device');

export const scenarioSchema = z
  .strictObject({
    apiVersion: z.literal('dmasim/v1').describe('spec format version'),
    name: z.string().min(1).max(200).describe('scenario name'),
    description: z.string().max(10_000).default('').describe('free text'),
    vm: z
      .strictObject({
        platform: z.enum(platformIds).describe('confidential-computing platform (docs/engine-contract.md §3.1)'),
        memoryMiB: z
          .number()
          .int()
          .min(256)
          .max(specLimits.maxMemoryMiB)
          .describe('guest RAM in MiB (256 MiB … 16 TiB)'),
        vcpus: z
          .number()
          .int()
          .min(1)
          .max(8192)
          .describe('possible CPUs (num_possible_cpus(): sets the SWIOTLB area count)'),
        cBit: z
          .number()
          .int()
          .min(32)
          .max(63)
          .optional()
          .describe('sev, sev-snp, sme-host: C-bit position (default 51)'),
        ipaBits: z
          .number()
          .int()
          .min(32)
          .max(52)
          .optional()
          .describe('cca-realm: IPA width; the shared alias sets the top IPA bit (default 48)'),
        reservedMiB: z.number().int().min(0).default(0).describe('memory not counted in totalram_pages()'),
        layout: z
          .enum(memoryLayouts)
          .optional()
          .describe(
            'physical memory layout; default x86 (x86 platforms), arm-virt (cca-realm), flat (s390-pv, ppc-svm)',
          ),
      })
      .describe('the virtual machine'),
    kernel: z
      .strictObject({
        profile: z
          .string()
          .min(1)
          .max(32)
          .describe('a release (v6.6 … v7.19, e.g. v6.12, v7.2, v7.3) or a profile id (v6.6, la-classic, la-phys, lb)'),
        overlays: z.array(overlay).max(8).default([]).describe('unmerged proposals applied on top of the profile'),
        config: z
          .strictObject({
            swiotlbDynamic: z.boolean().default(false).describe('CONFIG_SWIOTLB_DYNAMIC'),
            dmaCoherentPool: z.boolean().default(true).describe('CONFIG_DMA_COHERENT_POOL (atomic pools)'),
            debugFs: z.boolean().default(true).describe('CONFIG_DEBUG_FS (exact io_tlb_used)'),
            deferredWorkEveryOps: z
              .number()
              .int()
              .min(1)
              .max(1_000_000)
              .default(64)
              .describe('generated workloads: run deferred kernel work every N operations'),
          })
          .prefault({})
          .describe('kernel configuration'),
        cmdline: z
          .string()
          .max(4096)
          .default('')
          .describe('kernel command line; swiotlb= and coherent_pool= are honoured'),
      })
      .describe('kernel profile, overlays, config and command line'),
    devices: z.array(device).min(1).max(specLimits.maxDevices).describe('DMA-capable devices'),
    workload: z
      .strictObject({
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 32 - 1)
          .default(1)
          .describe('PRNG seed'),
        operations: z
          .number()
          .int()
          .min(0)
          .max(specLimits.maxOperationsCap)
          .default(10_000)
          .describe('generated DMA API calls (upper bound); the list length when explicit is given'),
        streams: z.array(stream).max(specLimits.maxStreams).default([]).describe('generated streams'),
        explicit: z
          .array(explicitOp)
          .max(specLimits.maxExplicitOps)
          .default([])
          .describe('an exact op list (docs/engine-contract.md §2.1); streams must then be empty'),
      })
      .describe('what the guest does'),
    faults: z
      .strictObject({
        decryptFailRate: z
          .number()
          .min(0)
          .max(1)
          .default(0)
          .describe('probability that set_memory_decrypted fails (F9)'),
        encryptFailRate: z
          .number()
          .min(0)
          .max(1)
          .default(0)
          .describe('probability that set_memory_encrypted fails (F9)'),
      })
      .prefault({})
      .describe('injected page-state conversion failures'),
    limits: z
      .strictObject({
        maxOperations: z
          .number()
          .int()
          .min(1)
          .max(specLimits.maxOperationsCap)
          .default(10_000_000)
          .describe('refuse workloads larger than this (cap 100,000,000)'),
      })
      .prefault({})
      .describe('run limits'),
  })
  .describe('dmasim scenario spec v1');

/** A spec as written by users (before defaults). */
export type ScenarioSpec = z.input<typeof scenarioSchema>;
/** A spec after schema parsing (zod defaults filled; kind/platform defaults still missing). */
export type ParsedScenario = z.output<typeof scenarioSchema>;
export type ExplicitOp = z.output<typeof explicitOp>;
export type ParsedDevice = z.output<typeof device>;
export type StreamSpec = z.output<typeof stream>;
export type BufferSpec = z.output<typeof buffer>;
