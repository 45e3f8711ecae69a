import type { DmaAttr, DmaDirection, GfpKind, SpecDataClass } from '../spec/names';

/** Names a mapping or coherent region: the spec's string ids, or numbers for generated requests. */
export type OpId = string | number;

/** One DMA API call after lowering (docs/engine-contract.md §4): explicit ops map 1:1, generated streams produce them. */
export type LoweredOp =
  | {
      readonly kind: 'map';
      readonly id: OpId;
      readonly device: string;
      readonly sg: boolean;
      readonly segments: ReadonlyArray<{ phys: number; size: number; data: SpecDataClass }>;
      readonly dir: DmaDirection;
      readonly attrs: readonly DmaAttr[];
      readonly cpu: number;
    }
  | { readonly kind: 'unmap'; readonly id: OpId; readonly skipCpuSync: boolean }
  | {
      readonly kind: 'device_write';
      readonly id: OpId;
      readonly offset: number;
      readonly bytes: number;
      readonly data: SpecDataClass;
    }
  | { readonly kind: 'device_read'; readonly id: OpId; readonly offset: number; readonly bytes: number }
  | {
      readonly kind: 'cpu_write';
      readonly id: OpId;
      readonly offset: number;
      readonly bytes: number;
      readonly data: SpecDataClass;
    }
  | {
      readonly kind: 'sync';
      readonly id: OpId;
      readonly target: 'device' | 'cpu';
      readonly offset: number;
      readonly length: number | null;
    }
  | {
      readonly kind: 'alloc_coherent';
      readonly id: OpId;
      readonly device: string;
      readonly size: number;
      readonly gfp: GfpKind;
      readonly noWarn: boolean;
    }
  | { readonly kind: 'free_coherent'; readonly id: OpId }
  | { readonly kind: 'accept_device' | 'reject_device'; readonly device: string }
  | { readonly kind: 'run_deferred' };
