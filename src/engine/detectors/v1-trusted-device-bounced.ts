import { isBounceMemory, mapCopyPath } from './bounce-path';
import type { ViolationDetector } from './types';

/**
 * V1 (docs/kernel-dma.md §10.1): streaming DMA of private data for a device that is meant to be trusted
 * (Confidential VMBus `co_external_memory`, a TDISP device) bounces through the shared pool —
 * rows A4/B5 → swiotlb_tbl_map_single's copy; also the trusted backend's own writes into the
 * shared bounce buffer.
 */
export const v1: ViolationDetector = {
  class: 'V1',
  title: 'Trusted device bounced through shared SWIOTLB',
  kernelFunction: 'swiotlb_tbl_map_single',
  severity: 'by-data',
  role: 'primary',
  precedence: 20,
  matches: (f) =>
    (f.event === 'map-copy' || f.event === 'device-write') && isBounceMemory(f.memory) && f.trust !== 'untrusted',
  path: (f) => (f.event === 'device-write' ? 'device DMA write → shared SWIOTLB bounce buffer' : mapCopyPath(f)),
  explain: (f) =>
    f.event === 'device-write'
      ? `the ${f.trust} device wrote ${f.dataClass} data into a bounce buffer in the shared pool; the host can read it before swiotlb_sync_single_for_cpu() copies it back`
      : `the device's backend is inside the trust boundary (${f.trust}), yet swiotlb_tbl_map_single() copied the buffer into the shared (decrypted) default pool, where the host can read it`,
};
