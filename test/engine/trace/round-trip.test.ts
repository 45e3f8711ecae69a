import { runScenario, type EngineReport } from '../../../src/engine/index';
import { validateScenario } from '../../../src/engine/spec/validate';
import type { NormalizedScenario, ScenarioSpec } from '../../../src/engine/spec/validate';
import { materializeStreams } from '../../../src/engine/minimize/index';
import { importTraceText, parseDataRules, parseDeviceMap, renderTrace } from '../../../src/engine/trace/index';

/** Every op here is one the kernel traces (map/unmap, sg, syncs, coherent alloc/free): a trace can carry all of it. */
const original: ScenarioSpec = {
  apiVersion: 'dmasim/v1',
  name: 'round-trip',
  vm: { platform: 'hyperv-snp-paravisor', memoryMiB: 8192, vcpus: 4 },
  kernel: { profile: 'v7.2' },
  devices: [{ id: 'storvsc0', kind: 'vmbus-storvsc', trust: 'confidential-vmbus' }],
  workload: {
    seed: 1,
    explicit: [
      {
        op: 'map',
        id: 'w1',
        device: 'storvsc0',
        buffer: { size: 4096, phys: '0x100000000', data: 'secret' },
        dir: 'to-device',
        cpu: 1,
      },
      {
        op: 'map_sg',
        id: 'r1',
        device: 'storvsc0',
        segments: [
          { size: 8192, phys: '0x100004000', data: 'secret' },
          { size: 4096, phys: '0x100010000', data: 'secret' },
        ],
        dir: 'from-device',
        cpu: 2,
      },
      { op: 'sync_for_cpu', id: 'r1' },
      { op: 'unmap', id: 'w1' },
      { op: 'alloc_coherent', id: 'ring', device: 'storvsc0', size: 16384, gfp: 'atomic' },
      { op: 'cpu_write', id: 'ring', bytes: 4096, data: 'secret' },
      {
        op: 'map',
        id: 'w2',
        device: 'storvsc0',
        buffer: { size: 65536, phys: '0x100100000', data: 'secret' },
        dir: 'bidirectional',
        cpu: 3,
      },
      { op: 'sync_for_device', id: 'w2', offset: 4096, length: 512 },
      { op: 'unmap_sg', id: 'r1' },
      { op: 'free_coherent', id: 'ring' },
    ],
  },
};

function normalized(spec: unknown): NormalizedScenario {
  const result = validateScenario(spec);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

/**
 * A report without what describes the spec rather than the run: the hashes covering its text (name,
 * op ids) and the seed, which drives only generated streams and fault injection (none here) — an
 * imported spec has seed 1. What remains (findings, metrics, series, kernel log) must match.
 */
function outcome(report: EngineReport): unknown {
  const { specHash: _s, resultHash: _r, seed: _seed, ...rest } = report;
  return rest;
}

describe('round trip: spec → dma tracepoint text → import-trace → same run', () => {
  for (const shape of ['tracefs', 'trace-cmd'] as const) {
    it(`reproduces the report of the original spec (${shape} lines)`, () => {
      const spec = normalized(original);
      const before = runScenario(spec);
      expect(before.violations.length).toBeGreaterThan(0); // the round trip carries findings, not an empty report
      const text = renderTrace(spec.workload.explicit, shape);
      const devices = parseDeviceMap('storvsc0=vmbus-storvsc,trust=confidential-vmbus');
      const data = parseDataRules('*=secret');
      if (!devices.ok || !data.ok) throw new Error('bad flags');
      const imported = importTraceText(text, {
        devices: devices.value,
        data: data.value,
        platform: 'hyperv-snp-paravisor',
        memoryMiB: 8192,
        vcpus: 4,
        profile: 'v7.2',
      });
      expect(imported.summary.errorCount).toBe(0);
      expect(imported.spec.workload.explicit).toHaveLength(original.workload.explicit!.length);
      const after = runScenario(normalized(imported.spec));
      expect(outcome(after)).toEqual(outcome(before));
    });
  }
});

/** A generated workload the kernel traces completely: transmit-only maps and unmaps (no device writes to replay). */
const generated: ScenarioSpec = {
  apiVersion: 'dmasim/v1',
  name: 'round-trip-streams',
  vm: { platform: 'sev-snp', memoryMiB: 8192, vcpus: 4 },
  kernel: { profile: 'v6.12' },
  devices: [{ id: 'net0', kind: 'virtio-net' }],
  workload: {
    seed: 7,
    operations: 3000,
    streams: [
      {
        device: 'net0',
        type: 'net-tx',
        data: 'secret',
        sizes: { dist: 'choice', values: [1514, 9000, 65536] },
        queueDepth: 256,
      },
    ],
  },
};

describe('round trip of a generated workload: streams → explicit calls → trace text → import', () => {
  it('imports to the same op list and the same report', () => {
    const streams = normalized(generated);
    const explicit = normalized({ ...generated, workload: { seed: 7, explicit: materializeStreams(streams) } });
    const before = runScenario(explicit);
    expect(before.violations.map((v) => v.class)).toContain('V0'); // secrets bounced through shared memory: something to carry
    const devices = parseDeviceMap('net0=virtio-net');
    const data = parseDataRules('*=secret');
    if (!devices.ok || !data.ok) throw new Error('bad flags');
    const imported = importTraceText(renderTrace(explicit.workload.explicit), {
      devices: devices.value,
      data: data.value,
      platform: 'sev-snp',
      memoryMiB: 8192,
      vcpus: 4,
      profile: 'v6.12',
      deferredEveryOps: 64,
    });
    expect(imported.summary).toMatchObject({ errorCount: 0, unknownLines: { count: 0 }, warnings: {} });
    const after = normalized(imported.spec);
    expect(after.workload.explicit.map((o) => o.op)).toEqual(explicit.workload.explicit.map((o) => o.op));
    expect(outcome(runScenario(after))).toEqual(outcome(before));
  });
});
