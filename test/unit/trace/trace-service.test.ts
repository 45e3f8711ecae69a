import { validateScenario } from '../../../src/engine/index';
import type { ScenarioService } from '../../../src/modules/scenario/scenario.service';
import type { ScenarioVersion } from '../../../src/modules/scenario/scenario.types';
import { TraceService } from '../../../src/modules/trace/trace.service';
import type { Viewer } from '../../../src/modules/team/team.types';

const viewer = { teamId: 't1', tokenId: 'k1', role: 'member' } as unknown as Viewer;

/** 40 live 64 KiB bounces: the swiotlb search needs several engine runs. */
function storedVersion(): ScenarioVersion {
  const checked = validateScenario({
    apiVersion: 'dmasim/v1',
    name: 'live',
    vm: { platform: 'sev-snp', memoryMiB: 4096, vcpus: 1 },
    kernel: { profile: 'v7.2' },
    devices: [{ id: 'net0', kind: 'virtio-net' }],
    workload: {
      explicit: Array.from({ length: 40 }, (_, i) => ({
        op: 'map',
        id: `m${i}`,
        device: 'net0',
        buffer: { size: 65536, phys: `0x${(0x10000000 + i * 0x10000).toString(16)}`, data: 'secret' },
        dir: 'to-device',
      })),
    },
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return {
    id: 'v1',
    teamId: 't1',
    scenarioId: 's1',
    version: 1,
    spec: checked.spec as unknown as ScenarioVersion['spec'],
    specHash: 'h',
    diffSummary: '',
    createdAt: new Date(0),
  };
}

const scenarios = {
  getOrThrow: () => Promise.resolve({ id: 's1' }),
  versions: () => Promise.resolve([storedVersion()]),
} as unknown as ScenarioService;

describe('TraceService.advise bounds (the API process never searches without limits)', () => {
  it('stops the search at the time limit and says so', async () => {
    let clockMs = 0;
    // Every clock read moves time on by one second; the limit is 1.5 s.
    const service = new TraceService(scenarios, { maxOperations: 1000, maxProfiles: 3, timeLimitMs: 1500 }, () => {
      clockMs += 1000;
      return clockMs;
    });
    const result = await service.advise(viewer, { scenarioId: 's1' });
    if ('userErrors' in result) throw new Error(JSON.stringify(result.userErrors));
    const { swiotlb, coherentPool } = result.profiles[0]!;
    expect(swiotlb.search.timedOut).toBe(true);
    expect(swiotlb.search.runs).toBeLessThan(5);
    // The default pool was enough: the best size so far is kept; coherent_pool needed no search.
    expect(coherentPool.search.runs).toBe(0);
  });

  it('searches to the boundary when time does not run out', async () => {
    const service = new TraceService(scenarios, { maxOperations: 1000, maxProfiles: 3, timeLimitMs: 1500 }, () => 0);
    const result = await service.advise(viewer, { scenarioId: 's1' });
    if ('userErrors' in result) throw new Error(JSON.stringify(result.userErrors));
    expect(result.profiles[0]!.swiotlb).toMatchObject({ value: '1152,1', search: { timedOut: false } });
  });

  it('refuses workloads above the operation bound before running anything', async () => {
    const service = new TraceService(scenarios, { maxOperations: 39, maxProfiles: 3, timeLimitMs: 1500 });
    const result = await service.advise(viewer, { scenarioId: 's1' });
    expect(result).toEqual({
      userErrors: [expect.objectContaining({ code: 'WORKLOAD_TOO_LARGE', path: ['input', 'scenarioId'] })],
    });
  });
});
