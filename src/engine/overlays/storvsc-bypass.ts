import { toDmaAddr } from '../spec/address';
import type { Overlay } from './overlay.types';

/**
 * Tianyu Lan's storvsc patch (2026-04-08, docs/kernel-dma.md §8.3, §11 S5): when the channel has
 * `co_external_memory`, storvsc skips scsi_dma_map()/unmap() and builds the GPA list from
 * page_to_hvpfn(sg_page(sg)): no DMA API call, private PFNs go to the paravisor, nothing is
 * bounced. Other devices and non-confidential channels are unchanged.
 */
export const storvscBypassOverlay: Overlay = {
  id: 'storvsc-bypass',
  summary: 'storvsc on a Confidential VMBus channel skips the DMA API and passes private PFNs',
  source:
    'docs/kernel-dma.md §8.3: PATCH 2026-04-08 (https://lore.kernel.org/r/20260408073105.272255-1-tiala@microsoft.com)',
  variants: [
    {
      name: null,
      description: 'storvsc passes private PFNs of a Confidential VMBus channel without the DMA API',
      hunks: [
        {
          id: 'storvsc-no-dma-map',
          summary:
            'storvsc_queuecommand(): no scsi_dma_map() on a co_external_memory channel; PFNs from page_to_hvpfn()',
        },
      ],
    },
  ],
  notes: () => ['storvsc-bypass is an unmerged patch (under review May 2026).'],
  apply(profile) {
    return {
      ...profile,
      decideStreamingMap(ctx, req) {
        if (ctx.dev.kind === 'vmbus-storvsc' && ctx.dev.trust === 'confidential-vmbus') {
          return {
            path: 'bypass',
            rule: 'storvsc-bypass',
            handle: toDmaAddr(req.phys),
            handleEncoding: 'phys',
            memoryState: 'private',
          };
        }
        return profile.decideStreamingMap(ctx, req);
      },
    };
  },
};
