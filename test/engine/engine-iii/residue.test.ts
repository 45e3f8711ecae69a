import { explicitSpec, mapOp } from '../spec/spec-builders';
import { runSpec } from './run-helpers';

/**
 * Issue #15 defect 14. swiotlb_tbl_unmap_single() → swiotlb_bounce(DMA_FROM_DEVICE) copies the
 * device's data back, then swiotlb_release_slots() frees the slots without clearing them
 * (kernel/dma/swiotlb.c): after a read, what stays in the shared slots is what the device wrote —
 * secret when the device wrote secret data, not the stale pre-map contents.
 */
describe('V6 residue after a read (swiotlb_release_slots() does not scrub)', () => {
  it('labels the residue with the class of the data the device wrote', () => {
    const report = runSpec(
      explicitSpec([
        mapOp('r1', { dir: 'from-device' }),
        { op: 'device_write', id: 'r1', bytes: 4096, data: 'secret' },
        { op: 'unmap', id: 'r1' },
      ]),
    );
    const residue = report.violations.filter((v) => v.class === 'V6');
    expect(residue.map((v) => v.dataClass)).toEqual(['secret']);
  });

  it('keeps "stale" when the device wrote nothing (only the map-time copy is there)', () => {
    const report = runSpec(explicitSpec([mapOp('r1', { dir: 'from-device' }), { op: 'unmap', id: 'r1' }]));
    expect(report.violations.filter((v) => v.class === 'V6').map((v) => v.dataClass)).toEqual(['stale']);
  });
});
