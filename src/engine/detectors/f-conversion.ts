import type { FailureDetector } from './types';

/** Page-state conversion failures (docs/kernel-dma.md §10.2 F9, §1.4): set_memory_decrypted/encrypted. */
export const conversionFailures: readonly FailureDetector[] = [
  {
    class: 'F9',
    family: 'f-conversion',
    title: 'Page-state conversion failure',
    kernelFunction: 'set_memory_decrypted',
    severity: 'high',
    // dma_set_encrypted() warns; a failed set_memory_decrypted() in dma_direct_alloc() leaks silently.
    logTemplate: "leaking DMA memory that can't be re-encrypted",
    logLimit: 'every',
    explain: (rule, detail) =>
      `${detail === 'encrypt' ? 'set_memory_encrypted()' : 'set_memory_decrypted()'} failed (${rule}); the kernel leaks the pages rather than return memory in an unknown encryption state to the allocator (dma_direct_alloc/dma_direct_free, b9fa16949d18)`,
  },
];
