/** Small spec builders for the spec, profile and platform tests (docs/engine-contract.md §2). */
export type SpecObject = Record<string, unknown> & {
  vm: Record<string, unknown>;
  kernel: Record<string, unknown>;
  devices: Array<Record<string, unknown>>;
  workload: Record<string, unknown>;
};

export function baseSpec(): SpecObject {
  return {
    apiVersion: 'dmasim/v1',
    name: 'test',
    vm: { platform: 'sev-snp', memoryMiB: 16384, vcpus: 16 },
    kernel: { profile: 'v7.2' },
    devices: [{ id: 'nvme0', kind: 'nvme' }],
    workload: {
      operations: 100,
      streams: [{ device: 'nvme0', type: 'block', data: 'secret', sizes: { dist: 'fixed', value: 4096 } }],
    },
  };
}

/** A spec with an explicit op list instead of streams. */
export function explicitSpec(
  ops: Array<Record<string, unknown>>,
  patch: (spec: SpecObject) => void = () => undefined,
): SpecObject {
  const spec = baseSpec();
  spec.workload = { explicit: ops };
  patch(spec);
  return spec;
}

export const mapOp = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  op: 'map',
  id,
  device: 'nvme0',
  buffer: { size: 4096, phys: '0x100000000', data: 'secret' },
  dir: 'to-device',
  ...extra,
});
