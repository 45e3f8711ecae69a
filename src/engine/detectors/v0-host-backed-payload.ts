import { isBounceMemory, mapCopyPath } from './bounce-path';
import type { ViolationDetector } from './types';

/**
 * V0 (docs/engine-contract.md §5): a payload sent to-device to a device whose backend is the host. The host is
 * the device, so this is disclosure by design; info, it tells the owner their secret goes to the
 * host in the clear.
 */
export const v0: ViolationDetector = {
  class: 'V0',
  title: 'Payload sent to a host-backed device (disclosure by design)',
  kernelFunction: 'swiotlb_tbl_map_single',
  severity: 'info',
  role: 'primary',
  precedence: 90,
  matches: (f) =>
    f.event === 'map-copy' && isBounceMemory(f.memory) && f.trust === 'untrusted' && f.dir !== 'from-device',
  path: mapCopyPath,
  explain: () =>
    'the payload goes to a device whose backend is the host; swiotlb_tbl_map_single() copies it into shared memory in the clear — disclosure by design',
};
