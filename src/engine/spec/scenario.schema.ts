import { z } from 'zod';
import {
  dataClasses, deviceKinds, deviceTrusts, dmaAttrs, dmaDirections, memoryLayouts, overlayIds, platformIds, streamDirections, streamTypes,
} from './names';

/**
 * Scenario spec v1 (engine.md §2): the single source of truth for what a spec may say. Objects are
 * strict (unknown keys are errors); cross-field rules live in validate.ts.
 */

const hexString = z.string().regex(/^0x[0-9a-fA-F]{1,16}$/, 'must be a hex string such as "0xfff"');
/** A mask written as a hex string or a non-negative integer; the kernel's masks are 2^n - 1. */
const mask = z.union([hexString, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]).describe('mask: hex string ("0xfff") or integer');
const name = z.string().min(1).max(200);
const id = z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'must start with a letter: letters, digits, _ . - (max 64)');
const sizeBytes = z.number().int().min(1).max(1024 ** 3);

const overlay = z.union([
  z.enum(overlayIds),
  z.strictObject({ name: z.enum(overlayIds), variant: z.string().min(1).optional() }),
]);

const sizes = z.discriminatedUnion('dist', [
  z.strictObject({ dist: z.literal('fixed'), value: sizeBytes }),
  z.strictObject({ dist: z.literal('choice'), values: z.array(sizeBytes).min(1).max(64), weights: z.array(z.number().positive()).min(1).max(64).optional() }),
  z.strictObject({ dist: z.literal('uniform'), min: sizeBytes, max: sizeBytes, alignBytes: z.number().int().min(1).max(1024 ** 2).optional() }),
]);

const stream = z.strictObject({
  device: id.describe('id of the device the stream uses'),
  type: z.enum(streamTypes),
  data: z.enum(dataClasses).describe('what the buffers hold'),
  sizes,
  direction: z.enum(streamDirections).default('mixed'),
  queueDepth: z.number().int().min(1).max(4096).default(32).describe('mappings kept in flight'),
  sgSegments: z.number().int().min(1).max(128).default(1).describe('segments per request, mapped with map_sg when > 1'),
  gfp: z.enum(['blocking', 'atomic']).default('blocking').describe('coherent-alloc streams: GFP_KERNEL or GFP_ATOMIC'),
  weight: z.number().positive().default(1).describe('share of the workload operations'),
});

const buffer = z.strictObject({ size: sizeBytes, phys: hexString, data: z.enum(dataClasses) });
const attrs = z.array(z.enum(dmaAttrs)).default([]);
const cpu = z.number().int().min(0).max(4095).default(0);

const explicitOp = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('map'), id, device: id, buffer, dir: z.enum(dmaDirections), attrs, cpu }),
  z.strictObject({ op: z.literal('map_sg'), id, device: id, segments: z.array(buffer).min(1).max(1024), dir: z.enum(dmaDirections), attrs, cpu }),
  z.strictObject({ op: z.literal('unmap'), id }),
  z.strictObject({ op: z.literal('unmap_sg'), id }),
  z.strictObject({ op: z.literal('sync_for_device'), id, offset: z.number().int().min(0).default(0), length: z.number().int().min(1).optional() }),
  z.strictObject({ op: z.literal('sync_for_cpu'), id, offset: z.number().int().min(0).default(0), length: z.number().int().min(1).optional() }),
  z.strictObject({ op: z.literal('device_write'), id, bytes: z.number().int().min(1), offset: z.number().int().min(0).default(0), data: z.enum(dataClasses) }),
  z.strictObject({ op: z.literal('device_read'), id, bytes: z.number().int().min(1), offset: z.number().int().min(0).default(0) }),
  z.strictObject({ op: z.literal('cpu_write'), id, offset: z.number().int().min(0).default(0), bytes: z.number().int().min(1), data: z.enum(dataClasses) }),
  z.strictObject({ op: z.literal('alloc_coherent'), id, device: id, size: sizeBytes, gfp: z.enum(['blocking', 'atomic']).default('blocking'), attrs }),
  z.strictObject({ op: z.literal('free_coherent'), id }),
  z.strictObject({ op: z.literal('accept_device'), device: id }),
  z.strictObject({ op: z.literal('reject_device'), device: id }),
  z.strictObject({ op: z.literal('run_deferred') }),
]);

const device = z.strictObject({
  id,
  kind: z.enum(deviceKinds),
  dmaMaskBits: z.number().int().min(12).max(64).optional().describe('streaming DMA mask width; default per kind'),
  coherentMaskBits: z.number().int().min(12).max(64).optional().describe('coherent DMA mask width; default per kind (PCI 32, VMBus 64)'),
  coherent: z.boolean().default(true).describe('cache-coherent DMA (false: arm64 non-coherent devices)'),
  minAlignMask: mask.optional().describe('dma_set_min_align_mask(); nvme defaults to 4095'),
  segBoundaryMask: mask.optional().describe('dma_set_seg_boundary(); PCI default 0xffffffff, none: 0xffffffffffffffff'),
  maxSegmentBytes: z.number().int().min(512).max(1024 ** 3).optional().describe('dma_set_max_seg_size(); PCI default 65536'),
  trust: z.enum(deviceTrusts).default('untrusted'),
  restrictedPoolMiB: z.number().int().min(1).max(4096).nullable().default(null).describe('a restricted-dma-pool reserved for this device'),
  accessPlatform: z.boolean().default(true).describe('virtio: VIRTIO_F_ACCESS_PLATFORM negotiated'),
});

export const scenarioSchema = z.strictObject({
  apiVersion: z.literal('dmasim/v1'),
  name: name.describe('scenario name'),
  description: z.string().max(10_000).default(''),
  vm: z.strictObject({
    platform: z.enum(platformIds),
    memoryMiB: z.number().int().min(256).max(64 * 1024 * 1024),
    vcpus: z.number().int().min(1).max(4096),
    cBit: z.number().int().min(32).max(63).optional().describe('SEV C-bit position (default 51)'),
    ipaBits: z.number().int().min(32).max(52).optional().describe('CCA IPA width; the shared alias sets the top IPA bit (default 48)'),
    reservedMiB: z.number().int().min(0).default(0).describe('memory not counted in totalram_pages()'),
    layout: z.enum(memoryLayouts).optional().describe('physical memory layout; default per platform'),
  }),
  kernel: z.strictObject({
    profile: z.string().min(1).describe('a release (v6.12, v7.2, v7.3) or a profile id (v6.6, la-classic, la-phys, lb)'),
    overlays: z.array(overlay).max(8).default([]),
    config: z
      .strictObject({
        swiotlbDynamic: z.boolean().default(false),
        dmaCoherentPool: z.boolean().default(true),
        debugFs: z.boolean().default(true),
        deferredWorkEveryOps: z.number().int().min(1).max(1_000_000).default(64),
      })
      .prefault({}),
    cmdline: z.string().max(4096).default(''),
  }),
  devices: z.array(device).min(1).max(64),
  workload: z.strictObject({
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
    operations: z.number().int().min(0).default(10_000).describe('total DMA API calls to generate (upper bound)'),
    streams: z.array(stream).max(64).default([]),
    explicit: z.array(explicitOp).max(100_000).default([]),
  }),
  faults: z
    .strictObject({ decryptFailRate: z.number().min(0).max(1).default(0), encryptFailRate: z.number().min(0).max(1).default(0) })
    .prefault({}),
  limits: z.strictObject({ maxOperations: z.number().int().min(1).max(100_000_000).default(10_000_000) }).prefault({}),
});

/** A spec as written by users (before defaults). */
export type ScenarioSpec = z.input<typeof scenarioSchema>;
/** A spec after parsing (defaults filled in by zod; see normalize.ts for the rest). */
export type ParsedScenario = z.output<typeof scenarioSchema>;
export type ExplicitOp = z.output<typeof explicitOp>;
export type DeviceSpec = z.output<typeof device>;
export type StreamSpec = z.output<typeof stream>;
