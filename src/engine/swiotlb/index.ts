/** The SWIOTLB allocator model: exact slot choices of kernel/dma/swiotlb.c under three rule sets. */
export * from './constants';
export * from './rules';
export { bootSizing, cocoSwiotlbBytes, limitNareas, parseSwiotlbParam, swiotlbFromCmdline, type BootSizing, type BootSizingInput, type SwiotlbCmdline } from './boot-sizing';
export { createPool, poolUsed, type Pool } from './pool';
export { createTlbMem, findPool, growPool, swiotlbAlloc, tblMapSingle, tblUnmapSingle, type SlotFailureReason, type SwiotlbDevice, type SwiotlbStats, type TlbMem } from './tlb-mem';
export { isReplayError, replayTrace, startReplay, type ReplayError, type ReplaySession } from './replay';
export { freeRunHistogram, largestFreeRun } from './metrics';
