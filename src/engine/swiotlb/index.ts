/** The SWIOTLB allocator model: exact slot choices of kernel/dma/swiotlb.c under three rule sets. */
export * from './constants';
export * from './rules';
export {
  bootSizing,
  cocoSwiotlbBytes,
  limitNareas,
  parseSwiotlbParam,
  swiotlbFromCmdline,
  type BootSizing,
  type BootSizingInput,
  type SwiotlbCmdline,
} from './boot-sizing';
export {
  createPool,
  poolGeometry,
  poolUsed,
  slotAddr,
  slotAllocSize,
  slotList,
  slotOrigAddr,
  slotPadSlots,
  type Pool,
  type PoolGeometry,
  type SwiotlbDevice,
} from './pool';
export { poolFindSlots, searchPoolArea } from './find-slots';
export { releaseSlots } from './release-slots';
export {
  addMemPool,
  createTlbMem,
  findPool,
  releaseTlbMem,
  slotFailureReasons,
  type CreateTlbMemOptions,
  type PoolBackingAllocator,
  type PoolBackingRelease,
  type SlotFailureReason,
  type SwiotlbStats,
  type TlbMem,
} from './tlb-mem';
export { findSlots, tblMapSingle, tblUnmapSingle } from './map-single';
export { deleteTransientPool, dynamicFindSlots, growPool } from './dynamic';
export {
  createRestrictedMem,
  getOrder,
  swiotlbAlloc,
  swiotlbFree,
  type CreateRestrictedMemOptions,
} from './restricted-pool';
export {
  classifyFailure,
  freeRunHistogram,
  freeSlots,
  largestFreeRun,
  swiotlbMetrics,
  type SwiotlbMetrics,
} from './metrics';
export {
  isReplayError,
  replaySwiotlbTrace,
  replayTrace,
  startReplay,
  startReplayFromLine,
  type ReplayError,
  type ReplaySession,
} from './replay';
export { parseJsonLine, type JsonParseResult } from './replay-json';
