import type { ExposureFacts } from '../detectors/index';
import type { AtomicPool } from '../pools/atomic-pool';
import type { Prng } from '../prng';
import type {
  AtomicPoolZone,
  CoherentAllocDecision,
  DecisionContext,
  DmaEnvironment,
  KernelProfile,
  StreamingMapDecision,
  SwiotlbPoolKind,
} from '../profiles/profile.types';
import type { NormalizedScenario, ResolvedDevice, ResolvedScenario } from '../spec/normalize';
import type { DmaDirection, SpecDataClass } from '../spec/names';
import type { SwiotlbDevice } from '../swiotlb/pool';
import type { TlbMem } from '../swiotlb/tlb-mem';
import type { FindingLedger } from './findings';
import type { IdTable } from './id-table';
import type { KernelLog } from './kernel-log';
import type { LoweredOp, OpId } from './lowered-op';
import type { StreamGenerator } from './workload';

/**
 * The state of one engine run, shared by the parts that model the DMA API: streaming maps
 * (streaming.ts), coherent allocations and pools (coherent.ts), the run loop (engine-run.ts) and
 * report assembly (report-assembly.ts). Built once by run-setup.ts.
 */

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
/**
 * Modelled cost parameters (docs/engine-contract.md §8): inputs with documented defaults, not measurements. The
 * page-conversion cost comes from the platform (Platform.conversionCost).
 */
export const costModel = { memcpyBytesPerNs: 10, slotScanNs: 2, lockNs: 20, cacheFlushPerPageNs: 100 } as const;

export type MapOp = Extract<LoweredOp, { kind: 'map' }>;
export type MapPath = 'swiotlb' | 'direct' | 'bypass' | 'gpadl';

/** A live streaming mapping. Recycled through a free list (unmap returns it), so steady state allocates none. */
export interface LiveMapping {
  device: DeviceState;
  dir: DmaDirection;
  path: MapPath;
  rule: string;
  /** Memory the device touches is shared (bounce slots, CC_SHARED page, GPADL buffer). */
  shared: boolean;
  readonly phys: number[];
  readonly sizes: number[];
  /** Bounce address per segment, -1 when mapped directly. */
  readonly tlbs: number[];
  readonly data: SpecDataClass[];
  /** Class of the last data the device wrote into the mapping, null before any write (the V6 residue of a read). */
  written: SpecDataClass | null;
  /** Segments in use (the arrays are reused and may be longer). */
  count: number;
  totalBytes: number;
}

export interface CoherentRegion {
  readonly device: DeviceState;
  readonly size: number;
  readonly shared: boolean;
  readonly memory: 'atomic-pool' | 'coherent-pages' | 'restricted-pool';
  readonly decision: CoherentAllocDecision;
  readonly addr: number;
  readonly pool: AtomicPool | null;
}

export interface DeviceCounters {
  maps: number;
  bounces: number;
  directMaps: number;
  gpadlBuffers: number;
  errors: number;
  bytes: number;
  acceptBusy: number;
  splitRequests: number;
  /** Bounces forced by the CoCo policy (not by an addressing limit). */
  forcedBounces: number;
}

export interface DeviceState {
  readonly index: number;
  readonly id: string;
  readonly resolved: ResolvedDevice;
  ctx: DecisionContext;
  readonly swiotlb: SwiotlbDevice;
  readonly counters: DeviceCounters;
  /** The device's restricted-dma-pool (docs/kernel-dma.md §5.10), when it has one. */
  readonly restricted: TlbMem | null;
  /** Live streaming mappings and coherent regions (device_cc_accept() returns -EBUSY while > 0). */
  live: number;
  /** Non-confidential VMBus netvsc in a CoCo guest: payload goes through decrypted GPADL buffers (V9). */
  readonly gpadl: boolean;
  /**
   * Confidential VMBus netvsc (co_external_memory) in a CoCo guest: its send/receive buffers stay
   * private, so received data and packets netvsc_send() copies into a send section never reach
   * the DMA API; only page-buffer packets go through netvsc_dma_map().
   */
  readonly privateNetvscBuffers: boolean;
  /** virtio without ACCESS_PLATFORM in a CoCo guest: refused at probe (F14). */
  readonly refusedAtProbe: boolean;
  /** Highest bounce address+size-1 already checked reachable by swiotlb_map()'s dma_capable() re-check, per pool kind. */
  readonly capableUpTo: Record<SwiotlbPoolKind, number>;
  /**
   * The accepted device's is_swiotlb_force_bounce() goes through the force-bounce-off hunk while
   * SWIOTLB forcing is on, which warns once "(TIO) Disable SWIOTLB"; recomputed on accept/reject.
   */
  tioWarn: boolean;
  firstBounceOp: number;
  firstSplitOp: number;
  /** dma_max_mapping_size() in bytes (MAX_SAFE_INTEGER for SIZE_MAX); -1 until computed, reset on accept/reject. */
  maxMapping: number;
  /**
   * Streaming decisions that depend on neither the address nor the size (forced bounce A4/B2, the
   * L-B CC rule B5) for attribute-free maps, per direction; cleared on accept/reject.
   */
  readonly decisionCache: Map<DmaDirection, StreamingMapDecision>;
}

/** Run-wide counters behind the report's metrics. */
export interface RunCounters {
  bouncedBytesToDevice: number;
  bouncedBytesFromDevice: number;
  failedMaps: number;
  failedCoherentAllocs: number;
  publicBytesShared: number;
  coherentSharedBytes: number;
  decryptCalls: number;
  decryptPages: number;
  encryptCalls: number;
  encryptPages: number;
  leakedPages: number;
  conversionFailures: number;
  copyNs: number;
  conversionNs: number;
  /** io_tlb_area lock acquisitions (one per bounced segment mapped, one per segment released). */
  areaLocks: number;
  skipped: number;
  hostSideSharedBytes: number;
}

export interface RunState {
  readonly spec: NormalizedScenario;
  readonly seed: number;
  readonly resolved: ResolvedScenario;
  readonly env: DmaEnvironment;
  readonly profile: KernelProfile;
  readonly devices: Map<string, DeviceState>;
  readonly deviceList: DeviceState[];
  /** Set once while the run is set up. */
  /** The three below are set once while the run is set up (run-setup.ts). */
  mem: TlbMem | null;
  privateMem: TlbMem | null;
  generator: StreamGenerator | null;
  readonly findings: FindingLedger;
  readonly mappings: IdTable<LiveMapping>;
  readonly freeMappings: LiveMapping[];
  readonly coherent: Map<OpId, CoherentRegion>;
  readonly failedIds: Set<OpId>;
  readonly log: KernelLog;
  readonly facts: ExposureFacts;
  readonly faults: Prng;
  readonly atomicPools: Partial<Record<AtomicPoolZone, AtomicPool>>;
  readonly atomicPoolBytes: number;
  atomicGrowthScheduled: boolean;
  /** Physical memory the model carves pools from, per zone (bump allocation; pools never return memory). */
  readonly carve: Record<AtomicPoolZone, { next: number; end: number }>;
  readonly counters: RunCounters;
  readonly series: { t: number[]; values: Record<string, number[]> };
  readonly sampleEvery: number;
  readonly bootLog: string[];
  readonly sizing: { nslabs: number; nareas: number; areaSlots: number };
  readonly memEncrypt: boolean;
  /** An observer outside the trust boundary reads shared memory (the host of a CoCo guest). */
  readonly hostObserves: boolean;
  /** The device whose map is in swiotlb_find_slots() (for the transient-pool WARN). */
  mappingDevice: DeviceState | null;
  /** Devices that carry generated network streams (F15 bounce-copy applies to them). */
  readonly netDevices: ReadonlySet<string>;
  readonly operationsTotal: number;
  operationsDone: number;
}
