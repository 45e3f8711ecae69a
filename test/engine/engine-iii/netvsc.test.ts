import { explicitSpec, mapOp } from '../spec/spec-builders';
import { classesOf, runSpec } from './run-helpers';

/**
 * "And": Confidential VMBus netvsc. netvsc_send() copies a packet that fits a send section
 * (NETVSC_SEND_SECTION_SIZE, 6144 bytes) into the send buffer; only larger packets go out as page
 * buffers through netvsc_dma_map() → dma_map_single(). Received data is copied out of the receive
 * buffer, never DMA-mapped. With co_external_memory the buffers are not decrypted, so only the
 * page-buffer TX path reaches the (forced) SWIOTLB bounce.
 */
const run = (ops: Array<Record<string, unknown>>) =>
  runSpec(
    explicitSpec(ops, (s) => {
      s.vm = { platform: 'hyperv-snp-paravisor', memoryMiB: 8192, vcpus: 4 };
      s.devices = [{ id: 'net0', kind: 'vmbus-netvsc', trust: 'confidential-vmbus' }];
    }),
  );
const op = (id: string, size: number, dir: string) =>
  mapOp(id, { device: 'net0', dir, buffer: { size, phys: '0x100000000', data: 'secret' } });

describe('Confidential VMBus netvsc: only page-buffer TX uses the DMA API', () => {
  it('receive and send-section-sized TX expose nothing', () => {
    const report = run([
      op('rx', 1500, 'from-device'),
      { op: 'device_write', id: 'rx', bytes: 1500, data: 'secret' },
      { op: 'unmap', id: 'rx' },
      op('tx', 1500, 'to-device'),
      { op: 'unmap', id: 'tx' },
    ]);
    expect(report.violations).toEqual([]);
    expect(report.metrics['devices.net0.bounces']).toBe(0);
  });

  it('a 64 KiB page-buffer packet is still force-bounced through the shared pool (V1)', () => {
    expect(classesOf(run([op('tx', 65536, 'to-device'), { op: 'unmap', id: 'tx' }]))).toContain('V1');
  });
});
