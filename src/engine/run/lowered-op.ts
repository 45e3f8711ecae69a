import type { DmaAttr, DmaDirection, GfpKind, SpecDataClass } from '../spec/names';

/** One DMA API call after lowering (engine.md §4): explicit ops map 1:1, generated streams produce them. */
export type LoweredOp =
  | { readonly kind: 'map'; readonly id: string; readonly device: string; readonly sg: boolean; readonly segments: ReadonlyArray<{ phys: number; size: number; data: SpecDataClass }>; readonly dir: DmaDirection; readonly attrs: readonly DmaAttr[]; readonly cpu: number }
  | { readonly kind: 'unmap'; readonly id: string }
  | { readonly kind: 'device_write'; readonly id: string; readonly offset: number; readonly bytes: number; readonly data: SpecDataClass }
  | { readonly kind: 'device_read'; readonly id: string; readonly offset: number; readonly bytes: number }
  | { readonly kind: 'cpu_write'; readonly id: string; readonly offset: number; readonly bytes: number; readonly data: SpecDataClass }
  | { readonly kind: 'sync'; readonly id: string; readonly target: 'device' | 'cpu'; readonly offset: number; readonly length: number | null }
  | { readonly kind: 'alloc_coherent'; readonly id: string; readonly device: string; readonly size: number; readonly gfp: GfpKind }
  | { readonly kind: 'free_coherent'; readonly id: string }
  | { readonly kind: 'accept_device' | 'reject_device'; readonly device: string }
  | { readonly kind: 'run_deferred' };
