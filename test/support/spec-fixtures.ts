/** A small valid scenario spec (engine.md §2) for API tests; override fields with `overrides`. */
export function minimalSpecYaml(overrides: { name?: string; profile?: string; seed?: number } = {}): string {
  return `apiVersion: dmasim/v1
name: ${overrides.name ?? 'nvme-on-snp'}
description: NVMe on an SNP guest
vm:
  platform: sev-snp
  memoryMiB: 8192
  vcpus: 4
kernel:
  profile: ${overrides.profile ?? 'v7.2'}
devices:
  - id: nvme0
    kind: nvme
    trust: untrusted
workload:
  seed: ${overrides.seed ?? 7}
  operations: 1000
  streams:
    - device: nvme0
      type: block
      data: secret
      sizes: { dist: choice, values: [4096, 65536], weights: [3, 1] }
      direction: mixed
      queueDepth: 8
`;
}
