import { failureDetectors, violationDetectors } from './detectors/index';
import type { CoherentRule, StreamingRule, SyncRule, UnmapRule } from './profiles/profile.types';
import type { FailureClass, ViolationClass } from './report/report.types';

/**
 * What each rule id and class in a report means, in one place: `dmasim explain`, the docs'
 * legend, SARIF rule help and the dashboard read it. Rule texts follow the decision tables of
 * docs/kernel-dma.md §3–§4; class texts come from the detector registry plus one sentence on what to
 * do about it.
 */
export type LegendKind = 'rule' | 'violation' | 'failure';

export interface LegendEntry {
  readonly id: string;
  readonly kind: LegendKind;
  /** One line: what the id stands for. */
  readonly title: string;
  /** A few sentences: when it applies, what it means for the data, what to look at. */
  readonly description: string;
  /** The kernel function the id is about. */
  readonly kernelFunction: string;
  /** Where the docs explain it (a path inside the repository, with section). */
  readonly docs: string;
}

type RuleId =
  | StreamingRule
  | CoherentRule
  | UnmapRule
  | SyncRule
  | 'free-atomic-pool'
  | 'free-restricted-pool'
  | 'free-pages'
  | 'free-arch'
  | 'storvsc-bypass'
  | 'netvsc-gpadl';
type RuleText = readonly [title: string, kernelFunction: string, section: string, description: string];

const LA = 'dma_direct_map_page/phys (L-A)';
const LB = 'dma_direct_map_phys (L-B)';
const ALLOC = 'dma_direct_alloc';

/** Typed by the engine's rule unions, so a new rule without a legend line is a compile error. */
const ruleTexts: Readonly<Record<RuleId, RuleText>> = {
  A1: [
    'MMIO mapping under forced bounce: error',
    LA,
    '§3.1',
    'A DMA_ATTR_MMIO map for a device whose pool forces bouncing fails (v7.1+: only without CC_SHARED). Seen as F10.',
  ],
  A2: [
    'REQUIRE_COHERENT under forced bounce: error',
    LA,
    '§3.1',
    'v7.1+: a map that must not bounce, for a device that must bounce, fails. Seen as F10.',
  ],
  A3: [
    'CC_SHARED under forced bounce: direct, shared handle',
    LA,
    '§3.1',
    'v7.1+: the caller already placed the data in shared memory, so it is mapped directly with the unencrypted handle; the host can read it (V8).',
  ],
  A4: [
    'forced bounce: copy into the shared SWIOTLB pool',
    LA,
    '§3.1',
    'In a CoCo guest up to v7.2 every device bounces: swiotlb_tbl_map_single() copies the buffer into the shared default pool, where the host can read it.',
  ],
  A5: [
    'CC_SHARED without forced bounce: error',
    LA,
    '§3.1',
    'v7.1–v7.2 reject CC_SHARED for a device that does not bounce (for example an accepted device). Seen as F12.',
  ],
  A6: [
    'MMIO mapping: direct to the device address',
    LA,
    '§3.1',
    'Peer-to-peer MMIO is mapped with the raw address if the device can reach it, else the map fails.',
  ],
  A7: [
    'private handle not reachable: bounce or error',
    LA,
    '§3.1',
    'The device cannot address the buffer: it bounces through SWIOTLB when a pool is active, else the map fails with "DMA addr … overflow" (F5).',
  ],
  A8: [
    "direct mapping of the caller's page",
    LA,
    '§3.1',
    'No bounce: the device gets the buffer itself. In a CoCo guest only reachable without a pool (swiotlb=noforce, F8) or for accepted devices under an overlay.',
  ],
  B0: [
    'MMIO on an SME host: treated as shared',
    LB,
    '§3.2',
    'On a memory-encrypting host, L-B adds CC_SHARED to MMIO maps.',
  ],
  B1: [
    'MMIO or REQUIRE_COHERENT under forced bounce: error',
    LB,
    '§3.2',
    'Forced bouncing now comes only from swiotlb=force or a restricted pool; these maps fail under it (F10).',
  ],
  B2: [
    'forced bounce: copy into SWIOTLB',
    LB,
    '§3.2',
    'swiotlb=force or a restricted pool: every streaming map bounces.',
  ],
  B3: [
    'handle choice: shared if CC_SHARED, else private',
    LB,
    '§3.2',
    'L-B picks the unencrypted handle only for buffers the caller marked CC_SHARED.',
  ],
  B4: [
    'MMIO mapping: direct if reachable and allowed',
    LB,
    '§3.2',
    'In a CoCo guest a P2P MMIO map without CC_SHARED fails (F11), because dma_capable() rejects private handles for devices that need shared memory.',
  ],
  B5: [
    'not capable (or private handle for a shared-only device): bounce or error',
    LB,
    '§3.2',
    'The usual L-B path of a CoCo guest: the private handle is not acceptable, so the buffer bounces through the shared pool; without a pool the map fails (F5).',
  ],
  B6: ['direct mapping', LB, '§3.2', 'The handle is acceptable: no bounce.'],
  C1: [
    'NO_KERNEL_MAPPING: private pages without a CPU mapping',
    ALLOC,
    '§4.1',
    'Only for devices that do not need shared memory.',
  ],
  C2: ['non-coherent device: architecture allocator', ALLOC, '§4.1', 'The architecture provides the coherent memory.'],
  C3: ['non-coherent device: global coherent pool', ALLOC, '§4.1', "Memory from the platform's global coherent pool."],
  C4: [
    'coherent allocation not supported: error',
    ALLOC,
    '§4.1',
    '"coherent DMA allocations not supported on this platform." (F13).',
  ],
  C5: [
    'non-blocking allocation from the atomic pool (shared)',
    ALLOC,
    '§4.1, §6',
    'The atomic pools are decrypted in advance and never shrink; what the driver stores there is host-visible (V4), and an empty pool fails (F7).',
  ],
  C6: [
    'pages from CMA, buddy or restricted pool',
    ALLOC,
    '§4.1, §4.3',
    'The ordinary page allocation path, zone chosen from the coherent mask.',
  ],
  C7: ['highmem page: remapped', ALLOC, '§4.1', 'A highmem page from CMA forces a remap.'],
  C8: [
    'remapped allocation with a decrypted alias',
    ALLOC,
    '§4.1',
    'The vmap alias is decrypted; in L-A the linear-map alias is not converted (fixed in L-B).',
  ],
  C9: [
    'page decrypted in place for a device that needs shared memory',
    ALLOC,
    '§4.1',
    'set_memory_decrypted() makes the pages shared: descriptors and buffers the driver keeps there are host-visible (V3). A conversion failure leaks the pages (F9).',
  ],
  C10: [
    'allocation zeroed (and made uncached for non-coherent devices)',
    ALLOC,
    '§4.1',
    'The last step of every successful allocation.',
  ],
  'unmap-mmio': ['unmap of an MMIO mapping: nothing to do', 'dma_direct_unmap_phys', '§3.4', 'No copy, no pool.'],
  'unmap-require-coherent': [
    'unmap of a REQUIRE_COHERENT mapping: returns early',
    'dma_direct_unmap_phys',
    '§3.4',
    'v7.1+: a REQUIRE_COHERENT mapping never bounced, so there is nothing to copy back or release.',
  ],
  'unmap-swiotlb': [
    'unmap of a bounced mapping: copy back, release slots',
    'swiotlb_tbl_unmap_single',
    '§3.4, §5.6',
    'From-device data is copied back unless SKIP_CPU_SYNC; the slots are released without scrubbing (V6).',
  ],
  'unmap-direct': [
    'unmap of a direct mapping',
    'dma_direct_unmap_phys',
    '§3.4',
    'Only cache maintenance for non-coherent devices.',
  ],
  'unmap-bypass': [
    'unmap of a bypassed mapping (overlay)',
    'storvsc (overlay)',
    '§8.3',
    'The storvsc-bypass overlay never used the DMA API, so nothing happens.',
  ],
  'sync-swiotlb': [
    'sync of a bounced mapping: copy the synced range',
    'swiotlb_sync_single_for_device/cpu',
    '§3.4',
    'Only the synced range is copied; the rest keeps the map-time copy (V7).',
  ],
  'sync-direct': [
    'sync of a direct mapping',
    'dma_direct_sync_single_for_device/cpu',
    '§3.4',
    'Cache maintenance only.',
  ],
  'sync-bypass': ['sync of a bypassed mapping (overlay)', 'storvsc (overlay)', '§8.3', 'Nothing to do.'],
  'free-atomic-pool': [
    'free into the atomic pool (stays shared)',
    'dma_direct_free',
    '§4.1, §6.3',
    'The memory goes back to the pool, still shared and not scrubbed until reused (V4).',
  ],
  'free-restricted-pool': [
    'free into the restricted pool',
    'dma_direct_free',
    '§4.1, §14.2',
    'L-A re-encrypts restricted-pool pages of devices that need shared memory first (later bounces then see ciphertext).',
  ],
  'free-pages': [
    'free to the page allocator (re-encrypted if it was shared)',
    'dma_direct_free',
    '§4.1',
    'A failed re-encryption leaks the pages (F9).',
  ],
  'free-arch': ['free through the architecture allocator', 'dma_direct_free', '§4.1', 'Counterpart of C2.'],
  'storvsc-bypass': [
    'storvsc skips the DMA API on a Confidential VMBus channel (overlay)',
    'storvsc_queuecommand (overlay)',
    '§8.3',
    'Private page numbers go to the paravisor: no bounce, no exposure.',
  ],
  'netvsc-gpadl': [
    'netvsc send/receive buffer shared by design (GPADL)',
    'netvsc_init_buf',
    '§8.1',
    'Non-confidential VMBus buffers are shared with the host by the protocol (V9).',
  ],
};

/** One sentence per class on what it means for the owner of the data; titles and kernel functions come from the detectors. */
const classAdvice: Readonly<Record<ViolationClass | FailureClass, string>> = {
  V0: 'A payload sent to a device whose backend is the host: the host is meant to receive it, so this is disclosure by design (info). Encrypt it end to end if the host must not read it.',
  V1: 'A device whose backend is inside the trust boundary (Confidential VMBus, TDISP) had its data bounced through shared memory: the kernel leaks what the platform promised to protect. Try the device-cc-accepted or confidential-vmbus-no-swiotlb overlays.',
  V2: 'The old contents of a receive buffer (possibly stale secrets of a recycled page) were copied into the shared pool at map time, before the device wrote.',
  V3: 'Coherent memory (rings, descriptors, command buffers) is decrypted: whatever the driver stores there is host-visible.',
  V4: 'Atomic-pool memory is shared for good and freed buffers keep their contents until reused.',
  V5: 'Bounced only because of swiotlb=force on the command line: remove it.',
  V6: 'Bounce slots and padding are not scrubbed on release: data stays readable after unmap (info, counted on top of the first exposure).',
  V7: 'A partial sync copies only its range; the rest of the bounce buffer keeps what the map-time copy put there (info).',
  V8: 'A buffer explicitly placed in shared memory (CC_SHARED, system_cc_shared heap): host-visible by design; flag it if the data is confidential.',
  V9: 'Non-confidential VMBus ring and GPADL buffers are shared with the host by design.',
  F1: 'No free run of slots in any area or pool: I/O errors or dropped packets. Enlarge the pool (swiotlb=), enable dynamic SWIOTLB, or lower the queue depth.',
  F2: 'A request larger than 128 slots (256 KiB, with padding) can never be bounced.',
  F3: 'Alignment or boundary constraints leave no usable slots even though space is free.',
  F4: "The bounce buffer's address is beyond the device's mask (CCA shared bit, SEV C-bit, pool above 4 GiB); the data was already copied into shared memory.",
  F5: 'The device cannot reach the buffer and there is no pool to bounce through: the map fails.',
  F6: "L-B: the pool's encryption state does not match what the device needs, so SWIOTLB refuses it (silent mapping error).",
  F7: 'The atomic pool had no room for a non-blocking allocation; it only grows later, in deferred work.',
  F8: 'swiotlb=noforce in a CoCo guest: L-A hands private memory to the host device (corruption), L-B fails every map.',
  F9: 'A page-state conversion failed: the pages are leaked for good.',
  F10: 'MMIO or REQUIRE_COHERENT mapping for a device that must bounce: error.',
  F11: 'L-B: peer-to-peer MMIO in a CoCo guest needs CC_SHARED.',
  F12: 'v7.1–v7.2: CC_SHARED on a device that does not bounce is an error.',
  F13: 'Coherent allocations are not supported for this non-coherent device.',
  F14: 'A virtio device without VIRTIO_F_ACCESS_PLATFORM is refused in a CoCo guest.',
  F15: 'A performance cliff, not an error: 256 KiB mapping cap, lock contention, slot scans, lost sync shortcut, per-segment allocations.',
  F16: 'A GFP_ATOMIC coherent allocation of a non-coherent device skipped the atomic pools and had to remap pages in atomic context: the kernel warns "sleeping function called from invalid context".',
};

const ruleEntries: readonly LegendEntry[] = Object.entries(ruleTexts).map(
  ([id, [title, kernelFunction, section, description]]) => ({
    id,
    kind: 'rule',
    title,
    description,
    kernelFunction,
    docs: `docs/kernel-dma.md ${section}`,
  }),
);

const violationEntries: readonly LegendEntry[] = Object.values(violationDetectors).map((d) => ({
  id: d.class,
  kind: 'violation',
  title: d.title,
  description: classAdvice[d.class],
  kernelFunction: d.kernelFunction,
  docs: 'docs/kernel-dma.md §10.1',
}));

const failureEntries: readonly LegendEntry[] = Object.values(failureDetectors).map((d) => ({
  id: d.class,
  kind: 'failure',
  title: d.title,
  description: classAdvice[d.class],
  kernelFunction: d.kernelFunction,
  docs: 'docs/kernel-dma.md §10.2',
}));

const byNumber = (a: LegendEntry, b: LegendEntry): number => Number(a.id.slice(1)) - Number(b.id.slice(1));

/** Every rule id and class, rules first (table order), then V0–V9, then F1–F16. */
export const legendEntries: readonly LegendEntry[] = [
  ...ruleEntries,
  ...[...violationEntries].sort(byNumber),
  ...[...failureEntries].sort(byNumber),
];

/** The legend entry for a rule id or class (case-insensitive), or null when there is none. */
export function explainId(id: string): LegendEntry | null {
  const wanted = id.trim().toLowerCase();
  return legendEntries.find((entry) => entry.id.toLowerCase() === wanted) ?? null;
}
