import { violationForComparison } from '../../../src/modules/run/run-reader.repository';
import type { Violation } from '../../../src/modules/result/result.types';

// Suite comparisons (stored violation rows) and run exports (the result module's Violation) map
// violations through this one function: it keeps the finding and its exposure and drops ids,
// triage state and timestamps, which a comparison must not key on.
describe('violationForComparison', () => {
  it("keeps exactly the comparison's fields of a stored violation", () => {
    const stored: Violation = {
      id: 'v-1',
      teamId: 't-1',
      runId: 'r-1',
      scenarioId: 's-1',
      class: 'V1',
      severity: 'critical',
      deviceId: 'storvsc0',
      fingerprint: 'fp-1',
      count: 3n,
      bytesExposed: 12288n,
      dataClass: 'secret',
      firstOp: 7n,
      path: 'dma_direct_map_phys → swiotlb_map',
      rule: 'A4',
      explanation: 'secret bytes bounced through shared SWIOTLB',
      triageState: 'WAIVED',
      createdAt: new Date('2026-01-01T00:00:00Z'),
    };
    expect(violationForComparison(stored)).toStrictEqual({
      fingerprint: 'fp-1',
      class: 'V1',
      severity: 'critical',
      deviceId: 'storvsc0',
      path: 'dma_direct_map_phys → swiotlb_map',
      rule: 'A4',
      explanation: 'secret bytes bounced through shared SWIOTLB',
      dataClass: 'secret',
      count: 3n,
      bytesExposed: 12288n,
    });
  });
});
